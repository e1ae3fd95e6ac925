"""A stock count sets on_hand to what was found: one adjustment per SKU that differs, a record of the
count, an audit row; a bad count changes nothing."""

import pytest
from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.errors import InsufficientStock, PermissionDenied
from oms_tui.models import AuditEvent, MoveKind, StockCountLine, StockMove
from oms_tui.phrases import english
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.services.purchasing import stock_count
from oms_tui.services.stock import reservations
from tests.helpers.purchasing import NOW, SYSTEM, assert_ledger_balances, seed_purchasing

LEAD = Actor("zhao", frozenset({"warehouse_lead"}))


@pytest.fixture
def shop(sqlite_engine):
    seed_purchasing(sqlite_engine)
    return sqlite_engine


def sheet(engine):
    with read_session(engine) as s:
        return [(line.sku, line.on_hand) for line in stock_count.count_sheet(s, LEAD, catalogue.get_warehouse(s, "WH1"))]


def test_count_adjusts_what_differs(shop):
    assert sheet(shop) == [("A1", 10), ("A2", 3), ("B1", 20), ("B2", 0), ("C1", 0)]
    with session_scope(shop) as s:
        result = stock_count.record_count(s, LEAD, catalogue.get_warehouse(s, "WH1"), {"A1": 8, "A2": 3, "B2": 2},
                                          note="11月盘点")
    assert [(line.sku, line.expected, line.counted, line.delta) for line in result.lines] == [
        ("A1", 10, 8, -2), ("A2", 3, 3, 0), ("B2", 0, 2, 2)]
    assert (result.adjusted, result.net_delta) == (2, 0)
    assert sheet(shop) == [("A1", 8), ("A2", 3), ("B1", 20), ("B2", 2), ("C1", 0)]
    with read_session(shop) as s:
        adjusts = [(m.d_on_hand, english(m.reason)) for m in s.exec(
            select(StockMove).where(StockMove.kind == MoveKind.ADJUST).order_by(StockMove.id))]
        assert adjusts == [(-2, "stock count 1: 11月盘点"), (2, "stock count 1: 11月盘点")]
        assert len(s.exec(select(StockCountLine)).all()) == 3
        assert s.exec(select(AuditEvent.action).where(AuditEvent.entity_type == "stock_count")).all() == ["stock.count"]
    assert_ledger_balances(shop)


@pytest.mark.parametrize("counted, error", [
    ({}, "at least one SKU"),
    ({"A1": 5, "B1": -1}, "must be zero or more"),
    ({"A1": 5, "B1": 10**10}, "at most"),
    ({"A1": 5, "ZZ": 1}, "unknown SKU"),
])
def test_a_bad_count_changes_nothing(shop, counted, error):
    with pytest.raises(Exception, match=error):
        with session_scope(shop) as s:
            stock_count.record_count(s, LEAD, catalogue.get_warehouse(s, "WH1"), counted)
    assert sheet(shop)[0] == ("A1", 10)


def test_held_stock_cannot_be_counted_away_and_buyers_may_not_count(shop):
    with session_scope(shop) as s:
        wh, a1 = catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "A1")
        reservations.reserve(s, wh, a1, 6, purpose="vip", expires_at=NOW, actor=SYSTEM)
    with pytest.raises(InsufficientStock, match="A1: cannot take on_hand to 2: 0 locked by orders and 6 reserved"):
        with session_scope(shop) as s:
            stock_count.record_count(s, LEAD, catalogue.get_warehouse(s, "WH1"), {"B2": 3, "A1": 2})
    assert sheet(shop)[:4] == [("A1", 10), ("A2", 3), ("B1", 20), ("B2", 0)]
    with pytest.raises(PermissionDenied):
        with session_scope(shop) as s:
            stock_count.record_count(s, Actor("wang", frozenset({"purchasing"})), catalogue.get_warehouse(s, "WH1"),
                                     {"A1": 1})
