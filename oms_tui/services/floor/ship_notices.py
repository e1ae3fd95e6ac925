"""Tell the platforms that orders shipped: the `platform_ship` rows of the outbox, sent by the
shop's adapter.

A platform that is down, busy or rate-limiting leaves the row pending with back-off. A platform
that refuses the notice for good (the order does not exist there, its state does not allow shipping,
the waybill is wrong: the adapter's ``permanent``) fails the row at once, and so does a row that ran
out of attempts: either way the order gets a ``ship_notice_failed`` hold, shown on the order, in
Exceptions and per shop on Shops and sync. When CS has put it right on the platform, resolving the
hold sends the notice again (``resend``), unless they told the platform by hand.

The platform is called outside any database transaction (``outbox.dispatch`` claims the row,
calls ``PlatformShipSender.send``, then records the outcome)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from oms_tui.config import ShopConfig
from oms_tui.errors import IllegalTransition, OmsError
from oms_tui.i18n import N_
from oms_tui.models import Hold, HoldKind, Order, OrderStatus, Outbox
from oms_tui.phrases import phrase
from oms_tui.services.core import audit, outbox
from oms_tui.services.core.outbox import DispatchResult, MessageKind
from oms_tui.services.orders import holds, queries

__all__ = ["DispatchResult", "PlatformShipSender", "dispatch", "enqueue_notice", "resend", "ship_notice_counts"]

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
        try:
            self.clients[shop.name].ship(notice.platform_order_id, notice.waybill, notice.courier)
        except OmsError as exc:
            if not exc.permanent:
                raise  # retried with back-off
            # What the platform said (its message and code), not our wrapper around it: CS acts on it.
            said = getattr(exc, "platform_message", "") or str(exc)
            raise outbox.Undeliverable(N_("the platform refused the ship notice: {message}"), message=said) from exc

    def gave_up(self, session: Session, message: Outbox) -> None:
        if message.order_id is None:
            return
        if outbox.BACKOFF.gives_up(message.attempts):
            reason = phrase(N_("the platform was not told of the shipment after {attempts} attempts: {error}"),
                            attempts=message.attempts, error=message.last_error)
        else:  # refused at once: the refusal says it all
            reason = message.last_error
        holds.open_hold(session, queries.get_order(session, message.order_id), HoldKind.SHIP_NOTICE_FAILED,
                        reason=reason)

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


def enqueue_notice(session: Session, order: Order) -> Outbox:
    """A ship notice for ``order``'s waybill and courier, in the caller's transaction."""
    return outbox.enqueue(session, MessageKind.PLATFORM_SHIP, channel=order.platform, target=order.shop,
                          order_id=order.id, subject=f"{order.platform_order_id} {order.courier} {order.waybill}",
                          payload={"platform_order_id": order.platform_order_id, "waybill": order.waybill or "",
                                   "courier": order.courier or ""})


def resend(session: Session, order: Order, *, user: str) -> Outbox:
    """Send ``order``'s ship notice again (CS put it right on the platform); one waiting notice at most."""
    if order.status not in (OrderStatus.SHIPPED, OrderStatus.DELIVERED) or not order.waybill:
        raise IllegalTransition(N_("order {order} has not shipped: there is no ship notice to send"),
                                order=order.platform_order_id)
    waiting = session.exec(select(Outbox).where(Outbox.order_id == order.id, Outbox.kind == MessageKind.PLATFORM_SHIP,
                                                col(Outbox.status).in_(outbox.OPEN_STATUSES))).first()
    if waiting is not None:
        return waiting
    message = enqueue_notice(session, order)
    session.flush()
    audit.record(session, user, "ship_notice.resend", "order", order.id, waybill=order.waybill, courier=order.courier,
                 message=message.id)
    return message


@dataclass(frozen=True)
class ShipNoticeCounts:
    """Per shop: ship notices the platform was not told of (open holds), and those still being tried."""

    failed: int = 0
    waiting: int = 0


def ship_notice_counts(session: Session) -> dict[str, ShipNoticeCounts]:
    """Shop name → its failed and waiting ship notices (shops with neither are left out)."""
    failed = dict(session.exec(
        select(Order.shop, func.count()).join(Hold, col(Hold.order_id) == col(Order.id))
        .where(Hold.kind == HoldKind.SHIP_NOTICE_FAILED, col(Hold.resolved_at).is_(None)).group_by(Order.shop)).all())
    waiting = dict(session.exec(
        select(Outbox.target, func.count())
        .where(Outbox.kind == MessageKind.PLATFORM_SHIP, col(Outbox.status).in_(outbox.OPEN_STATUSES))
        .group_by(Outbox.target)).all())
    return {shop: ShipNoticeCounts(failed.get(shop, 0), waiting.get(shop, 0)) for shop in sorted({*failed, *waiting})}
