"""Reservations: quota held back from available for a promotion or for VIP customers."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from oms_tui.errors import NotFound, ValidationError
from oms_tui.i18n import N_
from oms_tui.models import (
    MoveKind,
    ReservationPurpose,
    Sku,
    StockReservation,
    Warehouse,
    utcnow,
)
from oms_tui.names import RESERVATION_PURPOSE_NAMES
from oms_tui.phrases import phrase
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor, require
from oms_tui.services.stock.ledger import (
    apply_move,
    ensure_level,
    require_positive,
    why_refused,
)

RESERVATION_PURPOSES = tuple(ReservationPurpose)


# --- reservations (promotion / VIP quota) ----------------------------------------------------

def reserve(session: Session, wh: Warehouse, sku: Sku, qty: int, *, purpose: str, expires_at: datetime,
            actor: Actor, note: str = "") -> StockReservation:
    """Hold back ``qty`` available units for a promotion or VIP customers until ``expires_at``."""
    require(actor, "stock.reserve")
    user = actor.name
    require_positive(qty)
    if purpose not in RESERVATION_PURPOSES:
        raise ValidationError(N_("purpose must be one of {purposes}"), purposes=", ".join(RESERVATION_PURPOSES))
    if expires_at <= utcnow():
        raise ValidationError(N_("a reservation must expire in the future"))
    ensure_level(session, wh.id, sku.id)
    reservation = StockReservation(warehouse_id=wh.id, sku_id=sku.id, purpose=purpose, qty=qty, note=note,
                                   expires_at=expires_at)
    session.add(reservation)
    session.flush()
    if not apply_move(session, wh.id, sku.id, MoveKind.RESERVE, d_reserved=qty, reservation_id=reservation.id,
                 user=user, reason=note or phrase(N_("reserved for {purpose}"),
                                                  purpose=RESERVATION_PURPOSE_NAMES.get(purpose, purpose),
                                                  translated=("purpose",))):
        raise why_refused(session, wh.id, sku, qty, "available")
    audit.record(session, user, "stock.reserve", "sku", sku.code, warehouse=wh.code, qty=qty, purpose=purpose,
                 expires_at=expires_at.isoformat(), reservation=reservation.id)
    return reservation


def unreserve(session: Session, reservation_id: int, *, user: str, reason: str = "") -> int:
    """Give a reservation's remaining units back to available; returns how many."""
    reason = reason or phrase(N_("released"))
    reservation = session.get(StockReservation, reservation_id, with_for_update=True)
    if reservation is None:
        raise NotFound(N_("unknown reservation {reservation}"), reservation=reservation_id)
    if reservation.released_at is not None:
        raise ValidationError(N_("reservation {reservation} is already released"), reservation=reservation_id)
    qty = reservation.qty
    if qty > 0:
        apply_move(session, reservation.warehouse_id, reservation.sku_id, MoveKind.UNRESERVE, d_reserved=-qty,
              reservation_id=reservation.id, user=user, reason=reason)
    reservation.qty = 0
    reservation.released_at = utcnow()
    audit.record(session, user, "stock.unreserve", "reservation", reservation.id, qty=qty, reason=reason)
    return qty


def due_reservations(session: Session, *, now: datetime | None = None) -> list[int]:
    """Ids of the unreleased reservations whose time is up (``allocation.expire_reservations`` releases them)."""
    now = now or utcnow()
    return list(session.exec(
        select(StockReservation.id).where(col(StockReservation.released_at).is_(None),
                                          col(StockReservation.expires_at) <= now)
        .order_by(col(StockReservation.id))
    ))
