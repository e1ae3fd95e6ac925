"""Stock levels and the append-only ledger: the four buckets per (warehouse, SKU) and every move between them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, select

from oms_tui.db import connection_for, reader_for
from oms_tui.errors import InsufficientStock, NotFound, ValidationError
from oms_tui.i18n import N_
from oms_tui.limits import MAX_QUANTITY, OutOfBounds, require_delta, require_quantity
from oms_tui.models import (
    MoveKind,
    Order,
    OrderLine,
    OrderStatus,
    ReturnCondition,
    Sku,
    StockLevel,
    StockMove,
    Warehouse,
    utcnow,
)
from oms_tui.names import CONDITION_NAMES
from oms_tui.phrases import phrase
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor, require


def require_positive(qty: int, what: str = N_("quantity")) -> int:
    """Quantities of stock operations are whole numbers from 1 to ``limits.MAX_QUANTITY``; anything else is refused."""
    return require_quantity(qty, what)


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


def _guarded_update(shrinking: tuple[str, ...], growing: tuple[str, ...], guard_available: bool):
    """The conditional UPDATE for one shape of change, built once and reused.

    Building SQLAlchemy statements costs more than running them on this hot path, so each
    shape (which buckets shrink, which grow, whether available shrinks) is compiled once with
    bind parameters for the deltas. A growing bucket stops at ``limits.MAX_QUANTITY``, which the
    schema's CHECK constraints would refuse anyway, less clearly.
    """
    key = (shrinking, growing, guard_available)
    stmt = _move_statements.get(key)
    if stmt is None:
        level = StockLevel.__table__.c
        guards = [level.warehouse_id == bindparam("wh"), level.sku_id == bindparam("sku")]
        guards += [level[b] >= -bindparam(f"d_{b}") for b in shrinking]
        guards += [level[b] <= MAX_QUANTITY - bindparam(f"d_{b}") for b in growing]
        if guard_available:
            guards.append(level.on_hand - level.locked - level.reserved >= -bindparam("d_available"))
        stmt = (
            update(StockLevel.__table__)
            .where(and_(*guards))
            # Only the buckets that move: each other one would be read, added 0 to and bound on every run.
            .values({b: level[b] + bindparam(f"d_{b}") for b in _BUCKETS if b in shrinking or b in growing}
                    | {"updated_at": bindparam("now")})
        )
        _move_statements[key] = stmt
    return stmt


_INSERT_MOVE = StockMove.__table__.insert()


def _ledger_row(now, warehouse_id: int, sku_id: int, kind: MoveKind, deltas: dict[str, int], *,  # noqa: ANN001
                order_id: int | None, reservation_id: int | None, user: str, reason: str) -> dict:
    """One StockMove row as ``apply_move`` and ``lock_all`` write it (``deltas``: d_<bucket> → units)."""
    return {"at": now, "warehouse_id": warehouse_id, "sku_id": sku_id, "kind": str(kind),
            **{f"d_{b}": 0 for b in _BUCKETS}, **deltas, "order_id": order_id,
            "reservation_id": reservation_id, "user": user, "reason": reason[:500]}


def apply_move(
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
    ledger_rows: list[dict] | None = None,
) -> bool:
    """Apply the deltas if no bucket and not `available` would go negative and no bucket would pass
    ``limits.MAX_QUANTITY``; write the ledger row.

    Returns False (and changes nothing) when the guard refuses (``why_refused`` says why).
    ``ledger_rows``: the ledger row is added to this list instead, for the caller to write with the
    other moves of one order in one statement (``write_ledger``) before it returns, whatever happens.
    """
    deltas = {"d_on_hand": d_on_hand, "d_inbound": d_inbound, "d_locked": d_locked, "d_reserved": d_reserved,
              "d_damaged": d_damaged}
    if any(not -MAX_QUANTITY <= delta <= MAX_QUANTITY for delta in deltas.values()):
        for name, delta in deltas.items():  # a larger step could never land inside the bounds
            require_delta(delta, name)
    shrinking = tuple(b for b in _BUCKETS if deltas[f"d_{b}"] < 0)
    growing = tuple(b for b in _BUCKETS if deltas[f"d_{b}"] > 0)
    d_available = d_on_hand - d_locked - d_reserved
    now = utcnow()
    stmt = _guarded_update(shrinking, growing, d_available < 0)
    connection = connection_for(session)
    result = connection.execute(stmt, {"wh": warehouse_id, "sku": sku_id, "now": now, "d_available": d_available,
                                       **deltas})
    if result.rowcount != 1:
        return False
    row = _ledger_row(now, warehouse_id, sku_id, kind, deltas, order_id=order_id, reservation_id=reservation_id,
                      user=user, reason=reason)
    if ledger_rows is None:
        connection.execute(_INSERT_MOVE, row)
    else:
        ledger_rows.append(row)
    return True


def lock_all(session: Session, warehouse_id: int, moves: list[tuple[int, int]], *, order_id: int | None, user: str,
             reason: str, ledger_rows: list[dict]) -> bool:
    """Lock ``moves`` — (SKU id, units to lock) — as ``apply_move`` locks each, guarded alike, but sent as one
    executemany in the list's order (an order's lines: one statement instead of one per line).

    True: every one applied, and their ledger rows are in ``ledger_rows``. False: at least one refused while
    others may have applied, and which is not known — only for a caller inside a savepoint, which it then
    rolls back (and goes line by line with ``apply_move`` to learn which are short)."""
    for _sku_id, qty in moves:
        require_delta(qty, "d_locked")
        if qty <= 0:
            raise ValueError("lock_all locks a positive number of units per move")
    now = utcnow()
    params = [{"wh": warehouse_id, "sku": sku_id, "now": now, "d_available": -qty, "d_locked": qty}
              for sku_id, qty in moves]
    if not params:
        return True
    if not session.get_bind().dialect.supports_sane_multi_rowcount:
        return False  # no sum of row counts to trust: the caller goes line by line
    if connection_for(session).execute(_guarded_update((), ("locked",), True), params).rowcount != len(params):
        return False
    ledger_rows.extend(_ledger_row(now, warehouse_id, sku_id, MoveKind.LOCK, {"d_locked": qty}, order_id=order_id,
                                   reservation_id=None, user=user, reason=reason)
                       for sku_id, qty in moves)
    return True


def write_ledger(session: Session, rows: list[dict]) -> None:
    """The ledger rows ``apply_move`` left in a list, in one statement."""
    if rows:
        connection_for(session).execute(_INSERT_MOVE, rows)
        rows.clear()


def stock_order(keys: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """(warehouse_id, SKU id) pairs in the one order every transaction takes stock rows in.

    Two transactions that take the same rows in the same order queue behind each other; in opposite
    orders they can deadlock.
    """
    return sorted(set(keys))


def lock_levels(session: Session, keys: Iterable[tuple[int, int]]) -> None:
    """Take the stock rows of these (warehouse, SKU) pairs now, in the global order, for a transaction
    about to move stock of several orders (a sync batch): its later moves then wait for nobody.

    SQLite needs nothing: its writing transaction (BEGIN IMMEDIATE) already has the database alone.
    """
    ordered = stock_order(keys)
    if not ordered or session.get_bind().dialect.name != "postgresql":
        return
    level = StockLevel.__table__.c
    for warehouse_id in sorted({wh for wh, _sku in ordered}):
        sku_ids = [sku for wh, sku in ordered if wh == warehouse_id]
        session.execute(
            select(level.id).where(level.warehouse_id == warehouse_id, level.sku_id.in_(sku_ids))
            .order_by(level.warehouse_id, level.sku_id).with_for_update()
        ).all()


def read_levels(session: Session, warehouse_id: int, sku_ids: Iterable[int]) -> dict[int, tuple[int, int, int]]:
    """(on_hand, locked, reserved) of these SKUs in the warehouse, their rows taken for this transaction in
    the global order (PostgreSQL ``FOR UPDATE``; SQLite's writing transaction has the database alone): what
    a batch plans its locks on, and nobody changes them before it writes."""
    ordered = sorted(set(sku_ids))
    if not ordered:
        return {}
    level = StockLevel.__table__.c
    stmt = (select(level.sku_id, level.on_hand, level.locked, level.reserved)
            .where(level.warehouse_id == warehouse_id, level.sku_id.in_(ordered)).order_by(level.sku_id))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return {sku_id: (on_hand, locked, reserved) for sku_id, on_hand, locked, reserved in session.execute(stmt)}


def lock_many(session: Session, warehouse_id: int, moves: list[tuple[int, int, int]], *, user: str,
              reason: str = "") -> bool:
    """Lock stock for many orders at once: ``moves`` is (SKU id, units, order id) per order line. One guarded
    UPDATE per SKU for all its units, in the global SKU order, then a ledger row per move (a line's lock, as
    ``apply_move`` writes it). False if any SKU refuses — the caller planned on ``read_levels``, so that is
    a surprise, and it undoes its savepoint (the SKUs updated before it)."""
    totals: dict[int, int] = {}
    for sku_id, qty, _order_id in moves:
        totals[sku_id] = totals.get(sku_id, 0) + qty
    now = utcnow()
    stmt = _guarded_update((), ("locked",), True)
    params = [{"wh": warehouse_id, "sku": sku_id, "now": now, "d_available": -totals[sku_id], "d_on_hand": 0,
               "d_inbound": 0, "d_locked": require_delta(totals[sku_id], "d_locked"), "d_reserved": 0,
               "d_damaged": 0} for sku_id in sorted(totals)]
    if params and session.get_bind().dialect.supports_sane_multi_rowcount:
        # Sent as one executemany (the driver runs the UPDATEs in this order); its row count is their sum.
        if session.execute(stmt, params).rowcount != len(params):
            return False
    else:
        for one in params:
            if session.execute(stmt, one).rowcount != 1:
                return False
    if moves:
        session.execute(_INSERT_MOVE, [
            {"at": now, "warehouse_id": warehouse_id, "sku_id": sku_id, "kind": str(MoveKind.LOCK), "d_on_hand": 0,
             "d_inbound": 0, "d_locked": qty, "d_reserved": 0, "d_damaged": 0, "order_id": order_id,
             "reservation_id": None, "user": user, "reason": reason[:500]} for sku_id, qty, order_id in moves])
    return True


def get_level(session: Session, warehouse_id: int, sku_id: int) -> StockLevel:
    level = session.exec(
        select(StockLevel).where(StockLevel.warehouse_id == warehouse_id, StockLevel.sku_id == sku_id)
    ).first()
    if level is None:
        raise NotFound(N_("no stock level for that warehouse and SKU"))
    session.refresh(level)
    return level


def why_refused(session: Session, warehouse_id: int, sku: Sku, asked: int, bucket: str,
                grows: tuple[str, ...] = ()) -> InsufficientStock | OutOfBounds:
    """Why ``apply_move`` refused to take ``asked`` from ``bucket`` (and add it to ``grows``): too little
    there, or a bucket that would pass ``limits.MAX_QUANTITY``."""
    level = session.exec(
        select(StockLevel).where(StockLevel.warehouse_id == warehouse_id, StockLevel.sku_id == sku.id)
    ).first()
    if level is not None:
        session.refresh(level)
        for full in grows:
            if getattr(level, full) + asked > MAX_QUANTITY:
                return too_full(sku, full, getattr(level, full), asked)
    have = 0 if level is None else (level.available if bucket == "available" else getattr(level, bucket))
    return InsufficientStock(N_("{sku}: asked {asked}, only {have} {bucket}"), sku=sku.code, asked=asked, have=have,
                             bucket=bucket)


def too_full(sku: Sku, bucket: str, have: int, adding: int) -> OutOfBounds:
    return OutOfBounds(N_("{sku}: {bucket} would be {total}, more than the {limit} units one bucket may hold"),
                       sku=sku.code, bucket=bucket, total=have + adding, limit=MAX_QUANTITY)


# --- purchasing ------------------------------------------------------------------------------

def purchase(session: Session, wh: Warehouse, sku: Sku, qty: int, *, actor: Actor, reason: str = "") -> None:
    """Goods ordered from the supplier: inbound goes up."""
    require(actor, "stock.purchase")
    user = actor.name
    require_positive(qty)
    ensure_level(session, wh.id, sku.id)
    if not apply_move(session, wh.id, sku.id, MoveKind.PURCHASE, d_inbound=qty, user=user,
                      reason=reason or phrase(N_("purchase order"))):
        raise too_full(sku, "inbound", get_level(session, wh.id, sku.id).inbound, qty)
    audit.record(session, user, "stock.purchase", "sku", sku.code, warehouse=wh.code, qty=qty, reason=reason)


def receive(session: Session, wh: Warehouse, sku: Sku, qty: int, *, user: str, reason: str = "") -> None:
    """Goods arrived from the supplier: inbound down, on_hand up (``allocation.receive_stock`` then
    serves short orders)."""
    require_positive(qty)
    ensure_level(session, wh.id, sku.id)
    if not apply_move(session, wh.id, sku.id, MoveKind.RECEIVE, d_inbound=-qty, d_on_hand=qty, user=user,
                 reason=reason or phrase(N_("received from supplier"))):
        raise why_refused(session, wh.id, sku, qty, "inbound", grows=("on_hand",))
    audit.record(session, user, "stock.receive", "sku", sku.code, warehouse=wh.code, qty=qty, reason=reason)


def adjust(session: Session, wh: Warehouse, sku: Sku, *, counted: int | None = None, delta: int | None = None,
           reason: str, user: str) -> int:
    """Correct on_hand after a stock count (to ``counted``, or by ``delta``); returns the delta applied."""
    if not reason or not reason.strip():
        raise ValidationError(N_("an adjustment needs a reason (e.g. 'cycle count 2026-11')"))
    if counted is None and delta is None:
        raise ValidationError(N_("say what the count found: either the quantity counted on the shelf (--counted N) "
                                 "or the change to on_hand (--delta N, negative to take away)"))
    if counted is not None and delta is not None:
        raise ValidationError(N_("give either the quantity counted (--counted) or the change (--delta), not both"))
    ensure_level(session, wh.id, sku.id)
    level = get_level(session, wh.id, sku.id)
    if counted is not None:
        require_quantity(counted, N_("counted quantity"), allow_zero=True)
        delta = counted - level.on_hand
    else:
        require_delta(delta)
    if delta == 0:
        return 0
    if not apply_move(session, wh.id, sku.id, MoveKind.ADJUST, d_on_hand=delta, user=user, reason=reason):
        level = get_level(session, wh.id, sku.id)
        if level.on_hand + delta > MAX_QUANTITY:
            raise too_full(sku, "on_hand", level.on_hand, delta)
        held = level.locked + level.reserved
        raise InsufficientStock(
            N_("{sku}: cannot take on_hand to {on_hand}: {locked} locked by orders and {reserved} reserved "
               "({held} held); release them first"),
            sku=sku.code, on_hand=level.on_hand + delta, locked=level.locked, reserved=level.reserved, held=held,
        )
    audit.record(session, user, "stock.adjust", "sku", sku.code, warehouse=wh.code, delta=delta, reason=reason)
    return delta


SHIPPED = phrase(N_("shipped"))


def ship_order_stock(session: Session, order: Order, *, user: str) -> None:
    """The parcel left: on_hand and locked both go down by every line's quantity."""
    shipped: list[OrderLine] = []
    moves: list[dict] = []
    try:
        for line in sorted(line_stock(session, order.id), key=lambda line: line.sku_id or 0):
            if line.sku_id is None:
                raise ValidationError(N_("line {sku} has no known SKU; resolve the sync conflict first"),
                                      sku=line.sku_code)
            if line.locked_qty != line.qty:
                raise InsufficientStock(N_("{sku}: only {locked} of {qty} locked; lock first"), sku=line.sku_code,
                                        locked=line.locked_qty, qty=line.qty)
            if not apply_move(session, order.warehouse_id, line.sku_id, MoveKind.SHIP, d_on_hand=-line.qty,
                              d_locked=-line.qty, order_id=order.id, user=user, reason=SHIPPED, ledger_rows=moves):
                raise InsufficientStock(N_("{sku}: not enough on hand to ship {qty}"), sku=line.sku_code, qty=line.qty)
            shipped.append(line)
    finally:
        write_ledger(session, moves)  # every move made, even before a refusal, has its row
    set_locked_qty(session, [(line.id, 0) for line in shipped])


def return_stock(session: Session, order: Order, line: OrderLine, qty: int, *, condition: str, user: str,
                 reason: str = "") -> None:
    """Goods came back: resaleable → on_hand, damaged → damaged (``allocation.return_stock`` serves short orders)."""
    require_positive(qty)
    if condition not in tuple(ReturnCondition):
        raise ValidationError(N_("condition must be 'resaleable' or 'damaged'"))
    if order.status not in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        raise ValidationError(N_("order {order} has not shipped; cancel it instead"), order=order.platform_order_id)
    if line.order_id != order.id or line.sku_id is None:
        raise ValidationError(N_("that line does not belong to the order"))
    if line.returned_qty + qty > line.qty:
        raise ValidationError(N_("{sku}: {shipped} shipped, {returned} already returned; cannot return {qty} more"),
                              sku=line.sku_code, shipped=line.qty, returned=line.returned_qty, qty=qty)
    bucket = "on_hand" if condition == ReturnCondition.RESALEABLE else "damaged"
    if not apply_move(session, order.warehouse_id, line.sku_id, MoveKind.RETURN, **{f"d_{bucket}": qty},
                      order_id=order.id, user=user, reason=reason or phrase(
                          N_("return, {condition}"), condition=CONDITION_NAMES.get(condition, condition),
                          translated=("condition",))):
        sku = session.get(Sku, line.sku_id)
        raise too_full(sku, bucket, getattr(get_level(session, order.warehouse_id, line.sku_id), bucket), qty)
    line.returned_qty += qty
    session.add(line)
    audit.record(session, user, "order.return", "order", order.id, sku=line.sku_code, qty=qty, condition=condition)


_SET_LOCKED_QTY = (update(OrderLine.__table__).where(OrderLine.__table__.c.id == bindparam("line_id"))
                   .values(locked_qty=bindparam("locked_qty")))


def set_locked_qty(session: Session, changes: list[tuple[int, int]]) -> None:
    """Write (line id, locked units) in one statement, keeping any line this session has loaded in step
    (the unit of work would send one statement per line, later, and cost more than the stock moves)."""
    if not changes:
        return
    connection_for(session).execute(_SET_LOCKED_QTY, [{"line_id": line_id, "locked_qty": qty}
                                                       for line_id, qty in changes])
    for line_id, qty in changes:
        loaded = session.identity_map.get(identity_key(OrderLine, line_id))
        if loaded is not None:
            set_committed_value(loaded, "locked_qty", qty)


_LINE = OrderLine.__table__.c
_LINE_STOCK = (select(_LINE.id, _LINE.sku_id, _LINE.sku_code, _LINE.qty, _LINE.locked_qty)
               .where(_LINE.order_id == bindparam("order_id")).order_by(_LINE.id))


def line_stock(session: Session, order_id: int) -> list:
    """What locking and shipping read of an order's lines (id, sku_id, sku_code, qty, locked_qty), as rows:
    loading them as objects costs more than moving their stock."""
    return list(reader_for(session).execute(_LINE_STOCK, {"order_id": order_id}))


_ORDER_LINES = select(OrderLine).where(OrderLine.order_id == bindparam("order_id")).order_by(col(OrderLine.id))


def order_lines(session: Session, order_id: int) -> list[OrderLine]:
    return list(session.exec(_ORDER_LINES, params={"order_id": order_id}))
