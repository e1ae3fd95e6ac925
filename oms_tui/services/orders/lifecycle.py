"""The order lifecycle: the status table, ``transition`` and ``settle_status``."""

from __future__ import annotations

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from oms_tui.errors import IllegalTransition
from oms_tui.i18n import N_
from oms_tui.models import (
    HoldKind,
    Order,
    OrderLine,
    OrderStatus,
    utcnow,
)
from oms_tui.services.core import audit
from oms_tui.services.orders import holds

S = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.NEW: frozenset({S.REVIEW, S.APPROVAL, S.SHORT, S.READY, S.CANCELLED}),
    S.REVIEW: frozenset({S.APPROVAL, S.SHORT, S.READY, S.CANCELLED}),
    S.APPROVAL: frozenset({S.REVIEW, S.SHORT, S.READY, S.CANCELLED}),
    S.SHORT: frozenset({S.REVIEW, S.APPROVAL, S.READY, S.CANCELLED}),
    S.READY: frozenset({S.REVIEW, S.APPROVAL, S.SHORT, S.PICKING, S.CANCELLED}),
    S.PICKING: frozenset({S.READY, S.REVIEW, S.PACKED, S.CANCELLED}),
    S.PACKED: frozenset({S.PICKING, S.REVIEW, S.SHIPPED, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset(),
    S.CANCELLED: frozenset(),
}
# Statuses settle_status may move between on its own (nothing has been picked yet).
PRE_PICK = frozenset({S.NEW, S.REVIEW, S.APPROVAL, S.SHORT, S.READY})


def transition(session: Session, order: Order, to: OrderStatus, *, user: str, reason: str = "") -> None:
    """Move the order to ``to``; a move the lifecycle does not allow is an IllegalTransition."""
    current = OrderStatus(order.status)
    if to == current:
        return
    if to not in TRANSITIONS[current]:
        raise IllegalTransition(N_("order {order}: cannot go from {current} to {to}"), order=order.platform_order_id,
                                current=current, to=to)
    order.status = to
    order.updated_at = utcnow()
    session.add(order)
    audit.record(session, user, "order.status", "order", order.id, **{"from": str(current), "to": str(to)},
                 reason=reason)


def settle_status(session: Session, order: Order, *, user: str) -> OrderStatus:
    """Derive a not-yet-picked order's status from its open holds and its lock."""
    current = OrderStatus(order.status)
    if current not in PRE_PICK:
        return current
    open_kinds = {HoldKind(h.kind) for h in holds.open_holds(session, order.id) if h.blocking}
    if open_kinds & holds.APPROVAL_KINDS:
        target = S.APPROVAL
    elif open_kinds & holds.REVIEW_KINDS:
        target = S.REVIEW
    elif open_kinds & holds.ALLOCATION_KINDS or not fully_locked(session, order):
        target = S.SHORT
    elif open_kinds:
        target = S.REVIEW  # a blocking kind with no queue of its own: a person decides
    else:
        target = S.READY
    transition(session, order, target, user=user, reason="holds and stock settled")
    return target


_UNLOCKED_LINES = (
    select(func.count()).select_from(OrderLine)
    .where(OrderLine.order_id == bindparam("order_id"), col(OrderLine.sku_id).is_not(None),
           col(OrderLine.locked_qty) < col(OrderLine.qty))
)


def fully_locked(session: Session, order: Order) -> bool:
    return session.exec(_UNLOCKED_LINES, params={"order_id": order.id}).one() == 0
