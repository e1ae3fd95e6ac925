"""`oms orders …`: tables in the reader's language, and a look-up that finds nothing is one error line."""

from __future__ import annotations

from oms_tui.db import make_engine
from tests.helpers.shop import ingest


def test_a_lookup_that_finds_nothing_prints_only_the_error(oms, cli_db):
    code, out, err = oms("orders", "lookup", "000")
    assert code == 1 and out == "" and err.count("\n") == 1 and "nothing found for 000" in err


def test_orders_show_and_list_follow_the_language(oms, cli_db, monkeypatch, wide_tables):
    from oms_tui.i18n import setup_language

    engine = make_engine(cli_db)
    ingest(engine, "S1", {"MB-001": 1})  # no stock: a stock_short hold, its history
    engine.dispose()
    monkeypatch.setenv("OMS_LANGUAGE", "zh_CN")
    try:
        code, shown, _ = oms("orders", "show", "S1")
        listed = oms("orders", "list")[1]
    finally:
        setup_language("en")
    assert code == 0 and "缺货：MB-001" in shown and "接入订单" in shown and "新订单 → 缺货" in shown
    for english in ("short:", "order.create", "hold.open", "stock_short", "holds and stock settled", "taobao"):
        assert english not in shown, english
    assert "库存不足" in listed and "缺货" in listed and "第 1–1 条，共 1 条" in listed
