"""Stock: the four buckets per (warehouse, SKU) and the append-only ledger behind them.

Every bucket change goes through ``_move``: one conditional UPDATE that refuses to take any
bucket (or ``available = on_hand - locked - reserved``) below zero, plus one StockMove row with
the deltas. The condition sits in the UPDATE itself, so two terminals racing for the last unit
cannot both win on PostgreSQL (row lock taken by the UPDATE) or SQLite (BEGIN IMMEDIATE).
Callers own the transaction: each public operation here is meant to run inside one
``session_scope`` so its level changes, ledger rows and audit rows commit together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from ..errors import InsufficientStock, NotFound, ValidationError
from ..models import (
    Customer,
    Hold,
    HoldKind,
    MoveKind,
    Order,
    OrderLine,
    OrderStatus,
    Sku,
    StockLevel,
    StockMove,
    StockReservation,
    Warehouse,
    utcnow,
)
from . import audit, holds, outbox

RESERVATION_PURPOSES = ("vip", "promotion")


def require_positive(qty: int, what: str = "quantity") -> int:
    """Quantities of stock operations are whole positive numbers; anything else is refused."""
    if isinstance(qty, bool) or not isinstance(qty, int):
        raise ValidationError(f"{what} must be a whole number, got {qty!r}")
    if qty <= 0:
        raise ValidationError(f"{what} must be positive, got {qty}")
    return qty


def ensure_level(session: Session, warehouse_id: int, sku_id: int) -> None:
    """Create the (warehouse, SKU) level row if it is missing; safe under concurrency."""
    table = StockLevel.__table__
    values = dict(warehouse_id=warehouse_id, sku_id=sku_id, on_hand=0, inbound=0, locked=0, reserved=0,
                  damaged=0, updated_at=utcnow())
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    session.execute(insert.values(**values).on_conflict_do_nothing(index_elements=["warehouse_id", "sku_id"]))


_BUCKETS = ("on_hand", "inbound", "locked", "reserved", "damaged")
_move_statements: dict[tuple, object] = {}


def _guarded_update(shrinking: tuple[str, ...], guard_available: bool):
    """The conditional UPDATE for one shape of change, built once and reused.

    Building SQLAlchemy statements costs more than running them on this hot path, so each
    shape (which buckets shrink, whether available shrinks) is compiled once with bind
    parameters for the deltas.
    """
    key = (shrinking, guard_available)
    stmt = _move_statements.get(key)
    if stmt is None:
        level = StockLevel.__table__.c
        guards = [level.warehouse_id == bindparam("wh"), level.sku_id == bindparam("sku")]
        guards += [level[b] >= -bindparam(f"d_{b}") for b in shrinking]
        if guard_available:
            guards.append(level.on_hand - level.locked - level.reserved >= -bindparam("d_available"))
        stmt = (
            update(StockLevel.__table__)
            .where(and_(*guards))
            .values({b: level[b] + bindparam(f"d_{b}") for b in _BUCKETS} | {"updated_at": bindparam("now")})
        )
        _move_statements[key] = stmt
    return stmt


_INSERT_MOVE = StockMove.__table__.insert()


def _move(
    session: Session,
    warehouse_id: int,
    sku_id: int,
    kind: MoveKind,
    *,
    d_on_hand: int = 0,
    d_inbound: int = 0,
    d_locked: int = 0,
    d_reserved: int = 0,
    d_damaged: int = 0,
    order_id: int | None = None,
    reservation_id: int | None = None,
    user: str,
    reason: str = "",
) -> bool:
    """Apply the deltas if no bucket and not `available` would go negative; write the ledger row.

    Returns False (and changes nothing) when the guard refuses.
    """
    deltas = {"d_on_hand": d_on_hand, "d_inbound": d_inbound, "d_locked": d_locked, "d_reserved": d_reserved,
              "d_damaged": d_damaged}
    shrinking = tuple(b for b in _BUCKETS if deltas[f"d_{b}"] < 0)
    d_available = d_on_hand - d_locked - d_reserved
    now = utcnow()
    stmt = _guarded_update(shrinking, d_available < 0)
    result = session.execute(stmt, {"wh": warehouse_id, "sku": sku_id, "now": now, "d_available": d_available,
                                    **deltas})
    if result.rowcount != 1:
        return False
    session.execute(_INSERT_MOVE, {"at": now, "warehouse_id": warehouse_id, "sku_id": sku_id, "kind": str(kind),
                                   **deltas, "order_id": order_id, "reservation_id": reservation_id, "user": user,
                                   "reason": reason[:500]})
    return True


def get_level(session: Session, warehouse_id: int, sku_id: int) -> StockLevel:
    level = session.exec(
        select(StockLevel).where(StockLevel.warehouse_id == warehouse_id, StockLevel.sku_id == sku_id)
    ).first()
    if level is None:
        raise NotFound("no stock level for that warehouse and SKU")
    session.refresh(level)
    return level


def _why_refused(session: Session, warehouse_id: int, sku: Sku, asked: int, bucket: str) -> InsufficientStock:
    level = session.exec(
        select(StockLevel).where(StockLevel.warehouse_id == warehouse_id, StockLevel.sku_id == sku.id)
    ).first()
    have = 0 if level is None else (level.available if bucket == "available" else getattr(level, bucket))
    return InsufficientStock(f"{sku.code}: asked {asked}, only {have} {bucket}")


# --- purchasing ------------------------------------------------------------------------------

def purchase(session: Session, wh: Warehouse, sku: Sku, qty: int, *, user: str, reason: str = "") -> None:
    """Goods ordered from the supplier: inbound goes up."""
    require_positive(qty)
    ensure_level(session, wh.id, sku.id)
    _move(session, wh.id, sku.id, MoveKind.PURCHASE, d_inbound=qty, user=user, reason=reason or "purchase order")
    audit.record(session, user, "stock.purchase", "sku", sku.code, warehouse=wh.code, qty=qty, reason=reason)


def receive(session: Session, wh: Warehouse, sku: Sku, qty: int, *, user: str, reason: str = "") -> int:
    """Goods arrived from the supplier: inbound down, on_hand up; then short orders are served.

    Returns how many short orders got their stock.
    """
    require_positive(qty)
    ensure_level(session, wh.id, sku.id)
    if not _move(session, wh.id, sku.id, MoveKind.RECEIVE, d_inbound=-qty, d_on_hand=qty, user=user,
                 reason=reason or "received from supplier"):
        raise _why_refused(session, wh.id, sku, qty, "inbound")
    audit.record(session, user, "stock.receive", "sku", sku.code, warehouse=wh.code, qty=qty, reason=reason)
    return allocate_short_orders(session, wh.id, [sku.id], user=user)


def adjust(session: Session, wh: Warehouse, sku: Sku, *, counted: int | None = None, delta: int | None = None,
           reason: str, user: str) -> int:
    """Correct on_hand after a stock count (to ``counted``, or by ``delta``); returns the delta applied."""
    if not reason or not reason.strip():
        raise ValidationError("an adjustment needs a reason (e.g. 'cycle count 2026-11')")
    if (counted is None) == (delta is None):
        raise ValidationError("give either the counted quantity or the delta, not both")
    ensure_level(session, wh.id, sku.id)
    level = get_level(session, wh.id, sku.id)
    if counted is not None:
        if isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
            raise ValidationError(f"counted quantity must be zero or more, got {counted!r}")
        delta = counted - level.on_hand
    elif isinstance(delta, bool) or not isinstance(delta, int):
        raise ValidationError(f"an adjustment is a whole number of units, got {delta!r}")
    if delta == 0:
        return 0
    if not _move(session, wh.id, sku.id, MoveKind.ADJUST, d_on_hand=delta, user=user, reason=reason):
        held = level.locked + level.reserved
        raise InsufficientStock(
            f"{sku.code}: cannot take on_hand to {level.on_hand + delta}: {level.locked} locked by orders and "
            f"{level.reserved} reserved ({held} held); release them first"
        )
    audit.record(session, user, "stock.adjust", "sku", sku.code, warehouse=wh.code, delta=delta, reason=reason)
    if delta > 0:
        allocate_short_orders(session, wh.id, [sku.id], user=user)
    return delta


# --- reservations (promotion / VIP quota) ----------------------------------------------------

def reserve(session: Session, wh: Warehouse, sku: Sku, qty: int, *, purpose: str, expires_at: datetime,
            user: str, note: str = "") -> StockReservation:
    """Hold back ``qty`` available units for a promotion or VIP customers until ``expires_at``."""
    require_positive(qty)
    if purpose not in RESERVATION_PURPOSES:
        raise ValidationError(f"purpose must be one of {', '.join(RESERVATION_PURPOSES)}")
    if expires_at <= utcnow():
        raise ValidationError("a reservation must expire in the future")
    ensure_level(session, wh.id, sku.id)
    reservation = StockReservation(warehouse_id=wh.id, sku_id=sku.id, purpose=purpose, qty=qty, note=note,
                                   expires_at=expires_at)
    session.add(reservation)
    session.flush()
    if not _move(session, wh.id, sku.id, MoveKind.RESERVE, d_reserved=qty, reservation_id=reservation.id,
                 user=user, reason=note or purpose):
        raise _why_refused(session, wh.id, sku, qty, "available")
    audit.record(session, user, "stock.reserve", "sku", sku.code, warehouse=wh.code, qty=qty, purpose=purpose,
                 expires_at=expires_at.isoformat(), reservation=reservation.id)
    return reservation


def unreserve(session: Session, reservation_id: int, *, user: str, reason: str = "released") -> int:
    """Give a reservation's remaining units back to available; returns how many."""
    reservation = session.get(StockReservation, reservation_id, with_for_update=True)
    if reservation is None:
        raise NotFound(f"unknown reservation {reservation_id}")
    if reservation.released_at is not None:
        raise ValidationError(f"reservation {reservation_id} is already released")
    qty = reservation.qty
    if qty > 0:
        _move(session, reservation.warehouse_id, reservation.sku_id, MoveKind.UNRESERVE, d_reserved=-qty,
              reservation_id=reservation.id, user=user, reason=reason)
    reservation.qty = 0
    reservation.released_at = utcnow()
    audit.record(session, user, "stock.unreserve", "reservation", reservation.id, qty=qty, reason=reason)
    if qty > 0:
        allocate_short_orders(session, reservation.warehouse_id, [reservation.sku_id], user=user)
    return qty


