"""Shops: each shop's order sync — last run, what it brought, errors — and the records it refused."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Label

from oms_tui.i18n import N_, _
from oms_tui.screens.base import OmsScreen
from oms_tui.phrases import render
from oms_tui.screens.formatting import (
    PLATFORM_NAMES,
    PROBLEM_SOURCE_NAMES,
    local_time,
    named,
    num,
    plain,
    shop_zone,
)
from oms_tui.services.floor import ship_notices
from oms_tui.services.intake import sync
from oms_tui.widgets.error_line import ErrorLine

PROBLEM_ROWS = 50
STATUS_STYLE = {"ok": "green", "error": "bold red", "running": "yellow", "never": "dim"}
STATUS_TEXT = {"ok": N_("ok"), "error": N_("error"), "running": N_("running"), "never": N_("never run")}


def ship_notice_cell(counts: ship_notices.ShipNoticeCounts | None) -> Text:
    """"2 failed · 1 to send": notices the platform was not told of (each an open hold) and those still tried."""
    if counts is None:
        return Text("")
    parts = []
    if counts.failed:
        parts.append(Text(_("{count} failed").format(count=counts.failed), style="bold red"))
    if counts.waiting:
        parts.append(Text(_("{count} to send").format(count=counts.waiting), style="yellow"))
    return Text(" · ").join(parts)


class ShopsScreen(OmsScreen):
    TITLE_ID = N_("Shops and sync")
    CSS_PATH = "shops.tcss"
    BINDINGS = [
        Binding("f5", "refresh", N_("Refresh")),
        Binding("escape", "back", N_("Back")),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(_("Order sync per shop (refreshes by itself)"), classes="section-title")
        yield ErrorLine()
        yield DataTable(id="shops", cursor_type="row")
        yield Label(_("Records the sync could not take in (newest first)"), classes="section-title")
        yield DataTable(id="problems", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#shops", DataTable).add_columns(
            _("Shop"), _("Platform"), _("Status"), _("Last run"), _("New"), _("Updated"), _("Malformed"),
            _("Total new"), _("Runs"), _("Errors"), _("Ship notices"), _("Last error"))
        self.query_one("#problems", DataTable).add_columns(_("Time"), _("Shop"), _("Order"), _("Source"),
                                                           _("Reason"))
        self.action_refresh()

    def on_data_changed(self) -> None:
        self.action_refresh()  # every sync run writes orders, audit rows or problems

    def action_refresh(self) -> None:
        self.read(lambda session: (sync.sync_overview(session, problem_limit=PROBLEM_ROWS),
                                   ship_notices.ship_notice_counts(session)), self._show)

    def _show(self, read: tuple[sync.SyncOverview, dict[str, ship_notices.ShipNoticeCounts]]) -> None:
        overview, notices = read
        shops, problems = overview.shops, overview.problems
        zone = shop_zone(self.oms.settings.timezone)
        table = self.query_one("#shops", DataTable)
        table.clear()
        for row in shops:
            table.add_row(
                plain(row.shop), plain(named(PLATFORM_NAMES, row.platform)),
                Text(_(STATUS_TEXT.get(row.status, row.status)), style=STATUS_STYLE.get(row.status, "")),
                plain(local_time(row.last_finished_at, zone, seconds=True)), num(row.last_new), num(row.last_updated),
                num(row.last_malformed, style="red" if row.last_malformed else ""), num(row.total_new),
                num(row.runs), num(row.errors, style="red" if row.errors else ""),
                ship_notice_cell(notices.get(row.shop)), Text(render(row.last_error)[:80], style="red"),
                key=row.shop)
        problem_table = self.query_one("#problems", DataTable)
        problem_table.clear()
        for problem in problems:
            problem_table.add_row(plain(local_time(problem.at, zone, seconds=True)), plain(problem.shop),
                                  plain(problem.order), plain(named(PROBLEM_SOURCE_NAMES, problem.source)),
                                  plain(render(problem.reason)[:100]))

    def action_back(self) -> None:
        self.app.pop_screen()
