"""Finance screen: the month per platform, a bill imported from the screen and its differences listed; a
file that is no bill is a red line and changes nothing."""

from __future__ import annotations

import pytest
from sqlmodel import select
from textual.widgets import Input

from oms_tui.app import OmsApp
from oms_tui.config import Settings
from oms_tui.db import make_engine, read_session, session_scope
from oms_tui.models import SettlementImport
from oms_tui.screens.finance import FinanceScreen, previous_month
from oms_tui.services.core import users
from oms_tui.widgets.error_line import ErrorLine
from tests.helpers.purchasing import SYSTEM, TAOBAO_BILL_CSV, seed_purchasing
from tests.helpers.screens import SIZE, column, settle


@pytest.fixture
def books(sqlite_url):
    engine = make_engine(sqlite_url)
    seed_purchasing(engine)
    with session_scope(engine) as s:
        users.add_user(s, "qian", "1234", ["finance"], display_name="钱会计", actor=SYSTEM)
    yield engine
    engine.dispose()


def test_the_month_closed_is_the_one_before():
    from datetime import datetime

    assert previous_month(datetime(2026, 1, 5)) == "2025-12"
    assert previous_month(datetime(2026, 11, 30)) == "2026-10"


async def test_month_figures_import_and_diff(books, sqlite_url, tmp_path):
    settings = Settings(database_url=sqlite_url, language="en", timezone="Asia/Shanghai")
    bill = tmp_path / "tb.csv"
    bill.write_bytes(TAOBAO_BILL_CSV.encode("gb18030"))
    wrong = tmp_path / "notes.csv"
    wrong.write_text("hello,world\n1,2\n", encoding="utf-8")
    app = OmsApp(books, settings, user_name="qian")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_screen("finance", month="2026-10")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, FinanceScreen)
        summary = screen.query_one("#summary")
        assert column(summary, "platform") == ["Taobao/Tmall", "JD", "Pinduoduo", "Douyin Shop", "Total"]
        assert column(summary, "orders") == ["4", "1", "0", "0", "5"]
        assert column(summary, "profit") == ["¥112.00", "¥58.00", "¥0.00", "¥0.00", "¥170.00"]
        assert column(screen.query_one("#diff"), "order") == []

        for path in (wrong, bill):
            await pilot.press("i")
            await settle(pilot, app)
            app.screen.query_one("#path", Input).value = str(path)
            await pilot.press("enter")
            await settle(pilot, app)
            if path is wrong:
                assert "this is not a Taobao/Tmall bill" in str(screen.query_one(ErrorLine).render())
                with read_session(books) as s:
                    assert s.exec(select(SettlementImport)).all() == []
        diff = screen.query_one("#diff")
        assert column(diff, "order") == ["T3", "T4", "T5", "T9"]
        assert column(diff, "kind") == ["missing from the bill", "not ours in this month", "amount differs",
                                        "not ours in this month"]
        assert column(diff, "bill_refund")[2] == "¥15.00"

        screen.query_one("#month", Input).value = "2026-13"
        screen.query_one("#month", Input).focus()
        await pilot.press("enter")
        await settle(pilot, app)
        assert "YYYY-MM" in str(screen.query_one(ErrorLine).render())
        assert column(screen.query_one("#summary"), "orders") == ["4", "1", "0", "0", "5"]
