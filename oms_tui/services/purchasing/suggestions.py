"""Purchase suggestions: per SKU, how many to order from its supplier now.

    sold        units of the SKU on orders paid in the last ``WINDOW_DAYS`` days (cancelled ones left out)
    rate        sold / WINDOW_DAYS units a day
    need        ceil(sold × lead_days / WINDOW_DAYS) + safety_stock
                (what sells while the supplier delivers, plus the SKU's safety stock)
    suggested   max(0, need − available − inbound)

``available`` is on_hand − locked − reserved and ``inbound`` what is ordered and not received, in the
warehouse the suggestion is for. Integer arithmetic throughout (the rate is shown as a Decimal), so the
same data always gives the same numbers. A SKU is listed when it sold in the window or needs ordering;
SKUs without a supplier are listed under none (they cannot go on a purchase order until they have one).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby

from sqlalchemy import func
from sqlmodel import Session, col, select

from oms_tui.models import Order, OrderLine, OrderStatus, Sku, StockLevel, Supplier, Warehouse, utcnow
from oms_tui.services.core.actor import Actor, require

WINDOW_DAYS = 28


@dataclass(frozen=True)
class Suggestion:
    supplier_code: str  # "" when the SKU has no supplier
    supplier_name: str
    sku: str
    name: str
    unit: str
    sold: int
    lead_days: int
    safety_stock: int
    available: int
    inbound: int
    need: int
    suggested: int
    cost_fen: int

    @property
    def daily_rate(self) -> Decimal:
        return (Decimal(self.sold) / WINDOW_DAYS).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def as_dict(self) -> dict:
        return {"supplier": self.supplier_code, "supplier_name": self.supplier_name, "sku": self.sku,
                "name": self.name, "unit": self.unit, "sold_28d": self.sold, "daily_rate": str(self.daily_rate),
                "lead_days": self.lead_days, "safety_stock": self.safety_stock, "available": self.available,
                "inbound": self.inbound, "need": self.need, "suggested": self.suggested, "cost_fen": self.cost_fen}


@dataclass(frozen=True)
class SupplierGroup:
    supplier_code: str
    supplier_name: str
    lines: list[Suggestion] = field(default_factory=list)

    @property
    def suggested_units(self) -> int:
        return sum(line.suggested for line in self.lines)

    @property
    def suggested_cost_fen(self) -> int:
        return sum(line.suggested * line.cost_fen for line in self.lines)


def need_for(sold: int, lead_days: int, safety_stock: int) -> int:
    """Units to have in hand or on the way: the lead time's sales at the window's rate, rounded up, plus safety."""
    return -(-sold * lead_days // WINDOW_DAYS) + safety_stock


def suggestions(session: Session, actor: Actor, warehouse: Warehouse, *, now: datetime | None = None,
                include_idle: bool = False) -> list[Suggestion]:
    """The suggestion for every active SKU that sold in the window or needs ordering (``include_idle``: every
    active SKU), ordered by supplier and SKU code."""
    require(actor, "purchasing.view")
    now = now or utcnow()
    since = now - timedelta(days=WINDOW_DAYS)
    sold_by_sku = dict(session.exec(
        select(OrderLine.sku_id, func.sum(OrderLine.qty))
        .join(Order, col(Order.id) == col(OrderLine.order_id))
        .where(col(OrderLine.sku_id).is_not(None), Order.warehouse_id == warehouse.id,
               col(Order.paid_at) >= since, col(Order.paid_at) < now, Order.status != OrderStatus.CANCELLED.value)
        .group_by(OrderLine.sku_id)).all())
    levels = {level.sku_id: level for level in session.exec(
        select(StockLevel).where(StockLevel.warehouse_id == warehouse.id))}
    suppliers = {s.id: s for s in session.exec(select(Supplier))}
    out = []
    for sku in session.exec(select(Sku).where(col(Sku.active)).order_by(col(Sku.code))):
        supplier = suppliers.get(sku.supplier_id)
        level = levels.get(sku.id)
        available = level.available if level else 0
        inbound = level.inbound if level else 0
        sold = int(sold_by_sku.get(sku.id) or 0)
        lead_days = supplier.lead_days if supplier else 0
        need = need_for(sold, lead_days, sku.safety_stock)
        suggested = max(0, need - available - inbound)
        if not (include_idle or sold or suggested):
            continue
        out.append(Suggestion(supplier.code if supplier else "", supplier.name if supplier else "", sku.code,
                              sku.name, sku.unit, sold, lead_days, sku.safety_stock, available, inbound, need,
                              suggested, sku.cost_fen))
    out.sort(key=lambda s: (s.supplier_code == "", s.supplier_code, s.sku))
    return out


def by_supplier(lines: Iterable[Suggestion]) -> list[SupplierGroup]:
    """The suggestions grouped by supplier (in the order given; SKUs without a supplier last)."""
    return [SupplierGroup(code, group[0].supplier_name, group)
            for code, group in ((code, list(items)) for code, items in groupby(lines, key=lambda s: s.supplier_code))]
