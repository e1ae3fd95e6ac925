"""Exceptions: every open hold with its age, filtered by kind, blocking and age; resolve one, or
resolve a whole kind at once where no decision per order is needed; the exception ratio of the last
24 hours in the header and the alerts still waiting to be sent below."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.text import Text
from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Header, Input, Label, Select

from oms_tui.i18n import N_, _
from oms_tui.models import HoldKind, utcnow
from oms_tui.phrases import render
from oms_tui.screens.cs_dialogs import ResendDialog, ResolveInput, format_age
from oms_tui.screens.formatting import (
    HOLD_NAMES,
    PLATFORM_NAMES,
    STATUS_NAMES,
    format_count,
    local_time,
    named,
    plain,
    shop_zone,
)
from oms_tui.screens.paging import PagedTableScreen
from oms_tui.services.cs import exceptions
from oms_tui.services.cs.exceptions import BULK_SAFE_KINDS, ExceptionFilter
from oms_tui.services.orders.holds import APPROVAL_KINDS
from oms_tui.services.reports import tally
from oms_tui.widgets.dialogs import TextPrompt
from oms_tui.widgets.error_line import ErrorLine
from oms_tui.widgets.keys import KeysFooter
from oms_tui.widgets.paging import TableRow
from oms_tui.widgets.table import Column, KeyedTable

RATIO_HOURS = 24
ALERT_ROWS = 20
TYPING_DELAY = 0.5
REASON_WIDTH = 60  # a long reason is cut in the table (Enter opens the order with all of it)


@dataclass(frozen=True)
class Summary:
    ratio: exceptions.ExceptionRatio
    open_holds: tally.RowCount
    alerts: int
    alert_rows: list[TableRow]


class ExceptionsScreen(PagedTableScreen):
    # A backlog of 100k open holds: 10,001 entries of the partial index, then the tally's estimate.
    COUNT_CAP = 10_000
    TITLE_ID = N_("Exceptions")
    CSS_PATH = "exceptions.tcss"
    BINDINGS = [
        Binding("r", "resolve", N_("Resolve")),
        Binding("b", "bulk_resolve", N_("Resolve all of this kind")),
        Binding("a", "focus_alerts", N_("Alerts")),
        Binding("t", "focus_table", N_("Holds")),
        Binding("slash", "focus_filter", N_("Filter")),
    ]

    def __init__(self, *, kind: str | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.blocking: bool | None = None
        self.min_age_hours: float | None = None
        self._timer = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("", id="ratio")
        with Horizontal(id="filter-bar"):
            yield Select([(_(name), kind) for kind, name in HOLD_NAMES.items()], prompt=_("All kinds"),
                         value=self.kind or Select.NULL, id="kind")
            yield Select([(_("Blocking"), "yes"), (_("Not blocking"), "no")], prompt=_("Blocking or not"),
                         id="blocking")
            yield Input(placeholder=_("Open at least … hours"), id="min-age", max_length=6)
        yield ErrorLine()
        yield KeyedTable(id="table")
        with Horizontal(id="status-bar"):
            yield Label("", id="page-label")
            yield Label(_("Enter: order · r: resolve · b: resolve the kind · a: alerts"), id="hint")
        yield Label(_("Alerts waiting to be sent"), classes="section", id="alerts-title")
        yield KeyedTable(id="alerts")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.setup_table()
        self.query_one("#alerts", KeyedTable).set_columns([
            (_("Created"), "created"), (_("Subject"), "subject"), (_("To"), "to"), (_("Order"), "order"),
            (_("Attempts"), "attempts"), (_("Last error"), "error")])
        self.load_page(1, recount=True)
        self.table.focus()

    # --- the table -----------------------------------------------------------------------------

    def columns(self) -> list[Column]:
        # Kind (red when blocking), age, order and reason stay on a narrow terminal.
        return [Column(_("Kind"), "kind"), Column(_("Blocking"), "blocking", priority=2), Column(_("Open for"), "age"),
                Column(_("Order"), "order"), Column(_("Platform"), "platform", priority=3),
                Column(_("Status"), "status", priority=1), Column(_("Reason"), "reason", max_width=REASON_WIDTH),
                Column(_("Opened"), "opened", priority=3)]

    def current_query(self) -> ExceptionFilter:
        return ExceptionFilter(self.kind, self.blocking, self.min_age_hours)

    def fetch_count(self, session: Session, query: ExceptionFilter) -> tally.RowCount:
        return tally.open_hold_count(session, query, cap=self.COUNT_CAP, zone=shop_zone(self.oms.settings.timezone))

    def fetch_rows(self, session: Session, query: ExceptionFilter, limit: int, offset: int) -> list[TableRow]:
        now = utcnow()
        return self._rows(exceptions.list_open(session, query, limit=limit, offset=offset, now=now), now)

    def fetch_rows_after(self, session: Session, query: ExceptionFilter, limit: int, after: tuple) -> list[TableRow]:
        now = utcnow()
        return self._rows(exceptions.list_open(session, query, limit=limit, now=now, after=after), now)

    def _rows(self, found: list[exceptions.ExceptionRow], now: datetime) -> list[TableRow]:
        zone = shop_zone(self.oms.settings.timezone)
        return [
            TableRow(f"{row.hold_id}:{row.order_id}", (
                Text(named(HOLD_NAMES, row.kind), style="bold red" if row.blocking else "yellow"),
                plain(_("yes") if row.blocking else _("no")), Text(format_age(row.age_hours(now)), justify="right"),
                plain(row.platform_order_id), plain(named(PLATFORM_NAMES, row.platform)),
                plain(named(STATUS_NAMES, row.order_status)), plain(render(row.reason)),
                plain(local_time(row.opened_at, zone)),
            ), position=(row.opened_at, row.hold_id))
            for row in found
        ]

    def load_page(self, number: int | None = None, *, recount: bool = False) -> None:
        super().load_page(number, recount=recount)
        if recount or not self.loaded:
            # Beside the page, not after it: both answer the same key (a page turn leaves the summary be).
            self.load_summary()

    def load_summary(self) -> None:
        zone = shop_zone(self.oms.settings.timezone)

        def fetch(session: Session) -> Summary:
            desk = exceptions.desk_summary(session, since=utcnow() - timedelta(hours=RATIO_HOURS),
                                           alert_limit=ALERT_ROWS, open_cap=self.COUNT_CAP)
            rows = [TableRow(str(a.id), (plain(local_time(a.created_at, zone)), plain(render(a.subject)),
                                         plain(a.channel or a.target),
                                         plain(a.platform_order_id or ""), plain(str(a.attempts)),
                                         plain(render(a.last_error))))
                    for a in desk.pending]
            open_holds = tally.beyond_cap(desk.open_holds, self.COUNT_CAP,
                                          lambda: tally.estimate_open_holds(session, None, zone))
            return Summary(desk.ratio, open_holds, desk.alerts, rows)

        self.read(fetch, self._show_summary, group="summary")

    def _show_summary(self, summary: Summary) -> None:
        ratio = summary.ratio
        open_holds = format_count(summary.open_holds)
        self.query_one("#ratio", Label).update(
            _("Exception ratio, last {hours} h: {held} of {orders} orders ({percent}) · open holds: {open} · "
              "alerts waiting: {alerts}").format(hours=RATIO_HOURS, held=ratio.with_holds, orders=ratio.orders,
                                                  percent=f"{ratio.percent:.1f}%", open=open_holds,
                                                  alerts=summary.alerts))
        self.query_one("#alerts-title", Label).update(
            _("Alerts waiting to be sent ({count})").format(count=summary.alerts))
        self.query_one("#alerts", KeyedTable).show_rows(summary.alert_rows)

    # --- filters -------------------------------------------------------------------------------

    def refilter(self) -> None:
        self.clear_error()
        self.load_page(1, recount=True)

    @on(Select.Changed, "#kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        value = event.value if isinstance(event.value, str) else None
        if value != self.kind:
            self.kind = value
            self.refilter()

    @on(Select.Changed, "#blocking")
    def _blocking_changed(self, event: Select.Changed) -> None:
        value = {"yes": True, "no": False}.get(event.value) if isinstance(event.value, str) else None
        if value != self.blocking:
            self.blocking = value
            self.refilter()

    @on(Input.Changed, "#min-age")
    def _age_typed(self, _event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(TYPING_DELAY, self.apply_age)

    @on(Input.Submitted, "#min-age")
    def _age_submitted(self, _event: Input.Submitted) -> None:
        if self._timer is not None:
            self._timer.stop()
        if self.apply_age():
            self.table.focus()

    def apply_age(self) -> bool:
        text = self.query_one("#min-age", Input).value.strip()
        try:
            hours = float(text) if text else None
            if hours is not None and hours < 0:
                raise ValueError(text)
        except ValueError:
            self.show_error(_("The age is a number of hours, like 24"))
            return False
        if hours != self.min_age_hours:
            self.min_age_hours = hours
            self.refilter()
        return True

    def action_focus_filter(self) -> None:
        self.query_one("#kind", Select).focus()

    def action_focus_table(self) -> None:
        self.table.focus()

    def action_focus_alerts(self) -> None:
        self.query_one("#alerts", KeyedTable).focus()

    # --- opening and resolving ---------------------------------------------------------------------

    def _selected(self) -> tuple[int, int] | None:
        key = self.table.selected_key
        if key is None:
            return None
        hold_id, order_id = key.split(":")
        return int(hold_id), int(order_id)

    @on(DataTable.RowSelected, "#table")
    def _open_order(self, event: DataTable.RowSelected) -> None:
        self.oms.open_order(int(str(event.row_key.value).split(":")[1]))

    def action_resolve(self) -> None:
        selected = self._selected()
        if selected is None:
            self.app.bell()
            return
        hold_id, _order_id = selected
        self.clear_error()
        # Asked first, so an approval hold is refused (saying who decides it) before anything is typed.
        self.read(lambda s: exceptions.resolvable_kind(s, hold_id), lambda kind: self._ask_resolution(hold_id, kind),
                  group="resolvable")

    def _ask_resolution(self, hold_id: int, kind: str) -> None:
        actor = self.actor

        def resolve(answer: str | ResolveInput | None) -> None:
            if answer is None:
                return
            resolution, resend = ((answer.resolution, answer.resend) if isinstance(answer, ResolveInput)
                                  else (answer, True))
            self.clear_error()
            self.write(lambda s: exceptions.resolve(s, hold_id, actor=actor, resolution=resolution,
                                                    resend=resend).status,
                      self._resolved, group="resolve")

        if kind == HoldKind.SHIP_NOTICE_FAILED:
            self.app.push_screen(ResendDialog(), resolve)
        else:
            self.app.push_screen(TextPrompt(_("Resolve the exception"), placeholder=_("How it was resolved")), resolve)

    def _resolved(self, _status: str) -> None:
        self.notify(_("Exception resolved"))
        self.load_page(recount=True)

    def action_bulk_resolve(self) -> None:
        kind = self.kind
        if kind is None:
            self.show_error(_("Choose a kind first: only a whole kind is resolved at once"))
            return
        if kind in APPROVAL_KINDS:
            self.show_error(_("{kind} holds wait for an approval decision (oms approvals): they are not resolved "
                              "here").format(kind=named(HOLD_NAMES, kind)))
            return
        if kind not in BULK_SAFE_KINDS:
            safe = ", ".join(named(HOLD_NAMES, k) for k in sorted(BULK_SAFE_KINDS))
            self.show_error(_("{kind} needs a decision per order; these resolve all at once: {safe}").format(
                kind=named(HOLD_NAMES, kind), safe=safe))
            return
        actor, min_age = self.actor, self.min_age_hours
        name = named(HOLD_NAMES, kind)

        def resolve(resolution: str | None) -> None:
            if resolution is None:
                return
            self.clear_error()
            self.write(lambda s: exceptions.bulk_resolve(s, kind, actor=actor, resolution=resolution,
                                                              min_age_hours=min_age),
                      lambda count: self._bulk_done(count, name), group="resolve")

        label = (_("Every open hold of this kind older than {hours} h").format(hours=f"{min_age:g}") if min_age
                 else _("Every open hold of this kind"))
        self.app.push_screen(TextPrompt(_("Resolve all: {kind}").format(kind=name), label=label,
                                        placeholder=_("How they were resolved")), resolve)

    def _bulk_done(self, count: int, name: str) -> None:
        self.notify(_("{count} exceptions resolved: {kind}").format(count=count, kind=name))
        self.load_page(1, recount=True)
