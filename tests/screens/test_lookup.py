"""Customer look-up: one input (phone, masked phone, order number, waybill) → the customer and every
order of theirs; Enter opens the order."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Label, Static

from oms_tui.app import OmsApp
from oms_tui.db import session_scope
from oms_tui.i18n import _
from oms_tui.screens.lookup import LookupScreen
from oms_tui.screens.order_detail import OrderDetailScreen
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.orders import actions, upsert
from oms_tui.widgets.error_line import ErrorLine
from tests.helpers.screens import SIZE, column, footer_keys, keys_panel_text, make_order, settle


@pytest.fixture
def customers_shop(shop):
    """王小明 (13800138000) on Taobao (shipped), JD and PDD (masked); 李四 on Taobao."""
    with session_scope(shop) as s:
        wh = catalogue.get_warehouse(s, "WH1")
        tb = upsert.upsert_order(s, make_order(1), warehouse=wh).order
        # Shipped before the same buyer ordered again elsewhere, so the later orders are repeats,
        # not suspected duplicates.
        actions.start_picking(s, tb, user="li")
        actions.mark_packed(s, tb, user="li")
        actions.ship(s, tb, waybill="YT1234567890123", courier="yuantong", user="li")
        upsert.upsert_order(s, make_order(2, platform="jd"), warehouse=wh)
        pdd = make_order(3, platform="pdd").model_copy(update={"receiver_phone": "1*********0", "buyer_id": "",
                                                                "receiver_name": "王*明"})
        upsert.upsert_order(s, pdd, warehouse=wh)
        other = make_order(4, receiver="李四").model_copy(update={"receiver_phone": "13900139000"})
        upsert.upsert_order(s, other, warehouse=wh)
    return shop


async def open_lookup(pilot, app) -> LookupScreen:
    await settle(pilot, app)
    app.open_screen("customers")
    await settle(pilot, app)
    assert isinstance(app.screen, LookupScreen)
    return app.screen


async def search(pilot, app, screen, text) -> None:
    query = screen.query_one("#query", Input)
    query.value = ""
    query.focus()
    await pilot.press(*text, "enter")
    await settle(pilot, app)


def summary(screen) -> str:
    return str(screen.query_one("#summary", Label).render())


async def test_lookup_by_phone_order_and_waybill(customers_shop, settings):
    app = OmsApp(customers_shop, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lookup(pilot, app)
        assert app.focused is screen.query_one("#query", Input)
        table = screen.query_one("#orders", DataTable)
        await search(pilot, app, screen, "138 0013 8000")
        assert column(table, "order") == ["JD00000002", "TB00000001"]  # newest first
        assert column(table, "platform") == ["京东", "淘宝/天猫"]
        assert column(table, "status") == ["待拣货", "已发货"]
        assert column(table, "courier")[1] == "圆通速递" and column(table, "waybill")[1] == "YT1234567890123"
        assert summary(screen) == "手机号：2 单 · 手机号 13800138000"
        assert "匹配依据：手机号 13800138000" in str(screen.query_one("#customers", Static).render())
        assert app.focused is table
        await search(pilot, app, screen, "YT1234567890123")
        assert column(table, "order") == ["JD00000002", "TB00000001"] and summary(screen).startswith("运单号：2 单")
        await search(pilot, app, screen, "JD00000002")
        assert column(table, "order") == ["JD00000002", "TB00000001"] and summary(screen).startswith("订单号")


async def test_a_masked_phone_finds_possible_matches(customers_shop, settings):
    app = OmsApp(customers_shop, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lookup(pilot, app)
        await search(pilot, app, screen, "1*********0")
        table = screen.query_one("#orders", DataTable)
        # PDD keeps one digit at each end: 李四's 13900139000 fits the mask as well as 王小明's number.
        assert column(table, "order") == ["TB00000004", "PDD00000003", "JD00000002", "TB00000001"]
        people = str(screen.query_one("#customers", Static).render())
        assert "与 1*********0 相符" in people and "显示脱敏号码 1*********0" in people
        assert "仅凭脱敏号码无法确认身份" in summary(screen)
        await search(pilot, app, screen, "nobody")
        assert table.row_count == 0
        assert str(screen.query_one("#customers", Static).render()) == "没有找到 nobody"


async def test_enter_opens_the_order_and_an_empty_query_is_a_red_line(customers_shop, settings):
    app = OmsApp(customers_shop, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_lookup(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert screen.query_one(ErrorLine).display
        await search(pilot, app, screen, "13900139000")
        assert column(screen.query_one("#orders", DataTable), "order") == ["TB00000004"]
        await pilot.press("enter")
        await settle(pilot, app)
        detail = app.screen
        assert isinstance(detail, OrderDetailScreen) and detail.detail.platform_order_id == "TB00000004"
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.screen is screen
        await pilot.press("slash")
        assert app.focused is screen.query_one("#query", Input)


async def test_at_80x24_the_orders_keep_receiver_phone_courier_and_waybill(customers_shop, settings):
    app = OmsApp(customers_shop, settings, user_name="zhang")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_lookup(pilot, app)
        table = screen.query_one("#orders", DataTable)
        await search(pilot, app, screen, "13800138000")
        shown = [key.value for key in table.columns]
        assert {"order", "receiver", "phone", "courier", "waybill"} <= set(shown)
        assert table.region.right <= 80
        widths = sum(c.get_render_width(table) for c in table.columns.values())
        assert widths <= table.scrollable_content_region.width  # nothing scrolled off to the right
        assert column(table, "waybill")[1] == "YT1234567890123"
        assert "slash" in footer_keys(app)
        panel = await keys_panel_text(pilot, app)
        assert all(_(b.description) in panel for b in LookupScreen.BINDINGS)
