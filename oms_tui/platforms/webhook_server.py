"""`oms webhook`: the HTTP end of pushed order notifications (Starlette + uvicorn).

The rules — signature, timestamp window, idempotency, queueing — are in
``services/intake/webhook.py``; this module turns HTTP into calls and answers into HTTP, and
keeps what one hostile or broken client can cost bounded:

- a body is read in chunks and refused (413) as soon as it passes ``MAX_BODY`` — or at once when
  its Content-Length says it will — so a 100 MB push never sits in memory;
- a body that is not complete ``BODY_TIMEOUT`` seconds after its head is refused (408);
- a request head that is not complete ``HEAD_TIMEOUT`` seconds after the connection opened (or
  after the previous answer on it) closes the connection: uvicorn has no such timeout (its
  keep-alive timer restarts with every byte), so a client trickling its headers would hold a
  connection for ever — ``RequestDeadlineProtocol`` adds one;
- a client that hangs up mid-request is one log line, not a traceback;
- ``/health`` says ok, and nothing about the shops.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import h11
import uvicorn
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from uvicorn.protocols.http.h11_impl import H11Protocol

from oms_tui.config import ShopConfig
from oms_tui.db import session_scope
from oms_tui.i18n import _
from oms_tui.services.intake import webhook
from oms_tui.services.shipping import tracking
from oms_tui.services.shipping.services import parse_query_answer

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # a pushed notification is a few hundred bytes
BODY_TIMEOUT = 10.0  # seconds for the whole body, once the head is in
HEAD_TIMEOUT = 10.0  # seconds for a complete request head
KEEP_ALIVE = 5  # seconds an idle keep-alive connection stays open
MAX_CONNECTIONS = 200  # beyond this uvicorn answers 503 instead of queueing without limit


class BodyRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def read_body(request: Request, *, limit: int, timeout: float) -> bytes:
    """The request body, refused (``BodyRefused``) past ``limit`` bytes — before reading it when
    the declared length says so, else as soon as the chunks read pass it — or after ``timeout``
    seconds. ``ClientDisconnect`` when the client hangs up."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BodyRefused(400, _("Content-Length is not a number"))
        if int(declared) > limit:
            raise BodyRefused(413, _("body too large: at most {limit} bytes").format(limit=limit))
    body = bytearray()
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    raise BodyRefused(413, _("body too large: at most {limit} bytes").format(limit=limit))
    except TimeoutError:
        raise BodyRefused(408, _("body not received within {seconds:g} s").format(seconds=timeout)) from None
    return bytes(body)


