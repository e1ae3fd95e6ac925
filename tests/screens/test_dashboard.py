"""The Dashboard opens from the menu for a manager and shows the fixed data set's figures."""

from __future__ import annotations

from textual.widgets import DataTable, Static
from textual_plotext import PlotextPlot

from oms_tui.app import OmsApp
from oms_tui.db import session_scope
from oms_tui.screens import dashboard as dashboard_screen
from oms_tui.screens.dashboard import DashboardScreen
from oms_tui.services.core import users
from oms_tui.services.core.actor import Actor
from oms_tui.services.reports import rollup
from tests.helpers.dashboard_data import NOW, ZONE, load
from tests.helpers.screens import SIZE, settle, table_rows


async def test_the_dashboard_shows_the_figures(shop, settings, monkeypatch):
    load(shop, with_users=False)
    rollup.refresh_rollup(shop, ZONE, now=NOW)
    with session_scope(shop) as s:
        users.add_user(s, "wang", "2468", ["manager"], display_name="王经理", actor=Actor.system("test"))
    monkeypatch.setattr(dashboard_screen, "utcnow", lambda: NOW)
    settings.language = "en"
    app = OmsApp(shop, settings, user_name="wang")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_screen("dashboard")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, DashboardScreen) and screen.figures is not None
        summary = str(screen.query_one("#summary", Static).content)
        assert "mean 13.1 h, p50 10.0 h, p90 25.0 h" in summary and "2 of 6 scans (33.33%)" in summary
        backlog = {row[0]: row[1:] for row in table_rows(screen.query_one("#backlog", DataTable))}
        assert backlog["picking"] == ["0", "0", "0", "1", "0"]
        months = {row[0]: row[1:] for row in table_rows(screen.query_one("#shipment-errors", DataTable))}
        assert months["2026-11"] == ["1", "2", "1"]
        shops = {row[0]: row for row in table_rows(screen.query_one("#shops", DataTable))}
        assert shops["京东店"][5:] == ["1", "0", "1"]
        assert len(screen.query(PlotextPlot)) == 2
        await pilot.press("escape")
        await settle(pilot, app)
        assert not isinstance(app.screen, DashboardScreen)
