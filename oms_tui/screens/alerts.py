"""Alerts: what was sent to your roles, on which channel, and whether it arrived (sent / waiting /
failed / not sent), newest first; a manager sees every role's and can pick one."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Header, Label, Select, Static

from oms_tui.i18n import N_, _
from oms_tui.phrases import render
from oms_tui.screens.formatting import local_time, named, plain, shop_zone
from oms_tui.screens.paging import PagedTableScreen
from oms_tui.names import ROLE_NAMES
from oms_tui.services.core.actor import ROLES
from oms_tui.services.messaging import alert_view
from oms_tui.widgets.error_line import ErrorLine
from oms_tui.widgets.keys import KeysFooter
from oms_tui.widgets.paging import PageResult, TableRow
from oms_tui.widgets.table import Column, KeyedTable

STATUS_STYLES = {alert_view.SENT: "green", alert_view.WAITING: "yellow", alert_view.FAILED: "bold red",
                 alert_view.NOT_SENT: "dim"}
NOTE_CELL_CHARS = 50  # the whole note shows under the table for the highlighted row
NO_CHANNEL = N_("(no channel)")


@dataclass(frozen=True)
class AlertsQuery:
    role: str | None = None


class AlertsScreen(PagedTableScreen):
    TITLE_ID = N_("Alerts")
    CSS_PATH = "alerts.tcss"

    def __init__(self, *, role: str | None = None) -> None:
        super().__init__()
        self.role = role
        self._notes: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        visible = alert_view.visible_roles(self.actor)
        roles = [r for r in ROLES if r != "admin"] if visible is None else list(visible)
        yield Header()
        with Horizontal(id="filter-bar"):
            yield Select([(_(ROLE_NAMES.get(r, r)), r) for r in roles], prompt=_("All my roles"),
                         value=self.role if self.role in roles else Select.NULL, id="role")
        yield ErrorLine()
        yield KeyedTable(id="table")
        yield Static("", id="alert-detail", markup=False)
        with Horizontal(id="status-bar"):
            yield Label("", id="page-label")
            yield Label(_("F5: refresh · Esc: back"), id="hint")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.setup_table()
        self.load_page(1, recount=True)
        self.table.focus()

    def columns(self) -> list[Column]:
        # Event, subject, channel and status stay on a narrow terminal; the note shows under the table.
        return [Column(_("Time"), "time", priority=2), Column(_("Event"), "event"), Column(_("Subject"), "subject"),
                Column(_("Order"), "order", priority=1), Column(_("For"), "roles", priority=3),
                Column(_("Channel"), "channel"), Column(_("Status"), "status"),
                Column(_("Attempts"), "attempts", priority=3), Column(_("Note"), "note", priority=2)]

    def current_query(self) -> AlertsQuery:
        return AlertsQuery(self.role)

    def fetch_count(self, session: Session, query: AlertsQuery) -> int:
        return alert_view.count_alerts(session, self.actor, role=query.role)

    def fetch_rows(self, session: Session, query: AlertsQuery, limit: int, offset: int) -> list[TableRow]:
        zone = shop_zone(self.oms.settings.timezone)
        rows, notes = [], {}
        for alert in alert_view.list_alerts(session, self.actor, role=query.role, limit=limit, offset=offset):
            head = (plain(local_time(alert.created_at, zone, seconds=True)), plain(_(alert.title)),
                    plain(render(alert.subject)), plain(alert.order),
                    plain(", ".join(_(ROLE_NAMES.get(r, r)) for r in alert.roles)))
            lines = [(d.channel, d.status, str(d.attempts), d.note) for d in alert.deliveries] or [
                (_(NO_CHANNEL), alert.status, "", render(alert.note))]
            for channel, status, attempts, note in lines:
                key = f"{alert.id}:{channel}"
                cell = note if len(note) <= NOTE_CELL_CHARS else note[:NOTE_CELL_CHARS - 1] + "…"
                rows.append(TableRow(key=key, cells=(
                    *head, plain(channel),
                    Text(named(alert_view.STATUS_NAMES, status), style=STATUS_STYLES.get(status, "")),
                    Text(attempts, justify="right"), Text(cell, style="red" if status == alert_view.FAILED else ""))))
                notes[key] = note
        self._notes = notes  # one swap: the UI thread never sees it half built
        return rows

    def on_page_shown(self, result: PageResult) -> None:
        if not result.rows:
            self.query_one("#page-label", Label).update(_("No alerts for your roles yet"))
        self._show_detail(result.rows[0].key if result.rows else None)

    @on(DataTable.RowHighlighted, "#table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.row_key.value if event.row_key else None)

    def _show_detail(self, key: str | None) -> None:
        note = self._notes.get(key or "", "")
        detail = self.query_one("#alert-detail", Static)
        detail.update(note)
        detail.display = bool(note)

    @on(Select.Changed, "#role")
    def _role_changed(self, event: Select.Changed) -> None:
        value = event.value if isinstance(event.value, str) else None
        if value != self.role:
            self.role = value
            self.clear_error()
            self.load_page(1, recount=True)
