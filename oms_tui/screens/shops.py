"""Shops: each shop's order sync — last run, what it brought, errors — its authorization on the platform
("authorization expires in 3 days"), and the records the sync refused."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Label

from oms_tui.i18n import N_, _
from oms_tui.screens.base import OmsScreen
from oms_tui.screens.formatting import (
    PLATFORM_NAMES,
    local_time,
    named,
    num,
    plain,
    shop_zone,
)
from oms_tui.services.intake import shop_auth, sync
from oms_tui.widgets.error_line import ErrorLine

PROBLEM_ROWS = 50
STATUS_STYLE = {"ok": "green", "error": "bold red", "running": "yellow", "never": "dim"}
STATUS_TEXT = {"ok": N_("ok"), "error": N_("error"), "running": N_("running"), "never": N_("never run")}
AUTH_STYLE = {"ok": "green", "config": "dim", "expiring": "bold yellow", "expired": "bold red",
              "unauthorized": "bold red"}


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
            _("Total new"), _("Runs"), _("Errors"), _("Last error"), _("Authorization"))
        self.query_one("#problems", DataTable).add_columns(_("Time"), _("Shop"), _("Order"), _("Source"),
                                                           _("Reason"))
        self.action_refresh()

    def on_data_changed(self) -> None:
        self.action_refresh()  # every sync run writes orders, audit rows or problems

    def action_refresh(self) -> None:
        settings = self.oms.settings

        def read(session):
            return sync.sync_overview(session, problem_limit=PROBLEM_ROWS), shop_auth.overview(
                session, settings.shops, alert_days=settings.token_alert_days,
                refresh_hours=settings.token_refresh_hours)

        self.read(read, self._show)

    def _show(self, read: tuple[sync.SyncOverview, list[shop_auth.AuthView]]) -> None:
        overview, views = read
        shops, problems = overview.shops, overview.problems
        auth = {view.shop: view for view in views}
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
                Text(row.last_error[:80], style="red"), self._authorization(auth.get(row.shop), zone), key=row.shop)
        synced = {row.shop for row in shops}
        for view in views:  # configured shops that have not synced yet still show their authorization
            if view.shop not in synced:
                table.add_row(plain(view.shop), plain(named(PLATFORM_NAMES, view.platform)),
                              Text(_(STATUS_TEXT["never"]), style=STATUS_STYLE["never"]), plain(""), num(0), num(0),
                              num(0), num(0), num(0), num(0), Text(""), self._authorization(view, zone), key=view.shop)
        problem_table = self.query_one("#problems", DataTable)
        problem_table.clear()
        for problem in problems:
            problem_table.add_row(plain(local_time(problem.at, zone, seconds=True)), plain(problem.shop),
                                  plain(problem.order), plain(problem.source), plain(problem.reason[:100]))

    @staticmethod
    def _authorization(view: shop_auth.AuthView | None, zone) -> Text:  # noqa: ANN001 - a tzinfo
        if view is None:
            return Text("")
        text = shop_auth.status_text(view, show_date=lambda moment: local_time(moment, zone)[:10])
        return Text(text, style=AUTH_STYLE.get(view.status.value, ""))

    def action_back(self) -> None:
        self.app.pop_screen()
