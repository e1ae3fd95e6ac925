"""Read-only look-ups the screens need beyond the other services: small, indexed, one page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from ..models import Order, Sku, StockMove, Warehouse
from .catalogue import search_skus_clause


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


def order_references(session: Session, order_ids: list[int]) -> dict[int, str]:
    """Order id → the platform's order id, for the ids on one page of ledger rows."""
    ids = sorted({i for i in order_ids if i is not None})
    if not ids:
        return {}
    return dict(session.exec(select(Order.id, Order.platform_order_id).where(col(Order.id).in_(ids))).all())


@dataclass(frozen=True)
class OrderHit:
    id: int
    platform: str
    platform_order_id: str
    status: str
    receiver_name: str


def find_orders(session: Session, text: str, *, limit: int = 8) -> list[OrderHit]:
    """Orders whose platform order id starts with ``text`` or whose waybill is ``text`` (palette jump)."""
    text = text.strip()
    if not text:
        return []
    stmt = (
        select(Order.id, Order.platform, Order.platform_order_id, Order.status, Order.receiver_name)
        .where(col(Order.platform_order_id).startswith(text, autoescape=True) | (Order.waybill == text))
        .order_by(col(Order.platform_order_id))
        .limit(limit)
    )
    return [OrderHit(*row) for row in session.exec(stmt)]


@dataclass(frozen=True)
class SkuHit:
    code: str
    name: str
    spec: str


def find_skus(session: Session, text: str, *, limit: int = 8) -> list[SkuHit]:
    """SKUs by code prefix, name or spec, or exact barcode (palette jump)."""
    text = text.strip()
    if not text:
        return []
    stmt = select(Sku.code, Sku.name, Sku.spec).where(search_skus_clause(text)).order_by(col(Sku.code)).limit(limit)
    return [SkuHit(*row) for row in session.exec(stmt)]


def change_token(session: Session) -> tuple[int, int]:
    """Moves when anyone, on any terminal, commits a change: every state change writes an audit row
    and every stock change a ledger row, both append-only. Two primary-key maxima: cheap to poll,
    and the same on SQLite and PostgreSQL."""
    from ..models import AuditEvent

    audit_max = session.exec(select(func.max(AuditEvent.id))).one() or 0
    ledger_max = session.exec(select(func.max(StockMove.id))).one() or 0
    return audit_max, ledger_max
