"""Sign-in: a wrong PIN keeps you out with a red message; the menu shows only what your roles allow."""

from __future__ import annotations

from textual.widgets import Input, OptionList

from oms_tui.app import OmsApp, build_app
from oms_tui.db import read_session
from oms_tui.screens.login import LoginScreen, UnlockDialog
from oms_tui.screens.menu import MenuScreen
from oms_tui.screens.stock import StockScreen
from oms_tui.services.core import audit
from oms_tui.widgets.error_line import ErrorLine
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
        # customer service: orders, stock, review, customer lookup, exceptions, SKU mapping; no warehouse screens
        assert options == {"orders": True, "stock": True, "review": True, "customers": True, "exceptions": True,
                           "skumap": True, "alerts": True}


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


async def test_sign_out_leaves_the_user_name_empty_for_the_next_person(shop, settings):
    """A shared terminal: after Ctrl+L the sign-in screen neither shows nor assumes who sat there."""
    app = OmsApp(shop, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press(*"zhang", "enter", *"1234", "enter")
        await settle(pilot, app)
        assert isinstance(app.screen, MenuScreen)
        await pilot.press("ctrl+l")
        await settle(pilot, app)
        assert isinstance(app.screen, LoginScreen)
        user = app.screen.query_one("#user", Input)
        assert user.value == ""
        assert app.focused is user  # the next person starts with their name, not a PIN


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


async def test_user_option_asks_for_the_pin_unless_the_terminal_is_trusted(shop, settings):
    """`oms tui --user li` on an ordinary terminal: the sign-in screen, name filled in, cursor on the PIN."""
    app = build_app(shop, settings, "li")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, LoginScreen) and app.operator is None
        assert app.screen.query_one("#user", Input).value == "li"
        assert app.focused is app.screen.query_one("#pin", Input)
        await pilot.press(*"5678", "enter")
        await settle(pilot, app)
        assert isinstance(app.screen, MenuScreen) and app.operator.name == "li"

    trusted = build_app(shop, settings.model_copy(update={"trusted_terminal": True}), "li")
    async with trusted.run_test(size=SIZE) as pilot:
        await settle(pilot, trusted)
        assert isinstance(trusted.screen, MenuScreen) and trusted.operator.name == "li"


def add_lead(engine) -> None:
    from oms_tui.db import session_scope
    from oms_tui.services.core import users
    from oms_tui.services.core.actor import Actor

    with session_scope(engine) as s:
        users.add_user(s, "wang", "2323", ["warehouse_lead"], display_name="王组长", actor=Actor.system("test"))


async def lock_out(pilot, app, name: str) -> None:
    await pilot.press(*name, "enter")
    for _ in range(5):
        await pilot.press(*"9999", "enter")
        await settle(pilot, app)


async def unlock_with(pilot, app, lead: str, pin: str) -> None:
    await pilot.press("f3")
    await settle(pilot, app)
    dialog = app.screen
    assert isinstance(dialog, UnlockDialog)
    assert dialog.query_one("#unlock-user", Input).value == "li"  # the name typed on the sign-in screen
    assert app.focused is dialog.query_one("#unlock-lead", Input)
    await pilot.press(*lead, "enter", *pin, "enter")
    await settle(pilot, app)
    assert isinstance(app.screen, LoginScreen)


async def test_a_lead_unlocks_a_locked_out_user_at_the_same_terminal(shop, settings):
    """The packer typed five wrong PINs; the lead walks over, presses F3, gives their own name and PIN."""
    add_lead(shop)
    app = OmsApp(shop, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await lock_out(pilot, app, "li")
        f3 = app.screen.active_bindings["f3"].binding  # shown in the footer: a lead finds it there
        assert f3.show and f3.description == "解锁用户"
        await unlock_with(pilot, app, "wang", "2323")
        assert not app.screen.query_one("#login-error", ErrorLine).display
        assert app.focused is app.screen.query_one("#pin", Input)
        await pilot.press(*"5678", "enter")
        await settle(pilot, app)
        assert isinstance(app.screen, MenuScreen) and app.operator.name == "li"
    with read_session(shop) as s:
        (event,) = [e for e in audit.history(s, "user", "li") if e.action == "user.unlock"]
        assert event.user == "wang"


async def test_unlocking_needs_a_lead_with_the_right_pin(shop, settings):
    app = OmsApp(shop, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await lock_out(pilot, app, "li")
        await unlock_with(pilot, app, "boss", "1111")  # a wrong PIN
        assert str(app.screen.query_one("#login-error", ErrorLine).render()) == "组长用户名或 PIN 码错误：未解锁任何用户"
        await unlock_with(pilot, app, "zhang", "1234")  # customer service may not unlock
        assert str(app.screen.query_one("#login-error", ErrorLine).render()) == "zhang 无权解锁被锁定的用户"
        await pilot.press(*"5678", "enter")  # li is still locked out
        await settle(pilot, app)
        assert isinstance(app.screen, LoginScreen) and app.operator is None
        assert "li 的 PIN 码错误次数过多" in str(app.screen.query_one("#login-error", ErrorLine).render())
