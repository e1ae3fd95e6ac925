"""Purchasing screen: the buyer sees the suggestions, edits a quantity (a typing error changes nothing),
confirms the supplier's purchase order (inbound goes up), receives part of it, and counts the shelf."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from oms_tui.app import OmsApp
from oms_tui.config import Settings
from oms_tui.db import make_engine, read_session, session_scope
from oms_tui.models import PurchaseOrderStatus
from oms_tui.screens.purchasing import PurchasingScreen
from oms_tui.screens.stock_count import StockCountScreen
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core import users
from oms_tui.services.purchasing import purchase_orders, suggestions
from oms_tui.services.stock import ledger
from oms_tui.widgets.error_line import ErrorLine
from tests.helpers.purchasing import NOW, SYSTEM, seed_purchasing
from tests.helpers.screens import SIZE, column, settle


@pytest.fixture
def books(sqlite_url, monkeypatch):
    engine = make_engine(sqlite_url)
    seed_purchasing(engine)
    with session_scope(engine) as s:
        users.add_user(s, "zhao", "1234", ["warehouse_lead"], display_name="赵主管", actor=SYSTEM)
    monkeypatch.setattr(suggestions, "utcnow", lambda: NOW)  # the data set's clock
    yield engine
    engine.dispose()


@pytest.fixture
def settings(sqlite_url) -> Settings:
    return Settings(database_url=sqlite_url, language="en", timezone="Asia/Shanghai", shop_name="测试旗舰店")


def buckets(engine, code):
    with read_session(engine) as s:
        level = ledger.get_level(s, catalogue.get_warehouse(s, "WH1").id, catalogue.get_sku(s, code).id)
        return level.on_hand, level.inbound


async def answer(pilot, app, text: str) -> None:
    """Type ``text`` into the prompt on top and press Enter."""
    app.screen.query_one("#text", Input).value = text
    await pilot.press("enter")
    await settle(pilot, app)


async def test_order_receive_and_count(books, settings):
    app = OmsApp(books, settings, user_name="zhao")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_screen("purchasing")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, PurchasingScreen)
        table = screen.query_one("#suggestions")
        assert column(table, "sku") == ["A1", "A2", "B1", "B2", "C1"]
        assert column(table, "suggested") == ["9", "3", "0", "4", "0"]
        assert column(table, "order") == ["9", "3", "0", "4", "0"]

        await pilot.press("e")  # A1, the first row
        await settle(pilot, app)
        await answer(pilot, app, "twelve")
        assert "whole number" in str(screen.query_one(ErrorLine).render())
        assert column(table, "order")[0] == "9"
        await pilot.press("e")
        await settle(pilot, app)
        await answer(pilot, app, "12")
        assert column(table, "order")[0] == "12"
        assert screen.work_at_risk() is not None

        await pilot.press("f10")  # SUP1's lines: A1 × 12, A2 × 3
        await settle(pilot, app)
        await pilot.press("y")
        await settle(pilot, app)
        assert buckets(books, "A1") == (10, 12) and buckets(books, "A2") == (3, 2 + 3)
        assert column(screen.query_one("#orders"), "po") == ["PO000001", "PO000001"]
        assert column(table, "order")[:2] == ["0", "0"]  # the new inbound covers them now
        assert screen.work_at_risk() is None

        screen.query_one("#orders").focus()
        await pilot.press("r")  # PO000001's A1
        await settle(pilot, app)
        assert app.screen.query_one("#text", Input).value == "12"
        await answer(pilot, app, "5")
        assert buckets(books, "A1") == (15, 7)
        assert column(screen.query_one("#orders"), "received") == ["5", "0"]
        with read_session(books) as s:
            [po] = purchase_orders.list_purchase_orders(s, SYSTEM)
            assert po.status == PurchaseOrderStatus.PARTIAL

        await pilot.press("c")
        await settle(pilot, app)
        count = app.screen
        assert isinstance(count, StockCountScreen)
        sheet = count.query_one("#sheet")
        assert column(sheet, "sku")[:2] == ["A1", "A2"] and column(sheet, "on_hand")[0] == "15"
        await pilot.press("enter")
        await settle(pilot, app)
        await answer(pilot, app, "14")
        assert column(sheet, "delta")[0] == "-1"
        await pilot.press("f10")
        await settle(pilot, app)
        await pilot.press("y")
        await settle(pilot, app)
        assert buckets(books, "A1") == (14, 7)
        assert column(sheet, "on_hand")[0] == "14" and column(sheet, "counted")[0] == ""
