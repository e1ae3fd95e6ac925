"""The order lifecycle: the status table, ``transition`` and ``settle_status``.

Two people (or a person and the platform) may act on one order at the same moment. Every action
that changes an order's status takes the order's row first (``lock_for_change``) and decides on
the status it reads then; ``transition`` writes the new status only if the row still has the old
one. So exactly one of two racing actions wins and the other gets an IllegalTransition, and since
the order row always comes before its stock rows, two actions on one order cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, bindparam, event, exists, func, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import configure_mappers, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from oms_tui.db import connection_for, reader_for, writes_alone

from oms_tui.errors import IllegalTransition, NotFound
from oms_tui.i18n import N_
from oms_tui.models import (
    Hold,
    HoldKind,
    Order,
    OrderLine,
    OrderStatus,
    utcnow,
)
from oms_tui.phrases import phrase
from oms_tui.services.core import audit, held_writes
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


# --- which order rows this transaction already has ---------------------------------------------
# An order row read under the row lock (or inserted, or on SQLite read at all) in this transaction
# stays as it was read until the transaction ends: nobody else may change it meanwhile, and this
# transaction changes its status only through ``transition``, which keeps the loaded order in step.
# Reading it again for the next action (lock, then settle; pick, pack, ship) is a round trip that
# can tell nothing new, so ``lock_for_change`` skips it.
_HELD = "oms.order_rows_held"  # session.info: {order id: the (sub)transaction that took the row}


def _innermost(session: Session):  # noqa: ANN202
    return session.get_nested_transaction() or session.get_transaction()


def _mark_held(session: Session, order_id: int | None) -> None:
    transaction = _innermost(session)
    if order_id is not None and transaction is not None:
        session.info.setdefault(_HELD, {})[order_id] = transaction


def _holds_row(session: Session, order: Order) -> bool:
    """Whether this transaction (or one it is nested in) took ``order``'s row and still has it."""
    taken = session.info.get(_HELD, {}).get(order.id)
    transaction = _innermost(session) if taken is not None else None
    while transaction is not None:
        if transaction is taken:
            return transaction.is_active
        transaction = transaction.parent
    return False


@event.listens_for(Order, "load")
def _loaded(order: Order, context) -> None:  # noqa: ANN001
    session = context.session
    if session is not None and writes_alone(session.get_bind()):
        _mark_held(session, order.id)


@event.listens_for(Order, "refresh")
def _refreshed(order: Order, context, attrs) -> None:  # noqa: ANN001
    session = context.session
    if attrs is None and session is not None and writes_alone(session.get_bind()):
        _mark_held(session, order.id)


@event.listens_for(OrmSession, "pending_to_persistent")
def _inserted(session: Session, instance) -> None:  # noqa: ANN001
    if isinstance(instance, Order):  # a row this transaction inserted: no one else sees it before commit
        _mark_held(session, instance.id)


@event.listens_for(OrmSession, "after_soft_rollback")
def _rolled_back(session: Session, _previous) -> None:  # noqa: ANN001
    # A savepoint rolled back may have undone a status change the loaded order still shows
    # (transition writes it past the unit of work): read every order again from here on.
    session.info.pop(_HELD, None)


def lock_for_change(session: Session, order: Order) -> OrderStatus:
    """Take the order's row for a status change and return its status as it is now.

    PostgreSQL: ``SELECT … FOR UPDATE`` waits while another transaction holds the order, then reads
    what it committed. SQLite: the writing transaction (BEGIN IMMEDIATE) already keeps every other
    writer out; reading the row again drops whatever an earlier transaction showed. Either way, a row
    this transaction already took (or inserted, or on SQLite read) is not read again.
    """
    if order not in session:
        session.add(order)  # an order read in an earlier session: this one reads it again below
    elif _holds_row(session, order):
        return OrderStatus(order.status)
    elif order in session.new or order in session.dirty:
        session.flush()  # a refresh would throw away this transaction's own unsaved changes
        if _holds_row(session, order):  # inserted just now
            return OrderStatus(order.status)
    session.refresh(order, with_for_update=True)
    _mark_held(session, order.id)
    return OrderStatus(order.status)


_ORDER = Order.__table__
_ORDER_MAPPER = sa_inspect(Order)
_ORDER_ROW = select(_ORDER).where(_ORDER.c.id == bindparam("order_id")).with_for_update()
_ORDER_ATTRIBUTES = tuple(_ORDER_MAPPER.get_property_by_column(column).key for column in _ORDER.c)


