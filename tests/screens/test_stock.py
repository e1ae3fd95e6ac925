"""Stock: the buckets per SKU and warehouse, a barcode scan, and the ledger behind a row."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Label

from oms_tui.app import OmsApp
from oms_tui.db import session_scope
from oms_tui.screens.ledger import SkuLedgerScreen
from oms_tui.screens.stock import StockScreen
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.services.orders import allocation
from tests.helpers.screens import SIZE, column, settle, table_rows


async def open_stock(pilot, app) -> StockScreen:
    await settle(pilot, app)
    app.open_screen("stock")
    await settle(pilot, app)
    assert isinstance(app.screen, StockScreen)
    return app.screen


async def test_stock_shows_the_four_buckets_and_available(shop, settings):
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_stock(pilot, app)
        table = screen.query_one("#table", DataTable)
        rows = {row[1]: row for row in table_rows(table)}
        assert set(rows) == {"HG-001", "MB-001", "HG-CUSTOM"}
        keys = [k.value for k in table.columns]
        towel = dict(zip(keys, rows["HG-001"]))
        assert towel["warehouse"] == "WH1"
        assert (towel["on_hand"], towel["inbound"], towel["locked"], towel["reserved"], towel["available"]) == \
            ("100", "20", "0", "0", "100")
        wipes = dict(zip(keys, rows["MB-001"]))
        assert (wipes["on_hand"], wipes["inbound"], wipes["available"]) == ("0", "30", "0")
        assert str(screen.query_one("#page-label", Label).render()) == "第 1 / 1 页 · 共 3 行"
        labels = [str(c.label) for c in table.columns.values()]
        assert labels[5:10] == ["在库", "在途", "锁定", "预留", "可用"]


async def test_barcode_scan_finds_the_sku_and_enter_opens_its_ledger(shop, settings):
    with session_scope(shop) as s:
        wh = catalogue.get_warehouse(s, "WH1")
        allocation.adjust_stock(s, wh, catalogue.get_sku(s, "HG-001"), delta=-2, reason="盘点 11 月", actor=Actor.system("li"))
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_stock(pilot, app)
        assert app.focused is screen.query_one("#search", Input)
        await pilot.press(*"6901234567892", "enter")  # what a USB barcode gun types
        await settle(pilot, app)
        table = screen.query_one("#table", DataTable)
        assert column(table, "sku") == ["HG-001"]
        assert column(table, "on_hand") == ["98"]
        assert app.focused is table
        await pilot.press("enter")
        await settle(pilot, app)
        ledger = app.screen
        assert isinstance(ledger, SkuLedgerScreen)
        moves = ledger.query_one("#table", DataTable)
        # newest first: the count adjustment, the receipt, the purchase
        assert column(moves, "kind") == ["盘点调整", "入库", "采购"]
        assert column(moves, "d_on_hand") == ["-2", "+100", ""]
        assert column(moves, "d_inbound") == ["", "-100", "+120"]
        assert column(moves, "user") == ["li", "li", "li"]
        assert column(moves, "reason") == ["盘点 11 月", "PO-1 第一批", "PO-1"]
        assert all(t.startswith("20") and len(t) == 19 for t in column(moves, "at"))
        summary = str(ledger.query_one("#sku-summary").render())
        assert "竹纤维毛巾" in summary and "在库 98" in summary
        await pilot.press("escape")
        await settle(pilot, app)
        assert isinstance(app.screen, StockScreen)


async def test_a_scan_while_the_table_has_focus_goes_to_the_search(shop, settings):
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_stock(pilot, app)
        screen.query_one("#table", DataTable).focus()
        await pilot.press(*"6920000000012", "enter")
        await settle(pilot, app)
        assert column(screen.query_one("#table", DataTable), "sku") == ["MB-001"]


async def test_search_by_name_and_an_unknown_code(shop, settings):
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_stock(pilot, app)
        await pilot.press(*"湿巾", "enter")
        await settle(pilot, app)
        assert column(screen.query_one("#table", DataTable), "sku") == ["MB-001"]
        await pilot.press("slash", *"0000000000000", "enter")
        await settle(pilot, app)
        assert screen.query_one("#table", DataTable).row_count == 0
        assert str(screen.query_one("#page-label", Label).render()) == "第 1 / 1 页 · 共 0 行"


async def test_ledger_shows_times_in_the_shop_time_zone(shop, settings):
    settings.timezone = "UTC"
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_sku("HG-001")
        await settle(pilot, app)
        utc_times = column(app.screen.query_one("#table", DataTable), "at")
    settings.timezone = "Asia/Shanghai"
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_sku("6901234567892")  # a barcode works as well as the code
        await settle(pilot, app)
        shanghai_times = column(app.screen.query_one("#table", DataTable), "at")
    assert len(utc_times) == len(shanghai_times) == 2
    from datetime import datetime
    for utc, local in zip(utc_times, shanghai_times):
        gap = datetime.fromisoformat(local) - datetime.fromisoformat(utc)
        assert gap.total_seconds() == 8 * 3600
