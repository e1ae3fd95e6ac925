"""Receiving against a purchase order: goods arrive, perhaps fewer than ordered (a partial receipt);
inbound goes down and on_hand up by what came (``allocation.receive_stock``, which then serves short
orders), never by more than the order still expects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import Session, select

from oms_tui.errors import ValidationError
from oms_tui.i18n import N_
from oms_tui.limits import require_quantity
from oms_tui.models import PurchaseOrderLine, PurchaseOrderStatus, Sku, Warehouse, utcnow
from oms_tui.phrases import phrase
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor, require
from oms_tui.services.orders import allocation
from oms_tui.services.purchasing import purchase_orders


@dataclass(frozen=True)
class Receipt:
    po: str
    status: str  # the order's status afterwards
    received: dict[str, int]  # SKU code → units received now
    served: int  # short orders that got their stock


def receive(session: Session, actor: Actor, po_code: str, lines: Mapping[str, int], *, note: str = "") -> Receipt:
    """Receive ``lines`` (SKU code → units that arrived) against the purchase order. Every line is checked
    (on the order, a positive quantity, no more than still expected) before anything changes."""
    require(actor, "stock.receive")
    po = purchase_orders.get_purchase_order(session, po_code, for_update=True)  # two desks: one at a time
    if po.status == PurchaseOrderStatus.RECEIVED:
        raise ValidationError(N_("purchase order {po} is already received in full"), po=po.code)
    if not lines:
        raise ValidationError(N_("say how many of which SKU arrived"))
    by_code = {sku.code: (line, sku) for line, sku in session.exec(
        select(PurchaseOrderLine, Sku).join(Sku, Sku.id == PurchaseOrderLine.sku_id)
        .where(PurchaseOrderLine.po_id == po.id))}
    checked = []
    for code, qty in lines.items():
        if code not in by_code:
            raise ValidationError(N_("{sku} is not on purchase order {po} (it has {skus})"), sku=code, po=po.code,
                                  skus=", ".join(sorted(by_code)))
        line, sku = by_code[code]
        require_quantity(qty, N_("quantity received"))
        outstanding = line.qty - line.received_qty
        if qty > outstanding:
            raise ValidationError(N_("{sku}: {qty} is more than the {outstanding} purchase order {po} still expects"),
                                  sku=code, qty=qty, outstanding=outstanding, po=po.code)
        checked.append((line, sku, qty))
    warehouse = session.get(Warehouse, po.warehouse_id)
    reason = phrase(N_("received on {po}"), po=po.code) if not note.strip() else phrase(
        N_("received on {po}: {note}"), po=po.code, note=note.strip()[:200])
    served = 0
    for line, sku, qty in sorted(checked, key=lambda item: item[1].id):
        served += allocation.receive_stock(session, warehouse, sku, qty, actor=actor, reason=reason)
        line.received_qty += qty
        session.add(line)
    session.flush()
    remaining = sum(line.qty - line.received_qty for line, _sku in by_code.values())
    po.status = PurchaseOrderStatus.RECEIVED if remaining == 0 else PurchaseOrderStatus.PARTIAL
    if remaining == 0:
        po.received_at = utcnow()
    session.add(po)
    received = {sku.code: qty for _line, sku, qty in checked}
    audit.record(session, actor.name, "po.receive", "purchase_order", po.code, lines=received, status=po.status,
                 note=note.strip()[:200])
    return Receipt(po.code, po.status, received, served)