def take_order(session: Session, order_id: int) -> Order:
    """The order, its row taken for a change (as ``lock_for_change`` takes it) in the same read: an action
    that starts from an order id reads its row once, not once to load it and once more to lock it."""
    order = session.identity_map.get(_ORDER_MAPPER.identity_key_from_primary_key((order_id,)))
    if order is not None:
        lock_for_change(session, order)
        return order
    row = reader_for(session).execute(_ORDER_ROW, {"order_id": order_id}).first()
    if row is None:
        raise NotFound(N_("unknown order {order}"), order=order_id)
    order = _as_persistent(session, row)
    _mark_held(session, order.id)
    return order


def _as_persistent(session: Session, row) -> Order:  # noqa: ANN001
    """The order of ``row`` (all its columns, read in this transaction) in the session, as a query for it
    would have loaded it: every action on an order starts here, and a query's loading machinery (set up
    again for each execution) costs more than reading the row. The columns go straight into the instance's
    state, unmodified, as the ORM's own loading puts them; ``make_transient_to_detached`` gives it its
    identity, and ``add`` makes it persistent without a statement. (No ``load`` event fires: the caller
    marks the row held itself.)"""
    if not _ORDER_MAPPER.configured:
        # A query configures the mappers on first use; here nothing has, in a process whose first ORM
        # action this is (a lock worker, a CLI command), and the attributes would have no implementation yet.
        configure_mappers()
    order = _ORDER_MAPPER.class_manager.new_instance()
    order.__dict__.update(zip(_ORDER_ATTRIBUTES, row))
    make_transient_to_detached(order)
    session.add(order)
    return order


# --- the guarded status UPDATE --------------------------------------------------------------------

# Built once per shape (which other columns go with the status, which guards): building a statement
# costs more than running it on this path.
_status_updates: dict[tuple, object] = {}
UNBLOCKED = "unblocked"  # guard: the order has no open blocking hold
ALL_LOCKED = "all_locked"  # guard: every known line has its stock locked


def _status_update(columns: tuple[str, ...], guards: tuple[str, ...]):  # noqa: ANN202
    key = (columns, guards)
    stmt = _status_updates.get(key)
    if stmt is None:
        order_id = bindparam("order_id")
        where = [_ORDER.c.id == order_id, _ORDER.c.status == bindparam("from_status")]
        if UNBLOCKED in guards:
            where.append(~exists().where(Hold.order_id == order_id, col(Hold.resolved_at).is_(None),
                                         col(Hold.blocking).is_(True)))
        if ALL_LOCKED in guards:
            where.append(~exists().where(OrderLine.order_id == order_id, col(OrderLine.sku_id).is_not(None),
                                         col(OrderLine.locked_qty) < col(OrderLine.qty)))
        stmt = (update(_ORDER).where(*where)
                .values(status=bindparam("to_status"), updated_at=bindparam("now"),
                        **{name: bindparam(f"new_{name}") for name in columns}))
        _status_updates[key] = stmt
    return stmt


def _write_status(session: Session, order: Order, current: OrderStatus, to: OrderStatus,
                  guards: tuple[str, ...] = (), values: dict[str, object] | None = None) -> bool:
    """One UPDATE: the new status (and ``values``, other columns of the order that change with it, and any
    the transaction held for it: ``hold_columns``), guarded by the status the caller saw and by ``guards``.
    False: a guard refused, nothing changed."""
    if guards and (session.new or session.dirty or session.deleted):
        session.flush()  # the guards read holds and lines: what this transaction changed in them first
    held = held_writes.take(session, ORDER_COLUMNS, order.id)
    values = {name: value for _order_id, columns in held for name, value in columns.items()} | (values or {})
    now = utcnow()
    changed = connection_for(session).execute(_status_update(tuple(sorted(values)), guards), {
        "order_id": order.id, "from_status": str(current), "to_status": str(to), "now": now,
        **{f"new_{name}": value for name, value in values.items()}}).rowcount
    if changed != 1:
        for payload in held:  # still to be written, by the next status change or the commit
            held_writes.hold(session, ORDER_COLUMNS, payload, key=order.id)
        return False
    for name, value in values.items():
        set_committed_value(order, name, value)
    set_committed_value(order, "status", str(to))
    set_committed_value(order, "updated_at", now)
    return True


