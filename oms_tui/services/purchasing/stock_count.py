"""Stock counts (盘点): what was found on the shelf for some SKUs; on_hand is set to it, one adjustment
(ledger row) per SKU that differs, all in one transaction with the count's record and its audit row."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import Session, col, select

from oms_tui.errors import ValidationError
from oms_tui.i18n import N_
from oms_tui.limits import require_quantity
from oms_tui.models import Sku, StockCount, StockCountLine, StockLevel, Warehouse
from oms_tui.phrases import phrase
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor, require
from oms_tui.services.orders import allocation
from oms_tui.services.stock import ledger

MAX_LINES = 5000


@dataclass(frozen=True)
class SheetLine:
    """One SKU on a count sheet: what the books say is on the shelf."""

    sku: str
    name: str
    bin_location: str
    on_hand: int


@dataclass(frozen=True)
class CountLine:
    sku: str
    expected: int
    counted: int
    delta: int


@dataclass(frozen=True)
class CountResult:
    count_id: int
    lines: tuple[CountLine, ...]

    @property
    def adjusted(self) -> int:
        return sum(1 for line in self.lines if line.delta)

    @property
    def net_delta(self) -> int:
        return sum(line.delta for line in self.lines)


def count_sheet(session: Session, actor: Actor, warehouse: Warehouse, *, search: str = "",
                limit: int = 500) -> list[SheetLine]:
    """The active SKUs with their on_hand in ``warehouse``, by bin location (the order a counter walks)."""
    require(actor, "purchasing.view")
    stmt = (select(Sku, StockLevel.on_hand)
            .join(StockLevel, (col(StockLevel.sku_id) == col(Sku.id)) & (StockLevel.warehouse_id == warehouse.id),
                  isouter=True)
            .where(col(Sku.active)))
    if search.strip():
        stmt = stmt.where(catalogue.search_skus_clause(search.strip()))
    rows = session.exec(stmt.order_by(col(Sku.bin_location), col(Sku.code)).limit(limit)).all()
    return [SheetLine(sku.code, sku.name, sku.bin_location, on_hand or 0) for sku, on_hand in rows]


def record_count(session: Session, actor: Actor, warehouse: Warehouse, counted: Mapping[str, int], *,
                 note: str = "") -> CountResult:
    """Set on_hand of each counted SKU to what was found (SKU code → units on the shelf). Every quantity is
    checked first; a SKU whose stock is held by orders beyond what was found is refused, nothing changed."""
    require(actor, "stock.adjust")
    if not counted:
        raise ValidationError(N_("a stock count needs at least one SKU counted"))
    if len(counted) > MAX_LINES:
        raise ValidationError(N_("a stock count takes at most {most} SKUs, got {count}"), most=MAX_LINES,
                              count=len(counted))
    checked = []
    for code, qty in counted.items():
        sku = catalogue.get_sku(session, code)
        require_quantity(qty, N_("counted quantity"), allow_zero=True)
        checked.append((sku, qty))
    count = StockCount(warehouse_id=warehouse.id, note=note.strip()[:300], created_by=actor.name)
    session.add(count)
    session.flush()
    reason = phrase(N_("stock count {count}"), count=count.id) if not note.strip() else phrase(
        N_("stock count {count}: {note}"), count=count.id, note=note.strip()[:200])
    lines = []
    for sku, qty in sorted(checked, key=lambda pair: pair[0].id):
        ledger.ensure_level(session, warehouse.id, sku.id)
        expected = ledger.get_level(session, warehouse.id, sku.id).on_hand
        delta = allocation.adjust_stock(session, warehouse, sku, counted=qty, reason=reason, actor=actor)
        session.add(StockCountLine(count_id=count.id, sku_id=sku.id, expected=expected, counted=qty, delta=delta))
        lines.append(CountLine(sku.code, expected, qty, delta))
    session.flush()
    audit.record(session, actor.name, "stock.count", "stock_count", count.id, warehouse=warehouse.code,
                 lines={line.sku: line.delta for line in lines if line.delta}, note=count.note)
    return CountResult(count.id, tuple(lines))
