"""A fixed data set for the purchasing and reconciliation tests, with figures worked out by hand.

Suggestions at NOW (window: the 28 days before it; SUP1 lead 7 days, SUP2 lead 14):
    A1  SUP1  sold 56 (30+26)  safety 5   need ceil(56·7/28)+5 = 19   on_hand 10           → 9
    A2  SUP1  sold 30          safety 0   need ceil(30·7/28)   = 8    on_hand 3, inbound 2 → 3
    B1  SUP2  sold 10          safety 10  need ceil(10·14/28)+10 = 15 on_hand 20           → 0
    B2  SUP2  sold 0           safety 4   need 4                      nothing              → 4
    C1  none  sold 3           safety 0   need 0                                           → 0
    not counted: A1 × 100 paid 29 days ago, A2 × 50 on a cancelled order.

Month 2026-10 (Asia/Shanghai), costs A1 9.00, A2 5.00, B1 30.00:
    taobao  T1 paid 2026-10-01 00:30 +08 100.00 shipped A1×2 (cost 18.00)
            T2 2026-10-15  50.00 shipped A2×1 returned 1 (cost 0), refunded 50.00
            T3 2026-10-31 23:30 +08  30.00 ready (unshipped)
            T5 2026-10-20  20.00 cancelled, refunded 20.00
            T4 2026-11-01 00:10 +08  30.00 — November
    jd      J1 2026-10-10  88.00 shipped B1×1 (cost 30.00), a refund requested (not paid back) of 10.00
    → taobao 4 orders, 200.00 paid, 2 refunds 70.00, 2 shipped, 1 unshipped, 1 cancelled, cost 18.00, profit 112.00
      jd 1 order, 88.00, 0 refunds, 1 shipped, cost 30.00, profit 58.00; total profit 170.00.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from oms_tui.db import session_scope
from oms_tui.models import Order, OrderLine, OrderStatus, PlatformRefund, RefundState
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.services.stock import ledger

NOW = datetime(2026, 12, 20, 4, 0, tzinfo=timezone.utc)  # the October orders are long out of the window
CST = timezone(timedelta(hours=8))
SYSTEM = Actor.system("test")

EXPECTED_SUGGESTED = {"A1": 9, "A2": 3, "B1": 0, "B2": 4, "C1": 0}

# The Taobao (Alipay) bill for October: T1 and T2 agree, T3 is missing, T5's refund differs,
# T4 (ours, November) and T9 (not ours) are extra.
TAOBAO_BILL_CSV = """#支付宝账务明细查询
#账号：[20880000000000000156]
#起始日期：[2026年10月01日 00:00:00]   终止日期：[2026年11月01日 00:00:00]
账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,收入金额（+元）,支出金额（-元）,账户余额（元）,交易渠道,业务类型,备注
1001,2001,\tT1,竹纤维毛巾,2026-10-02 10:00:00,buyer1,100.00,,100.00,支付宝,交易付款,
1002,2002,\tT2,婴儿湿巾,2026-10-16 10:00:00,buyer2,50.00,,150.00,支付宝,交易付款,
1003,2003,\tT2,婴儿湿巾,2026-10-18 10:00:00,buyer2,,-50.00,100.00,支付宝,交易退款,
1004,2004,\tT5,毛巾,2026-10-21 10:00:00,buyer5,20.00,,120.00,支付宝,交易付款,
1005,2005,\tT5,毛巾,2026-10-22 10:00:00,buyer5,,-15.00,105.00,支付宝,交易退款,
1006,2006,\tT4,毛巾,2026-11-01 10:00:00,buyer4,30.00,,135.00,支付宝,交易付款,
1007,2007,\tT9,别家的,2026-10-23 10:00:00,buyer9,12.34,,147.34,支付宝,交易付款,
,,合计,,,,212.34,-65.00,,,,
"""


def assert_ledger_balances(engine) -> None:
    """The ledger sums to the levels and no bucket is negative (the data set's orders are written as rows,
    without locks, so the order-side checks of ``oms check`` do not apply to it)."""
    from oms_tui.db import read_session
    from oms_tui.services.stock.check import run_checks

    with read_session(engine) as s:
        assert [v for v in run_checks(s) if v.rule in ("ledger", "negative")] == []


def seed_purchasing(engine) -> None:
    with session_scope(engine) as s:
        wh = catalogue.add_warehouse(s, "WH1", "杭州仓")
        catalogue.add_supplier(s, "SUP1", "宁波家居", lead_days=7, email="sales@sup1.example.cn")
        catalogue.add_supplier(s, "SUP2", "义乌日用", lead_days=14, email="b@sup2.example.cn")
        a1 = catalogue.add_sku(s, "A1", "竹纤维毛巾", supplier_code="SUP1", safety_stock=5, cost_fen=900,
                               bin_location="A-01")
        a2 = catalogue.add_sku(s, "A2", "婴儿湿巾", supplier_code="SUP1", cost_fen=500, bin_location="A-02")
        b1 = catalogue.add_sku(s, "B1", "砧板", supplier_code="SUP2", safety_stock=10, cost_fen=3000,
                               bin_location="B-01")
        catalogue.add_sku(s, "B2", "收纳盒", supplier_code="SUP2", safety_stock=4, cost_fen=1500, bin_location="B-02")
        c1 = catalogue.add_sku(s, "C1", "样品", cost_fen=100, bin_location="C-01")
        for sku, bought, received in ((a1, 10, 10), (a2, 5, 3), (b1, 20, 20)):
            ledger.purchase(s, wh, sku, bought, actor=SYSTEM)
            ledger.receive(s, wh, sku, received, user="test")
        shipped = OrderStatus.SHIPPED

        def order(pid, paid_at, lines, status=shipped, platform="taobao", paid_fen=0):
            o = Order(platform=platform, platform_order_id=pid, status=status, paid_at=paid_at, created_at=paid_at,
                      paid_fen=paid_fen, total_fen=paid_fen, warehouse_id=wh.id)
            s.add(o)
            s.flush()
            for sku, qty, returned in lines:
                s.add(OrderLine(order_id=o.id, sku_id=sku.id, sku_code=sku.code, qty=qty, returned_qty=returned,
                                price_fen=100))
            return o

        order("S1", NOW - timedelta(days=1), [(a1, 30, 0), (a2, 30, 0)])
        order("S2", NOW - timedelta(days=27, hours=23), [(a1, 26, 0), (b1, 10, 0), (c1, 3, 0)])
        order("S3", NOW - timedelta(days=29), [(a1, 100, 0)])
        order("S4", NOW - timedelta(days=2), [(a2, 50, 0)], status=OrderStatus.CANCELLED)
        # October
        order("T1", datetime(2026, 10, 1, 0, 30, tzinfo=CST), [(a1, 2, 0)], paid_fen=10000)
        t2 = order("T2", datetime(2026, 10, 15, 12, 0, tzinfo=CST), [(a2, 1, 1)], paid_fen=5000)
        order("T3", datetime(2026, 10, 31, 23, 30, tzinfo=CST), [(a1, 1, 0)], status=OrderStatus.READY, paid_fen=3000)
        order("T4", datetime(2026, 11, 1, 0, 10, tzinfo=CST), [(a1, 1, 0)], paid_fen=3000)
        t5 = order("T5", datetime(2026, 10, 20, 12, 0, tzinfo=CST), [(a1, 1, 0)], status=OrderStatus.CANCELLED,
                   paid_fen=2000)
        j1 = order("J1", datetime(2026, 10, 10, 12, 0, tzinfo=CST), [(b1, 1, 0)], platform="jd", paid_fen=8800)
        for refund_id, o, amount, state in (("R2", t2, 5000, RefundState.REFUNDED), ("R5", t5, 2000, RefundState.REFUNDED),
                                            ("RJ1", j1, 1000, RefundState.REQUESTED)):
            s.add(PlatformRefund(platform=o.platform, refund_id=refund_id, platform_order_id=o.platform_order_id,
                                 order_id=o.id, state=state, amount_fen=amount))