def expire_reservations(session: Session, *, now: datetime | None = None, user: str = "scheduler") -> int:
    now = now or utcnow()
    ids = list(session.exec(
        select(StockReservation.id).where(col(StockReservation.released_at).is_(None),
                                          col(StockReservation.expires_at) <= now)
    ))
    for reservation_id in ids:
        unreserve(session, reservation_id, user=user, reason="expired")
    return len(ids)


def _draw_vip_reservation(session: Session, order: Order, line: OrderLine, need: int, user: str) -> bool:
    """Lock ``need`` units for a VIP order, taking what available lacks out of VIP reservations."""
    level = get_level(session, order.warehouse_id, line.sku_id)
    from_available = max(0, min(need, level.available))
    from_quota = need - from_available
    reservations = list(session.exec(
        select(StockReservation)
        .where(StockReservation.warehouse_id == order.warehouse_id, StockReservation.sku_id == line.sku_id,
               StockReservation.purpose == "vip", col(StockReservation.released_at).is_(None),
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
        if not _move(session, order.warehouse_id, line.sku_id, MoveKind.RESERVE_DRAW, d_reserved=-take,
                     d_locked=take, order_id=order.id, reservation_id=reservation.id, user=user,
                     reason="VIP order draws on reserved quota"):
            savepoint.rollback()
            return False
        reservation.qty -= take
        session.add(reservation)
        from_quota -= take
    if from_available and not _move(session, order.warehouse_id, line.sku_id, MoveKind.LOCK,
                                    d_locked=from_available, order_id=order.id, user=user, reason="order accepted"):
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
    ``sync_conflict`` hold for them instead). Returns True when every known line is locked.
    """
    if order.warehouse_id is None:
        raise ValidationError(f"order {order.platform_order_id} has no warehouse")
    lines = sorted(
        (line for line in _lines(session, order.id) if line.sku_id is not None and line.locked_qty < line.qty),
        key=lambda line: line.sku_id,  # one global order of row locks: no deadlocks between terminals
    )
    if not lines:
        order.locked_at = order.locked_at or utcnow()
        return True
    short: list[str] = []
    # A single line needs no savepoint: if its one guarded UPDATE refuses, nothing has changed.
    savepoint = session.begin_nested() if len(lines) > 1 else None
    for line in lines:
        need = line.qty - line.locked_qty
        ok = _move(session, order.warehouse_id, line.sku_id, MoveKind.LOCK, d_locked=need, order_id=order.id,
                   user=user, reason="order accepted")
        if not ok and _is_vip(session, order):
            ok = _draw_vip_reservation(session, order, line, need, user)
        if not ok:
            short.append(line.sku_code)
            break
        line.locked_qty = line.qty
        session.add(line)
    if short:
        if savepoint is not None:
            savepoint.rollback()
            for line in lines:
                session.refresh(line)
        if not holds.has_open(session, order.id, HoldKind.STOCK_SHORT):
            holds.open_hold(session, order, HoldKind.STOCK_SHORT, reason=f"short: {', '.join(short)}", user=user)
            # Purchasing and operations hear of a shortage once per order, in this same transaction.
            outbox.enqueue(session, "alert", target="purchasing,operations", order_id=order.id,
                           subject=f"stock short: {', '.join(short)}",
                           payload={"event": "stock_short", "order": order.platform_order_id,
                                    "platform": order.platform, "skus": short})
        return False
    if savepoint is not None:
        savepoint.commit()
    order.locked_at = utcnow()
    session.add(order)
    holds.resolve_open(session, order, HoldKind.STOCK_SHORT, user=user, resolution="stock locked")
    audit.record(session, user, "order.lock", "order", order.id, lines={line.sku_code: line.qty for line in lines})
    return True


def unlock_order(session: Session, order: Order, *, user: str, kind: MoveKind = MoveKind.UNLOCK,
                 reason: str = "order released") -> list[int]:
    """Give back every unit the order holds; returns the SKU ids released (for re-allocation)."""
    released: list[int] = []
    for line in sorted(_lines(session, order.id), key=lambda line: line.sku_id or 0):
        if line.locked_qty <= 0:
            continue
        if not _move(session, order.warehouse_id, line.sku_id, kind, d_locked=-line.locked_qty, order_id=order.id,
                     user=user, reason=reason):
            raise InsufficientStock(f"{line.sku_code}: ledger has less locked than order {order.id} holds")
        released.append(line.sku_id)
        line.locked_qty = 0
        session.add(line)
    order.locked_at = None
    session.add(order)
    if released:
        audit.record(session, user, f"order.{kind}", "order", order.id, reason=reason)
    return released


def ship_order_stock(session: Session, order: Order, *, user: str) -> None:
    """The parcel left: on_hand and locked both go down by every line's quantity."""
    for line in sorted(_lines(session, order.id), key=lambda line: line.sku_id or 0):
        if line.sku_id is None:
            raise ValidationError(f"line {line.sku_code} has no known SKU; resolve the sync conflict first")
        if line.locked_qty != line.qty:
            raise InsufficientStock(f"{line.sku_code}: only {line.locked_qty} of {line.qty} locked; lock first")
        if not _move(session, order.warehouse_id, line.sku_id, MoveKind.SHIP, d_on_hand=-line.qty,
                     d_locked=-line.qty, order_id=order.id, user=user, reason="shipped"):
            raise InsufficientStock(f"{line.sku_code}: not enough on hand to ship {line.qty}")
        line.locked_qty = 0
        session.add(line)


def return_stock(session: Session, order: Order, line: OrderLine, qty: int, *, condition: str, user: str,
                 reason: str = "") -> None:
    """Goods came back: resaleable → on_hand (and short orders are served), damaged → damaged."""
    require_positive(qty)
    if condition not in ("resaleable", "damaged"):
        raise ValidationError("condition must be 'resaleable' or 'damaged'")
    if order.status not in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        raise ValidationError(f"order {order.platform_order_id} has not shipped; cancel it instead")
    if line.order_id != order.id or line.sku_id is None:
        raise ValidationError("that line does not belong to the order")
    if line.returned_qty + qty > line.qty:
        raise ValidationError(f"{line.sku_code}: {line.qty} shipped, {line.returned_qty} already returned; "
                              f"cannot return {qty} more")
    if condition == "resaleable":
        _move(session, order.warehouse_id, line.sku_id, MoveKind.RETURN, d_on_hand=qty, order_id=order.id,
              user=user, reason=reason or "return, resaleable")
    else:
        _move(session, order.warehouse_id, line.sku_id, MoveKind.RETURN, d_damaged=qty, order_id=order.id,
              user=user, reason=reason or "return, damaged")
    line.returned_qty += qty
    session.add(line)
    audit.record(session, user, "order.return", "order", order.id, sku=line.sku_code, qty=qty, condition=condition)
    if condition == "resaleable":
        allocate_short_orders(session, order.warehouse_id, [line.sku_id], user=user)


_ORDER_LINES = select(OrderLine).where(OrderLine.order_id == bindparam("order_id")).order_by(col(OrderLine.id))


def _lines(session: Session, order_id: int) -> list[OrderLine]:
    return list(session.exec(_ORDER_LINES, params={"order_id": order_id}))


# --- allocation and expiry -------------------------------------------------------------------

def allocate_short_orders(session: Session, warehouse_id: int, sku_ids: list[int], *, user: str,
                          limit: int = 500) -> int:
    """Serve orders waiting for stock of these SKUs: VIP customers first, then oldest paid first.

    Only orders whose one blocking problem is the shortage are served. Returns how many got stock.
    """
    from . import orders as orders_service  # orders builds on inventory; import here to avoid a cycle

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
    served = 0
    for order in candidates:
        if lock_order(session, order, user=user):
            orders_service.settle_status(session, order, user=user)
            served += 1
    return served


def expire_locks(session: Session, *, hours: float, now: datetime | None = None, user: str = "scheduler") -> int:
    """Release stock locked longer than ``hours`` by orders not yet picked.

    The order goes back to allocation with a blocking ``lock_expired`` hold, so a person sees it;
    resolving the hold re-allocates it. Returns how many orders were released.
    """
    from . import orders as orders_service

    cutoff = (now or utcnow()) - timedelta(hours=hours)
    stale = list(session.exec(
        select(Order)
        .where(col(Order.locked_at).is_not(None), col(Order.locked_at) < cutoff,
               col(Order.status).in_([OrderStatus.NEW, OrderStatus.REVIEW, OrderStatus.APPROVAL,
                                      OrderStatus.READY, OrderStatus.SHORT]))
        .order_by(col(Order.id))
    ))
    for order in stale:
        released = unlock_order(session, order, user=user, kind=MoveKind.LOCK_EXPIRE,
                                reason=f"lock older than {hours:g} h")
        holds.open_hold(session, order, HoldKind.LOCK_EXPIRED, reason=f"stock locked over {hours:g} h, released",
                        user=user)
        orders_service.settle_status(session, order, user=user)
        allocate_short_orders(session, order.warehouse_id, released, user=user)
    return len(stale)


# --- reading ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class StockRow:
    warehouse: str
    sku: str
    name: str
    spec: str
    bin_location: str
    on_hand: int
    inbound: int
    locked: int
    reserved: int
    damaged: int

    @property
    def available(self) -> int:
        return self.on_hand - self.locked - self.reserved

    def as_dict(self) -> dict:
        return {"warehouse": self.warehouse, "sku": self.sku, "name": self.name, "spec": self.spec,
                "bin": self.bin_location, "on_hand": self.on_hand, "inbound": self.inbound,
                "locked": self.locked, "reserved": self.reserved, "available": self.available,
                "damaged": self.damaged}


def _stock_query(search: str | None, warehouse_code: str | None):
    from .catalogue import search_skus_clause

    stmt = (
        select(Warehouse.code, Sku.code, Sku.name, Sku.spec, Sku.bin_location, StockLevel.on_hand,
               StockLevel.inbound, StockLevel.locked, StockLevel.reserved, StockLevel.damaged)
        .join(Sku, col(Sku.id) == col(StockLevel.sku_id))
        .join(Warehouse, col(Warehouse.id) == col(StockLevel.warehouse_id))
    )
    if warehouse_code:
        stmt = stmt.where(Warehouse.code == warehouse_code)
    if search:
        stmt = stmt.where(search_skus_clause(search.strip()))
    return stmt


def list_stock(session: Session, *, search: str | None = None, warehouse_code: str | None = None,
               limit: int = 50, offset: int = 0) -> list[StockRow]:
    """One page of stock rows, ordered by SKU code."""
    stmt = _stock_query(search, warehouse_code).order_by(col(Sku.code), col(Warehouse.code)).limit(limit).offset(offset)
    return [StockRow(*row) for row in session.exec(stmt)]


def count_stock(session: Session, *, search: str | None = None, warehouse_code: str | None = None) -> int:
    return session.exec(select(func.count()).select_from(_stock_query(search, warehouse_code).subquery())).one()


def sku_ledger(session: Session, sku: Sku, *, warehouse_code: str | None = None, limit: int = 100,
               offset: int = 0) -> list[StockMove]:
    """A SKU's ledger, newest first, one page at a time."""
    stmt = select(StockMove).where(StockMove.sku_id == sku.id)
    if warehouse_code:
        stmt = stmt.join(Warehouse, col(Warehouse.id) == col(StockMove.warehouse_id)).where(
            Warehouse.code == warehouse_code)
    return list(session.exec(stmt.order_by(col(StockMove.id).desc()).limit(limit).offset(offset)))
