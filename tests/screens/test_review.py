"""Review queue: the queue by age with why, the detail with customer history, and every action key."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select
from textual.widgets import DataTable, Input, Static

from oms_tui.app import OmsApp
from oms_tui.db import read_session, session_scope
from oms_tui.models import ApprovalRequest, HoldKind, OrderStatus
from oms_tui.phrases import english
from oms_tui.screens import review as review_screen
from oms_tui.screens.cs_dialogs import AddressDialog, ApprovalDialog
from oms_tui.screens.order_detail import OrderDetailScreen
from oms_tui.screens.review import ReviewScreen
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core import audit
from oms_tui.services.orders import holds, queries, upsert
from oms_tui.services.orders import intake_rules as review_rules
from oms_tui.widgets.dialogs import TextPrompt
from oms_tui.widgets.error_line import ErrorLine
from tests.helpers.screens import FIRST_ORDER_AT, SIZE, column, make_order, settle


def _ingest(engine, number, **changes):
    data = make_order(number, **{k: changes.pop(k) for k in ("platform", "qty") if k in changes})
    data = data.model_copy(update=changes)
    with session_scope(engine) as s:
        return upsert.upsert_order(s, data, warehouse=catalogue.get_warehouse(s, "WH1")).order


@pytest.fixture
def queue(shop, no_duplicate_check):
    """Six orders in review, oldest first: a bad address, a remark, a duplicate pair (Taobao + JD), a
    coupon, and one with two holds; plus one ready order that is not in the queue."""
    _ingest(shop, 1, receiver_address="1号", receiver_phone="13700137001")
    _ingest(shop, 2, buyer_remark="请发顺丰", receiver_phone="13700137002")
    with review_rules.configured(duplicate_check=True):
        _ingest(shop, 3, receiver_address="文三路 3 号", buyer_id="tb-dup")
        _ingest(shop, 4, platform="jd", receiver_address="文三路 3 号", buyer_id="jd-dup")
    _ingest(shop, 5, total_fen=10000, paid_fen=5000)
    _ingest(shop, 6, buyer_remark="周末送", receiver_phone="12345")
    _ingest(shop, 7, created_at=FIRST_ORDER_AT - timedelta(days=1))  # the same buyer a day before: not a duplicate
    return shop


@pytest.fixture(autouse=True)
def _quick_detail(monkeypatch):
    monkeypatch.setattr(review_screen, "DETAIL_DELAY", 0.01)


async def open_queue(pilot, app) -> ReviewScreen:
    await settle(pilot, app)
    app.open_screen("review")
    await settle(pilot, app)
    await pilot.pause(0.05)
    await settle(pilot, app)
    assert isinstance(app.screen, ReviewScreen)
    return app.screen


async def pick(pilot, app, screen, order_ref) -> None:
    table = screen.query_one("#table", DataTable)
    table.move_cursor(row=column(table, "order").index(order_ref))
    await pilot.pause(0.05)
    await settle(pilot, app)
    assert screen.detail is not None and screen.detail.platform_order_id == order_ref


def status_of(engine, ref, platform="taobao"):
    with read_session(engine) as s:
        return queries.find_order(s, platform, ref).status


def open_kinds(engine, ref, platform="taobao"):
    with read_session(engine) as s:
        return {h.kind for h in holds.open_holds(s, queries.find_order(s, platform, ref).id)}


async def test_queue_by_age_with_reasons_and_detail(queue, settings):
    app = OmsApp(queue, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot, app)
        table = screen.query_one("#table", DataTable)
        assert column(table, "order") == ["TB00000001", "TB00000002", "TB00000003", "JD00000004", "TB00000005",
                                          "TB00000006"]
        assert column(table, "why")[0] == "地址异常"
        assert column(table, "why")[3] == "疑似重复"
        assert column(table, "why")[5] == "地址异常, 买家留言"
        assert " 天 " in column(table, "age")[0]  # placed on 2026-11-11: days ago
        await pick(pilot, app, screen, "JD00000004")
        fields = dict(screen.detail.fields)
        assert fields["识别依据"] == "手机号 13800138000"
        assert fields["疑似重复订单"] == "淘宝/天猫 TB00000003 (待审核)"
        customer = dict(screen.detail.customer)
        assert customer["订单"] == "4（京东 1, 淘宝/天猫 3）"  # every order of 13800138000 on every platform
        assert customer["信用"] == "60（一般）· 取消 0% · 退货 0%"
        assert screen.query_one("#history", DataTable).row_count == 4
        assert screen.query_one("#holds", DataTable).row_count == 1
        shown = {key: b.binding.description for key, b in screen.active_bindings.items() if b.binding.show}
        assert {"e", "c", "r", "m", "k", "h", "x", "v"} <= set(shown)  # one key per action, in the footer
        assert shown["m"] == "合并重复单" and shown["e"] == "改地址"


async def test_edit_address_in_the_modal(queue, settings):
    app = OmsApp(queue, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot, app)
        await pilot.press("e")
        await settle(pilot, app)
        dialog = app.screen
        assert isinstance(dialog, AddressDialog)
        assert dialog.query_one("#field-address", Input).value == "1号"
        await pilot.press("enter")  # still too short: refused inside the dialog
        await settle(pilot, app)
        assert app.screen is dialog and "太短" in str(dialog.query_one(ErrorLine).render())
        dialog.query_one("#field-address", Input).value = "文三路 1 号 2 幢"
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.screen is screen
        assert "TB00000001" not in column(screen.query_one("#table", DataTable), "order")
    assert status_of(queue, "TB00000001") == OrderStatus.READY
    with read_session(queue) as s:
        order = queries.find_order(s, "taobao", "TB00000001")
        (event,) = [e for e in audit.history(s, "order", order.id) if e.action == "review.address"]
    assert order.receiver_address == "文三路 1 号 2 幢" and event.user == "zhang"
    assert json.loads(event.detail)["changes"]["address"] == {"old": "1号", "new": "文三路 1 号 2 幢"}


async def test_address_ok_and_remark_read(queue, settings):
    app = OmsApp(queue, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot, app)
        await pick(pilot, app, screen, "TB00000006")
        await pilot.press("r")
        await settle(pilot, app)
        await pilot.pause(0.05)
        await settle(pilot, app)
        assert open_kinds(queue, "TB00000006") == {HoldKind.ADDRESS_INVALID}
        await pick(pilot, app, screen, "TB00000006")
        await pilot.press("r")  # nothing left to read: a red line
        await settle(pilot, app)
        assert screen.query_one(ErrorLine).display
        await pilot.press("c")
        await settle(pilot, app)
    assert status_of(queue, "TB00000006") == OrderStatus.READY


async def test_merge_duplicates(queue, settings):
    app = OmsApp(queue, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot, app)
        await pick(pilot, app, screen, "TB00000003")
        await pilot.press("m")
        await settle(pilot, app)
        assert column(screen.query_one("#table", DataTable), "order") == ["TB00000001", "TB00000002", "TB00000005",
                                                                           "TB00000006"]
    with read_session(queue) as s:
        pair = [queries.find_order(s, "taobao", "TB00000003"), queries.find_order(s, "jd", "JD00000004")]
    assert [(o.status, o.no_merge) for o in pair] == [(OrderStatus.READY, False)] * 2


async def test_keep_both(queue, settings):
    app = OmsApp(queue, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot, app)
        await pick(pilot, app, screen, "JD00000004")
        await pilot.press("k")
        await settle(pilot, app)
    with read_session(queue) as s:
        pair = [queries.find_order(s, "taobao", "TB00000003"), queries.find_order(s, "jd", "JD00000004")]
    assert [(o.status, o.no_merge) for o in pair] == [(OrderStatus.READY, True)] * 2


async def test_release_a_hold_with_a_note(queue, settings):
    app = OmsApp(queue, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot, app)
        await pick(pilot, app, screen, "TB00000005")
        await pilot.press("h")
        await settle(pilot, app)
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"活动价", "enter")
        await settle(pilot, app)
        # Two holds: the key asks which one, in the holds table.
        await pick(pilot, app, screen, "TB00000006")
        await pilot.press("h")
        await settle(pilot, app)
        assert app.screen is screen and app.focused is screen.query_one("#holds", DataTable)
        await pilot.press("down", "h")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
    assert status_of(queue, "TB00000005") == OrderStatus.READY
    assert open_kinds(queue, "TB00000006") == {HoldKind.ADDRESS_INVALID}  # the remark was under the cursor
    with read_session(queue) as s:
        order = queries.find_order(s, "taobao", "TB00000005")
        (hold,) = holds.holds_of(s, order.id)
    assert english(hold.resolution) == "released by CS: 活动价" and hold.resolved_by == "zhang"


async def test_cancel_an_order_with_a_reason(queue, settings):
    app = OmsApp(queue, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot, app)
        await pick(pilot, app, screen, "JD00000004")
        await pilot.press("x")
        await settle(pilot, app)
        prompt = app.screen
        assert isinstance(prompt, TextPrompt)
        await pilot.press("enter")  # a reason is required
        await settle(pilot, app)
        assert app.screen is prompt
        await pilot.press(*"重复下单", "enter")
        await settle(pilot, app)
        assert app.screen is screen
    assert status_of(queue, "JD00000004", "jd") == OrderStatus.CANCELLED
    assert status_of(queue, "TB00000003") == OrderStatus.READY  # its duplicate is released


async def test_ask_for_an_approval(queue, settings):
    app = OmsApp(queue, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot, app)
        await pick(pilot, app, screen, "TB00000002")
        await pilot.press("v")
        await settle(pilot, app)
        assert isinstance(app.screen, ApprovalDialog)
        await pilot.press(*"老客户补差价", "enter", *"改价 15 元", "enter")
        await settle(pilot, app)
        assert app.screen is screen
    assert status_of(queue, "TB00000002") == OrderStatus.APPROVAL
    with read_session(queue) as s:
        request = s.exec(select(ApprovalRequest)).one()
    assert (request.kind, request.reason, request.requested_by) == ("price_change", "老客户补差价", "zhang")
    assert json.loads(request.detail) == {"what": "改价 15 元"}


async def test_escape_closes_a_dialog_and_enter_opens_the_order(queue, settings):
    app = OmsApp(queue, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot, app)
        await pilot.press("x")
        await settle(pilot, app)
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.screen is screen and status_of(queue, "TB00000001") == OrderStatus.REVIEW
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, OrderDetailScreen)
        assert str(app.screen.query_one("#fields", Static).render())  # drawn