_column_updates: dict[tuple[str, ...], object] = {}


def _column_update(columns: tuple[str, ...]):  # noqa: ANN202
    stmt = _column_updates.get(columns)
    if stmt is None:
        stmt = _column_updates[columns] = (update(_ORDER).where(_ORDER.c.id == bindparam("order_id"))
                                           .values(**{name: bindparam(f"new_{name}") for name in columns}))
    return stmt


def write_columns(session: Session, order: Order, **values: object) -> None:
    """Write some of the order's own columns now, past the unit of work, and keep the loaded order in step
    (an order the unit of work saw changed costs a flush of its own at the next query, however small)."""
    connection_for(session).execute(_column_update(tuple(sorted(values))),
                                    {"order_id": order.id, **{f"new_{name}": value for name, value in values.items()}})
    for name, value in values.items():
        set_committed_value(order, name, value)


def _send_columns(connection: Connection, held: list[tuple[int, dict[str, object]]]) -> None:
    by_order: dict[int, dict[str, object]] = {}
    for order_id, columns in held:
        by_order.setdefault(order_id, {}).update(columns)
    by_columns: dict[tuple[str, ...], list[dict]] = {}
    for order_id, columns in by_order.items():
        by_columns.setdefault(tuple(sorted(columns)), []).append(
            {"order_id": order_id, **{f"new_{name}": value for name, value in columns.items()}})
    for columns, rows in by_columns.items():
        connection.execute(_column_update(columns), rows[0] if len(rows) == 1 else rows)


# Columns of an order held until its next status UPDATE (which carries them) or the commit.
ORDER_COLUMNS = held_writes.WriteKind("order columns", frozenset({_ORDER.name}), _send_columns)


def hold_columns(session: Session, order: Order, **values: object) -> None:
    """Write some of the order's own columns with its next status change in this transaction, or at the
    commit if none comes; the loaded order shows them at once."""
    held_writes.hold(session, ORDER_COLUMNS, (order.id, values), key=order.id)
    for name, value in values.items():
        set_committed_value(order, name, value)


def transition(session: Session, order: Order, to: OrderStatus, *, user: str, reason: str = "",
               unblocked: bool = False, values: dict[str, object] | None = None) -> None:
    """Move the order to ``to``; a move the lifecycle does not allow is an IllegalTransition.

    The UPDATE is guarded by the status the caller saw, so a caller that did not take the row
    first still cannot overwrite a change committed meanwhile: it gets an IllegalTransition.
    ``unblocked``: the same UPDATE also requires that no blocking hold is open on the order (one a
    terminal opened a moment ago included); refused, the IllegalTransition names the holds.
    ``values``: other columns of the order written in the same UPDATE (a shipment's waybill).
    """
    current = OrderStatus(order.status)
    if to == current:
        if values:
            write_columns(session, order, **values)
        return
    if to not in TRANSITIONS[current]:
        raise IllegalTransition(N_("Order {order}: cannot go from {status} to {to}"),
            order=order.platform_order_id, status=current, to=to)
    if not _write_status(session, order, current, to, (UNBLOCKED,) if unblocked else (), values):
        blocking = [h.kind for h in holds.open_holds(session, order.id) if h.blocking] if unblocked else []
        if blocking:
            raise IllegalTransition(N_("order {order} has open holds: {holds}"), order=order.platform_order_id,
                                    holds=", ".join(blocking))
        raise IllegalTransition(N_("Order {order} was changed by someone else meanwhile: look at it again"),
            order=order.platform_order_id)
    _audit_status(session, order, current, to, user=user, reason=reason)


def _audit_status(session: Session, order: Order, current: OrderStatus, to: OrderStatus, *, user: str,
                  reason: str) -> None:
    audit.record(session, user, "order.status", "order", order.id, **{"from": str(current), "to": str(to)},
                 reason=reason)


def settle_status(session: Session, order: Order, *, user: str) -> OrderStatus:
    """Derive a not-yet-picked order's status from its open holds and its lock."""
    current = lock_for_change(session, order)
    if current not in PRE_PICK:
        return current
    # The usual case first, in one statement: nothing blocking open and every line locked is ready.
    if current != S.READY and _write_status(session, order, current, S.READY, (UNBLOCKED, ALL_LOCKED)):
        _audit_status(session, order, current, S.READY, user=user, reason=SETTLED)
        return S.READY
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
