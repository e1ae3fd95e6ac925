"""Allocation: locking stock for orders (VIP first, then oldest paid) and serving short orders when stock comes back."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from oms_tui.db import connection_for
from oms_tui.errors import InsufficientStock, ValidationError
from oms_tui.i18n import N_
from oms_tui.models import (
    Customer,
    Hold,
    HoldKind,
    MoveKind,
    Order,
    OrderLine,
    OrderStatus,
    ReservationPurpose,
    ReturnCondition,
    Sku,
    StockReservation,
    Warehouse,
    utcnow,
)
from oms_tui.phrases import phrase
from oms_tui.services.core import audit
from oms_tui.services.messaging import alerts, events
from oms_tui.services.core.actor import Actor, require
from oms_tui.services.orders import holds, lifecycle
from oms_tui.services.stock import ledger, reservations
from oms_tui.services.stock.ledger import apply_move, get_level, order_lines

# Stock-ledger reasons every lock and release writes (stored phrases: read in the reader's language).
ORDER_ACCEPTED = phrase(N_("order accepted"))
ORDER_RELEASED = phrase(N_("order released"))
STOCK_LOCKED = phrase(N_("stock locked"))  # how a lock resolves the order's stock_short hold


def _draw_vip_reservation(session: Session, order: Order, line: OrderLine, need: int, user: str) -> bool:
    """Lock ``need`` units for a VIP order, taking what available lacks out of VIP reservations."""
    level = get_level(session, order.warehouse_id, line.sku_id)
    from_available = max(0, min(need, level.available))
    from_quota = need - from_available
    reservations = list(session.exec(
        select(StockReservation)
        .where(StockReservation.warehouse_id == order.warehouse_id, StockReservation.sku_id == line.sku_id,
               StockReservation.purpose == ReservationPurpose.VIP, col(StockReservation.released_at).is_(None),
               col(StockReservation.expires_at) > utcnow(), col(StockReservation.qty) > 0)
        .order_by(col(StockReservation.expires_at))
        .with_for_update()
    ))
    if sum(r.qty for r in reservations) < from_quota:
        return False
    # Several moves: all of them or none, even when the caller has no savepoint of its own.
    savepoint = session.begin_nested()
    for reservation in reservations:
        if from_quota == 0:
            break
        take = min(reservation.qty, from_quota)
        if not apply_move(session, order.warehouse_id, line.sku_id, MoveKind.RESERVE_DRAW, d_reserved=-take,
                     d_locked=take, order_id=order.id, reservation_id=reservation.id, user=user,
                     reason=phrase(N_("VIP order draws on reserved quota"))):
            savepoint.rollback()
            return False
        reservation.qty -= take
        session.add(reservation)
        from_quota -= take
    if from_available and not apply_move(session, order.warehouse_id, line.sku_id, MoveKind.LOCK,
                                    d_locked=from_available, order_id=order.id, user=user, reason=ORDER_ACCEPTED):
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


# --- orders' stock ---------------------------------------------------------------------------

def _is_vip(session: Session, order: Order) -> bool:
    if order.customer_id is None:
        return False
    customer = session.get(Customer, order.customer_id)
    return bool(customer and customer.is_vip)


def lock_order(session: Session, order: Order, *, user: str) -> bool:
    """Lock stock for every line of ``order`` — all lines or none.

    When a line is short nothing stays locked and the order gets a ``stock_short`` hold naming
    the short SKUs. Lines whose SKU we do not know are skipped (the order carries a
    ``sku_unmapped`` hold for them instead). Returns True when every known line is locked.
    """
    short = _lock_lines(session, order, user=user)
    if short:
        if not holds.has_open(session, order.id, HoldKind.STOCK_SHORT):
            holds.open_hold(session, order, HoldKind.STOCK_SHORT, reason=phrase(N_("short: {skus}"),
                                                                                skus=", ".join(short)), user=user)
            # Purchasing and the warehouse lead hear of a shortage once per order, in this same transaction
            # (the same SKUs short again within the de-duplication window is one message per channel).
            alerts.raise_alert(session, events.STOCK_SHORT, alerts.subject_phrase(N_("stock short: {skus}"),
                                                                                  skus=", ".join(short)),
                               order=order, skus=short)
        return False
    return True


def lock_now(session: Session, order: Order, *, user: str) -> None:
    """Lock the order's stock now, or refuse (``InsufficientStock`` naming the SKUs still short; no hold
    opened, no alert written, nothing locked): what releasing a ``stock_short`` hold by hand means."""
    short = _lock_lines(session, order, user=user)
    if short:
        raise InsufficientStock(N_("stock is still short: {skus}"), skus=", ".join(short))


def _lock_lines(session: Session, order: Order, *, user: str) -> list[str]:
    """Lock every known line, all or none; the SKU codes that are short (empty: the order is locked)."""
    if order.warehouse_id is None:
        raise ValidationError(N_("order {order} has no warehouse"), order=order.platform_order_id)
    # The order row before its stock rows, as every action on the order takes them: two terminals locking
    # one order queue here, and the second finds the lines locked instead of locking them again.
    lifecycle.lock_for_change(session, order)
    lines = sorted(
        (line for line in ledger.line_stock(session, order.id) if line.sku_id is not None and line.locked_qty < line.qty),
        key=lambda line: line.sku_id,  # one global order of row locks: no deadlocks between terminals
    )
    if not lines:
        order.locked_at = order.locked_at or utcnow()
        return []
    short: list[str] = []
    moves: list[dict] = []  # the lines' ledger rows, written in one statement
    lines_to_lock = lines
    if len(lines) > 1:
        # The usual case in one statement: every line's guarded UPDATE, in the lines' (global SKU) order. All or
        # none under a savepoint of the connection's own: nothing in it touches an ORM object, and the session's
        # savepoint costs more than the statement.
        attempt = connection_for(session).begin_nested()
        needs = [(line.sku_id, line.qty - line.locked_qty) for line in lines]
        if ledger.lock_all(session, order.warehouse_id, needs, order_id=order.id, user=user, reason=ORDER_ACCEPTED,
                           ledger_rows=moves):
            attempt.commit()
            lines_to_lock = []
        else:  # a line is short: undo the ones that locked, then line by line to name each short SKU
            attempt.rollback()
    # A single line needs no savepoint: if its one guarded UPDATE refuses, nothing has changed.
    savepoint = session.begin_nested() if len(lines_to_lock) > 1 else None
    try:
        for line in lines_to_lock:
            need = line.qty - line.locked_qty
            ok = apply_move(session, order.warehouse_id, line.sku_id, MoveKind.LOCK, d_locked=need, order_id=order.id,
                            user=user, reason=ORDER_ACCEPTED, ledger_rows=moves)
            if not ok and _is_vip(session, order):
                ok = _draw_vip_reservation(session, order, line, need, user)
            if not ok:
                short.append(line.sku_code)
                if savepoint is None:
                    break
                continue  # every short SKU is named; the savepoint undoes the lines that did lock
    finally:
        ledger.write_ledger(session, moves)  # every move made has its row (a savepoint rolled back undoes both)
    if short:
        if savepoint is not None:
            savepoint.rollback()
        return short
    ledger.set_locked_qty(session, [(line.id, line.qty) for line in lines])
    if savepoint is not None:
        savepoint.commit()
    holds.resolve_open(session, order, HoldKind.STOCK_SHORT, user=user, resolution=STOCK_LOCKED)
    audit.record(session, user, "order.lock", "order", order.id, lines={line.sku_code: line.qty for line in lines})
    lifecycle.hold_columns(session, order, locked_at=utcnow())  # the status UPDATE that follows carries it
    return []


def unlock_order(session: Session, order: Order, *, user: str, kind: MoveKind = MoveKind.UNLOCK,
                 reason: str = ORDER_RELEASED) -> list[int]:
    """Give back every unit the order holds; returns the SKU ids released (for re-allocation)."""
    released: list[int] = []
    for line in sorted(order_lines(session, order.id), key=lambda line: line.sku_id or 0):
        if line.locked_qty <= 0:
            continue
        if not apply_move(session, order.warehouse_id, line.sku_id, kind, d_locked=-line.locked_qty, order_id=order.id,
                     user=user, reason=reason):
            raise InsufficientStock(N_("{sku}: ledger has less locked than order {order} holds"), sku=line.sku_code,
                                    order=order.id)
        released.append(line.sku_id)
        line.locked_qty = 0
        session.add(line)
    order.locked_at = None
    session.add(order)
    if released:
        audit.record(session, user, f"order.{kind}", "order", order.id, reason=reason)
    return released


# --- allocation and expiry -------------------------------------------------------------------

def allocate_short_orders(session: Session, warehouse_id: int, sku_ids: list[int], *, user: str,
                          limit: int = 500) -> int:
    """Serve orders waiting for stock of these SKUs: VIP customers first, then oldest paid first.

    Only orders whose one blocking problem is the shortage are served. Returns how many got stock.
    """
  # orders builds on inventory; import here to avoid a cycle

    if not sku_ids:
        return 0
    waiting_line = (
        select(OrderLine.order_id)
        .where(col(OrderLine.sku_id).in_(sku_ids), col(OrderLine.locked_qty) < col(OrderLine.qty))
    )
    other_blocking = (
        select(Hold.order_id)
        .where(Hold.order_id == Order.id, col(Hold.resolved_at).is_(None), col(Hold.blocking).is_(True),
               Hold.kind != HoldKind.STOCK_SHORT)
        .exists()
    )
    candidates = list(session.exec(
        select(Order)
        .outerjoin(Customer, col(Customer.id) == col(Order.customer_id))
        .where(Order.status == OrderStatus.SHORT, Order.warehouse_id == warehouse_id,
               col(Order.id).in_(waiting_line), ~other_blocking)
        .order_by(func.coalesce(Customer.is_vip, False).desc(), col(Order.paid_at).asc(), col(Order.id))
        .limit(limit)
    ))
    if not candidates:
        return 0
    # All the stock rows these orders may take, in the global order, before any one of them locks.
    needed = session.exec(select(OrderLine.sku_id).where(col(OrderLine.order_id).in_([o.id for o in candidates]),
                                                         col(OrderLine.sku_id).is_not(None))).all()
    ledger.lock_levels(session, [(warehouse_id, sku_id) for sku_id in needed])
    served = 0
    for order in candidates:
        # Read again under the order's row lock: CS may have cancelled it or locked it meanwhile.
        if lifecycle.lock_for_change(session, order) != OrderStatus.SHORT:
            continue
        if lock_order(session, order, user=user):
            lifecycle.settle_status(session, order, user=user)
            served += 1
    return served


def expire_locks(session: Session, *, hours: float, now: datetime | None = None, user: str = "scheduler") -> int:
    """Release stock locked longer than ``hours`` by orders not yet picked.

    The order goes back to allocation with a blocking ``lock_expired`` hold, so a person sees it;
    resolving the hold re-allocates it. Returns how many orders were released.
    """

    cutoff = (now or utcnow()) - timedelta(hours=hours)
    is_stale = (col(Order.locked_at).is_not(None), col(Order.locked_at) < cutoff,
                col(Order.status).in_([OrderStatus.NEW, OrderStatus.REVIEW, OrderStatus.APPROVAL,
                                       OrderStatus.READY, OrderStatus.SHORT]))
    stale = list(session.exec(select(Order).where(*is_stale).order_by(col(Order.id))))
    expired = 0
    for order in stale:
        # Asked again under the order's row lock: a wave may have started picking it meanwhile.
        lifecycle.lock_for_change(session, order)
        if session.exec(select(Order.id).where(Order.id == order.id, *is_stale)).first() is None:
            continue
        expired += 1
        released = unlock_order(session, order, user=user, kind=MoveKind.LOCK_EXPIRE,
                                reason=phrase(N_("lock older than {hours} h"), hours=f"{hours:g}"))
        holds.open_hold(session, order, HoldKind.LOCK_EXPIRED, user=user,
                        reason=phrase(N_("stock locked over {hours} h, released"), hours=f"{hours:g}"))
        lifecycle.settle_status(session, order, user=user)
        allocate_short_orders(session, order.warehouse_id, released, user=user)
    return expired


# --- stock came back: the stock layer changes the buckets, this layer serves the short orders ----
# (stock never imports orders; these are the use cases the CLI, screens and scheduler call)

def receive_stock(session: Session, wh: Warehouse, sku: Sku, qty: int, *, actor: Actor, reason: str = "") -> int:
    """Goods arrived from the supplier; returns how many short orders got their stock."""
    require(actor, "stock.receive")
    user = actor.name
    ledger.receive(session, wh, sku, qty, user=user, reason=reason)
    return allocate_short_orders(session, wh.id, [sku.id], user=user)


def adjust_stock(session: Session, wh: Warehouse, sku: Sku, *, counted: int | None = None, delta: int | None = None,
                 reason: str, actor: Actor) -> int:
    """Correct on_hand after a count; found units serve short orders. Returns the delta applied."""
    require(actor, "stock.adjust")
    user = actor.name
    applied = ledger.adjust(session, wh, sku, counted=counted, delta=delta, reason=reason, user=user)
    if applied > 0:
        allocate_short_orders(session, wh.id, [sku.id], user=user)
    return applied


def release_reservation(session: Session, reservation_id: int, *, actor: Actor, reason: str = "") -> int:
    """Give a reservation's units back to available and serve short orders; returns how many units."""
    require(actor, "stock.reserve")
    user = actor.name
    reservation = session.get(StockReservation, reservation_id)
    qty = reservations.unreserve(session, reservation_id, user=user, reason=reason or phrase(N_("released")))
    if qty > 0 and reservation is not None:
        allocate_short_orders(session, reservation.warehouse_id, [reservation.sku_id], user=user)
    return qty


def expire_reservations(session: Session, *, now: datetime | None = None, user: str = "scheduler") -> int:
    """Release every reservation whose time is up; returns how many."""
    due = reservations.due_reservations(session, now=now)
    for reservation_id in due:
        release_reservation(session, reservation_id, actor=Actor.system(user), reason=phrase(N_("expired")))
    return len(due)


def return_stock(session: Session, order: Order, line: OrderLine, qty: int, *, condition: str, user: str,
                 reason: str = "") -> None:
    """Goods came back from a buyer; resaleable units serve short orders."""
    ledger.return_stock(session, order, line, qty, condition=condition, user=user, reason=reason)
    if condition == ReturnCondition.RESALEABLE:
        allocate_short_orders(session, order.warehouse_id, [line.sku_id], user=user)
