"""Returns screen: scan the waybill, pick units and condition with keys, confirm."""

from __future__ import annotations

from sqlmodel import select
from textual.widgets import DataTable, Input, Label

from oms_tui.app import OmsApp
from oms_tui.db import read_session, session_scope
from oms_tui.models import ReturnRecord
from oms_tui.screens.returns import ReturnsScreen
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.orders import actions, upsert
from oms_tui.services.stock import ledger
from tests.helpers.screens import SIZE, make_order, settle, table_rows


def seed_shipped(engine) -> None:
    with session_scope(engine) as s:
        wh = catalogue.get_warehouse(s, "WH1")
        order = upsert.upsert_order(s, make_order(1, qty=3), warehouse=wh).order
        actions.start_picking(s, order, user="li")
        actions.mark_packed(s, order, user="li")
        actions.ship(s, order, waybill="YT1234567890123", courier="yuantong", user="li")


def towel_level(engine):
    with read_session(engine) as s:
        return ledger.get_level(s, catalogue.get_warehouse(s, "WH1").id, catalogue.get_sku(s, "HG-001").id)


async def test_scan_choose_units_and_confirm(shop, settings):
    seed_shipped(shop)
    before = towel_level(shop)
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_screen("returns")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, ReturnsScreen)
        assert app.focused is screen.query_one("#query", Input)
        await pilot.press(*"YT1234567890123", "enter")
        await settle(pilot, app)
        assert [row[0] for row in table_rows(screen.query_one("#orders", DataTable))] == ["TB00000001"]
        lines = screen.query_one("#lines", DataTable)
        assert app.focused is lines
        assert [row[:5] for row in table_rows(lines)] == [["HG-001", "竹纤维毛巾", "3", "0", "0"]]
        await pilot.press("plus", "plus", "plus", "plus")  # the fourth is one too many: a bell, no change
        await pilot.press("minus")
        await pilot.press("c")
        await settle(pilot, app)
        row = table_rows(lines)[0]
        assert row[4] == "2" and row[5] == "破损" and row[6] == "¥39.80"
        await pilot.press("f10")
        await settle(pilot, app)
        summary = str(screen.query_one("#summary", Label).render())
        assert "已登记" in summary and "¥39.80" in summary and "未配置打印机" in summary
        assert table_rows(lines)[0][3] == "2"  # returned so far
        assert app.focused is screen.query_one("#query", Input)
    after = towel_level(shop)
    assert after.damaged - before.damaged == 2 and after.on_hand == before.on_hand
    with read_session(shop) as s:
        record = s.exec(select(ReturnRecord)).one()
        assert record.refund_fen == 3980 and record.created_by == "li"


async def test_nothing_found_says_so(shop, settings):
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_screen("returns")
        await settle(pilot, app)
        await pilot.press(*"13800138000", "enter")
        await settle(pilot, app)
        assert "没有匹配" in str(app.screen.query_one(".error-line").render())


async def test_the_platforms_after_sales_are_listed_and_open_their_order(shop, settings):
    """A refund the buyer asked for after shipping (the refund sync made it an after-sale record) waits on
    the returns desk; Enter finds its order to receive the goods against."""
    from oms_tui.models import RefundState
    from oms_tui.services.orders import refunds

    seed_shipped(shop)
    with session_scope(shop) as s:
        refunds.apply_refund(s, refunds.RefundNotice(
            platform="taobao", refund_id="R77", platform_order_id="TB00000001", status="WAIT_SELLER_AGREE",
            state=RefundState.REQUESTED, reason="质量问题", amount_fen=1990))
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_screen("returns")
        await settle(pilot, app)
        screen = app.screen
        after_sales = screen.query_one("#after-sales", DataTable)
        assert [row[:5] for row in table_rows(after_sales)] == [
            ["TB00000001", "淘宝/天猫", "R77 质量问题", "¥19.90", "等待平台处理"]]
        after_sales.focus()
        await pilot.press("enter")
        await settle(pilot, app)
        assert [row[0] for row in table_rows(screen.query_one("#orders", DataTable))] == ["TB00000001"]
        assert screen.query_one("#query", Input).value == "TB00000001"
