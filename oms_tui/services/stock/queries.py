"""Reading stock: pages of levels, a SKU's ledger, warehouse codes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from oms_tui.models import (
    Sku,
    StockLevel,
    StockMove,
    Warehouse,
)

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
