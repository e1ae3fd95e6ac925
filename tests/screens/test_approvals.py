"""Approvals screen: what waits for my roles with its due time, the request with its path and the
customer's credit, and a decision in two keys — approve with Enter, reject with a reason and Enter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select
from textual.widgets import DataTable

from oms_tui.app import OmsApp
from oms_tui.db import read_session, session_scope
from oms_tui.models import ApprovalRequest, utcnow
from oms_tui.screens import approvals as approvals_screen
from oms_tui.screens.approvals import ApprovalsScreen
from oms_tui.services.approvals import escalation
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core import users
from oms_tui.services.core.actor import Actor
from oms_tui.services.cs import review
from oms_tui.services.orders import upsert
from oms_tui.widgets.dialogs import TextPrompt
from tests.helpers.screens import SIZE, column, make_order, settle


@pytest.fixture(autouse=True)
def _quick_detail(monkeypatch):
    monkeypatch.setattr(approvals_screen, "DETAIL_DELAY", 0.01)


@pytest.fixture
def asked(shop):
    """TB1 asks a price change (CS lead), JD2 a transfer (warehouse lead + CS lead), TB3 a gift that has
    stalled and climbed to the manager."""
    with session_scope(shop) as s:
        users.add_user(s, "wang", "4321", ["cs_lead"], display_name="王主管", actor=Actor.system("test"))
        wh = catalogue.get_warehouse(s, "WH1")
        orders = [upsert.upsert_order(s, make_order(n, platform=p), warehouse=wh).order
                  for n, p in ((1, "taobao"), (2, "jd"), (3, "taobao"))]
    zhang = Actor("zhang", {"cs"})
    past = utcnow() - timedelta(hours=3)
    with session_scope(shop) as s:
        review.request_approval(s, orders[0].id, kind="price_change", reason="老客户 9 折", actor=zhang,
                                detail={"新价格": "17.91"})
        review.request_approval(s, orders[1].id, kind="transfer", reason="杭州仓缺货", actor=zhang)
        review.request_approval(s, orders[2].id, kind="gift", reason="送湿巾", actor=zhang, now=past)
    with session_scope(shop) as s:
        escalation.escalate_due(s)
    return shop


async def open_approvals(pilot, app) -> ApprovalsScreen:
    await settle(pilot, app)
    app.open_screen("approvals")
    await settle(pilot, app)
    await pilot.pause(0.05)
    await settle(pilot, app)
    assert isinstance(app.screen, ApprovalsScreen)
    return app.screen


def _statuses(engine):
    with read_session(engine) as s:
        return [r.status for r in s.exec(select(ApprovalRequest).order_by(ApprovalRequest.id))]


async def test_the_lead_sees_what_waits_and_decides_in_two_keys(asked, settings):
    app = OmsApp(asked, settings, user_name="wang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_approvals(pilot, app)
        table = screen.query_one("#table", DataTable)
        # the stalled one first (overdue), then by due time
        assert column(table, "order") == ["TB00000003", "TB00000001", "JD00000002"]
        assert column(table, "kind") == ["赠品", "改价", "跨仓调拨"]
        assert column(table, "waiting") == ["客服主管 / 经理", "客服主管", "仓库主管 / 客服主管"]
        table.move_cursor(row=1)
        await pilot.pause(0.05)
        await settle(pilot, app)
        fields = dict(screen.detail.fields)
        assert fields["审批流程"] == "[客服主管]（规则 price-change）"
        assert fields["新价格"] == "17.91"
        customer = dict(screen.detail.customer)
        assert customer["信用"].startswith("60（一般）")
        assert customer["退款与纠纷"] == "退款 0 次 · 纠纷 0 次"
        await pilot.press("a")
        await settle(pilot, app)
        assert isinstance(app.screen, TextPrompt)
        await pilot.press("enter")  # no comment needed to approve
        await settle(pilot, app)
        assert _statuses(asked) == ["approved", "pending", "pending"]
        assert column(table, "order") == ["TB00000003", "JD00000002"]
        table.move_cursor(row=1)
        await pilot.pause(0.05)
        await settle(pilot, app)
        await pilot.press("r")
        await settle(pilot, app)
        await pilot.press("enter")  # a rejection without a reason is refused in the dialog
        await settle(pilot, app)
        assert isinstance(app.screen, TextPrompt) and _statuses(asked)[1] == "pending"
        await pilot.press(*"库存够")
        await pilot.press("enter")
        await settle(pilot, app)
        assert _statuses(asked) == ["approved", "rejected", "pending"]


async def test_a_wrong_role_is_refused_by_the_service_with_a_clear_line(asked, settings):
    with session_scope(asked) as s:
        users.add_user(s, "zhou", "1111", ["warehouse_lead"], actor=Actor.system("test"))
    app = OmsApp(asked, settings, user_name="zhou")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_approvals(pilot, app)
        table = screen.query_one("#table", DataTable)
        assert column(table, "order") == ["JD00000002"]  # only the transfer waits for a warehouse lead
        await pilot.press("w")  # all pending requests
        await settle(pilot, app)
        assert column(table, "order") == ["TB00000003", "TB00000001", "JD00000002"]
        table.move_cursor(row=1)
        await pilot.pause(0.05)
        await settle(pilot, app)
        await pilot.press("a", "enter")
        await settle(pilot, app)
        assert _statuses(asked) == ["pending", "pending", "pending"]
        assert "无权审批" in str(screen.query_one("ErrorLine").render())
