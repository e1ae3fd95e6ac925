"""Month-end figures and the bill diff on the fixed data set (tests/helpers/purchasing.py)."""

import pytest
from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.errors import NotFound, PermissionDenied, ValidationError
from oms_tui.models import AuditEvent, SettlementImport
from oms_tui.services.core.actor import Actor
from oms_tui.services.finance import reconciliation, settlement_import
from tests.helpers.purchasing import TAOBAO_BILL_CSV, seed_purchasing

FINANCE = Actor("qian", frozenset({"finance"}))


@pytest.fixture
def shop(engine):
    seed_purchasing(engine)
    return engine


@pytest.fixture
def sqlite_shop(sqlite_engine):
    seed_purchasing(sqlite_engine)
    return sqlite_engine


def test_month_figures_per_platform(shop):
    with read_session(shop) as s:
        rows = reconciliation.month_summary(s, FINANCE, "2026-10")
    assert [r.as_dict() for r in rows] == [
        {"platform": "taobao", "orders": 4, "paid_fen": 20000, "refunds": 2, "refund_fen": 7000, "shipped": 2,
         "unshipped": 1, "cancelled": 1, "cost_fen": 1800, "gross_profit_fen": 11200},
        {"platform": "jd", "orders": 1, "paid_fen": 8800, "refunds": 0, "refund_fen": 0, "shipped": 1,
         "unshipped": 0, "cancelled": 0, "cost_fen": 3000, "gross_profit_fen": 5800},
        {"platform": "pdd", "orders": 0, "paid_fen": 0, "refunds": 0, "refund_fen": 0, "shipped": 0,
         "unshipped": 0, "cancelled": 0, "cost_fen": 0, "gross_profit_fen": 0},
        {"platform": "douyin", "orders": 0, "paid_fen": 0, "refunds": 0, "refund_fen": 0, "shipped": 0,
         "unshipped": 0, "cancelled": 0, "cost_fen": 0, "gross_profit_fen": 0},
        {"platform": "", "orders": 5, "paid_fen": 28800, "refunds": 2, "refund_fen": 7000, "shipped": 3,
         "unshipped": 1, "cancelled": 1, "cost_fen": 4800, "gross_profit_fen": 17000},
    ]


def test_the_bill_diff_line_by_line(shop, tmp_path):
    bill = tmp_path / "支付宝账务明细.csv"
    bill.write_bytes(TAOBAO_BILL_CSV.encode("gb18030"))  # the platforms export GBK
    with session_scope(shop) as s:
        summary = settlement_import.import_settlement(s, FINANCE, "taobao", "2026-10", bill)
    assert (summary.rows, summary.orders, summary.amount_fen, summary.refund_fen) == (7, 5, 21234, 6500)
    with read_session(shop) as s:
        diff = reconciliation.bill_diff(s, FINANCE, "taobao", "2026-10")
        audit = s.exec(select(AuditEvent.action).where(AuditEvent.entity_type == "settlement")).all()
    assert diff.matched == 2  # T1, and T2 with its refund
    assert [line.as_dict() for line in diff.lines] == [
        {"kind": "missing", "order": "T3", "our_amount_fen": 3000, "bill_amount_fen": None, "our_refund_fen": 0,
         "bill_refund_fen": None},
        {"kind": "extra", "order": "T4", "our_amount_fen": None, "bill_amount_fen": 3000, "our_refund_fen": None,
         "bill_refund_fen": 0},
        {"kind": "amount_differs", "order": "T5", "our_amount_fen": 2000, "bill_amount_fen": 2000,
         "our_refund_fen": 2000, "bill_refund_fen": 1500},
        {"kind": "extra", "order": "T9", "our_amount_fen": None, "bill_amount_fen": 1234, "our_refund_fen": None,
         "bill_refund_fen": 0},
    ]
    assert audit == ["settlement.import"]


def test_month_boundaries_are_the_shops():
    start, end = reconciliation.month_range("2026-12")
    assert (start.isoformat(), end.isoformat()) == ("2026-12-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00")
    for bad in ("2026-13", "2026-1", "Oct", "2026-10-01", ""):
        with pytest.raises(ValidationError, match="YYYY-MM"):
            reconciliation.month_range(bad)


def test_no_bill_and_who_may_look(sqlite_shop):
    with read_session(sqlite_shop) as s:
        with pytest.raises(NotFound, match="no JD bill imported for 2026-10"):
            reconciliation.bill_diff(s, FINANCE, "jd", "2026-10")
        with pytest.raises(PermissionDenied):
            reconciliation.month_summary(s, Actor("wang", frozenset({"purchasing"})), "2026-10")
        assert s.exec(select(SettlementImport)).all() == []
