"""Purchase orders: the buyer confirms what to order from a supplier; inbound goes up by every line
(one ledger row each, ``ledger.purchase``), in one transaction with the order and its audit row."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from oms_tui.errors import NotFound, ValidationError
from oms_tui.i18n import N_
from oms_tui.limits import require_quantity
from oms_tui.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Sku,
    Supplier,
    Warehouse,
)
from oms_tui.phrases import phrase
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor, require
from oms_tui.services.stock import ledger

# More lines than this on one order is a runaway script, not a buyer.
MAX_LINES = 500


@dataclass(frozen=True)
class PoLineView:
    sku: str
    name: str
    qty: int
    received: int
    cost_fen: int

    @property
    def outstanding(self) -> int:
        return self.qty - self.received


@dataclass(frozen=True)
class PoView:
    code: str
    supplier_code: str
    supplier_name: str
    warehouse: str
    status: str  # PurchaseOrderStatus
    created_at: datetime
    created_by: str
    note: str
    lines: tuple[PoLineView, ...]

    @property
    def outstanding(self) -> int:
        return sum(line.outstanding for line in self.lines)

    def as_dict(self) -> dict:
        return {"code": self.code, "supplier": self.supplier_code, "warehouse": self.warehouse, "status": self.status,
                "created_at": self.created_at.isoformat(), "created_by": self.created_by, "note": self.note,
                "lines": [{"sku": line.sku, "qty": line.qty, "received": line.received,
                           "outstanding": line.outstanding, "cost_fen": line.cost_fen} for line in self.lines]}


def create_purchase_order(session: Session, actor: Actor, supplier_code: str, warehouse: Warehouse,
                          lines: Mapping[str, int], *, note: str = "") -> PoView:
    """Order ``lines`` (SKU code → units) from the supplier for ``warehouse``: inbound goes up by each.
    Every line is checked before anything changes."""
    require(actor, "stock.purchase")
    supplier = catalogue.get_supplier(session, supplier_code)
    if not lines:
        raise ValidationError(N_("a purchase order needs at least one SKU with a quantity"))
    if len(lines) > MAX_LINES:
        raise ValidationError(N_("a purchase order takes at most {most} lines, got {count}"), most=MAX_LINES,
                              count=len(lines))
    chosen: list[tuple[Sku, int]] = []
    for code, qty in lines.items():
        sku = catalogue.get_sku(session, code)
        require_quantity(qty, N_("quantity to order"))
        chosen.append((sku, qty))
    po = PurchaseOrder(code="", supplier_id=supplier.id, warehouse_id=warehouse.id, note=note.strip()[:300],
                       created_by=actor.name)
    session.add(po)
    session.flush()
    po.code = f"PO{po.id:06d}"  # from the row's id: unique however many buyers confirm at once
    session.add(po)
    reason = phrase(N_("purchase order {po}"), po=po.code)
    for sku, qty in sorted(chosen, key=lambda pair: pair[0].id):  # stock rows in the one global order
        ledger.purchase(session, warehouse, sku, qty, actor=actor, reason=reason)
        session.add(PurchaseOrderLine(po_id=po.id, sku_id=sku.id, qty=qty, cost_fen=sku.cost_fen))
    session.flush()
    audit.record(session, actor.name, "po.create", "purchase_order", po.code, supplier=supplier.code,
                 warehouse=warehouse.code, lines={sku.code: qty for sku, qty in chosen}, note=po.note)
    return view(session, po)


def view(session: Session, po: PurchaseOrder) -> PoView:
    supplier = session.get(Supplier, po.supplier_id)
    warehouse = session.get(Warehouse, po.warehouse_id)
    rows = session.exec(select(PurchaseOrderLine, Sku).join(Sku, col(Sku.id) == col(PurchaseOrderLine.sku_id))
                        .where(PurchaseOrderLine.po_id == po.id).order_by(col(Sku.code))).all()
    return PoView(po.code, supplier.code, supplier.name, warehouse.code, po.status, po.created_at, po.created_by,
                  po.note, tuple(PoLineView(sku.code, sku.name, line.qty, line.received_qty, line.cost_fen)
                                 for line, sku in rows))


def get_purchase_order(session: Session, code: str, *, for_update: bool = False) -> PurchaseOrder:
    stmt = select(PurchaseOrder).where(PurchaseOrder.code == code.strip().upper())
    if for_update:
        stmt = stmt.with_for_update()
    po = session.exec(stmt).first()
    if po is None:
        raise NotFound(N_("no purchase order {code!r}"), code=code)
    return po


def list_purchase_orders(session: Session, actor: Actor, *, open_only: bool = True, supplier_code: str | None = None,
                         limit: int = 200) -> list[PoView]:
    """Purchase orders, newest first; ``open_only``: those still waiting for goods."""
    require(actor, "purchasing.view")
    stmt = select(PurchaseOrder)
    if open_only:
        stmt = stmt.where(PurchaseOrder.status != PurchaseOrderStatus.RECEIVED.value)
    if supplier_code:
        stmt = stmt.where(PurchaseOrder.supplier_id == catalogue.get_supplier(session, supplier_code).id)
    return [view(session, po) for po in session.exec(stmt.order_by(col(PurchaseOrder.id).desc()).limit(limit))]
