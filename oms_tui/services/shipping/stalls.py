"""Stalled parcels: no new tracking event for ``stall_days`` (3 by default).

A stall opens a ``logistics_stalled`` hold on each of the parcel's orders (not blocking: a task on the
Exceptions screen), raises a ``logistics_stalled`` alert to its roles, and — when an SMS channel and
template are configured and the buyer's mobile is known in the clear — writes an SMS to the buyer into
the outbox, all in one transaction. It is raised once per stall (``Shipment.stalled_at``) and ends by
itself when events resume (``resume``, called by tracking.apply_answer): the holds are resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from oms_tui.db import session_scope
from oms_tui.i18n import N_
from oms_tui.models import HoldKind, Order, OrderStatus, Shipment, utcnow
from oms_tui.phrases import phrase
from oms_tui.services.core import audit, outbox
from oms_tui.services.customers.normalize import normalize_mobile
from oms_tui.services.messaging import alerts, events
from oms_tui.services.orders import holds

STALL_REASON = N_("no tracking event for {days} days ({courier} {waybill})")
RESUMED = N_("tracking events resumed")


@dataclass(frozen=True)
class BuyerText:
    """Where the buyer's stall SMS goes: an SMS channel and its approved template; empty: none is sent."""

    channel: str = ""
    template_code: str = ""

    @property
    def enabled(self) -> bool:
        return bool(self.channel and self.template_code)


def _orders(session: Session, shipment: Shipment) -> list[Order]:
    return list(session.exec(select(Order).where(Order.parcel_id == shipment.parcel_id,
                                                 Order.status == OrderStatus.SHIPPED).order_by(col(Order.id))))


def stalled_candidates(session: Session, *, now: datetime, stall_days: float, limit: int = 500) -> list[Shipment]:
    cutoff = now - timedelta(days=stall_days)
    moved = func.coalesce(Shipment.last_event_at, Shipment.shipped_at)
    return list(session.exec(select(Shipment).where(col(Shipment.finished).is_(False),
                                                    col(Shipment.stalled_at).is_(None), moved < cutoff)
                             .order_by(col(Shipment.id)).limit(limit)))


def raise_stall(session: Session, shipment: Shipment, *, now: datetime, stall_days: float,
                text: BuyerText = BuyerText()) -> int:
    """Open the stall on ``shipment`` (hold, alert, buyer SMS); returns the orders held."""
    shipment.stalled_at = now
    session.add(shipment)
    days = f"{stall_days:g}"
    reason = phrase(STALL_REASON, days=days, courier=shipment.courier, waybill=shipment.waybill)
    held = 0
    for order in _orders(session, shipment):
        holds.open_hold(session, order, HoldKind.LOGISTICS_STALLED, reason=reason)
        alerts.raise_alert(session, events.LOGISTICS_STALLED,
                           alerts.subject_phrase(STALL_REASON, days=days, courier=shipment.courier,
                                                 waybill=shipment.waybill),
                           order=order, detail={"waybill": shipment.waybill, "courier": shipment.courier})
        phone = normalize_mobile(order.receiver_phone)
        if text.enabled and phone and "*" not in (order.receiver_phone or ""):
            outbox.enqueue(session, outbox.MessageKind.BUYER_SMS, channel=text.channel, target=phone,
                           subject=f"stall {shipment.waybill}", order_id=order.id,
                           payload=outbox.BuyerSms(phone=phone, template_code=text.template_code,
                                                   values={"order": order.platform_order_id,
                                                           "courier": shipment.courier,
                                                           "waybill": shipment.waybill}))
        held += 1
    audit.record(session, "tracking", "shipment.stalled", "shipment", shipment.id, waybill=shipment.waybill,
                 orders=held)
    return held


def check_stalls(engine: Engine, *, now: datetime | None = None, stall_days: float = 3.0,
                 text: BuyerText = BuyerText()) -> dict[str, int]:
    """Raise a stall on every shipment that has not moved for ``stall_days``."""
    now = now or utcnow()
    stalled = held = 0
    with session_scope(engine) as session:
        for shipment in stalled_candidates(session, now=now, stall_days=stall_days):
            session.refresh(shipment, with_for_update=True)
            held += raise_stall(session, shipment, now=now, stall_days=stall_days, text=text)
            stalled += 1
    return {"stalled": stalled, "orders_held": held}


def resume(session: Session, shipment: Shipment, *, user: str) -> int:
    """Events came again: the stall ends and its holds are resolved; returns how many."""
    shipment.stalled_at = None
    session.add(shipment)
    resolved = 0
    for order in _orders(session, shipment):
        resolved += holds.resolve_open(session, order, HoldKind.LOGISTICS_STALLED, user=user,
                                       resolution=phrase(RESUMED))
    audit.record(session, user, "shipment.resumed", "shipment", shipment.id, waybill=shipment.waybill)
    return resolved
