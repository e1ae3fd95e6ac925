"""`oms webhook`: the HTTP end of pushed order notifications (Starlette + uvicorn).

The rules — signature, timestamp window, idempotency, queueing — are in
``services/webhook.py``; this module only turns HTTP into calls and answers into HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from oms_tui.config import ShopConfig
from oms_tui.db import session_scope
from oms_tui.services.intake import webhook

MAX_BODY = 64 * 1024


def build_webhook_app(engine: Engine, shops: list[ShopConfig], *, clock: Callable[[], float] = time.time) -> Starlette:
    by_name = {shop.name: shop for shop in shops}

    async def push(request: Request) -> JSONResponse:
        shop = by_name.get(request.path_params["shop"])
        if shop is None:
            return JSONResponse({"error": "unknown shop"}, status_code=404)
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "body too large"}, status_code=413)
        try:
            webhook.verify(shop.app_secret.get_secret_value(), request.headers.get("x-oms-timestamp"),
                           request.headers.get("x-oms-signature"), body, now_ts=clock())
            accepted = await run_in_threadpool(_accept, engine, shop, body)
        except webhook.WebhookRefused as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        return JSONResponse({"status": accepted.status, "message_id": accepted.message_id,
                             "order": accepted.platform_order_id})

    async def health(_request: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "shops": sorted(by_name)})

    return Starlette(routes=[Route("/push/{shop}", push, methods=["POST"]), Route("/health", health)])


def _accept(engine: Engine, shop: ShopConfig, body: bytes) -> webhook.Accepted:
    with session_scope(engine) as session:
        return webhook.accept(session, shop=shop.name, platform=shop.platform, body=body)
