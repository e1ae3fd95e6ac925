"""Switching the language redraws every label, key description and menu entry."""

from __future__ import annotations

from textual.widgets import Button, DataTable, Footer, Label, OptionList
from textual.widgets._footer import FooterKey

from oms_tui import i18n
from oms_tui.app import OmsApp
from oms_tui.screens.login import LoginScreen
from oms_tui.screens.menu import MenuScreen
from tests.helpers.screens import SIZE, settle


def footer_descriptions(app) -> set[str]:
    return {key.description for key in app.screen.query_one(Footer).query(FooterKey)}


def menu_titles(app) -> list[str]:
    menu = app.screen.query_one("#menu", OptionList)
    return [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)]


async def test_switching_to_english_shows_english_labels(shop, settings):
    app = OmsApp(shop, settings, user_name="boss")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert any("订单" in title for title in menu_titles(app))
        assert "退出登录" in footer_descriptions(app)
        await pilot.press("f2")
        await settle(pilot, app)
        assert i18n.current_language() == "en"
        assert isinstance(app.screen, MenuScreen)
        titles = menu_titles(app)
        assert any("Orders" in t for t in titles) and any("Stock" in t for t in titles)
        assert any("(coming)" in t for t in titles)
        assert not any("订单" in t for t in titles)
        assert {"Sign out", "Quit", "Language"} <= footer_descriptions(app)
        assert "Signed in as 老板 (administrator)" == str(app.screen.query_one("#welcome", Label).render())
        app.open_screen("stock")
        await settle(pilot, app)
        labels = [str(c.label) for c in app.screen.query_one("#table", DataTable).columns.values()]
        assert labels[5:10] == ["On hand", "Inbound", "Locked", "Reserved", "Available"]
        assert str(app.screen.query_one("#page-label", Label).render()) == "page 1 of 1 · 3 rows"
        assert {"Next page", "Previous page", "Back"} <= footer_descriptions(app)
        await pilot.press("f2")  # and back to Chinese, from a screen deep in the stack
        await settle(pilot, app)
        assert isinstance(app.screen, MenuScreen)
        assert any("库存" in t for t in menu_titles(app))


async def test_language_from_settings_english_login(shop, settings):
    settings.language = "en"
    app = OmsApp(shop, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, LoginScreen)
        assert str(app.screen.query_one("#sign-in", Button).label) == "Sign in"
        await pilot.press(*"zhang", "enter", *"0000", "enter")
        await settle(pilot, app)
        assert str(app.screen.query_one("#login-error").render()) == "Wrong user name or PIN"


async def test_language_from_the_locale_when_not_configured(shop, settings, monkeypatch):
    settings.language = None
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    app = OmsApp(shop, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert str(app.screen.query_one("#sign-in", Button).label) == "登录"
