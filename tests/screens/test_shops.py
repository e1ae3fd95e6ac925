"""Shops and sync: each shop's last run and the records the sync refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

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
    paused_until = utcnow().replace(microsecond=0) + timedelta(minutes=10)
    with session_scope(shop) as s:
        ok = sync.shop_state(s, "天猫旗舰店", "taobao")
        ok.last_status, ok.last_new, ok.last_updated, ok.total_new, ok.runs = "ok", 12, 3, 40, 5
        ok.last_finished_at = utcnow()
        broken = sync.shop_state(s, "拼多多店", "pdd")
        broken.last_status, broken.errors, broken.runs = "error", 2, 2
        broken.last_error = "pdd shop '拼多多店': access token expired (code 10019)"
        banned = sync.shop_state(s, "京东店", "jd")
        banned.last_status, banned.paused_until = "paused", paused_until
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
        until = paused_until.astimezone(ZoneInfo(settings.timezone))
        shown = until.strftime("%H:%M" if until.date() == datetime.now(until.tzinfo).date() else "%Y-%m-%d %H:%M")
        assert rows["京东店"][2] == f"限流中，{shown} 后恢复"  # "rate-limited until 14:32"
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


async def test_shops_screen_shows_each_shops_authorization(shop, settings):
    """Expiring in three days, refused by the platform (expired), and a configured shop that never synced."""
    from datetime import timedelta

    from oms_tui.config import ShopConfig
    from oms_tui.services.core.actor import Actor
    from oms_tui.services.intake import shop_auth

    def config(name: str, platform: str) -> ShopConfig:
        return ShopConfig(name=name, platform=platform, base_url="http://127.0.0.1:1", app_key=f"{platform}-key",
                          app_secret="secret-1234", session="configured-token")

    settings = settings.model_copy(update={"shops": [config("天猫旗舰店", "taobao"), config("拼多多店", "pdd"),
                                                     config("京东店", "jd")]})
    now = utcnow()
    with session_scope(shop) as s:
        for name in ("天猫旗舰店", "拼多多店"):
            state = sync.shop_state(s, name, "taobao" if name == "天猫旗舰店" else "pdd")
            state.last_status, state.last_finished_at = "error", now
        shop_auth.store_grant(s, shop="天猫旗舰店", platform="taobao", actor=Actor("boss", {"manager"}),
                              grant=shop_auth.TokenGrant("AccessToken-x1", "", now + timedelta(days=2, hours=20)))
    shop_auth.record_refused(shop, "拼多多店", "pdd", "configured-token")
    app = OmsApp(shop, settings, user_name="boss")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_screen("shops")
        await settle(pilot, app)
        rows = {row[0]: row for row in table_rows(app.screen.query_one("#shops", DataTable))}
    assert rows["天猫旗舰店"][12] == "授权将在 3 天后到期"
    assert rows["拼多多店"][12] == "授权已过期"
    assert rows["京东店"][2] == "从未运行" and rows["京东店"][12] == "配置文件中的令牌（到期时间未知）"
    assert not any("AccessToken-x1" in cell for row in rows.values() for cell in row)


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
