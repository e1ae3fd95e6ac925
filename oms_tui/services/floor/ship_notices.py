"""Tell the platforms that orders shipped: the `platform_ship` rows of the outbox, sent by the
shop's adapter. A platform that is down leaves the row pending with back-off; one that keeps
refusing turns into a `notify_failed` hold on the order so a person sees it.

The platform is called outside any database transaction (``outbox.dispatch`` claims the row,
calls ``PlatformShipSender.send``, then records the outcome)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from oms_tui.config import ShopConfig
from oms_tui.i18n import N_
from oms_tui.models import HoldKind, Outbox
from oms_tui.services.core import outbox
from oms_tui.services.core.outbox import DispatchResult, MessageKind
from oms_tui.services.orders import holds, queries

__all__ = ["DispatchResult", "PlatformShipSender", "dispatch"]

ClientFactory = Callable[[ShopConfig], object]


class PlatformShipSender(outbox.Sender):
    """Sends `platform_ship` messages through each shop's adapter, one client per shop per run."""

    def __init__(self, shops: list[ShopConfig], client_factory: ClientFactory) -> None:
        self.shops = {shop.name: shop for shop in shops}
        self.client_factory = client_factory
        self.clients: dict[str, object] = {}

    def send(self, message: outbox.Claimed) -> None:
        shop = self.shops.get(message.target)
        if shop is None:
            raise outbox.Undeliverable(N_("shop {shop!r} is not configured"), shop=message.target)
        if shop.name not in self.clients:
            self.clients[shop.name] = self.client_factory(shop)
        notice: outbox.PlatformShip = message.payload
        self.clients[shop.name].ship(notice.platform_order_id, notice.waybill, notice.courier)

    def gave_up(self, session: Session, message: Outbox) -> None:
        if message.order_id is not None:
            holds.open_hold(session, queries.get_order(session, message.order_id), HoldKind.NOTIFY_FAILED,
                            reason=f"platform not told of shipment: {message.last_error}")

    def close(self) -> None:
        clients, self.clients = self.clients, {}
        for client in clients.values():
            client.close()


def dispatch(engine: Engine, shops: list[ShopConfig], client_factory: ClientFactory, *, limit: int = 100,
             now: datetime | None = None) -> DispatchResult:
    """Send the due ship notices (only these; the scheduler's ``dispatch_outbox`` sends every kind)."""
    sender = PlatformShipSender(shops, client_factory)
    try:
        return outbox.dispatch(engine, {MessageKind.PLATFORM_SHIP: sender}, limit=limit, now=now)
    finally:
        sender.close()