def build_webhook_app(engine: Engine, shops: list[ShopConfig], *, clock: Callable[[], float] = time.time,
                      max_body: int = MAX_BODY, body_timeout: float = BODY_TIMEOUT,
                      kuaidi100_salt: str = "") -> Starlette:
    """The push endpoints: ``/push/{shop}`` (platform order notifications), ``/kuaidi100/push`` (tracking
    pushes, signed with ``kuaidi100_salt``; refused when it is empty), ``/health``."""
    by_name = {shop.name: shop for shop in shops}

    async def tracking_push(request: Request) -> Response:
        # Kuaidi100 reads {"result", "returnCode", "message"}; anything but 200 makes it push again later.
        try:
            body = await read_body(request, limit=max_body * 4, timeout=body_timeout)  # a whole timeline
        except BodyRefused as exc:
            return JSONResponse({"result": False, "returnCode": str(exc.status), "message": str(exc)},
                                status_code=exc.status, headers={"Connection": "close"})
        except ClientDisconnect:
            return Response(status_code=400)
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        try:
            outcome = await run_in_threadpool(tracking.accept_push, engine, form.get("param", ""),
                                              form.get("sign", ""), salt=kuaidi100_salt, parse=parse_query_answer)
        except tracking.PushRefused as exc:
            log.info("kuaidi100 push refused: %s", exc)
            return JSONResponse({"result": False, "returnCode": "400", "message": str(exc)}, status_code=400)
        log.info("kuaidi100 push %s: %s new events", outcome.waybill, outcome.new_events)
        return JSONResponse({"result": True, "returnCode": "200", "message": "成功"})

    async def push(request: Request) -> Response:
        shop = by_name.get(request.path_params["shop"])
        if shop is None:
            return JSONResponse({"error": _("unknown shop")}, status_code=404)
        try:
            body = await read_body(request, limit=max_body, timeout=body_timeout)
        except BodyRefused as exc:
            # Connection: close — the rest of the body is never read, so the connection cannot serve
            # another request; uvicorn closes it instead of draining what the client still sends.
            return JSONResponse({"error": str(exc)}, status_code=exc.status, headers={"Connection": "close"})
        except ClientDisconnect:
            client = request.client.host if request.client else "?"
            log.info("webhook: %s hung up before its push to %s was complete", client, shop.name)
            return Response(status_code=400)  # nobody is listening; uvicorn drops it
        try:
            webhook.verify(shop.app_secret.get_secret_value(), request.headers.get("x-oms-timestamp"),
                           request.headers.get("x-oms-signature"), body, now_ts=clock())
            accepted = await run_in_threadpool(_accept, engine, shop, body)
        except webhook.WebhookRefused as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        return JSONResponse({"status": accepted.status, "message_id": accepted.message_id,
                             "order": accepted.platform_order_id})

    async def health(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(routes=[Route("/push/{shop}", push, methods=["POST"]),
                             Route("/kuaidi100/push", tracking_push, methods=["POST"]), Route("/health", health)])


def _accept(engine: Engine, shop: ShopConfig, body: bytes) -> webhook.Accepted:
    with session_scope(engine) as session:
        return webhook.accept(session, shop=shop.name, platform=shop.platform, body=body)


class RequestDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request head (see the module docstring)."""

    head_timeout: float = HEAD_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._head_deadline: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm_head_deadline()

    def data_received(self, data: bytes) -> None:
        cycle = self.cycle
        super().data_received(data)
        if self.cycle is not cycle:  # a new request cycle: its head is complete
            self._disarm_head_deadline()

    def on_response_complete(self) -> None:
        cycle = self.cycle
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if self.conn.their_state is h11.SEND_BODY:
            # Answered before the body was read (413, 404...): uvicorn would go on reading and
            # discarding the rest for as long as the client cares to send it.
            self.transport.close()
            return
        # The next request's head has its own deadline, unless it was already waiting (pipelined).
        if self.cycle is cycle:
            self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        self._disarm_head_deadline()
        self._head_deadline = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _disarm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_timed_out(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing():
            client = "%s:%d" % self.client if self.client else "?"
            log.info("webhook: closed the connection from %s: no complete request within %g s", client,
                     self.head_timeout)
            self.transport.close()


def webhook_config(app: Any, *, host: str, port: int, head_timeout: float = HEAD_TIMEOUT,
                   **uvicorn_options: Any) -> uvicorn.Config:
    """The uvicorn configuration `oms webhook` runs with: the head deadline, a short keep-alive,
    a connection limit; ``uvicorn_options`` go to ``uvicorn.Config`` (log_config, log_level...)."""
    protocol = type("RequestDeadlineProtocol", (RequestDeadlineProtocol,), {"head_timeout": head_timeout})
    options: dict[str, Any] = {"timeout_keep_alive": KEEP_ALIVE, "limit_concurrency": MAX_CONNECTIONS,
                               "log_level": "info", **uvicorn_options}
    return uvicorn.Config(app, host=host, port=port, http=protocol, **options)


def serve(engine: Engine, shops: list[ShopConfig], *, host: str, port: int, kuaidi100_salt: str = "") -> None:
    """Run the webhook server until interrupted; our own log lines print beside uvicorn's."""
    log_config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    log_config["loggers"]["oms_tui"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    app = build_webhook_app(engine, shops, kuaidi100_salt=kuaidi100_salt)
    uvicorn.Server(webhook_config(app, host=host, port=port, log_config=log_config)).run()
