"""Alerts: each role sees what was sent to it, on which channel, and whether it arrived, in its language."""

from __future__ import annotations

from textual.widgets import DataTable, Label, Select

from oms_tui.app import OmsApp
from oms_tui.config import Settings
from oms_tui.db import session_scope
from oms_tui.i18n import N_
from oms_tui.models import Outbox
from oms_tui.screens.alerts import AlertsScreen
from oms_tui.services.core import outbox, users
from oms_tui.services.core.actor import Actor
from oms_tui.services.messaging import alerts, events, routing
from tests.helpers.screens import SIZE, column, settle

CHANNELS = [{"name": "采购群", "kind": "dingtalk", "token": "t1"}, {"name": "仓库群", "kind": "wecom", "key": "k1"},
            {"name": "老板短信", "kind": "sms", "access_key_id": "i", "secret": "s", "sign_name": "店",
             "template_code": "SMS_1", "phones": ["13800138000"]}]
ROUTES = {"purchasing": ["采购群"], "warehouse_lead": ["仓库群"], "manager": ["老板短信"]}


def seed_alerts(engine) -> None:
    """A shortage sent to purchasing's robot and failed on the warehouse lead's; a manager-only alert waiting."""
    with session_scope(engine) as s:
        users.add_user(s, "cai", "2468", ["purchasing"], display_name="蔡采购", actor=Actor.system("test"))
        alerts.raise_alert(s, events.STOCK_SHORT, alerts.subject_phrase(N_("stock short: {skus}"), skus="HG-001"),
                           skus=["HG-001"])
        alerts.raise_alert(s, events.SYNC_FAILING, "京东店 sync failing", roles=["manager"])
    settings = Settings(database_url="sqlite://", notify={"channels": CHANNELS, "routes": ROUTES})
    routing.route_alerts(engine, routing.RoutingTable.from_settings(settings))
    with session_scope(engine) as s:
        for message in s.query(Outbox).filter(Outbox.kind == "notify"):
            if message.channel == "采购群":
                outbox.mark_sent(s, message)
            elif message.channel == "仓库群":
                outbox.mark_failed(s, message, "仓库群: WeCom refused the message: errcode 93000", permanent=True)


async def open_alerts(pilot, app) -> AlertsScreen:
    await settle(pilot, app)
    app.open_screen("alerts")
    await settle(pilot, app)
    assert isinstance(app.screen, AlertsScreen)
    return app.screen


async def test_purchasing_sees_its_alerts_with_channel_and_status_in_chinese(shop, settings):
    seed_alerts(shop)
    app = OmsApp(shop, settings, user_name="cai")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(pilot, app)
        table = screen.query_one("#table", DataTable)
        assert column(table, "event") == ["缺货", "缺货"]
        assert column(table, "subject") == ["缺货：HG-001", "缺货：HG-001"]
        assert column(table, "roles") == ["采购, 仓库主管", "采购, 仓库主管"]
        assert column(table, "channel") == ["采购群", "仓库群"]
        assert column(table, "status") == ["已发送", "失败"]
        table.move_cursor(row=1)
        await settle(pilot, app)
        assert "errcode 93000" in str(screen.query_one("#alert-detail").render())
        await pilot.press("escape")
        await settle(pilot, app)
        assert not isinstance(app.screen, AlertsScreen)


async def test_a_role_with_no_alerts_sees_none_of_the_others(shop, settings):
    seed_alerts(shop)
    app = OmsApp(shop, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(pilot, app)
        assert screen.query_one("#table", DataTable).row_count == 0
        assert "还没有告警" in str(screen.query_one("#page-label", Label).render())


async def test_the_administrator_sees_every_role_and_filters_by_one(shop, settings):
    seed_alerts(shop)
    app = OmsApp(shop, settings, user_name="boss")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(pilot, app)
        table = screen.query_one("#table", DataTable)
        assert column(table, "event") == ["订单同步失败", "缺货", "缺货"]  # newest first
        assert column(table, "status")[0] == "等待中" and column(table, "channel")[0] == "老板短信"
        screen.query_one("#role", Select).value = "manager"
        await settle(pilot, app)
        assert column(table, "channel") == ["老板短信"]


async def test_the_alerts_screen_speaks_english_to_an_english_user(shop, settings: Settings):
    seed_alerts(shop)
    app = OmsApp(shop, settings.model_copy(update={"language": "en"}), user_name="cai")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_alerts(pilot, app)
        table = screen.query_one("#table", DataTable)
        assert column(table, "subject")[0] == "stock short: HG-001"
        assert column(table, "status") == ["sent", "failed"]
