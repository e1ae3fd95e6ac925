"""Pack station driven as a USB gun would: codes typed fast and Enter, nothing waited for in between."""

from __future__ import annotations

import time

import pytest
from sqlmodel import select
from textual import events
from textual.widgets import DataTable, Input, Static

from oms_tui.app import OmsApp
from oms_tui.db import read_session, session_scope
from oms_tui.models import Order, OrderStatus, Outbox, ScanEvent
from oms_tui.screens.menu import MenuScreen
from oms_tui.screens.pack_station import PackStationScreen
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.services.floor import packing, waves
from oms_tui.services.orders import queries, upsert
from oms_tui.widgets.dialogs import ConfirmDialog
from tests.helpers.screens import SIZE, make_order, settle, table_rows

TOWEL, WIPES = "6901234567892", "6920000000012"


def seed_wave(engine, *quantities: int, courier: str = "yuantong") -> None:
    """One order per quantity of towels (TB00000001…), all in one wave (YTO unless told), each its own parcel."""
    with session_scope(engine) as s:
        wh = catalogue.get_warehouse(s, "WH1")
        for number, qty in enumerate(quantities, 1):
            upsert.upsert_order(s, make_order(number, qty=qty), warehouse=wh)
    with session_scope(engine) as s:
        waves.create_wave(s, catalogue.get_warehouse(s, "WH1"), courier=courier, actor=Actor.system("li"))


async def open_station(pilot, app) -> PackStationScreen:
    await settle(pilot, app)
    app.open_screen("pack")
    await settle(pilot, app)
    assert isinstance(app.screen, PackStationScreen)
    return app.screen


def message(screen) -> str:
    return str(screen.query_one("#message", Static).render())


def lines(screen) -> list[tuple[str, str, str]]:
    return [(row[0], row[3], row[4]) for row in table_rows(screen.query_one("#lines", DataTable))]


def counters(screen) -> str:
    return str(screen.query_one("#counters").render())


@pytest.fixture
def bells(monkeypatch):
    rung = []
    monkeypatch.setattr(OmsApp, "bell", lambda self: rung.append(1))
    return rung


async def test_right_items_then_waybill_ships(shop, settings, bells):
    seed_wave(shop, 2)
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_station(pilot, app)
        box = screen.query_one("#scan", Input)
        assert app.focused is box
        await pilot.press(*"TB00000001", "enter")
        await settle(pilot, app)
        assert "TB00000001" in message(screen) and "2" in message(screen)
        assert lines(screen) == [("HG-001", "0", "2")]
        await pilot.press(*TOWEL, "enter")
        await settle(pilot, app)
        assert lines(screen) == [("HG-001", "1", "2")]
        assert screen.query_one("#message").has_class("ok")
        await pilot.press(*"HG-001", "enter")
        await settle(pilot, app)
        assert lines(screen) == [("HG-001", "2", "2")]
        assert "运单" in message(screen)  # scan the waybill
        await pilot.press(*"YT1234567890123", "enter")
        await settle(pilot, app)
        assert "已发货" in message(screen) and "圆通速递" in message(screen)
        assert screen.query_one("#message").has_class("shipped")
        assert lines(screen) == []
        assert app.focused is box and box.value == ""
        assert bells == []
        assert "扫描 4" in counters(screen) and "错误 0" in counters(screen) and "已发包裹 1" in counters(screen)
    with read_session(shop) as s:
        order = queries.find_order(s, "taobao", "TB00000001")
        assert order.status == OrderStatus.SHIPPED and order.waybill == "YT1234567890123"
        assert s.exec(select(Outbox).where(Outbox.kind == "platform_ship")).one().order_id == order.id


async def test_wrong_item_unknown_code_and_double_scan_ring_and_count(shop, settings, bells):
    seed_wave(shop, 1)
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_station(pilot, app)
        await pilot.press(*"TB00000001", "enter")
        await settle(pilot, app)
        await pilot.press(*WIPES, "enter")  # a real SKU, not in this parcel
        await settle(pilot, app)
        assert screen.query_one("#message").has_class("error")
        assert "错" in message(screen) and "MB-001" in message(screen)
        assert len(bells) == 1 and lines(screen) == [("HG-001", "0", "1")]
        await pilot.press(*"999999", "enter")  # nothing we know
        await settle(pilot, app)
        assert "999999" in message(screen) and len(bells) == 2
        await pilot.press(*TOWEL, "enter")
        await settle(pilot, app)
        assert lines(screen) == [("HG-001", "1", "1")] and len(bells) == 2
        await pilot.press(*TOWEL, "enter")  # the same unit twice
        await settle(pilot, app)
        assert screen.query_one("#message").has_class("error") and "多" in message(screen)
        assert len(bells) == 3 and lines(screen) == [("HG-001", "1", "1")]
        assert "扫描 5" in counters(screen) and "错误 3" in counters(screen)
        history = table_rows(screen.query_one("#history", DataTable))
        assert [row[1] for row in history] == ["订单", "商品不对", "未知条码", "商品正确", "多扫了一件"]
        # Escape puts the parcel aside (once the packer agrees: an item was verified); a second one leaves.
        await pilot.press("escape")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot, app)
        assert lines(screen) == [] and isinstance(app.screen, PackStationScreen)
        await pilot.press("escape")
        await settle(pilot, app)
        assert not isinstance(app.screen, PackStationScreen)
    with read_session(shop) as s:
        assert queries.find_order(s, "taobao", "TB00000001").status == OrderStatus.PICKING
        assert [e.result for e in s.exec(select(ScanEvent).order_by(ScanEvent.id))] == [
            "order", "wrong", "unknown", "ok", "extra"]


