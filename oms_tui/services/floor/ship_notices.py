"""Tell the platforms that orders shipped: the `platform_ship` rows of the outbox, sent by the
shop's adapter. A platform that is down leaves the row pending with back-off; one that keeps
refusing turns into a `notify_failed` hold on the order so a person sees it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from oms_tui.config import ShopConfig
from oms_tui.db import session_scope
from oms_tui.errors import OmsError
from oms_tui.models import HoldKind, OutboxStatus
from oms_tui.services.core import outbox
from oms_tui.services.orders import holds, queries

log = logging.getLogger(__name__)


@dataclass
class DispatchResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def dispatch(engine: Engine, shops: list[ShopConfig], client_factory: Callable[[ShopConfig], object], *,
             limit: int = 100) -> DispatchResult:
    result = DispatchResult()
    by_name = {shop.name: shop for shop in shops}
    with session_scope(engine) as session:
        due_ids = [m.id for m in outbox.due(session, "platform_ship", limit)]
    clients: dict[str, object] = {}
    try:
        for message_id in due_ids:
            with session_scope(engine) as session:
                message = session.get(outbox.Outbox, message_id)
                if message is None or message.status != OutboxStatus.PENDING:
                    continue
                payload = outbox.payload_of(message)
                shop = by_name.get(message.target)
                if shop is None:
                    outbox.mark_failed(session, message, f"shop {message.target!r} is not configured", permanent=True)
                else:
                    if shop.name not in clients:
                        clients[shop.name] = client_factory(shop)
                    client = clients[shop.name]
                    try:
                        client.ship(payload["platform_order_id"], payload["waybill"], payload["courier"])
                        outbox.mark_sent(session, message)
                        result.sent += 1
                        continue
                    except OmsError as exc:
                        outbox.mark_failed(session, message, str(exc))
                    except KeyError as exc:  # a row we wrote wrong never gets better: stop retrying it
                        outbox.mark_failed(session, message, f"payload lacks {exc}", permanent=True)
                if message.status == OutboxStatus.FAILED:
                    result.failed += 1
                    if message.order_id is not None:
                        holds.open_hold(session, queries.get_order(session, message.order_id), HoldKind.NOTIFY_FAILED,
                                        reason=f"platform not told of shipment: {message.last_error}")
                else:
                    result.retrying += 1
    finally:
        for client in clients.values():
            client.close()
    return result
