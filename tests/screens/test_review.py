"""Review queue: the queue by age with why, the detail with customer history, and every action key."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from rich.cells import cell_len
from sqlmodel import select
from textual.widgets import DataTable, Input, Static

from oms_tui.app import OmsApp
from oms_tui.db import make_engine, read_session, session_scope
from oms_tui.i18n import _
from oms_tui.models import ApprovalRequest, HoldKind, OrderStatus
from oms_tui.phrases import english
from oms_tui.screens import review as review_screen
from oms_tui.screens.cs_dialogs import AddressDialog, ApprovalDialog
from oms_tui.screens.order_detail import OrderDetailScreen
from oms_tui.screens.paging import PagedTableScreen
from oms_tui.screens.review import ReviewScreen
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor
from oms_tui.services.cs import review
from oms_tui.services.orders import holds, queries, upsert
from oms_tui.services.orders import intake_rules as review_rules
from oms_tui.widgets.dialogs import TextPrompt
from oms_tui.widgets.error_line import ErrorLine
from tests.helpers.screens import FIRST_ORDER_AT, SIZE, column, footer_keys, keys_panel_text, make_order, settle


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
        assert shown["m"] == "合并" and shown["e"] == "改地址"


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


# --- the cursor stays on its order ---------------------------------------------------------------

def decide_elsewhere(engine, decide) -> None:
    """Another desk (a second engine on the same file) takes a decision and commits it."""
    other_desk = make_engine(str(engine.url))
    with session_scope(other_desk) as s:
        decide(s, Actor("wang", frozenset({"cs"})))
    other_desk.dispose()


def order_id_of(engine, ref, platform="taobao") -> int:
    with read_session(engine) as s:
        return queries.find_order(s, platform, ref).id


async def until_orders(pilot, app, table, wanted) -> None:
    """Let the change poll (shortened by the test) see the other desk's commit and the queue refresh."""
    for _ in range(40):
        await pilot.pause(0.1)
        await settle(pilot, app)
        if column(table, "order") == wanted:
            return
    raise AssertionError(column(table, "order"))


@pytest.fixture
def quick_poll(monkeypatch):
    from oms_tui import app as app_module

    monkeypatch.setattr(app_module, "CHANGE_POLL_SECONDS", 0.2)


async def test_rows_removed_above_by_another_desk_leave_the_cursor_on_the_same_order(queue, settings, quick_poll):
    """The cursor was on TB00000005 (row 5); another desk clears the two orders above it. The cursor
    follows TB00000005 to row 3 — on row 5 it would now be on another order, and a key would act on it."""
    app = OmsApp(queue, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot, app)
        await pick(pilot, app, screen, "TB00000005")
        await pilot.pause(0.5)  # the poll has seen the database as it is
        first, second = order_id_of(queue, "TB00000001"), order_id_of(queue, "TB00000002")
        decide_elsewhere(queue, lambda s, actor: (review.confirm_address(s, first, actor=actor),
                                                  review.accept_remark(s, second, actor=actor)))
        table = screen.query_one("#table", DataTable)
        await until_orders(pilot, app, table, ["TB00000003", "JD00000004", "TB00000005", "TB00000006"])
        assert screen.selected_order_id() == order_id_of(queue, "TB00000005")
        await pilot.pause(0.05)
        await settle(pilot, app)
        assert screen.detail.platform_order_id == "TB00000005"  # the keys act on the order the user chose


async def test_after_a_decision_the_cursor_goes_to_the_next_order(queue, settings):
    app = OmsApp(queue, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot, app)
        await pick(pilot, app, screen, "TB00000002")
        await pilot.press("r")  # the remark is read: TB00000002 leaves the queue
        await settle(pilot, app)
        table = screen.query_one("#table", DataTable)
        assert "TB00000002" not in column(table, "order")
        assert screen.selected_order_id() == order_id_of(queue, "TB00000003")  # not back on row 1


async def test_the_order_under_the_cursor_decided_elsewhere_is_announced(queue, settings, quick_poll):
    """Another desk decides the very order under the cursor: the cursor goes to the one that took its
    place, and a warning says so (the user is not left to act on another order unawares)."""
    app = OmsApp(queue, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_queue(pilot, app)
        await pick(pilot, app, screen, "TB00000002")
        await pilot.pause(0.5)
        warnings: list[str] = []
        shown = app.notify

        def notify(message, **kwargs):  # noqa: ANN001, ANN003
            if kwargs.get("severity") == "warning":
                warnings.append(str(message))
            shown(message, **kwargs)

        screen.notify = notify
        second = order_id_of(queue, "TB00000002")
        decide_elsewhere(queue, lambda s, actor: review.accept_remark(s, second, actor=actor))
        table = screen.query_one("#table", DataTable)
        await until_orders(pilot, app, table, ["TB00000001", "TB00000003", "JD00000004", "TB00000005",
                                               "TB00000006"])
        assert screen.selected_order_id() == order_id_of(queue, "TB00000003")
        assert warnings == ["订单 TB00000002 已离开队列（在别处处理）；光标移到下一单"]


# --- a default SSH window ------------------------------------------------------------------------

async def test_at_80x24_the_queue_shows_why_and_whole_order_numbers_and_every_decision_key(queue, settings):
    app = OmsApp(queue, settings, user_name="zhang")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_queue(pilot, app)
        table = screen.query_one("#table", DataTable)
        assert {"age", "order", "why"} <= {key.value for key in table.columns}
        for key in ("order", "why"):
            width = next(c for k, c in table.columns.items() if k.value == key).get_render_width(table)
            assert width >= max(cell_len(text) for text in column(table, key)) + 2 * table.cell_padding
        assert table.region.right <= 80
        detail = screen.query_one("#detail-pane")
        assert detail.region.y >= table.region.bottom  # the detail is under the queue, not beside it
        assert set("ecrmkhxv") <= set(footer_keys(app))  # every decision has its key in sight
        panel = await keys_panel_text(pilot, app)
        for binding in ReviewScreen.BINDINGS + PagedTableScreen.BINDINGS:
            assert _(binding.description) in panel, binding
