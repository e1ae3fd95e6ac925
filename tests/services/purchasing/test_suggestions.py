"""Purchase suggestions on the fixed data set (tests/helpers/purchasing.py has the figures worked out)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from oms_tui.db import read_session
from oms_tui.errors import PermissionDenied
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.services.purchasing import suggestions
from tests.helpers.purchasing import EXPECTED_SUGGESTED, NOW, SYSTEM, seed_purchasing


@pytest.fixture
def shop(sqlite_engine):
    seed_purchasing(sqlite_engine)
    return sqlite_engine


def test_suggested_quantities_grouped_by_supplier(shop):
    with read_session(shop) as s:
        lines = suggestions.suggestions(s, SYSTEM, catalogue.get_warehouse(s, "WH1"), now=NOW)
    assert {line.sku: line.suggested for line in lines} == EXPECTED_SUGGESTED
    by_sku = {line.sku: line for line in lines}
    assert (by_sku["A1"].sold, by_sku["A1"].need, by_sku["A1"].available, by_sku["A1"].inbound) == (56, 19, 10, 0)
    assert (by_sku["A2"].sold, by_sku["A2"].need, by_sku["A2"].available, by_sku["A2"].inbound) == (30, 8, 3, 2)
    assert by_sku["A2"].daily_rate == Decimal("1.07")
    assert (by_sku["B1"].need, by_sku["B1"].lead_days) == (15, 14)
    groups = suggestions.by_supplier(lines)
    assert [(g.supplier_code, [line.sku for line in g.lines]) for g in groups] == [
        ("SUP1", ["A1", "A2"]), ("SUP2", ["B1", "B2"]), ("", ["C1"])]
    assert [(g.suggested_units, g.suggested_cost_fen) for g in groups] == [(12, 9 * 900 + 3 * 500), (4, 4 * 1500), (0, 0)]


def test_the_window_is_28_days_and_cancelled_orders_do_not_count(shop):
    with read_session(shop) as s:
        wh = catalogue.get_warehouse(s, "WH1")
        later = suggestions.suggestions(s, SYSTEM, wh, now=NOW + timedelta(hours=2))
    # two hours on, S2 (27 days 23 hours old) has left the window: A1 sold only S1's 30
    a1 = next(line for line in later if line.sku == "A1")
    assert (a1.sold, a1.need, a1.suggested) == (30, 8 + 5, 3)


def test_need_rounds_the_lead_time_sales_up():
    assert suggestions.need_for(0, 7, 0) == 0
    assert suggestions.need_for(1, 7, 0) == 1
    assert suggestions.need_for(28, 7, 2) == 9


def test_who_may_see_them(shop):
    with read_session(shop) as s:
        with pytest.raises(PermissionDenied):
            suggestions.suggestions(s, Actor("zhang", frozenset({"cs"})), catalogue.get_warehouse(s, "WH1"), now=NOW)
