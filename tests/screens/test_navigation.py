"""Screens move to other screens only through the app, which checks the user's permission every time."""

from __future__ import annotations

from oms_tui.app import OmsApp
from oms_tui.screens.exceptions import ExceptionsScreen
from oms_tui.screens.host import OmsHost
from oms_tui.screens.order_detail import OrderDetailScreen
from tests.helpers.screens import SIZE, settle


def test_the_app_is_what_the_screens_expect(shop, settings):
    assert isinstance(OmsApp(shop, settings), OmsHost)


async def test_a_user_without_orders_view_cannot_open_an_order_from_a_screen_that_links_to_orders(
        shop_with_orders, settings):
    """li (warehouse) may not look at orders. Even on a screen that offers "Enter: order" (reached here
    without the menu, which would not offer it), Enter shows a warning instead of the order."""
    app = OmsApp(shop_with_orders, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        warnings: list[str] = []
        shown = app.notify

        def notify(message, **kwargs):  # noqa: ANN001, ANN003
            if kwargs.get("severity") == "warning":
                warnings.append(str(message))
            shown(message, **kwargs)

        app.notify = notify
        app.push_screen(ExceptionsScreen())
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, ExceptionsScreen) and screen.table.row_count > 0  # an order to open
        screen.table.focus()
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.screen is screen
        assert not any(isinstance(s, OrderDetailScreen) for s in app.screen_stack)
        assert warnings == ["您无权打开该界面"]


async def test_the_same_link_opens_the_order_for_customer_service(shop_with_orders, settings):
    app = OmsApp(shop_with_orders, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.push_screen(ExceptionsScreen())
        await settle(pilot, app)
        app.screen.table.focus()
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, OrderDetailScreen)
