"""The order lifecycle: the status table, ``transition`` and ``settle_status``.

Two people (or a person and the platform) may act on one order at the same moment. Every action
that changes an order's status takes the order's row first (``lock_for_change``) and decides on
the status it reads then; ``transition`` writes the new status only if the row still has the old
one. So exactly one of two racing actions wins and the other gets an IllegalTransition, and since
the order row always comes before its stock rows, two actions on one order cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import bindparam, func, update
from sqlalchemy.orm.attributes import set_committed_value
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
from oms_tui.phrases import phrase
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
# The reason settle_status gives in the history (a stored phrase: read in the reader's language).
SETTLED = phrase(N_("holds and stock settled"))
# Statuses settle_status may move between on its own (nothing has been picked yet).
PRE_PICK = frozenset({S.NEW, S.REVIEW, S.APPROVAL, S.SHORT, S.READY})


def lock_for_change(session: Session, order: Order) -> OrderStatus:
    """Take the order's row for a status change and return its status as it is now.

    PostgreSQL: ``SELECT … FOR UPDATE`` waits while another transaction holds the order, then reads
    what it committed. SQLite: the writing transaction (BEGIN IMMEDIATE) already keeps every other
    writer out; reading the row again drops whatever an earlier transaction showed.
    """
    if order not in session:
        session.add(order)  # an order read in an earlier session: this one reads it again below
    elif order in session.new or order in session.dirty:
        session.flush()  # a refresh would throw away this transaction's own unsaved changes
    session.refresh(order, with_for_update=True)
    return OrderStatus(order.status)


def transition(session: Session, order: Order, to: OrderStatus, *, user: str, reason: str = "") -> None:
    """Move the order to ``to``; a move the lifecycle does not allow is an IllegalTransition.

    The UPDATE is guarded by the status the caller saw, so a caller that did not take the row
    first still cannot overwrite a change committed meanwhile: it gets an IllegalTransition.
    """
    current = OrderStatus(order.status)
    if to == current:
        return
    if to not in TRANSITIONS[current]:
        raise IllegalTransition(N_("Order {order}: cannot go from {status} to {to}"),
            order=order.platform_order_id, status=current, to=to)
    now = utcnow()
    changed = session.execute(
        update(Order).where(col(Order.id) == order.id, col(Order.status) == str(current))
        .values(status=str(to), updated_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise IllegalTransition(N_("Order {order} was changed by someone else meanwhile: look at it again"),
            order=order.platform_order_id)
    set_committed_value(order, "status", str(to))
    set_committed_value(order, "updated_at", now)
    audit.record(session, user, "order.status", "order", order.id, **{"from": str(current), "to": str(to)},
                 reason=reason)


def settle_status(session: Session, order: Order, *, user: str) -> OrderStatus:
    """Derive a not-yet-picked order's status from its open holds and its lock."""
    current = lock_for_change(session, order)
    if current not in PRE_PICK:
        return current
    open_kinds = {HoldKind(h.kind) for h in holds.open_holds(session, order.id) if h.blocking}
    target = settled_target(open_kinds, lambda: fully_locked(session, order))
    transition(session, order, target, user=user, reason=SETTLED)
    return target


def settled_target(open_kinds: set[HoldKind], locked: Callable[[], bool]) -> OrderStatus:
    """The status a not-yet-picked order settles in with these open blocking holds (``locked``: whether every
    known line holds its stock, asked only when it matters)."""
    if open_kinds & holds.APPROVAL_KINDS:
        return S.APPROVAL
    if open_kinds & holds.REVIEW_KINDS:
        return S.REVIEW
    if open_kinds & holds.ALLOCATION_KINDS or not locked():
        return S.SHORT
    if open_kinds:
        return S.REVIEW  # a blocking kind with no queue of its own: a person decides
    return S.READY


_UNLOCKED_LINES = (
    select(func.count()).select_from(OrderLine)
    .where(OrderLine.order_id == bindparam("order_id"), col(OrderLine.sku_id).is_not(None),
           col(OrderLine.locked_qty) < col(OrderLine.qty))
)


def fully_locked(session: Session, order: Order) -> bool:
    return session.exec(_UNLOCKED_LINES, params={"order_id": order.id}).one() == 0
