"""Exceptions: holds by kind with age, the filters, resolve one, bulk resolve, the ratio and the alerts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select
from textual.widgets import Checkbox, DataTable, Input, Label, Select

from oms_tui.app import OmsApp
from oms_tui.db import read_session, session_scope
from oms_tui.i18n import N_, _
from oms_tui.models import Hold, HoldKind, OrderStatus, Outbox, utcnow
from oms_tui.phrases import phrase
from oms_tui.screens.cs_dialogs import ResendDialog
from oms_tui.screens.exceptions import ExceptionsScreen
from oms_tui.screens.formatting import shop_zone
from oms_tui.screens.order_detail import OrderDetailScreen
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.services.cs import review
from oms_tui.services.orders import actions, holds, queries, upsert
from oms_tui.services.reports import tally
from oms_tui.widgets.dialogs import TextPrompt
from oms_tui.widgets.error_line import ErrorLine
from tests.helpers.screens import SIZE, column, footer_keys, keys_panel_text, make_order, settle


def _ingest(s, number, **changes):
    data = make_order(number, created_at=utcnow() - timedelta(hours=2)).model_copy(update=changes)
    return upsert.upsert_order(s, data, warehouse=catalogue.get_warehouse(s, "WH1")).order


@pytest.fixture
def troubled(shop):
    """Ten orders of the last hours: a remark, two failed notices (one 30 h old), a failed print, a
    shortage (with its alert), five fine ones."""
    with session_scope(shop) as s:
        remark = _ingest(s, 1, buyer_remark="请发顺丰")
        for number in (2, 3, 4):
            order = _ingest(s, number)
            kind = HoldKind.PRINT_FAILED if number == 4 else HoldKind.NOTIFY_FAILED
            holds.open_hold(s, order, kind, reason=f"{kind} #{number}", user="scheduler")
        short = make_order(5, sku="MB-001", created_at=utcnow() - timedelta(hours=1))
        upsert.upsert_order(s, short, warehouse=catalogue.get_warehouse(s, "WH1"))
        for number in range(6, 11):
            _ingest(s, number)
        old = s.exec(select(Hold).where(Hold.kind == HoldKind.NOTIFY_FAILED).order_by(Hold.id)).first()
        old.opened_at = utcnow() - timedelta(hours=30)
        s.add(old)
        assert remark.status == OrderStatus.REVIEW
    return shop


async def open_exceptions(pilot, app) -> ExceptionsScreen:
    await settle(pilot, app)
    app.open_screen("exceptions")
    await settle(pilot, app)
    assert isinstance(app.screen, ExceptionsScreen)
    return app.screen


def open_count(engine, kind=None) -> int:
    with read_session(engine) as s:
        stmt = select(Hold).where(Hold.resolved_at.is_(None))
        if kind:
            stmt = stmt.where(Hold.kind == kind)
        return len(s.exec(stmt).all())


async def test_holds_by_age_with_ratio_and_alerts(troubled, settings):
    app = OmsApp(troubled, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exceptions(pilot, app)
        table = screen.query_one("#table", DataTable)
        assert column(table, "kind") == ["通知失败", "买家留言", "通知失败", "打印失败", "库存不足"]  # oldest first
        assert column(table, "age")[0] == "30 小时 0 分钟"
        assert column(table, "blocking") == ["否", "是", "否", "否", "是"]
        ratio = str(screen.query_one("#ratio", Label).render())
        assert ratio == "近 24 小时异常率：10 单中 4 单（40.0%）· 未处理异常：5 · 待发告警：1"
        alerts = screen.query_one("#alerts", DataTable)
        assert alerts.row_count == 1 and str(alerts.get_row_at(0)[1]) == "缺货：MB-001"


async def test_past_the_cap_the_open_holds_are_estimated_from_the_tally(troubled, settings, monkeypatch):
    monkeypatch.setattr(ExceptionsScreen, "COUNT_CAP", 3)  # five open holds: past the cap
    app = OmsApp(troubled, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exceptions(pilot, app)
        assert "未处理异常：3+ ·" in str(screen.query_one("#ratio", Label).render())  # not counted yet
        # One page holds them all: the page came back short, so its count is exact either way.
        assert str(screen.query_one("#page-label", Label).render()) == "第 1 / 1 页 · 共 5 行"
        tally.refresh(troubled, shop_zone(settings.timezone))  # what the order-tally job does
        await pilot.press("f5")
        await settle(pilot, app)
        assert "未处理异常：~5 ·" in str(screen.query_one("#ratio", Label).render())
        assert str(screen.query_one("#page-label", Label).render()) == "第 1 / 1 页 · 共 5 行"


async def test_filters_by_kind_blocking_and_age(troubled, settings):
    app = OmsApp(troubled, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exceptions(pilot, app)
        table = screen.query_one("#table", DataTable)
        screen.query_one("#kind", Select).value = "notify_failed"
        await settle(pilot, app)
        assert column(table, "order") == ["TB00000002", "TB00000003"]
        screen.query_one("#kind", Select).clear()
        screen.query_one("#blocking", Select).value = "yes"
        await settle(pilot, app)
        assert column(table, "kind") == ["买家留言", "库存不足"]
        screen.query_one("#blocking", Select).clear()
        screen.query_one("#min-age", Input).focus()
        await pilot.press(*"24", "enter")
        await settle(pilot, app)
        assert column(table, "order") == ["TB00000002"] and app.focused is table
        screen.query_one("#min-age", Input).value = "abc"
        await pilot.press("slash")
        screen.query_one("#min-age", Input).focus()
        await pilot.press("enter")
        await settle(pilot, app)
        assert "24" in str(screen.query_one(ErrorLine).render())


async def test_resolve_the_selected_hold(troubled, settings):
    app = OmsApp(troubled, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exceptions(pilot, app)
        table = screen.query_one("#table", DataTable)
        table.move_cursor(row=1)  # the remark
        await pilot.press("r")
        await settle(pilot, app)
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"已备注顺丰", "enter")
        await settle(pilot, app)
        assert app.screen is screen and "买家留言" not in column(table, "kind")
    with read_session(troubled) as s:
        order = queries.find_order(s, "taobao", "TB00000001")
        (hold,) = holds.holds_of(s, order.id)
    assert order.status == OrderStatus.READY and (hold.resolved_by, hold.resolution) == ("zhang", "已备注顺丰")


async def test_bulk_resolve_a_safe_kind_and_refuse_the_others(troubled, settings):
    app = OmsApp(troubled, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exceptions(pilot, app)
        await pilot.press("b")  # no kind chosen
        await settle(pilot, app)
        assert "请先选择类型" in str(screen.query_one(ErrorLine).render())
        screen.query_one("#kind", Select).value = "buyer_remark"
        await settle(pilot, app)
        await pilot.press("b")
        await settle(pilot, app)
        assert app.screen is screen and "需要逐单决定" in str(screen.query_one(ErrorLine).render())
        screen.query_one("#kind", Select).value = "notify_failed"
        await settle(pilot, app)
        screen.table.focus()
        await pilot.press("b")
        await settle(pilot, app)
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"已补发", "enter")
        await settle(pilot, app)
        assert screen.query_one("#table", DataTable).row_count == 0
    assert open_count(troubled, HoldKind.NOTIFY_FAILED) == 0 and open_count(troubled) == 3


async def test_enter_opens_the_order(troubled, settings):
    app = OmsApp(troubled, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        await open_exceptions(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, OrderDetailScreen)
        assert app.screen.detail.platform_order_id == "TB00000002"


async def test_at_80x24_kind_age_order_and_reason_fit_and_every_key_is_listed(troubled, settings):
    app = OmsApp(troubled, settings, user_name="zhang")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_exceptions(pilot, app)
        table = screen.query_one("#table", DataTable)
        assert table.row_count > 0 and table.size.height >= 5  # the holds, not only the alerts, have room
        assert {"kind", "age", "order", "reason"} <= {key.value for key in table.columns}
        assert sum(c.get_render_width(table) for c in table.columns.values()) <= table.scrollable_content_region.width
        assert {"r", "b", "a", "slash"} <= set(footer_keys(app))
        panel = await keys_panel_text(pilot, app)
        assert all(_(b.description) in panel for b in ExceptionsScreen.BINDINGS)


async def test_a_stored_reason_is_shown_in_the_readers_language(shop_with_orders, settings):
    """A hold reason kept as a phrase (the unmapped SKU's) is read in Chinese, not as its stored form."""
    app = OmsApp(shop_with_orders, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exceptions(pilot, app)
        screen.query_one("#kind", Select).value = "sku_unmapped"
        await settle(pilot, app)
        table = screen.query_one("#table", DataTable)
        assert column(table, "kind") == ["商品未对应"]
        assert column(table, "reason") == ["NO-SUCH 没有对应的我方商品：请在“商品对应”界面对应"]


async def test_an_approval_hold_is_refused_before_anything_is_typed(troubled, settings):
    with session_scope(troubled) as s:
        order = queries.find_order(s, "taobao", "TB00000006")
        request = review.request_approval(s, order.id, kind="price_change", reason="老客户", actor=Actor("zhang", {"cs"}))
    app = OmsApp(troubled, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exceptions(pilot, app)
        screen.query_one("#kind", Select).value = "approval_pending"
        await settle(pilot, app)
        screen.table.focus()
        await pilot.press("r")
        await settle(pilot, app)
        assert app.screen is screen  # no prompt: the requester cannot resolve it with any text
        error = str(screen.query_one(ErrorLine).render())
        assert "等待审批决定" in error and f"oms approvals approve {request.id}" in error and "zhang" in error
        await pilot.press("b")
        await settle(pilot, app)
        assert app.screen is screen and "等待审批决定" in str(screen.query_one(ErrorLine).render())
    assert open_count(troubled, HoldKind.APPROVAL_PENDING) == 1


async def test_resolving_a_refused_ship_notice_sends_it_again(troubled, settings):
    with session_scope(troubled) as s:
        order = queries.find_order(s, "taobao", "TB00000007")
        actions.start_picking(s, order, user="li")
        actions.mark_packed(s, order, user="li")
        actions.ship(s, order, waybill="YT1234567890123", courier="yuantong", user="li")
        holds.open_hold(s, order, HoldKind.SHIP_NOTICE_FAILED, reason=phrase(
            N_("the platform refused the ship notice: {message}"), message="交易不存在 (isv.trade-not-exist)"))
    app = OmsApp(troubled, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exceptions(pilot, app)
        screen.query_one("#kind", Select).value = "ship_notice_failed"
        await settle(pilot, app)
        table = screen.query_one("#table", DataTable)
        assert column(table, "kind") == ["发货通知失败"] and column(table, "reason") == [
            "平台拒绝了发货通知：交易不存在 (isv.trade-not-exist)"]
        screen.table.focus()
        await pilot.press("r")
        await settle(pilot, app)
        assert isinstance(app.screen, ResendDialog) and app.screen.query_one("#resend", Checkbox).value is True
        await pilot.press(*"淘宝后台已恢复订单", "enter")
        await settle(pilot, app)
        assert app.screen is screen and table.row_count == 0
    with read_session(troubled) as s:
        [notice] = s.exec(select(Outbox).where(Outbox.order_id == order.id)).all()
    assert (notice.kind, notice.status) == ("platform_ship", "pending") and "YT1234567890123" in notice.payload


async def test_releasing_a_shortage_while_stock_is_still_short_says_so_and_changes_nothing(troubled, settings):
    app = OmsApp(troubled, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_exceptions(pilot, app)
        screen.query_one("#kind", Select).value = "stock_short"
        await settle(pilot, app)
        screen.table.focus()
        await pilot.press("r")
        await settle(pilot, app)
        await pilot.press(*"先发货", "enter")
        await settle(pilot, app)
        assert app.screen is screen and "库存仍然不足：MB-001" in str(screen.query_one(ErrorLine).render())
        assert column(screen.query_one("#table", DataTable), "kind") == ["库存不足"]  # the same hold, still open
        assert screen.query_one("#alerts", DataTable).row_count == 1  # no second purchasing alert
    assert open_count(troubled, HoldKind.STOCK_SHORT) == 1
