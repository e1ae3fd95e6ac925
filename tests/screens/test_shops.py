"""Shops and sync: each shop's last run and the records the sync refused."""

from __future__ import annotations

from textual.widgets import DataTable

from oms_tui.app import OmsApp
from oms_tui.db import session_scope
from oms_tui.models import HoldKind, utcnow
from oms_tui.screens.shops import ShopsScreen
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core import outbox
from oms_tui.services.intake import sync
from oms_tui.services.orders import holds, upsert
from tests.helpers.screens import SIZE, make_order, settle, table_rows


async def test_shops_screen_shows_sync_state_and_problems(shop, settings):
    with session_scope(shop) as s:
        ok = sync.shop_state(s, "天猫旗舰店", "taobao")
        ok.last_status, ok.last_new, ok.last_updated, ok.total_new, ok.runs = "ok", 12, 3, 40, 5
        ok.last_finished_at = utcnow()
        broken = sync.shop_state(s, "拼多多店", "pdd")
        broken.last_status, broken.errors, broken.runs = "error", 2, 2
        broken.last_error = "pdd shop '拼多多店': access token expired (code 10019)"
        sync.record_problem(s, shop="天猫旗舰店", platform="taobao", platform_order_id="123",
                            reason="payment is not an amount: '12,3元'")
    app = OmsApp(shop, settings, user_name="boss")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_screen("shops")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, ShopsScreen)
        rows = {row[0]: row for row in table_rows(screen.query_one("#shops", DataTable))}
        assert rows["天猫旗舰店"][2] == "正常" and rows["天猫旗舰店"][4:8] == ["12", "3", "0", "40"]
        assert rows["拼多多店"][2] == "出错" and "10019" in rows["拼多多店"][11]
        problems = table_rows(screen.query_one("#problems", DataTable))
        assert problems[0][2] == "123" and "12,3元" in problems[0][4]
        await pilot.press("escape")
        await settle(pilot, app)
        assert not isinstance(app.screen, ShopsScreen)


async def test_warehouse_staff_do_not_see_the_shops_screen(shop, settings):
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_screen("shops")
        await settle(pilot, app)
        assert not isinstance(app.screen, ShopsScreen)


async def test_each_shop_says_how_many_ship_notices_failed_and_wait(shop, settings):
    with session_scope(shop) as s:
        sync.shop_state(s, "旗舰店", "taobao").last_status = "ok"
        sync.shop_state(s, "拼多多店", "pdd").last_status = "ok"
        refused = upsert.upsert_order(s, make_order(1), warehouse=catalogue.get_warehouse(s, "WH1")).order
        holds.open_hold(s, refused, HoldKind.SHIP_NOTICE_FAILED, reason="交易不存在")
        outbox.enqueue(s, outbox.MessageKind.PLATFORM_SHIP, target="旗舰店",
                       payload={"platform_order_id": "TB2", "waybill": "YT1", "courier": "yuantong"})
    app = OmsApp(shop, settings, user_name="boss")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_screen("shops")
        await settle(pilot, app)
        rows = {row[0]: row for row in table_rows(app.screen.query_one("#shops", DataTable))}
    assert rows["旗舰店"][10] == "1 单失败 · 1 单待发" and rows["拼多多店"][10] == ""
