"""SKU mapping screen: CS sees the platform SKUs holding orders, takes a suggestion (a 3-pack: 3 × HG-001),
saves once, and the held orders go on at once."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Label

from oms_tui.app import OmsApp
from oms_tui.db import read_session, session_scope
from oms_tui.models import HoldKind, OrderStatus
from oms_tui.screens.registry import may_open
from oms_tui.screens.sku_mapping import SkuMappingScreen
from oms_tui.services.catalogue import sku_mapping
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.orders import holds, queries, upsert
from oms_tui.services.orders.normalized import NormalizedLine
from oms_tui.widgets.error_line import ErrorLine
from tests.helpers.screens import SIZE, make_order, settle, table_rows

SET = NormalizedLine(sku_code="HG-SET3", title="竹纤维毛巾 3条装", qty=1, price_fen=4990, platform_item_id="600001",
                     platform_sku_id="7000011")


def seed_held(engine) -> None:
    with session_scope(engine) as s:
        wh = catalogue.get_warehouse(s, "WH1")
        for number in (1, 2):
            data = make_order(number).model_copy(update={"lines": [SET.model_copy(update={"qty": number})]})
            upsert.upsert_order(s, data, warehouse=wh)
        sku_mapping.record_listing(s, "旗舰店", "taobao", [sku_mapping.ListedSku(
            "600001", "7000011", outer_item_code="HG", outer_sku_code="HG-SET3", title="竹纤维毛巾",
            spec="规格:3条装")])


def order_state(engine, ref):
    with read_session(engine) as s:
        order = queries.find_order(s, "taobao", ref)
        return order.status, [h.kind for h in holds.open_holds(s, order.id)]


async def open_mapping(pilot, app) -> SkuMappingScreen:
    await settle(pilot, app)
    app.open_screen("skumap")
    await settle(pilot, app)
    assert isinstance(app.screen, SkuMappingScreen)
    return app.screen


async def test_take_the_suggestion_save_and_the_held_orders_go_on(shop, settings):
    seed_held(shop)
    assert order_state(shop, "TB00000001") == (OrderStatus.REVIEW, [HoldKind.SKU_UNMAPPED])
    app = OmsApp(shop, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_mapping(pilot, app)
        unmapped = screen.query_one("#unmapped", DataTable)
        assert [row[2:] for row in table_rows(unmapped)] == [
            ["600001", "7000011", "HG-SET3", "竹纤维毛巾 3条装", "2", "3"]]
        suggestions = screen.query_one("#suggestions", DataTable)
        assert table_rows(suggestions)[0][0] == "HG-001"
        assert table_rows(suggestions)[0][3:] == ["3", "标题"]  # a 3条装 listing, named like our towel
        components = screen.query_one("#components", Input)
        assert components.value == "HG-001*3"
        await pilot.press("enter")  # the platform SKU's row: to the suggestions
        await settle(pilot, app)
        assert app.focused is suggestions
        await pilot.press("enter")  # take the first one
        await settle(pilot, app)
        assert app.focused is components and components.value == "HG-001*3"
        await pilot.press("f10")
        await settle(pilot, app)
        summary = str(screen.query_one("#summary", Label).render())
        assert "HG-001*3" in summary and "2" in summary
        assert unmapped.row_count == 0
    for ref in ("TB00000001", "TB00000002"):
        assert order_state(shop, ref) == (OrderStatus.READY, [])
    with read_session(shop) as s:
        lines = queries.order_detail(s, queries.find_order(s, "taobao", "TB00000002").id).lines
    assert [(line.sku_code, line.qty) for line in lines] == [("HG-001", 6)]


async def test_a_sku_we_do_not_have_is_refused_on_the_screen(shop, settings):
    seed_held(shop)
    app = OmsApp(shop, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_mapping(pilot, app)
        components = screen.query_one("#components", Input)
        components.value = "NOPE-1*2"
        components.focus()
        await pilot.press("enter")
        await settle(pilot, app)
        assert "NOPE-1" in str(screen.query_one(ErrorLine).render())
        assert screen.query_one("#unmapped", DataTable).row_count == 1
    assert order_state(shop, "TB00000001") == (OrderStatus.REVIEW, [HoldKind.SKU_UNMAPPED])


def test_the_warehouse_may_not_open_it():
    assert may_open(["cs"], "skumap") and not may_open(["warehouse"], "skumap")
