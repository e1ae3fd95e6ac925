"""Holds: the exceptions on an order (a kind, why, when opened, who resolved it and how).

A hold is open while ``resolved_at`` is empty. A blocking hold keeps the order from being picked.
Opening a kind that is already open on the order returns the open one, so rules may run twice.
"""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from oms_tui.db import reader_for
from oms_tui.errors import NotFound, ValidationError
from oms_tui.i18n import N_
from oms_tui.models import Hold, HoldKind, Order, utcnow
from oms_tui.services.core import audit

# Kinds that do not stop the warehouse: they are for a person to look at.
NON_BLOCKING_KINDS = frozenset({HoldKind.LOGISTICS_STALLED, HoldKind.NOTIFY_FAILED, HoldKind.PRINT_FAILED,
                                HoldKind.SHIP_NOTICE_FAILED})

# Kinds that put an order in front of customer service.
REVIEW_KINDS = frozenset({
    HoldKind.ADDRESS_INVALID, HoldKind.BUYER_REMARK, HoldKind.COUPON_CHECK, HoldKind.DUPLICATE_SUSPECT,
    HoldKind.LIMIT_EXCEEDED, HoldKind.SYNC_CONFLICT, HoldKind.SCAN_MISMATCH, HoldKind.APPROVAL_REJECTED,
})
APPROVAL_KINDS = frozenset({HoldKind.APPROVAL_PENDING, HoldKind.APPROVAL_STALLED})
ALLOCATION_KINDS = frozenset({HoldKind.STOCK_SHORT, HoldKind.LOCK_EXPIRED})


# Built once: this runs several times per order on the intake and ship paths.
_OPEN_HOLDS = select(Hold).where(Hold.order_id == bindparam("order_id"), col(Hold.resolved_at).is_(None)).order_by(
    col(Hold.id))


def open_holds(session: Session, order_id: int) -> list[Hold]:
    return list(session.exec(_OPEN_HOLDS, params={"order_id": order_id}))


def has_open(session: Session, order_id: int, kind: HoldKind) -> bool:
    return any(h.kind == kind for h in open_holds(session, order_id))


def holds_of(session: Session, order_id: int) -> list[Hold]:
    return list(session.exec(select(Hold).where(Hold.order_id == order_id).order_by(col(Hold.id))))


def open_hold(session: Session, order: Order, kind: HoldKind | str, *, reason: str = "", user: str = "system",
              blocking: bool | None = None) -> Hold:
    kind = HoldKind(kind)
    for hold in open_holds(session, order.id):
        if hold.kind == kind:
            return hold
    hold = Hold(order_id=order.id, kind=kind, reason=reason[:500], opened_by=user,
                blocking=(kind not in NON_BLOCKING_KINDS) if blocking is None else blocking)
    session.add(hold)
    session.flush()
    audit.record(session, user, "hold.open", "order", order.id, kind=str(kind), reason=reason, hold=hold.id)
    return hold


def resolve(session: Session, hold: Hold, *, user: str, resolution: str) -> Hold:
    if hold.resolved_at is not None:
        raise ValidationError(N_("hold {hold} ({kind}) is already resolved"), hold=hold.id, kind=hold.kind)
    hold.resolved_at = utcnow()
    hold.resolved_by = user
    hold.resolution = resolution[:500]
    session.add(hold)
    audit.record(session, user, "hold.resolve", "order", hold.order_id, kind=hold.kind, hold=hold.id,
                 resolution=resolution)
    return hold


_HOLD = Hold.__table__.c
# Usually there is none (every lock asks whether a shortage hold is open): a bare look first, no objects loaded.
_ANY_OPEN_OF_KIND = (select(_HOLD.id).where(_HOLD.order_id == bindparam("order_id"), _HOLD.kind == bindparam("kind"),
                                            _HOLD.resolved_at.is_(None)).limit(1))


def resolve_open(session: Session, order: Order, kind: HoldKind, *, user: str, resolution: str) -> int:
    """Resolve the open hold of ``kind`` on the order, if any; returns how many were resolved."""
    if reader_for(session).execute(_ANY_OPEN_OF_KIND, {"order_id": order.id, "kind": str(kind)}).first() is None:
        return 0
    count = 0
    for hold in open_holds(session, order.id):
        if hold.kind == kind:
            resolve(session, hold, user=user, resolution=resolution)
            count += 1
    return count


def get_hold(session: Session, hold_id: int) -> Hold:
    hold = session.get(Hold, hold_id)
    if hold is None:
        raise NotFound(N_("unknown hold {hold}"), hold=hold_id)
    return hold
