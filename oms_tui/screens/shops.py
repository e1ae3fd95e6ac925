"""Shops: each shop's order sync — last run, what it brought, errors — its authorization on the platform
("authorization expires in 3 days"), and the records the sync refused."""

from __future__ import annotations


from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Label

from oms_tui.i18n import N_, _
from oms_tui.names import rate_limited_until
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
from oms_tui.services.intake import shop_auth, sync
from oms_tui.widgets.error_line import ErrorLine
from oms_tui.widgets.keys import KeysFooter
from oms_tui.widgets.paging import TableRow
from oms_tui.widgets.table import KeyedTable

PROBLEM_ROWS = 50
STATUS_STYLE = {"ok": "green", "error": "bold red", "running": "yellow", "never": "dim", "paused": "yellow"}
STATUS_TEXT = {"ok": N_("ok"), "error": N_("error"), "running": N_("running"), "never": N_("never run"),
               "paused": N_("paused")}
AUTH_STYLE = {"ok": "green", "config": "dim", "expiring": "bold yellow", "expired": "bold red",
              "unauthorized": "bold red"}


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
        yield KeyedTable(id="shops", zebra_stripes=False)
        yield Label(_("Records the sync could not take in (newest first)"), classes="section-title")
        yield KeyedTable(id="problems", zebra_stripes=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#shops", KeyedTable).set_columns([
            (_("Shop"), "shop"), (_("Platform"), "platform"), (_("Status"), "status"), (_("Last run"), "last_run"),
            (_("New"), "new"), (_("Updated"), "updated"), (_("Malformed"), "malformed"), (_("Total new"), "total_new"),
            (_("Runs"), "runs"), (_("Errors"), "errors"), (_("Ship notices"), "ship_notices"),
            (_("Last error"), "last_error"),
            (_("Authorization"), "authorization")])
        self.query_one("#problems", KeyedTable).set_columns([
            (_("Time"), "at"), (_("Shop"), "shop"), (_("Order"), "order"), (_("Source"), "source"),
            (_("Reason"), "reason")])
        self.action_refresh()

    def on_data_changed(self) -> None:
        self.action_refresh()  # every sync run writes orders, audit rows or problems

    def action_refresh(self) -> None:
        settings = self.oms.settings

        def read(session):
            return (sync.sync_overview(session, problem_limit=PROBLEM_ROWS), shop_auth.overview(
                session, settings.shops, alert_days=settings.token_alert_days,
                refresh_hours=settings.token_refresh_hours), ship_notices.ship_notice_counts(session))

        self.read(read, self._show)

    def _show(self, read: tuple[sync.SyncOverview, list[shop_auth.AuthView],
                                dict[str, ship_notices.ShipNoticeCounts]]) -> None:
        overview, views, notices = read
        shops, problems = overview.shops, overview.problems
        auth = {view.shop: view for view in views}
        zone = shop_zone(self.oms.settings.timezone)
        rows = [TableRow(row.shop, (
            plain(row.shop), plain(named(PLATFORM_NAMES, row.platform)),
            Text(_status_text(row, zone), style=STATUS_STYLE.get(row.status, "")),
            plain(local_time(row.last_finished_at, zone, seconds=True)), num(row.last_new), num(row.last_updated),
            num(row.last_malformed, style="red" if row.last_malformed else ""), num(row.total_new),
            num(row.runs), num(row.errors, style="red" if row.errors else ""), ship_notice_cell(notices.get(row.shop)),
            Text(render(row.last_error)[:80], style="red"), self._authorization(auth.get(row.shop), zone)))
            for row in shops]
        synced = {row.shop for row in shops}
        # Configured shops that have not synced yet still show their authorization.
        rows += [TableRow(view.shop, (
            plain(view.shop), plain(named(PLATFORM_NAMES, view.platform)),
            Text(_(STATUS_TEXT["never"]), style=STATUS_STYLE["never"]), plain(""), num(0), num(0),
            num(0), num(0), num(0), num(0), Text(""), Text(""), self._authorization(view, zone)))
            for view in views if view.shop not in synced]
        self.query_one("#shops", KeyedTable).show_rows(rows)
        self.query_one("#problems", KeyedTable).show_rows([TableRow(f"{number}", (
            plain(local_time(problem.at, zone, seconds=True)), plain(problem.shop), plain(problem.order),
            plain(named(PROBLEM_SOURCE_NAMES, problem.source)), plain(render(problem.reason)[:100])))
            for number, problem in enumerate(problems)])

    @staticmethod
    def _authorization(view: shop_auth.AuthView | None, zone) -> Text:  # noqa: ANN001 - a tzinfo
        if view is None:
            return Text("")
        text = shop_auth.status_text(view, show_date=lambda moment: local_time(moment, zone)[:10])
        return Text(text, style=AUTH_STYLE.get(view.status.value, ""))

    def action_back(self) -> None:
        self.app.pop_screen()


def _status_text(row: sync.ShopRow, zone) -> str:
    """The status cell; a shop the platform rate-limited says until when (its local time)."""
    if row.paused_until is not None:
        return rate_limited_until(row.paused_until, zone)
    return _(STATUS_TEXT.get(row.status, row.status))
