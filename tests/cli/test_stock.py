"""`oms stock …`: a page at a time and saying which rows, counts that say what to give, negative numbers."""

from __future__ import annotations

from oms_tui.db import make_engine, session_scope
from oms_tui.services.catalogue import skus as catalogue


def _more_skus(db_url: str, n: int) -> None:
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        for i in range(n):
            catalogue.add_sku(s, f"ZZ-{i:03d}", f"测试商品{i}")
    engine.dispose()


def test_stock_show_pages_and_says_which_rows_of_how_many(oms, cli_db, wide_tables):
    _more_skus(cli_db, 4)  # 3 seeded + 4: 7 SKUs in WH1
    code, out, _ = oms("stock", "show", "--limit", "3")
    assert code == 0 and out.rstrip().endswith("1–3 of 7")
    code, out, _ = oms("stock", "show", "--limit", "3", "--page", "3")
    assert code == 0 and out.rstrip().endswith("7–7 of 7") and "ZZ-003" in out and "ZZ-002" not in out
    code, out, _ = oms("stock", "show", "--limit", "3", "--offset", "3")
    assert out.rstrip().endswith("4–6 of 7")
    code, out, _ = oms("stock", "show", "HG-001")
    assert code == 0 and out.rstrip().endswith("1–1 of 1")


def test_adjust_with_neither_count_nor_change_says_what_to_give(oms, cli_db):
    code, _, err = oms("stock", "adjust", "HG-001", "--reason", "cycle count")
    assert code == 1 and "--counted N" in err and "--delta N" in err and "not both" not in err


def test_the_stock_ledger_reads_in_the_configured_language(oms, cli_db, monkeypatch, wide_tables):
    from oms_tui.i18n import setup_language

    assert oms("stock", "purchase", "HG-001", "5")[0] == 0
    monkeypatch.setenv("OMS_LANGUAGE", "zh_CN")
    try:
        code, out, _ = oms("stock", "ledger", "HG-001")
    finally:
        setup_language("en")
    assert code == 0 and "采购单" in out and "采购" in out and "purchase" not in out and "原因" in out
