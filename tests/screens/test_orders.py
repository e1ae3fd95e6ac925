"""Orders: filters, one page at a time, and the detail with lines, holds and history."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from textual.widgets import DataTable, Input, Label, Select

from oms_tui.app import OmsApp
from oms_tui.db import make_engine, read_session, session_scope
from oms_tui.i18n import _
from oms_tui.screens.order_detail import OrderDetailScreen
from oms_tui.screens.orders import TYPING_DELAY, OrdersScreen
from oms_tui.screens.paging import PagedTableScreen
from oms_tui.services.core.actor import Actor
from oms_tui.screens.formatting import shop_zone
from oms_tui.services.orders import actions, queries
from oms_tui.services.reports import tally
from oms_tui.widgets.error_line import ErrorLine
from tests.helpers.screens import SIZE, column, footer_keys, keys_panel_text, settle


async def open_orders(pilot, app) -> OrdersScreen:
    await settle(pilot, app)
    app.open_screen("orders")
    await settle(pilot, app)
    assert isinstance(app.screen, OrdersScreen)
    return app.screen


def page_label(screen) -> str:
    return str(screen.query_one("#page-label", Label).render())


async def test_a_capped_count_says_more_and_turns_exact_at_the_last_page(shop_with_orders, settings, monkeypatch):
    monkeypatch.setattr(OrdersScreen, "COUNT_CAP", 20)  # 61 orders: past the cap
    app = OmsApp(shop_with_orders, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot, app)
        table = screen.query_one("#table", DataTable)
        assert table.row_count == 50
        assert page_label(screen) == "第 1 / 1+ 页 · 共 20+ 行"
        await pilot.press("pagedown")  # beyond the counted pages: the rows run out, the count is exact
        await settle(pilot, app)
        assert (table.row_count, page_label(screen)) == (11, "第 2 / 2 页 · 共 61 行")
        await pilot.press("pagedown")
        await settle(pilot, app)
        assert page_label(screen) == "第 2 / 2 页 · 共 61 行"
        await pilot.press("pageup")
        await settle(pilot, app)
        assert (table.row_count, page_label(screen)) == (50, "第 1 / 2 页 · 共 61 行")


async def test_past_the_cap_the_tally_gives_an_estimate_that_turns_exact_when_the_rows_run_out(
        shop_with_orders, settings, monkeypatch):
    monkeypatch.setattr(OrdersScreen, "COUNT_CAP", 20)  # 61 orders: past the cap
    tally.refresh(shop_with_orders, shop_zone(settings.timezone))  # what the order-tally job does
    app = OmsApp(shop_with_orders, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot, app)
        table = screen.query_one("#table", DataTable)
        assert (table.row_count, page_label(screen)) == (50, "第 1 / 约 2 页 · 共约 61 行")
        screen.query_one("#status", Select).value = "ready"
        await settle(pilot, app)
        assert page_label(screen) == "第 1 / 约 2 页 · 共约 60 行"
        screen.query_one("#status", Select).clear()
        await settle(pilot, app)
        await pilot.press("pagedown")  # the page comes back short: the count is exact now
        await settle(pilot, app)
        assert (table.row_count, page_label(screen)) == (11, "第 2 / 2 页 · 共 61 行")


async def test_orders_page_through_more_than_one_page(shop_with_orders, settings):
    app = OmsApp(shop_with_orders, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot, app)
        table = screen.query_one("#table", DataTable)
        assert table.row_count == 50
        assert page_label(screen) == "第 1 / 2 页 · 共 61 行"
        first_page = column(table, "order")
        assert first_page[0] == "JD00000061"  # newest first
        await pilot.press("pagedown")
        await settle(pilot, app)
        assert page_label(screen) == "第 2 / 2 页 · 共 61 行"
        assert table.row_count == 11
        assert column(table, "order")[-1] == "TB00000001"
        assert not set(column(table, "order")) & set(first_page)
        await pilot.press("pagedown")  # past the last page: stays
        await settle(pilot, app)
        assert page_label(screen) == "第 2 / 2 页 · 共 61 行"
        await pilot.press("p")
        await settle(pilot, app)
        assert page_label(screen) == "第 1 / 2 页 · 共 61 行"
        await pilot.press("n")
        await settle(pilot, app)
        assert page_label(screen) == "第 2 / 2 页 · 共 61 行"
        await pilot.press("pageup")
        await settle(pilot, app)
        assert column(table, "order") == first_page


async def test_filter_by_status_and_platform(shop_with_orders, settings):
    app = OmsApp(shop_with_orders, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot, app)
        table = screen.query_one("#table", DataTable)
        screen.query_one("#status", Select).value = "review"
        await settle(pilot, app)
        assert column(table, "order") == ["JD00000061"]
        assert column(table, "status") == ["待审核"]
        assert column(table, "holds") == ["商品未对应"]
        assert page_label(screen) == "第 1 / 1 页 · 共 1 行"
        screen.query_one("#status", Select).value = "ready"
        await settle(pilot, app)
        assert page_label(screen) == "第 1 / 2 页 · 共 60 行"
        assert set(column(table, "status")) == {"待拣货"}
        screen.query_one("#status", Select).clear()
        screen.query_one("#platform", Select).value = "jd"
        await settle(pilot, app)
        assert column(table, "order") == ["JD00000061"]
        assert column(table, "platform") == ["京东"]


async def test_search_and_date_filters(shop_with_orders, settings):
    app = OmsApp(shop_with_orders, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot, app)
        table = screen.query_one("#table", DataTable)
        await pilot.press("slash", *"TB00000007", "enter")
        await settle(pilot, app)
        assert column(table, "order") == ["TB00000007"]
        assert column(table, "total") == ["¥19.90"]
        assert app.focused is table
        screen.query_one("#search", Input).value = "李四"  # receiver name
        await pilot.press("slash", "enter")
        await settle(pilot, app)
        assert column(table, "order") == ["JD00000061"]
        screen.query_one("#search", Input).value = ""
        since = screen.query_one("#since", Input)
        since.focus()
        await pilot.press(*"2026-11-12", "enter")  # the orders were placed on 11-11, Shanghai time
        await settle(pilot, app)
        assert table.row_count == 0
        since.value = ""
        await pilot.press(*"2026-11-11", "enter")
        await settle(pilot, app)
        assert page_label(screen) == "第 1 / 2 页 · 共 61 行"


async def test_a_bad_date_shows_a_red_line_not_a_traceback(shop_with_orders, settings):
    app = OmsApp(shop_with_orders, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot, app)
        screen.query_one("#since", Input).focus()
        await pilot.press(*"2026-13-45", "enter")
        await settle(pilot, app)
        error = screen.query_one(ErrorLine)
        assert error.display
        assert "YYYY-MM-DD" in str(error.render())
        assert screen.query_one("#table", DataTable).row_count == 50  # the last good result stays


@pytest.mark.parametrize("typed, enter", [("0001-01-01", True), ("0001-01-01", False), ("9999-12-31", True)])
async def test_a_day_out_of_range_is_a_red_line_and_the_app_keeps_running(shop_with_orders, settings, typed, enter):
    """0001-01-01 in Shanghai is before the first UTC instant: it used to stop the whole app (exit 0)
    from the typing timer or Enter alike."""
    app = OmsApp(shop_with_orders, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot, app)
        screen.query_one("#since", Input).focus()
        await pilot.press(*typed, *(["enter"] if enter else []))
        await pilot.pause(TYPING_DELAY + 0.3)  # the typing timer applies the filter on its own
        await settle(pilot, app)
        assert app.is_running and app.screen is screen
        error = screen.query_one(ErrorLine)
        assert error.display
        assert str(error.render()) == f"日期必须在 1970-01-01 与 9999-12-30 之间，收到 {typed}"
        assert screen.query_one("#table", DataTable).row_count == 50  # the last good result stays
    assert app.return_code in (None, 0)


async def test_service_errors_show_as_a_message(shop_with_orders, settings):
    app = OmsApp(shop_with_orders, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot, app)
        screen.status = "no-such-status"  # OrderFilter raises ValidationError for it
        screen.refilter()
        await settle(pilot, app)
        error = screen.query_one(ErrorLine)
        assert error.display and "no-such-status" in str(error.render())
        assert app.is_running


async def test_detail_shows_lines_holds_and_history(shop_with_orders, settings):
    app = OmsApp(shop_with_orders, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot, app)
        await pilot.press("slash", *"TB00000005", "enter")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        detail = app.screen
        assert isinstance(detail, OrderDetailScreen)
        fields = dict(detail.detail.fields)
        assert fields["订单"] == "TB00000005" and fields["收货人"] == "王小明"
        assert fields["地址"] == "浙江省 杭州市 西湖区 文三路5号"
        assert fields["下单时间"] == "2026-11-11 00:05"  # in Shanghai time
        assert fields["状态"] == "待拣货" and fields["总金额"] == "¥19.90"
        lines = detail.query_one("#lines", DataTable)
        assert [str(c) for c in lines.get_row_at(0)] == ["HG-001", "竹纤维毛巾", "1", "¥19.90", "已锁定 1", "0"]
        holds = detail.query_one("#holds", DataTable)
        hold = [str(c) for c in holds.get_row_at(0)]
        assert hold[0] == "买家留言" and hold[4] == "请发顺丰" and hold[6] == "zhang" and hold[7] == "已备注顺丰"
        assert str(detail.query_one("#holds-title", Label).render()) == "异常（未处理 0 条，共 1 条）"
        history = detail.query_one("#history", DataTable)
        actions = [str(history.get_row_at(i)[2]) for i in range(history.row_count)]
        assert actions[0] == "异常已处理"  # newest first, in the reader's language
        assert {"接入订单", "库存已锁定", "开启异常", "异常已处理"} <= set(actions)
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.screen is screen


async def test_detail_of_an_order_with_an_open_hold(shop_with_orders, settings):
    app = OmsApp(shop_with_orders, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot, app)
        assert screen.query_one("#table", DataTable).cursor_row == 0  # JD00000061, newest
        await pilot.press("enter")
        await settle(pilot, app)
        detail = app.screen
        hold = [str(c) for c in detail.query_one("#holds", DataTable).get_row_at(0)]
        assert hold[0] == "商品未对应" and hold[1] == "是" and hold[5] == "未处理"
        assert "NO-SUCH" in hold[4]


async def test_a_change_on_another_terminal_shows_without_pressing_anything(shop_with_orders, settings, monkeypatch):
    """Another terminal (here: a second engine on the same file) cancels an order; the table follows,
    and the cursor stays where the user left it."""
    from oms_tui import app as app_module
    from oms_tui.db import make_engine, session_scope

    monkeypatch.setattr(app_module, "CHANGE_POLL_SECONDS", 0.2)
    app = OmsApp(shop_with_orders, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot, app)
        table = screen.query_one("#table", DataTable)
        table.move_cursor(row=3)
        await pilot.pause(0.5)  # the poll has seen the database as it is
        row = column(table, "order").index("TB00000059")
        assert column(table, "status")[row] != "已取消"
        other_terminal = make_engine(str(shop_with_orders.url))
        with session_scope(other_terminal) as s:
            actions.cancel(s, queries.find_order(s, "taobao", "TB00000059"), actor=Actor.system("li"), reason="buyer asked")
        other_terminal.dispose()
        for _ in range(20):
            await pilot.pause(0.1)
            await settle(pilot, app)
            if column(table, "status")[row] == "已取消":
                break
        assert column(table, "status")[row] == "已取消"
        assert table.cursor_row == 3


@pytest.fixture
def quick_poll(monkeypatch):
    from oms_tui import app as app_module

    monkeypatch.setattr(app_module, "CHANGE_POLL_SECONDS", 0.2)


def another_desk(engine, work) -> None:
    """Another terminal (a second engine on the same file) commits ``work``."""
    other = make_engine(str(engine.url))
    with session_scope(other) as s:
        work(s)
    other.dispose()


async def test_the_cursor_follows_its_order_to_the_page_before(shop_with_orders, settings, quick_poll):
    """Ready orders, page 2, cursor on TB00000010 (its first row). Another desk cancels two orders on
    page 1: TB00000010 is now the last-but-one row of page 1, and the table goes there with it."""
    app = OmsApp(shop_with_orders, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot, app)
        table = screen.query_one("#table", DataTable)
        screen.query_one("#status", Select).value = "ready"
        await settle(pilot, app)
        await pilot.press("pagedown")
        await settle(pilot, app)
        assert page_label(screen) == "第 2 / 2 页 · 共 60 行"
        assert column(table, "order")[0] == "TB00000010" and table.cursor_row == 0
        await pilot.pause(0.5)  # the poll has seen the database as it is
        another_desk(shop_with_orders, lambda s: [
            actions.cancel(s, queries.find_order(s, "taobao", ref), actor=Actor.system("li"), reason="buyer asked")
            for ref in ("TB00000060", "TB00000059")])
        for _ in range(40):
            await pilot.pause(0.1)
            await settle(pilot, app)
            if page_label(screen).endswith("共 58 行"):
                break
        assert page_label(screen) == "第 1 / 2 页 · 共 58 行"
        assert table.selected_key == str(queries_id(shop_with_orders, "TB00000010"))
        assert column(table, "order")[table.cursor_row] == "TB00000010"


def queries_id(engine, ref) -> int:
    with read_session(engine) as s:
        return queries.find_order(s, "taobao", ref).id


async def test_a_refresh_with_longer_content_widens_the_column_in_the_very_next_frame(shop_with_orders, settings):
    """Textual widens columns for new rows only when idle; a frame drawn before that kept every column
    at its old (after sign-in: its header's) width. Here a frame is drawn the moment the rows arrive."""
    long_name = "欧阳慕容长孙司马上官"  # wider than any receiver so far, and than the header
    app = OmsApp(shop_with_orders, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot, app)
        table = screen.query_one("#table", DataTable)
        first_frame: list[str] = []
        shown = screen.on_page_shown

        def draw_at_once(result) -> None:  # noqa: ANN001 - a PageResult
            first_frame.append(table.render_line(1).text)  # the first row, as the terminal would get it
            shown(result)

        screen.on_page_shown = draw_at_once

        def rename(s) -> None:  # noqa: ANN001 - a Session
            order = queries.find_order(s, "jd", "JD00000061")
            order.receiver_name = long_name
            s.add(order)

        another_desk(shop_with_orders, rename)
        await pilot.press("f5")
        await settle(pilot, app)
        assert long_name in first_frame[0]
        width = table.columns[next(k for k in table.columns if k.value == "receiver")].get_render_width(table)
        assert width >= cell_len(long_name) + 2 * table.cell_padding
        assert long_name in table.render_line(1).text


async def test_a_shipped_order_shows_its_stock_shipped_not_locked(shop_with_orders, settings):
    with session_scope(shop_with_orders) as s:
        order = queries.find_order(s, "taobao", "TB00000007")
        actions.start_picking(s, order, user="li")
        actions.mark_packed(s, order, user="li")
        actions.ship(s, order, waybill="YT1234567890123", courier="yuantong", user="li")
    app = OmsApp(shop_with_orders, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_order(queries_id(shop_with_orders, "TB00000007"))
        await settle(pilot, app)
        detail = app.screen
        assert isinstance(detail, OrderDetailScreen)
        fields = dict(detail.detail.fields)
        assert "锁定" not in fields["库存"] and fields["库存"].startswith("已于 ")
        assert column(detail.query_one("#lines", DataTable), "stock") == ["已发货 1"]
        app.open_order(queries_id(shop_with_orders, "TB00000008"))  # still ready: its stock is locked
        await settle(pilot, app)
        fields = dict(app.screen.detail.fields)
        assert fields["库存"].startswith("自 ") and fields["库存"].endswith("起锁定")
        assert column(app.screen.query_one("#lines", DataTable), "stock") == ["已锁定 1"]


async def test_at_80x24_order_status_holds_and_receiver_fit_and_every_key_is_listed(shop_with_orders, settings):
    app = OmsApp(shop_with_orders, settings, user_name="zhang")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_orders(pilot, app)
        table = screen.query_one("#table", DataTable)
        assert {"order", "status", "holds", "receiver"} <= {key.value for key in table.columns}
        assert sum(c.get_render_width(table) for c in table.columns.values()) <= table.scrollable_content_region.width
        assert {"slash", "ctrl+t"} <= set(footer_keys(app))
        panel = await keys_panel_text(pilot, app)
        assert all(_(b.description) in panel for b in OrdersScreen.BINDINGS + PagedTableScreen.BINDINGS)


async def test_the_next_page_is_read_after_the_last_row_shown_not_at_an_offset(shop_with_orders, settings, monkeypatch):
    """Keyset paging: PgDn reads the orders after the last one on the page (created_at, id), with no OFFSET,
    and shows what the offset would have shown; PgUp goes back to the same first page."""
    from sqlalchemy import event

    monkeypatch.setattr(OrdersScreen, "PAGE_SIZE", 20)
    sent: list[str] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):  # noqa: ANN001
        if 'FROM "order"' in statement and "ORDER BY" in statement:
            sent.append((statement, parameters[-1] if "OFFSET" in statement else 0))

    app = OmsApp(shop_with_orders, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_orders(pilot, app)
        table = screen.query_one("#table", DataTable)
        first_page = column(table, "order")
        event.listen(shop_with_orders, "before_cursor_execute", capture)
        try:
            for _n in range(2):
                await pilot.press("pagedown")
                await settle(pilot, app)
        finally:
            event.remove(shop_with_orders, "before_cursor_execute", capture)
        assert page_label(screen) == "第 3 / 4 页 · 共 61 行"
        with read_session(shop_with_orders) as s:
            by_offset = [o.platform_order_id for o in queries.list_orders(s, limit=20, offset=40)]
        assert column(table, "order") == by_offset
        assert len(sent) == 2
        # (SQLite writes "LIMIT ? OFFSET ?" for any LIMIT: the offset bound is 0 here, see the capture)
        assert all('("order".created_at, "order".id) <' in statement for statement, _offset in sent)
        assert [offset for _statement, offset in sent] == [0, 0]
        await pilot.press("pageup")
        await settle(pilot, app)
        await pilot.press("pageup")
        await settle(pilot, app)
        assert column(table, "order") == first_page
