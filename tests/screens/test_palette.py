"""The command palette jumps to a screen, an order or a SKU, within what the user's roles allow."""

from __future__ import annotations

from textual.command import CommandPalette

from oms_tui.app import OmsApp
from oms_tui.screens.ledger import SkuLedgerScreen
from oms_tui.screens.order_detail import OrderDetailScreen
from oms_tui.screens.orders import OrdersScreen
from tests.helpers.screens import SIZE, settle


async def palette_pick(pilot, app, text: str) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause()
    assert CommandPalette.is_open(app)
    await pilot.press(*text)
    await pilot.pause(0.6)  # the palette searches after a short debounce
    await app.workers.wait_for_complete()
    await pilot.pause(0.3)
    await pilot.press("down", "enter")
    await settle(pilot, app)


async def test_palette_jumps_to_an_order_by_platform_order_id(shop_with_orders, settings):
    app = OmsApp(shop_with_orders, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await palette_pick(pilot, app, "TB00000042")
        assert isinstance(app.screen, OrderDetailScreen)
        assert app.screen.detail.platform_order_id == "TB00000042"


async def test_palette_jumps_to_a_sku_by_barcode(shop_with_orders, settings):
    app = OmsApp(shop_with_orders, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await palette_pick(pilot, app, "6901234567892")
        assert isinstance(app.screen, SkuLedgerScreen)
        assert app.screen.sku_code == "HG-001"


async def test_palette_jumps_to_a_screen(shop_with_orders, settings):
    app = OmsApp(shop_with_orders, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await palette_pick(pilot, app, "订单")
        assert isinstance(app.screen, OrdersScreen)


async def test_palette_offers_no_orders_to_a_warehouse_user(shop_with_orders, settings):
    app = OmsApp(shop_with_orders, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        orders, skus = app.lookup("TB0000004", want_orders=False, want_skus=True)
        assert orders == []
        await palette_pick(pilot, app, "TB00000042")
        assert not isinstance(app.screen, OrderDetailScreen)
