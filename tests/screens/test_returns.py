"""Returns screen: scan the waybill, pick units and condition with keys, confirm."""

from __future__ import annotations

from sqlmodel import select
from textual.widgets import DataTable, Input, Label

from oms_tui.app import OmsApp
from oms_tui.db import read_session, session_scope
from oms_tui.models import PrintJob, PrintStatus, ReturnRecord
from oms_tui.screens.lookup import LookupScreen
from oms_tui.screens.order_detail import OrderDetailScreen
from oms_tui.screens.returns import ReturnsScreen
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.services.orders import actions, allocation, upsert
from oms_tui.services.stock import ledger
from oms_tui.services.orders.normalized import NormalizedLine
from tests.helpers.printing import network
from tests.helpers.screens import SIZE, column, make_order, settle, table_rows


def seed_shipped(engine, *, two_lines: bool = False, courier: str = "yuantong",
                 waybill: str = "YT1234567890123") -> None:
    """TB00000001 shipped: 3 towels (and, with ``two_lines``, 2 packs of wipes)."""
    with session_scope(engine) as s:
        wh = catalogue.get_warehouse(s, "WH1")
        normalized = make_order(1, qty=3)
        if two_lines:
            allocation.receive_stock(s, wh, catalogue.get_sku(s, "MB-001"), 10, actor=Actor.system("li"))
            normalized.lines.append(NormalizedLine(sku_code="MB-001", title="湿巾", qty=2, price_fen=990))
        order = upsert.upsert_order(s, normalized, warehouse=wh).order
        actions.start_picking(s, order, user="li")
        actions.mark_packed(s, order, user="li")
        actions.ship(s, order, waybill=waybill, courier=courier, user="li")


async def open_returns(pilot, app) -> ReturnsScreen:
    await settle(pilot, app)
    app.open_screen("returns")
    await settle(pilot, app)
    assert isinstance(app.screen, ReturnsScreen)
    return app.screen


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


async def test_a_fills_every_line_with_all_its_units(shop, settings):
    seed_shipped(shop, two_lines=True)
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_returns(pilot, app)
        await pilot.press(*"YT1234567890123", "enter")
        await settle(pilot, app)
        lines = screen.query_one("#lines", DataTable)
        assert [(row[0], row[4]) for row in table_rows(lines)] == [("HG-001", "0"), ("MB-001", "0")]
        await pilot.press("a")
        await settle(pilot, app)
        assert [(row[0], row[4]) for row in table_rows(lines)] == [("HG-001", "3"), ("MB-001", "2")]
        assert "5 件" in str(screen.query_one("#summary", Label).render())


async def test_a_slip_for_an_offline_printer_says_queued_not_sent(shop, settings, listener):
    seed_shipped(shop)
    settings.printers = [network("退货台", listener)]  # switched off: the connection is refused
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_returns(pilot, app)
        await pilot.press(*"YT1234567890123", "enter")
        await settle(pilot, app)
        await pilot.press("plus", "f10")
        await settle(pilot, app)
        summary = str(screen.query_one("#summary", Label).render())
        assert "已登记" in summary and "已排队：打印机 退货台 离线，恢复后将自动打印" in summary
        assert "已发送" not in summary
    with read_session(shop) as s:
        job = s.exec(select(PrintJob)).one()
        assert (job.status, job.attempts, job.document) == (PrintStatus.QUEUED, 1, "return_slip")
        assert "refused" in job.last_error.lower()


async def test_every_screen_names_the_courier_the_same_way(shop, settings):
    seed_shipped(shop, courier="shunfeng", waybill="SF1234567890123")
    app = OmsApp(shop, settings, user_name="boss")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_returns(pilot, app)
        await pilot.press(*"SF1234567890123", "enter")
        await settle(pilot, app)
        assert table_rows(screen.query_one("#orders", DataTable))[0][4] == "顺丰速运"
        order_id = screen.order_id
        app.open_order(order_id)
        await settle(pilot, app)
        assert isinstance(app.screen, OrderDetailScreen)
        assert dict(app.screen.detail.fields)["快递公司"] == "顺丰速运"
        app.pop_screen()
        app.open_screen("customers")
        await settle(pilot, app)
        lookup = app.screen
        assert isinstance(lookup, LookupScreen)
        lookup.query_one("#query", Input).value = "SF1234567890123"
        await pilot.press("enter")
        await settle(pilot, app)
        assert column(lookup.query_one("#orders", DataTable), "courier") == ["顺丰速运"]
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
