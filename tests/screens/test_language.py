"""Switching the language redraws every label, key description and menu entry."""

from __future__ import annotations

from textual.widgets import Button, DataTable, Footer, Label, OptionList
from textual.widgets._footer import FooterKey

from oms_tui import i18n
from oms_tui.app import OmsApp
from oms_tui.db import session_scope
from oms_tui.platforms.base import MalformedRecord
from oms_tui.screens.login import LoginScreen
from oms_tui.screens.menu import MenuScreen
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.intake import sync
from oms_tui.services.orders import upsert
from tests.helpers.screens import SIZE, make_order, settle, table_rows


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
        assert not any("(coming)" in t for t in titles)  # every screen is built
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


# Stored English templates that must never reach a Chinese screen (each rendered in the reader's language).
ENGLISH_TEMPLATES = ("short:", "order accepted", "holds and stock settled", "purchase order", "hold.open",
                     "order.status", "order.create", "cannot be read", "WAIT_SELLER", "taobao", "stock_short",
                     "reason:", "kind:", "platform:")


def _texts(table) -> list[str]:
    return [cell for row in table_rows(table) for cell in row]


async def test_stored_reasons_history_ledger_and_sync_problems_read_in_chinese(shop, settings):
    with session_scope(shop) as s:
        wh = catalogue.get_warehouse(s, "WH1")
        short = upsert.upsert_order(s, make_order(1, sku="MB-001"), warehouse=wh).order  # nothing on hand
        upsert.upsert_order(s, make_order(2), warehouse=wh)  # locks HG-001: a ledger row "order accepted"
        sync.shop_state(s, "旗舰店", "taobao")
    sync.ingest_batch(shop, "旗舰店", "taobao", [MalformedRecord("taobao", "TB9", "trade has no lines", {})],
                      sync.SyncSummary(shop="旗舰店", platform="taobao"), warehouse_code="WH1", user="sync")
    app = OmsApp(shop, settings, user_name="boss")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_order(short.id)
        await settle(pilot, app)
        detail = app.screen
        hold_cells = _texts(detail.query_one("#holds", DataTable))
        history = _texts(detail.query_one("#history", DataTable))
        fields = [value for _label, value in detail.detail.fields]
        app.open_sku("HG-001")
        await settle(pilot, app)
        ledger = _texts(app.screen.query_one("#table", DataTable))
        app.open_screen("shops")
        await settle(pilot, app)
        problems = _texts(app.screen.query_one("#problems", DataTable))
    shown = hold_cells + history + fields + ledger + problems
    assert "缺货：MB-001" in hold_cells and "已付款，待发货" in fields
    assert "接入订单" in history and any(cell.startswith("新订单 → 缺货") for cell in history)
    assert "接单锁定" in ledger
    assert any(cell.startswith("无法读取平台的记录：") for cell in problems) and "同步" in problems
    leaked = [(fragment, cell) for cell in shown for fragment in ENGLISH_TEMPLATES if fragment in cell]
    assert leaked == []
