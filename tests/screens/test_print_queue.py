"""The print queue screen: jobs with status, printer and error; r retries (printing for real on a
loopback printer), p reprints; warehouse staff may open it, customer service may not."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select
from textual.widgets import DataTable, Label, Static

from oms_tui.app import OmsApp
from oms_tui.config import PrinterConfig
from oms_tui.db import read_session, session_scope
from oms_tui.printers.documents import TEST_CHINESE, render_bytes
from oms_tui.models import AuditEvent
from oms_tui.screens.print_queue import PrinterDialog, PrintQueueScreen
from oms_tui.screens.registry import may_open
from oms_tui.services.floor import printing
from oms_tui.widgets.dialogs import ConfirmDialog
from oms_tui.widgets.error_line import ErrorLine
from tests.helpers.documents import PACKING_SLIP, PICK_LIST
from tests.helpers.printer_listener import PrinterListener
from tests.helpers.screens import SIZE, column, settle

TEST_SECONDS = 30


@pytest.fixture
def floor(shop, settings, listener):
    """Two jobs queued for a network printer that is off: both tried once (the second waits behind)."""
    settings.printers = [PrinterConfig(name="打包台", kind="network", host="127.0.0.1", port=listener.port,
                                       timeout=2, width_mm=58)]
    with session_scope(shop) as session:
        printing.enqueue(session, "pick_list", ref="W20261111-003", data=PICK_LIST, user="li", settings=settings)
        printing.enqueue(session, "packing_slip", ref="TB2026111100001", data=PACKING_SLIP, user="li",
                         settings=settings)
    printing.process_queue(shop, settings)
    return shop


async def open_queue(pilot, app) -> PrintQueueScreen:
    await settle(pilot, app)
    app.open_screen("printqueue")
    await settle(pilot, app)
    assert isinstance(app.screen, PrintQueueScreen)
    return app.screen


def statuses(engine) -> list[tuple[str, int]]:
    with read_session(engine) as session:
        return [(job.status, job.attempts) for job in printing.list_jobs(session)]


async def test_shows_jobs_and_r_retries_until_printed(floor, settings, listener):
    app = OmsApp(floor, settings, user_name="li")

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_queue(pilot, app)
            table = screen.query_one("#table", DataTable)
            assert column(table, "ref") == ["TB2026111100001", "W20261111-003"]  # newest first
            assert column(table, "status") == ["待打印", "待打印"]
            assert column(table, "document") == ["发货单", "拣货单"]
            assert column(table, "printer") == ["打包台", "打包台"]
            assert column(table, "attempts") == ["0", "1"]
            assert "is offline" in column(table, "error")[1] and column(table, "error")[0] == ""
            assert str(screen.query_one("#page-label", Label).render()) == "第 1 / 1 页 · 共 2 行"

            await pilot.press("down")  # the pick list, whose error shows in full under the table
            await settle(pilot, app)
            detail = screen.query_one("#job-detail", Static)
            assert detail.display and "refused" in str(detail.render()).lower()  # the whole error

            listener.start()  # the printer is switched on
            await pilot.press("r")
            await settle(pilot, app)
            assert column(table, "status") == ["已打印", "已打印"]
            assert statuses(floor) == [("done", 1), ("done", 2)]
            assert TEST_CHINESE.encode("gb18030") not in listener.received
            assert "拣货单".encode("gb18030") in listener.received

    await asyncio.wait_for(scenario(), TEST_SECONDS)


async def test_p_reprints_the_selected_job(floor, settings, listener):
    listener.start()
    printing.process_queue(floor, settings, now=printing.utcnow() + printing.timedelta(minutes=5))
    listener.wait_idle()
    printed = b"".join(listener.connections)
    app = OmsApp(floor, settings, user_name="li")

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_queue(pilot, app)
            table = screen.query_one("#table", DataTable)
            assert column(table, "status") == ["已打印", "已打印"]
            await pilot.press("down", "p")  # reprint the pick list
            await settle(pilot, app)
            assert column(table, "ref") == ["W20261111-003", "TB2026111100001", "W20261111-003"]
            assert column(table, "status")[0] == "已打印"
            with read_session(floor) as session:
                newest = printing.list_jobs(session, limit=1)[0]
            assert newest.reprint_of == 1 and newest.created_by == "li"
            listener.wait_idle()
            reprinted = listener.connections[-1]
            assert reprinted == render_bytes("pick_list", PICK_LIST, width_mm=58, shop_name=settings.shop_name,
                                             timezone=settings.timezone)
            assert printed.startswith(reprinted)  # the pick list went out first, byte for byte the same

    await asyncio.wait_for(scenario(), TEST_SECONDS)


async def test_status_filter_and_an_empty_queue(shop, settings):
    app = OmsApp(shop, settings, user_name="li")

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_queue(pilot, app)
            assert screen.query_one(DataTable).row_count == 0
            assert str(screen.query_one("#page-label", Label).render()) == "还没有打印任务"
            await pilot.press("p")  # nothing selected: a bell and a hint, no error
            await settle(pilot, app)
            assert not screen.query_one("#job-detail", Static).display

    await asyncio.wait_for(scenario(), TEST_SECONDS)


def test_who_may_open_it():
    for roles in (["warehouse"], ["warehouse_lead"], ["manager"], ["admin"]):
        assert may_open(roles, "printqueue")
    assert not may_open(["cs"], "printqueue")


@pytest.fixture
def spare():
    """A second network printer, switched on."""
    printer = PrinterListener().start()
    yield printer
    printer.stop()


async def test_reprint_on_another_printer_and_cancel_a_waiting_job(floor, settings, listener, spare):
    settings.printers.append(PrinterConfig(name="备用台", kind="network", host="127.0.0.1", port=spare.port,
                                           timeout=2, width_mm=58))
    app = OmsApp(floor, settings, user_name="li")

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_queue(pilot, app)
            table = screen.query_one("#table", DataTable)
            await pilot.press("p")  # the packing slip, waiting for 打包台 (off): which printer?
            await settle(pilot, app)
            assert isinstance(app.screen, PrinterDialog)
            await pilot.press("down", "enter")  # 备用台
            await settle(pilot, app)
            assert app.screen is screen
            assert column(table, "printer") == ["备用台", "打包台", "打包台"]
            assert column(table, "status") == ["已打印", "待打印", "待打印"]
            spare.wait_idle()
            assert b"".join(spare.connections) == render_bytes(
                "packing_slip", PACKING_SLIP, width_mm=58, shop_name=settings.shop_name, timezone=settings.timezone)

            # The cursor stayed on the original slip (by key) when the reprint came in above it.
            await pilot.press("x")  # cancel the original slip: asked first; n keeps it
            await settle(pilot, app)
            assert isinstance(app.screen, ConfirmDialog)
            await pilot.press("n")
            await settle(pilot, app)
            assert column(table, "status") == ["已打印", "待打印", "待打印"]
            await pilot.press("x")
            await settle(pilot, app)
            await pilot.press("y")
            await settle(pilot, app)
            assert column(table, "status") == ["已打印", "已取消", "待打印"]
            await pilot.press("up", "x")  # a printed job: nothing to ask, the refusal says why
            await settle(pilot, app)
            assert app.screen is screen and "已打印，无需取消" in str(screen.query_one(ErrorLine).render())

    await asyncio.wait_for(scenario(), TEST_SECONDS)
    with read_session(floor) as session:
        slip = printing.get_job(session, 2)
        assert slip.status == "cancelled"
        cancels = session.exec(select(AuditEvent).where(AuditEvent.action == "print.cancel")).all()
        assert [(e.user, e.entity_id) for e in cancels] == [("li", "2")]
    listener.start()  # 打包台 comes back: the pick list prints, the cancelled slip never does
    run = printing.process_queue(floor, settings, now=printing.utcnow() + printing.timedelta(minutes=10))
    assert run.printed == 1
    assert listener.received == render_bytes("pick_list", PICK_LIST, width_mm=58, shop_name=settings.shop_name,
                                             timezone=settings.timezone)
