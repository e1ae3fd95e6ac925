"""Reading stock: pages of levels, a SKU's ledger (also as the ledger screen shows it), warehouse codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from oms_tui.models import (
    Order,
    Sku,
    StockLevel,
    StockMove,
    Warehouse,
)
from oms_tui.services.catalogue.skus import get_sku

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
    from oms_tui.services.catalogue.skus import search_skus_clause

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


def count_sku_ledger(session: Session, sku: Sku, *, warehouse_code: str | None = None) -> int:
    """How many ledger rows ``inventory.sku_ledger`` pages through for this SKU (and warehouse)."""
    stmt = select(func.count()).select_from(StockMove).where(StockMove.sku_id == sku.id)
    if warehouse_code:
        stmt = stmt.join(Warehouse, col(Warehouse.id) == col(StockMove.warehouse_id)).where(
            Warehouse.code == warehouse_code)
    return session.exec(stmt).one()


def warehouse_codes(session: Session) -> dict[int, str]:
    """Warehouse id → code (a shop has a handful)."""
    return dict(session.exec(select(Warehouse.id, Warehouse.code)).all())


# --- one SKU's ledger, as the ledger screen reads it ------------------------------------------------

@dataclass(frozen=True)
class SkuSummary:
    code: str
    name: str
    spec: str
    bin_location: str
    levels: list[StockRow]  # per warehouse


def sku_summary(session: Session, code_or_barcode: str, *, warehouse_code: str | None = None) -> SkuSummary:
    """The SKU a code or barcode names and its stock per warehouse (NotFound for an unknown one)."""
    sku = get_sku(session, code_or_barcode)
    levels = [row for row in list_stock(session, search=sku.code, warehouse_code=warehouse_code, limit=20)
              if row.sku == sku.code]
    return SkuSummary(sku.code, sku.name, sku.spec, sku.bin_location, levels)


@dataclass(frozen=True)
class LedgerRow:
    id: int
    at: datetime
    warehouse: str
    kind: str
    d_on_hand: int
    d_inbound: int
    d_locked: int
    d_reserved: int
    d_damaged: int
    order_ref: str  # the platform's order id, empty when the change was not for an order
    user: str
    reason: str


def count_ledger_rows(session: Session, code_or_barcode: str, *, warehouse_code: str | None = None) -> int:
    """``count_sku_ledger`` of the SKU a code or barcode names."""
    return count_sku_ledger(session, get_sku(session, code_or_barcode), warehouse_code=warehouse_code)


def ledger_rows(session: Session, code_or_barcode: str, *, warehouse_code: str | None = None, limit: int = 100,
                offset: int = 0) -> list[LedgerRow]:
    """One page of ``sku_ledger`` with each change's warehouse code and order reference, newest first."""
    moves = sku_ledger(session, get_sku(session, code_or_barcode), warehouse_code=warehouse_code, limit=limit,
                       offset=offset)
    warehouses = warehouse_codes(session)
    order_ids = sorted({m.order_id for m in moves if m.order_id is not None})
    refs: dict[int, str] = {}
    if order_ids:
        refs = dict(session.exec(select(Order.id, Order.platform_order_id).where(col(Order.id).in_(order_ids))).all())
    return [LedgerRow(m.id, m.at, warehouses.get(m.warehouse_id, ""), m.kind, m.d_on_hand, m.d_inbound, m.d_locked,
                      m.d_reserved, m.d_damaged, refs.get(m.order_id, "") if m.order_id else "", m.user, m.reason)
            for m in moves]