def gun(app, *codes: str) -> None:
    """Type the codes and Enter the way a USB gun does: every key at once, waiting for nothing."""
    for code in codes:
        for char in code:
            app._driver.send_message(events.Key(char, char))
        app._driver.send_message(events.Key("enter", "\r"))


async def test_a_burst_of_twenty_scans_is_handled_in_order(shop, settings, bells, monkeypatch):
    seed_wave(shop, 5, 9, 1)
    burst = (["TB00000001"] + [TOWEL] * 5 + ["YT1000000000001"]
             + ["TB00000002"] + [TOWEL] * 9 + ["YT1000000000002"]
             + ["TB00000003", TOWEL])  # 20 scans; the last parcel waits for its waybill
    assert len(burst) == 20
    real_scan = packing.PackSession.scan

    def slow_scan(self, engine, code):
        time.sleep(0.02)  # a busy database: scans arrive faster than they are handled
        return real_scan(self, engine, code)

    monkeypatch.setattr(packing.PackSession, "scan", slow_scan)
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_station(pilot, app)
        gun(app, *burst)
        await settle(pilot, app)
        while screen.queued:
            await pilot.pause(0.05)
            await settle(pilot, app)
        assert screen.peak_queued > 5  # it really was a burst: scans waited in the queue
        assert "扫描 20" in counters(screen) and "错误 0" in counters(screen) and "已发包裹 2" in counters(screen)
        assert lines(screen) == [("HG-001", "1", "1")] and "运单" in message(screen)
        history = table_rows(screen.query_one("#history", DataTable))
        assert [row[0] for row in history] == burst
        assert bells == []
    with read_session(shop) as s:
        assert [e.code for e in s.exec(select(ScanEvent).order_by(ScanEvent.id))] == burst
        rows = {o.platform_order_id: o for o in s.exec(select(Order))}
        assert rows["TB00000001"].waybill == "YT1000000000001" and rows["TB00000002"].waybill == "YT1000000000002"
        assert rows["TB00000003"].status == OrderStatus.PICKING


async def test_a_click_anywhere_gives_the_focus_back_to_the_input(shop, settings):
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_station(pilot, app)
        await pilot.click("#lines")
        await settle(pilot, app)
        assert app.focused is screen.query_one("#scan", Input)
        await pilot.click("#message")
        await settle(pilot, app)
        assert app.focused is screen.query_one("#scan", Input)


async def test_an_order_not_being_picked_is_refused_at_the_first_scan(shop, settings, bells):
    with session_scope(shop) as s:
        upsert.upsert_order(s, make_order(7), warehouse=catalogue.get_warehouse(s, "WH1"))  # ready, no wave
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_station(pilot, app)
        await pilot.press(*"TB00000007", "enter")
        await settle(pilot, app)
        assert screen.query_one("#message").has_class("error") and len(bells) == 1
        assert "TB00000007" in message(screen) and "待拣货" in message(screen) and lines(screen) == []


async def test_a_product_barcode_after_the_last_item_is_not_taken_for_the_waybill(shop, settings, bells):
    seed_wave(shop, 1, courier="zhongtong")  # ZTO waybills are 12–15 digits: an EAN-13 fits that shape
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_station(pilot, app)
        await pilot.press(*"TB00000001", "enter", *TOWEL, "enter")
        await settle(pilot, app)
        assert "运单" in message(screen)  # every item verified: scan the waybill
        await pilot.press(*"6920152400388", "enter")  # a valid Chinese EAN-13 we do not stock
        await settle(pilot, app)
        assert screen.query_one("#message").has_class("error") and "商品条码" in message(screen)
        assert len(bells) == 1 and "错误 1" in counters(screen) and "已发包裹 0" in counters(screen)
        assert lines(screen) == [("HG-001", "1", "1")]  # still on the bench, waiting for the waybill
    with read_session(shop) as s:
        order = queries.find_order(s, "taobao", "TB00000001")
        assert (order.status, order.waybill) == (OrderStatus.PICKING, None)
        assert s.exec(select(Outbox)).all() == []


async def test_a_half_verified_parcel_is_not_dropped_without_asking(shop, settings, bells):
    seed_wave(shop, 2)
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_station(pilot, app)
        await pilot.press(*"TB00000001", "enter", *TOWEL, "enter")
        await settle(pilot, app)
        assert lines(screen) == [("HG-001", "1", "2")]
        for key in ("escape", "ctrl+q", "f2"):  # put aside, quit, switch language: each asks first
            await pilot.press(key)
            await settle(pilot, app)
            assert isinstance(app.screen, ConfirmDialog), key
            assert "TB00000001" in app.screen.question and "1 / 2" in app.screen.question
            await pilot.press("enter")  # the safe answer has the focus: a gun's Enter keeps the parcel
            await settle(pilot, app)
            assert app.screen is screen and app.return_code is None and lines(screen) == [("HG-001", "1", "2")]
            assert app.focused is screen.query_one("#scan", Input)
        await pilot.press(*TOWEL, "enter")  # nothing was lost: the packing goes on
        await settle(pilot, app)
        assert lines(screen) == [("HG-001", "2", "2")]
        await pilot.press("f2", "y")  # agreed: the screens are rebuilt in English, the parcel put aside
        await settle(pilot, app)
        assert isinstance(app.screen, MenuScreen)
    with read_session(shop) as s:
        assert queries.find_order(s, "taobao", "TB00000001").status == OrderStatus.PICKING


async def test_nothing_is_asked_when_no_parcel_is_open(shop, settings):
    seed_wave(shop, 2)
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_station(pilot, app)
        await pilot.press(*"TB00000001", "enter")  # opened, nothing verified yet: nothing to lose
        await settle(pilot, app)
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.screen is screen and lines(screen) == []
        await pilot.press("ctrl+q")
        await settle(pilot, app)
        assert app.return_code == 0  # quit at once
