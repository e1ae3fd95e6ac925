"""`oms check`: the books balance or we say exactly where they do not."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from oms_tui.models import (
    OPEN_STATUSES,
    Order,
    OrderLine,
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
    return violations


def _names(session: Session):
    warehouses = dict(session.exec(select(Warehouse.id, Warehouse.code)).all())
    skus: dict[int, str] = {}

    def name(key: tuple[int, int]) -> tuple[str, str]:
        wh, sku = key
        if sku not in skus:
            skus[sku] = session.exec(select(Sku.code).where(Sku.id == sku)).first() or f"#{sku}"
        return warehouses.get(wh, f"#{wh}"), skus[sku]

    return name
