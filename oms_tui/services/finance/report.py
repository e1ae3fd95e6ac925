"""The reconciliation report (``oms report reconcile``, the Finance screen's export) as workbook sheets,
with Chinese headers: the month's figures per platform, and each imported bill's differences."""

from __future__ import annotations

from decimal import Decimal

from oms_tui.services.core.xlsx import Sheet
from oms_tui.services.finance.reconciliation import BillDiff, PlatformMonth

PLATFORM_ZH = {"taobao": "淘宝/天猫", "jd": "京东", "pdd": "拼多多", "": "合计"}
DIFF_ZH = {"missing": "账单缺少", "extra": "账单多出", "amount_differs": "金额不符"}

SUMMARY_HEADERS = ("平台", "月份", "付款订单数", "付款金额(元)", "退款笔数", "退款金额(元)", "已发货", "未发货", "已取消",
                   "商品成本(元)", "毛利(元)")
DIFF_HEADERS = ("平台", "订单号", "差异", "我方金额(元)", "账单金额(元)", "我方退款(元)", "账单退款(元)")


def _yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else Decimal(fen) / 100


def sheets(month: str, summary: list[PlatformMonth], diffs: list[BillDiff]) -> list[Sheet]:
    summary_rows = [(PLATFORM_ZH.get(r.platform, r.platform), month, r.orders, _yuan(r.paid_fen), r.refunds,
                     _yuan(r.refund_fen), r.shipped, r.unshipped, r.cancelled, _yuan(r.cost_fen),
                     _yuan(r.gross_profit_fen)) for r in summary]
    diff_rows = [(PLATFORM_ZH.get(d.platform, d.platform), line.platform_order_id, DIFF_ZH[line.kind],
                  _yuan(line.our_amount_fen), _yuan(line.bill_amount_fen), _yuan(line.our_refund_fen),
                  _yuan(line.bill_refund_fen)) for d in diffs for line in d.lines]
    return [Sheet(f"{month} 对账", SUMMARY_HEADERS, summary_rows), Sheet("账单差异", DIFF_HEADERS, diff_rows)]
