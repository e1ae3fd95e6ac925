"""Pick list screen: preview count, create a wave, its pick list by bin, printing without a printer."""

from __future__ import annotations

from rich.cells import cell_len
from sqlmodel import select
from textual.widgets import DataTable, Input, Label

from oms_tui.app import OmsApp
from oms_tui.db import read_session, session_scope
from oms_tui.models import Order, OrderStatus, PrintJob, Wave
from oms_tui.screens.waves import PickListScreen
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.orders import upsert
from tests.helpers.printing import network
from tests.helpers.screens import SIZE, make_order, settle, table_rows


def seed_orders(engine) -> None:
    with session_scope(engine) as s:
        wh = catalogue.get_warehouse(s, "WH1")
        for number in (1, 2):
            upsert.upsert_order(s, make_order(number), warehouse=wh)
        upsert.upsert_order(s, make_order(3, platform="jd", qty=2), warehouse=wh)


async def open_picklist(pilot, app) -> PickListScreen:
    await settle(pilot, app)
    app.open_screen("picklist")
    await settle(pilot, app)
    assert isinstance(app.screen, PickListScreen)
    return app.screen


def label(screen, selector) -> str:
    return str(screen.query_one(selector, Label).render())


async def test_preview_create_and_pick_list(no_duplicate_check, shop, settings):
    seed_orders(shop)
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_picklist(pilot, app)
        assert "3 个待拣货订单符合条件" in label(screen, "#preview")
        screen.query_one("#city", Input).focus()
        await pilot.press(*"宁波")
        await pilot.pause(0.5)
        await settle(pilot, app)
        assert label(screen, "#preview").startswith("0 个")
        screen.query_one("#city", Input).value = ""
        await pilot.pause(0.5)
        await settle(pilot, app)
        assert label(screen, "#preview").startswith("3 个")
        await pilot.press("f9")
        await settle(pilot, app)
        assert "已生成" in label(screen, "#page-label") and "未配置打印机" in label(screen, "#page-label")
        assert "圆通速递" in label(screen, "#wave-label") and "4 件" in label(screen, "#wave-label")
        picks = table_rows(screen.query_one("#picks", DataTable))
        assert [(row[0], row[1], row[4]) for row in picks] == [("A-01-01", "HG-001", "4")]
        waves_table = table_rows(screen.query_one("#waves", DataTable))
        assert len(waves_table) == 1 and waves_table[0][3] == "3"
        assert label(screen, "#preview").startswith("0 个")
        await pilot.press("f9")  # nothing left to take
        await settle(pilot, app)
        assert "没有符合条件的待拣货订单" in str(screen.query_one(".error-line").render())
    with read_session(shop) as s:
        assert len(s.exec(select(Wave)).all()) == 1
        assert {o.status for o in s.exec(select(Order))} == {OrderStatus.PICKING}


async def test_a_pick_list_for_an_offline_printer_says_queued_not_sent(no_duplicate_check, shop, settings, listener):
    seed_orders(shop)
    settings.printers = [network("拣货台", listener)]  # switched off: the connection is refused
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_picklist(pilot, app)
        await pilot.press("f9")
        await settle(pilot, app)
        note = label(screen, "#page-label")
        assert "已生成" in note and "已排队：打印机 拣货台 离线，恢复后将自动打印" in note and "已发送" not in note
        listener.start()  # switched on: F8 prints the pick list again and says so
        await pilot.press("f8")
        await settle(pilot, app)
        assert label(screen, "#page-label") == "已在 拣货台 打印"
    with read_session(shop) as s:
        jobs = s.exec(select(PrintJob).order_by(PrintJob.id)).all()
        # F8 tried the printer again: the pick list that waited went out first, then the new copy.
        assert [(j.document, j.status) for j in jobs] == [("pick_list", "done"), ("pick_list", "done")]


async def test_the_pick_list_after_f9_is_drawn_at_content_width_in_its_first_frame(no_duplicate_check, shop, settings,
                                                                                  monkeypatch):
    """The pick-list pane used to come up with every column at header width after F9 (a frame drawn
    before Textual's idle pass widened them): a frame drawn the moment it is filled has whole names."""
    seed_orders(shop)
    first_frames: list[str] = []
    shown = PickListScreen._show_wave

    def draw_at_once(screen, view) -> None:  # noqa: ANN001
        shown(screen, view)
        picks = screen.query_one("#picks", DataTable)
        first_frames.append(picks.render_line(1).text)

    monkeypatch.setattr(PickListScreen, "_show_wave", draw_at_once)
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_picklist(pilot, app)
        await pilot.press("f9")
        await settle(pilot, app)
        picks = screen.query_one("#picks", DataTable)
        name = table_rows(picks)[0][2]
        assert cell_len(name) > cell_len("名称")  # longer than its header
        assert name in first_frames[0]
        name_column = next(c for k, c in picks.columns.items() if k.value == "name")
        assert name_column.get_render_width(picks) >= cell_len(name) + 2 * picks.cell_padding
