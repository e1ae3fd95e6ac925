"""Snapshots (pytest-textual-snapshot) of the seven screens users look at most, in Chinese, on a big
(140×45) and a small (80×24) terminal: sign-in, the menu, the review queue with its detail pane,
customer lookup, the pack station mid-parcel, the orders page and the print queue.

Each test builds its data with fixed times, freezes what would move (the clock of "now"-relative
ages, the blinking cursor, the station name) and compares the screen with the SVG stored under
``__snapshots__/test_snapshots/``. After a change meant to alter a screen:

    .venv/bin/python -m pytest tests/screens/test_snapshots.py --snapshot-update

then look at the new SVGs (a browser shows them) before committing them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from escpos.printer import Dummy
from textual.widgets import DataTable, Input

from oms_tui.app import OmsApp
from oms_tui.config import PrinterConfig
from oms_tui.db import session_scope
from oms_tui.screens import review as review_screen
from oms_tui.screens.login import LoginScreen
from oms_tui.screens.lookup import LookupScreen
from oms_tui.screens.menu import MenuScreen
from oms_tui.screens.orders import OrdersScreen
from oms_tui.screens.pack_station import PackStationScreen
from oms_tui.screens.print_queue import PrintQueueScreen
from oms_tui.screens.review import ReviewScreen
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core import users
from oms_tui.services.core.actor import Actor
from oms_tui.services.floor import packing, printing, waves
from oms_tui.services.orders import actions, holds, queries, upsert
from oms_tui.services.orders import intake_rules as review_rules
from tests.helpers.documents import PACKING_SLIP, PICK_LIST
from tests.helpers.screens import make_order, settle

# The SVGs are compared byte for byte and kept for one interpreter only, the one the project runs on.
pytestmark = pytest.mark.skipif(sys.version_info[:2] != (3, 11),
                                reason="the snapshots are taken and kept on Python 3.11 only")

SIZES = [pytest.param((140, 45), id="140x45"), pytest.param((80, 24), id="80x24")]

# "Now" for every screen that shows an age or a print time: 10:30 in Shanghai on 11.11, ten and a
# half hours after the first order in the data (conftest.FIRST_ORDER_AT) was paid.
NOW = datetime(2026, 11, 11, 2, 30, tzinfo=timezone.utc)

TOWEL_BARCODE = "6901234567892"


async def until(pilot, app, ready: Callable[[], bool], what: str) -> None:
    """Let the app work until ``ready()``: workers and timers finish at their own pace, the more so
    under ``-n 2``, and a snapshot taken half-way would differ from run to run."""
    for _round in range(100):
        await settle(pilot, app)
        if ready():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"the screen never showed {what}")


async def hold_still(pilot, app) -> None:
    """Take away what would differ between two pictures of the same settled screen."""
    # A blinking cursor is drawn or not depending on the instant: keep it drawn.
    for box in app.screen.query(Input):
        box.cursor_blink = False
    # Textual's DataTable widens its columns for new rows when idle, but a header drawn in a frame
    # before that stays cached at the old widths (now and then the header of a table filled on
    # screen is narrower than its rows): draw every table afresh from its settled widths.
    for table in app.screen.query(DataTable):
        table.notify_style_update()
    await settle(pilot, app)
    await pilot.pause()


# --- sign-in and the menu ------------------------------------------------------------------------

@pytest.mark.parametrize("size", SIZES)
def test_login(snap_compare, shop, settings, size):
    """Sign-in: the user name typed, the PIN (masked) half typed."""
    app = OmsApp(shop, settings)

    async def run_before(pilot) -> None:
        await until(pilot, app, lambda: isinstance(app.screen, LoginScreen), "the sign-in screen")
        await pilot.press(*"zhang", "enter", "1", "2")
        await hold_still(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.fixture
def manager(shop):
    """A user with several roles, so the menu is long and has screens still to come."""
    with session_scope(shop) as s:
        users.add_user(s, "wang", "2468", ["cs_lead", "warehouse_lead"], display_name="王主管", actor=Actor.system("test"))
    return shop


@pytest.mark.parametrize("size", SIZES)
def test_menu(snap_compare, manager, settings, size):
    """The menu of a CS lead who is also the warehouse lead."""
    app = OmsApp(manager, settings, user_name="wang")

    async def run_before(pilot) -> None:
        await until(pilot, app, lambda: isinstance(app.screen, MenuScreen), "the menu")
        await hold_still(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


# --- the review queue ----------------------------------------------------------------------------

def _ingest(engine, number: int, *, platform: str = "taobao", **changes) -> None:
    data = make_order(number, platform=platform).model_copy(update=changes)
    with session_scope(engine) as s:
        upsert.upsert_order(s, data, warehouse=catalogue.get_warehouse(s, "WH1"))


@pytest.fixture
def review_queue(shop, no_duplicate_check):
    """Five orders waiting for CS, the oldest a Taobao order suspected to duplicate a JD one; every
    hold opened when its order was paid (intake stamps the real time, which a snapshot cannot show)."""
    with review_rules.configured(duplicate_check=True):
        _ingest(shop, 1, receiver_address="文三路 3 号", buyer_id="tb-dup")
        _ingest(shop, 2, platform="jd", receiver_address="文三路 3 号", buyer_id="jd-dup")
    _ingest(shop, 3, buyer_remark="请发顺丰", receiver_phone="13700137003")
    _ingest(shop, 4, receiver_address="1号", receiver_phone="13700137004")
    _ingest(shop, 5, total_fen=10000, paid_fen=5000, receiver_phone="13700137005")
    with session_scope(shop) as s:
        for order in queries.list_orders(s, queries.OrderFilter(status="review"), limit=10, offset=0):
            for hold in holds.open_holds(s, order.id):
                hold.opened_at = order.paid_at
                s.add(hold)
    return shop


@pytest.mark.parametrize("size", SIZES)
def test_review_queue(snap_compare, review_queue, settings, monkeypatch, size):
    """The queue by age with why; the detail pane shows the oldest order, its duplicate and the
    customer's history on both platforms."""
    monkeypatch.setattr(review_screen, "utcnow", lambda: NOW)  # the clock the waiting ages count to
    app = OmsApp(review_queue, settings, user_name="zhang")

    async def run_before(pilot) -> None:
        await until(pilot, app, lambda: isinstance(app.screen, MenuScreen), "the menu")
        app.open_screen("review")
        await until(pilot, app, lambda: isinstance(app.screen, ReviewScreen) and app.screen.detail is not None,
                    "the review detail")
        await hold_still(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


# --- customer lookup -----------------------------------------------------------------------------

@pytest.fixture
def customer_orders(shop):
    """王小明 (13800138000): a shipped Taobao order with its waybill, a JD order, a masked PDD one."""
    with session_scope(shop) as s:
        wh = catalogue.get_warehouse(s, "WH1")
        tb = upsert.upsert_order(s, make_order(1), warehouse=wh).order
        actions.start_picking(s, tb, user="li")
        actions.mark_packed(s, tb, user="li")
        actions.ship(s, tb, waybill="YT1234567890123", courier="yuantong", user="li")
        upsert.upsert_order(s, make_order(2, platform="jd"), warehouse=wh)
        pdd = make_order(3, platform="pdd").model_copy(update={"receiver_phone": "1*********0", "buyer_id": "",
                                                                "receiver_name": "王*明"})
        upsert.upsert_order(s, pdd, warehouse=wh)
    return shop


@pytest.mark.parametrize("size", SIZES)
def test_lookup(snap_compare, customer_orders, settings, size):
    """A phone number looked up: the customer, and each order with receiver, phone, courier and waybill."""
    app = OmsApp(customer_orders, settings, user_name="zhang")

    async def run_before(pilot) -> None:
        await until(pilot, app, lambda: isinstance(app.screen, MenuScreen), "the menu")
        app.open_screen("customers")
        await until(pilot, app, lambda: isinstance(app.screen, LookupScreen), "the lookup")
        await pilot.press(*"13800138000", "enter")
        await until(pilot, app, lambda: app.screen.found is not None, "the orders found")
        await hold_still(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


# --- the pack station ----------------------------------------------------------------------------

@pytest.fixture
def wave(shop):
    """TB00000001 (two towels) picked in a YTO wave, waiting at the pack station."""
    with session_scope(shop) as s:
        upsert.upsert_order(s, make_order(1, qty=2), warehouse=catalogue.get_warehouse(s, "WH1"))
    with session_scope(shop) as s:
        waves.create_wave(s, catalogue.get_warehouse(s, "WH1"), courier="yuantong", actor=Actor.system("li"))
    return shop


@pytest.mark.parametrize("size", SIZES)
def test_pack_station(snap_compare, wave, settings, size):
    """Mid-parcel: the order scanned, one of its two towels scanned."""
    app = OmsApp(wave, settings, user_name="li")

    async def run_before(pilot) -> None:
        await until(pilot, app, lambda: isinstance(app.screen, MenuScreen), "the menu")
        app.open_screen("pack", station="P01")  # not the host name, which differs per machine
        await until(pilot, app, lambda: isinstance(app.screen, PackStationScreen), "the pack station")
        screen = app.screen
        await pilot.press(*"TB00000001", "enter")
        await until(pilot, app, lambda: screen.phase != packing.IDLE and not screen.queued, "the parcel")
        await pilot.press(*TOWEL_BARCODE, "enter")
        await until(pilot, app, lambda: screen.scans == 2 and not screen.queued, "the towel scanned")
        await hold_still(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


# --- the orders page -----------------------------------------------------------------------------

@pytest.mark.parametrize("size", SIZES)
def test_orders(snap_compare, shop_with_orders, settings, size):
    """The first page of 61 orders, newest first, one with an unmapped SKU."""
    app = OmsApp(shop_with_orders, settings, user_name="zhang")

    async def run_before(pilot) -> None:
        await until(pilot, app, lambda: isinstance(app.screen, MenuScreen), "the menu")
        app.open_screen("orders")
        await until(pilot, app, lambda: isinstance(app.screen, OrdersScreen) and app.screen.loaded, "the orders")
        await hold_still(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


# --- the print queue -----------------------------------------------------------------------------

PICK_PRINTER = PrinterConfig(name="拣货台", kind="network", host="10.0.0.5", documents=["pick_list"])
SLIP_PRINTER = PrinterConfig(name="打包台", kind="network", host="10.0.0.6", documents=["packing_slip"])


def _printers(config: PrinterConfig):
    """The pick-list printer takes everything; the packing-slip printer is switched off."""
    if config.name == SLIP_PRINTER.name:
        raise ConnectionRefusedError(111, "Connection refused")
    return Dummy()


@pytest.fixture
def print_jobs(shop, settings, monkeypatch):
    """A pick list printed, and two packing slips queued for a printer that is off: the first tried
    once (its error and next try shown), the second waiting behind it. The printing service's clock
    is held at fixed times so the queue's times are the same on every run."""
    settings.printers = [PICK_PRINTER, SLIP_PRINTER]
    monkeypatch.setattr(printing, "utcnow", lambda: NOW - timedelta(minutes=5))
    with session_scope(shop) as s:
        printing.enqueue(s, "pick_list", ref="W20261111-003", data=PICK_LIST, user="li", settings=settings)
        printing.enqueue(s, "packing_slip", ref="TB2026111100001", data=PACKING_SLIP, user="li", settings=settings)
        printing.enqueue(s, "packing_slip", ref="TB2026111100002", data=PACKING_SLIP, user="li", settings=settings)
    monkeypatch.setattr(printing, "utcnow", lambda: NOW)
    run = printing.process_queue(shop, settings, transport_factory=_printers)
    assert (run.printed, run.retrying) == (1, 1)
    return shop


@pytest.mark.parametrize("size", SIZES)
def test_print_queue(snap_compare, print_jobs, settings, size):
    """Printed, waiting for an offline printer (with its error, in full for the highlighted job), and
    queued behind it."""
    app = OmsApp(print_jobs, settings, user_name="li")

    async def run_before(pilot) -> None:
        await until(pilot, app, lambda: isinstance(app.screen, MenuScreen), "the menu")
        app.open_screen("printqueue")
        await until(pilot, app, lambda: isinstance(app.screen, PrintQueueScreen) and app.screen.loaded,
                    "the print jobs")
        await pilot.press("down")  # onto the job that failed: its whole error shows under the table
        await until(pilot, app, lambda: app.screen.query_one("#job-detail").display, "the job's error")
        await hold_still(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
