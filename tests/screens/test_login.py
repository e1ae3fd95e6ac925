"""Sign-in: a wrong PIN keeps you out with a red message; the menu shows only what your roles allow."""

from __future__ import annotations

from textual.widgets import Input, OptionList

from oms_tui.app import OmsApp
from oms_tui.screens.base import ErrorLine
from oms_tui.screens.login import LoginScreen
from oms_tui.screens.menu import MenuScreen
from oms_tui.screens.stock import StockScreen
from tests.helpers.screens import SIZE, settle


def menu_options(app) -> dict[str, bool]:
    """Menu entry key → whether it can be opened now."""
    menu = app.screen.query_one("#menu", OptionList)
    return {menu.get_option_at_index(i).id: not menu.get_option_at_index(i).disabled
            for i in range(menu.option_count)}


async def test_wrong_pin_stays_on_login_with_a_red_message(shop, settings):
    app = OmsApp(shop, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, LoginScreen)
        await pilot.press(*"zhang", "enter", *"9999", "enter")
        await settle(pilot, app)
        assert isinstance(app.screen, LoginScreen)
        error = app.screen.query_one("#login-error", ErrorLine)
        assert error.display
        assert str(error.render()) == "用户名或 PIN 码错误"
        assert error.styles.color.r > error.styles.color.g  # red, not a neutral line
        assert app.screen.query_one("#pin", Input).value == ""
        assert app.focused is app.screen.query_one("#pin", Input)
        assert app.operator is None


async def test_unknown_user_gets_the_same_message(shop, settings):
    app = OmsApp(shop, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press(*"nobody", "enter", *"1234", "enter")
        await settle(pilot, app)
        assert isinstance(app.screen, LoginScreen)
        assert str(app.screen.query_one("#login-error", ErrorLine).render()) == "用户名或 PIN 码错误"


async def test_right_pin_shows_the_menu_of_permitted_screens(shop, settings):
    app = OmsApp(shop, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press(*"zhang", "enter", *"1234", "enter")
        await settle(pilot, app)
        assert isinstance(app.screen, MenuScreen)
        assert app.operator.name == "zhang"
        options = menu_options(app)
        # customer service: orders, stock, review, customer lookup, exceptions; no warehouse screens
        assert options == {"orders": True, "stock": True, "review": True, "customers": True, "exceptions": True}


async def test_warehouse_user_sees_stock_but_not_orders(shop, settings):
    app = OmsApp(shop, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press(*"li", "enter", *"5678", "enter")
        await settle(pilot, app)
        options = menu_options(app)
        assert "orders" not in options
        assert options["stock"] is True
        assert {"picklist", "pack", "returns"} <= set(options)
        app.open_screen("orders")  # not even through the back door
        await settle(pilot, app)
        assert isinstance(app.screen, MenuScreen)
        await pilot.press("1")  # the first entry: Stock
        await settle(pilot, app)
        assert isinstance(app.screen, StockScreen)


async def test_user_option_skips_login(shop, settings):
    app = OmsApp(shop, settings, user_name="li")
    seen = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        seen.extend(type(s).__name__ for s in app.screen_stack)
        assert isinstance(app.screen, MenuScreen)
        assert app.operator.name == "li"
        assert "李仓管" in app.title
    assert "LoginScreen" not in seen


async def test_unknown_user_option_falls_back_to_login(shop, settings):
    app = OmsApp(shop, settings, user_name="ghost")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, LoginScreen)
        assert "ghost" in str(app.screen.query_one("#login-error", ErrorLine).render())
        assert app.screen.query_one("#user", Input).value == "ghost"


async def test_sign_out_returns_to_login(shop, settings):
    app = OmsApp(shop, settings, user_name="boss")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("2")  # Stock for the administrator
        await settle(pilot, app)
        assert isinstance(app.screen, StockScreen)
        app.sign_out()
        await settle(pilot, app)
        assert isinstance(app.screen, LoginScreen)
        assert app.operator is None
        assert len(app.screen_stack) == 2


async def test_a_database_failure_is_a_message_not_a_traceback(tmp_path, settings):
    from oms_tui.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'never-initialised.db'}")  # no tables at all
    app = OmsApp(engine, settings)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await pilot.press(*"zhang", "enter", *"1234", "enter")
            await settle(pilot, app)
            assert isinstance(app.screen, LoginScreen)
            message = str(app.screen.query_one("#login-error", ErrorLine).render())
            assert message.startswith("数据库错误") and "no such table" in message
            assert app.is_running
    finally:
        engine.dispose()


async def test_five_wrong_pins_lock_the_name(shop, settings):
    app = OmsApp(shop, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press(*"zhang", "enter")
        for _ in range(5):
            await pilot.press(*"9999", "enter")
            await settle(pilot, app)
        await pilot.press(*"1234", "enter")  # the right PIN, too late
        await settle(pilot, app)
        assert isinstance(app.screen, LoginScreen) and app.operator is None
        assert "zhang 的 PIN 码错误次数过多" in str(app.screen.query_one("#login-error", ErrorLine).render())
