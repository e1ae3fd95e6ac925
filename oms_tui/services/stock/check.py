"""`oms check`: the books balance or we say exactly where they do not.

Beyond the stock buckets it checks what the stock says about each order: a cancelled order never
shipped anything, a shipped one shipped each unit exactly once, every line's lock is what the
ledger locked for it, and no platform hears of a shipment that did not happen.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from oms_tui.models import (
    OPEN_STATUSES,
    MoveKind,
    Order,
    OrderLine,
    OrderStatus,
    Outbox,
    Sku,
    StockLevel,
    StockMove,
    StockReservation,
    Warehouse,
)

BUCKETS = ("on_hand", "inbound", "locked", "reserved", "damaged")


@dataclass(frozen=True)
class Violation:
    rule: str
    warehouse: str
    sku: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.warehouse}/{self.sku}: {self.detail}"


def run_checks(session: Session) -> list[Violation]:
    """Every violation of the stock invariants; an empty list means the books balance."""
    names = _names(session)
    levels = {
        (row.warehouse_id, row.sku_id): row
        for row in session.exec(select(StockLevel))
    }
    violations: list[Violation] = []

    sums = {
        (wh, sku): dict(zip(BUCKETS, rest))
        for wh, sku, *rest in session.exec(
            select(StockMove.warehouse_id, StockMove.sku_id, func.sum(StockMove.d_on_hand),
                   func.sum(StockMove.d_inbound), func.sum(StockMove.d_locked), func.sum(StockMove.d_reserved),
                   func.sum(StockMove.d_damaged))
            .group_by(StockMove.warehouse_id, StockMove.sku_id)
        )
    }
    for key in sorted(set(levels) | set(sums)):
        level = levels.get(key)
        ledger = sums.get(key, dict.fromkeys(BUCKETS, 0))
        for bucket in BUCKETS:
            have = getattr(level, bucket) if level else 0
            if have != (ledger[bucket] or 0):
                violations.append(Violation("ledger", *names(key), f"{bucket} is {have}, ledger sums to {ledger[bucket]}"))

    for key, level in sorted(levels.items()):
        for bucket in BUCKETS:
            if getattr(level, bucket) < 0:
                violations.append(Violation("negative", *names(key), f"{bucket} is {getattr(level, bucket)}"))
        if level.available < 0:
            violations.append(Violation("negative", *names(key), f"available is {level.available}"))

    held = dict(
        ((wh, sku), qty) for wh, sku, qty in session.exec(
            select(Order.warehouse_id, OrderLine.sku_id, func.sum(OrderLine.locked_qty))
            .join(Order, col(Order.id) == col(OrderLine.order_id))
            .where(col(Order.status).in_([str(s) for s in OPEN_STATUSES]), col(OrderLine.sku_id).is_not(None))
            .group_by(Order.warehouse_id, OrderLine.sku_id)
        )
    )
    for key in sorted(set(levels) | set(held)):
        locked = levels[key].locked if key in levels else 0
        if locked != (held.get(key) or 0):
            violations.append(Violation("locked", *names(key), f"locked is {locked}, open orders hold {held.get(key) or 0}"))

    stray = session.exec(
        select(Order.platform_order_id, OrderLine.sku_code, OrderLine.locked_qty)
        .join(Order, col(Order.id) == col(OrderLine.order_id))
        .where(col(Order.status).not_in([str(s) for s in OPEN_STATUSES]), col(OrderLine.locked_qty) != 0)
    ).all()
    for order_ref, sku_code, qty in stray:
        violations.append(Violation("locked", "-", sku_code, f"closed order {order_ref} still holds {qty}"))

    quota = dict(
        ((wh, sku), qty) for wh, sku, qty in session.exec(
            select(StockReservation.warehouse_id, StockReservation.sku_id, func.sum(StockReservation.qty))
            .where(col(StockReservation.released_at).is_(None))
            .group_by(StockReservation.warehouse_id, StockReservation.sku_id)
        )
    )
    for key in sorted(set(levels) | set(quota)):
        reserved = levels[key].reserved if key in levels else 0
        if reserved != (quota.get(key) or 0):
            violations.append(Violation("reserved", *names(key), f"reserved is {reserved}, open reservations hold {quota.get(key) or 0}"))

    violations += _order_checks(session, names)
    return violations


SHIPPED_STATUSES = (str(OrderStatus.SHIPPED), str(OrderStatus.DELIVERED))


def _order_checks(session: Session, names) -> list[Violation]:  # noqa: ANN001
    """What each order's stock moves and messages say against its status (only mismatches are read)."""
    found: list[Violation] = []
    for ref, waybill in session.exec(
        select(Order.platform_order_id, Order.waybill)
        .where(Order.status == str(OrderStatus.CANCELLED), col(Order.waybill).is_not(None), Order.waybill != "")
        .order_by(col(Order.id))
    ):
        found.append(Violation("cancelled", "-", "-", f"cancelled order {ref} has waybill {waybill}"))

    # Units each order shipped by the ledger against what its lines hold, per (order, SKU), both ways.
    shipped = (
        select(StockMove.order_id, StockMove.sku_id, StockMove.warehouse_id,
               func.sum(-StockMove.d_on_hand).label("units"), func.count().label("moves"))
        .where(StockMove.kind == str(MoveKind.SHIP), col(StockMove.order_id).is_not(None))
        .group_by(StockMove.order_id, StockMove.sku_id, StockMove.warehouse_id)
        .subquery()
    )
    ordered = (
        select(OrderLine.order_id, OrderLine.sku_id, Order.warehouse_id, func.sum(OrderLine.qty).label("units"))
        .join(Order, col(Order.id) == col(OrderLine.order_id))
        .where(col(Order.status).in_(SHIPPED_STATUSES), col(OrderLine.sku_id).is_not(None))
        .group_by(OrderLine.order_id, OrderLine.sku_id, Order.warehouse_id)
        .subquery()
    )
    same_line = and_(shipped.c.order_id == ordered.c.order_id, shipped.c.sku_id == ordered.c.sku_id)
    short_or_twice = session.exec(
        select(ordered.c.order_id, ordered.c.warehouse_id, ordered.c.sku_id, ordered.c.units, shipped.c.units,
               shipped.c.moves)
        .outerjoin(shipped, same_line)
        .where(shipped.c.units.is_(None) | (shipped.c.units != ordered.c.units))
    ).all()
    not_shipped = session.exec(
        select(shipped.c.order_id, shipped.c.warehouse_id, shipped.c.sku_id, shipped.c.units, shipped.c.moves)
        .outerjoin(ordered, same_line)
        .where(ordered.c.order_id.is_(None))
    ).all()
    orders = _order_refs(session, {row[0] for row in short_or_twice} | {row[0] for row in not_shipped})
    for order_id, wh, sku, want, units, moves in short_or_twice:
        ref, status = orders[order_id]
        found.append(Violation("shipped", *names((wh, sku)), f"{status} order {ref} holds {want} but the ledger "
                                                             f"ships {units or 0} in {moves or 0} ship row(s)"))
    for order_id, wh, sku, units, moves in not_shipped:
        ref, status = orders[order_id]
        found.append(Violation("cancelled" if status == OrderStatus.CANCELLED else "shipped", *names((wh, sku)),
                               f"{status} order {ref} has {moves} ship row(s) in the ledger ({units} units)"))

    # Each line's lock against what the ledger locked and released for its order (only non-zero sides).
    by_ledger = {
        (order_id, sku): (wh, qty) for order_id, sku, wh, qty in session.exec(
            select(StockMove.order_id, StockMove.sku_id, StockMove.warehouse_id, func.sum(StockMove.d_locked))
            .where(col(StockMove.order_id).is_not(None))
            .group_by(StockMove.order_id, StockMove.sku_id, StockMove.warehouse_id)
            .having(func.sum(StockMove.d_locked) != 0)
        )
    }
    by_lines = {
        (order_id, sku): (wh, qty) for order_id, sku, wh, qty in session.exec(
            select(OrderLine.order_id, OrderLine.sku_id, Order.warehouse_id, func.sum(OrderLine.locked_qty))
            .join(Order, col(Order.id) == col(OrderLine.order_id))
            .where(col(OrderLine.sku_id).is_not(None), OrderLine.locked_qty != 0)
            .group_by(OrderLine.order_id, OrderLine.sku_id, Order.warehouse_id)
        )
    }
    mismatched = sorted(key for key in set(by_ledger) | set(by_lines)
                        if (by_ledger.get(key) or (0, 0))[1] != (by_lines.get(key) or (0, 0))[1])
    orders = _order_refs(session, {order_id for order_id, _sku in mismatched})
    for order_id, sku in mismatched:
        wh = (by_ledger.get((order_id, sku)) or by_lines[(order_id, sku)])[0]
        ref, _status = orders[order_id]
        found.append(Violation("line-lock", *names((wh, sku)),
                               f"order {ref}'s lines hold {(by_lines.get((order_id, sku)) or (0, 0))[1]} locked, "
                               f"the ledger locked {(by_ledger.get((order_id, sku)) or (0, 0))[1]} for it"))

    for ref, status, message_id in session.exec(
        select(Order.platform_order_id, Order.status, Outbox.id)
        .join(Order, col(Order.id) == col(Outbox.order_id))
        .where(Outbox.kind == "platform_ship", Outbox.status == "pending", col(Order.status).not_in(SHIPPED_STATUSES))
        .order_by(col(Outbox.id))
    ):
        found.append(Violation("ship-notice", "-", "-",
                               f"{status} order {ref} has a pending platform ship notice (outbox {message_id})"))
    return found


def _order_refs(session: Session, order_ids: set[int]) -> dict[int, tuple[str, str]]:
    if not order_ids:
        return {}
    return {order_id: (ref, status) for order_id, ref, status in session.exec(
        select(Order.id, Order.platform_order_id, Order.status).where(col(Order.id).in_(sorted(order_ids))))}


def _names(session: Session):
    warehouses = dict(session.exec(select(Warehouse.id, Warehouse.code)).all())
    skus: dict[int, str] = {}

    def name(key: tuple[int, int]) -> tuple[str, str]:
        wh, sku = key
        if sku not in skus:
            skus[sku] = session.exec(select(Sku.code).where(Sku.id == sku)).first() or f"#{sku}"
        return warehouses.get(wh, f"#{wh}"), skus[sku]

    return name
