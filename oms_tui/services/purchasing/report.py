"""The purchasing report (``oms report purchase``, the Purchasing screen's export): the suggestions by
supplier and the purchase orders still waiting for goods, as rows for a table, JSON or a workbook.
The workbook's headers are Chinese whatever the reader's language: it goes to the buyer's suppliers too."""

from __future__ import annotations

from decimal import Decimal

from oms_tui.services.core.xlsx import Sheet
from oms_tui.services.purchasing.purchase_orders import PoView
from oms_tui.services.purchasing.suggestions import Suggestion


def _yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


SUGGESTION_HEADERS = ("供应商", "供应商名称", "SKU", "品名", "单位", "28天销量", "日均销量", "交期(天)", "安全库存",
                      "可用", "在途", "需求", "建议采购", "单价(元)", "金额(元)")
ORDER_HEADERS = ("采购单", "供应商", "仓库", "状态", "下单时间", "SKU", "品名", "采购数量", "已到货", "未到货")


def sheets(lines: list[Suggestion], orders: list[PoView], *, local=lambda t: t) -> list[Sheet]:  # noqa: ANN001
    """The two sheets: 采购建议 and 未到货采购单; ``local`` turns a UTC time into the shop's."""
    suggestion_rows = [(s.supplier_code, s.supplier_name, s.sku, s.name, s.unit, s.sold, s.daily_rate, s.lead_days,
                        s.safety_stock, s.available, s.inbound, s.need, s.suggested, _yuan(s.cost_fen),
                        _yuan(s.cost_fen * s.suggested)) for s in lines]
    order_rows = [(po.code, po.supplier_code, po.warehouse, po.status, local(po.created_at), line.sku, line.name,
                   line.qty, line.received, line.outstanding) for po in orders for line in po.lines]
    return [Sheet("采购建议", SUGGESTION_HEADERS, suggestion_rows), Sheet("未到货采购单", ORDER_HEADERS, order_rows)]
