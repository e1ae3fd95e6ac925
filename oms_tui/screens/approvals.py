"""Approvals: the requests waiting for a decision — by default those waiting for one of my roles, the
most urgent first, with when each is due and whom it waits for; beside them the highlighted request
(what is asked and why, its path and who signed), the order, and the customer's history across
platforms with the credit score. ``a`` approves (a comment if you like, Enter), ``r`` rejects (a reason,
Enter); the service checks that the step is yours and that you did not ask for it yourself."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Header, Label, Select, Static

from oms_tui.i18n import N_, _
from oms_tui.models import utcnow
from oms_tui.names import APPROVAL_KIND_NAMES, ROLE_NAMES
from oms_tui.phrases import render
from oms_tui.screens.cs_dialogs import format_age
from oms_tui.screens.formatting import PLATFORM_NAMES, STATUS_NAMES, local_time, money, named, num, plain, shop_zone, yuan
from oms_tui.screens.customer_pane import customer_facts, detail_grid, history_columns, history_rows
from oms_tui.screens.paging import PagedTableScreen
from oms_tui.services.approvals import decisions, overview
from oms_tui.services.approvals.decisions import role_names
from oms_tui.widgets.dialogs import TextPrompt
from oms_tui.widgets.error_line import ErrorLine
from oms_tui.widgets.keys import KeysFooter
from oms_tui.widgets.paging import TableRow
from oms_tui.widgets.table import Column, KeyedTable

DETAIL_DELAY = 0.15  # seconds the cursor rests on a row before its detail is read
MINE, ALL = "mine", "all"


@dataclass(frozen=True)
class ApprovalsQuery:
    roles: tuple[str, ...] | None  # None: every pending request


@dataclass(frozen=True)
class DetailView:
    request_id: int
    order_id: int
    order_ref: str
    fields: list[tuple[str, str]]
    signatures: list[TableRow]
    lines: list[TableRow]
    customer: list[tuple[str, str]]
    history: list[TableRow]


class ApprovalsScreen(PagedTableScreen):
    TITLE_ID = N_("Approvals")
    CSS_PATH = "approvals.tcss"
    PAGE_SIZE = 30
    BINDINGS = [
        Binding("a", "approve", N_("Approve"), tooltip=N_("Approve (sign) the request; a comment if you like")),
        Binding("r", "reject", N_("Reject"), tooltip=N_("Reject the request with a reason CS reads")),
        Binding("w", "toggle_scope", N_("Mine / all"), tooltip=N_("Requests waiting for my roles, or all")),
        Binding("pagedown", "next_page", N_("Next page"), key_display="PgDn", show=False, priority=True),
        Binding("pageup", "previous_page", N_("Previous page"), key_display="PgUp", show=False, priority=True),
        Binding("f5", "refresh", N_("Refresh"), show=False),
    ]

    def __init__(self, *, scope: str = MINE) -> None:
        super().__init__()
        self.scope = scope
        self.detail: DetailView | None = None
        self._detail_timer = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="filter-bar"):
            yield Select([(_("Waiting for my roles"), MINE), (_("All pending requests"), ALL)], value=self.scope,
                         allow_blank=False, id="scope")
        yield ErrorLine()
        with Horizontal(id="body"):
            with Vertical(id="queue-pane"):
                yield KeyedTable(id="table")
                with Horizontal(id="status-bar"):
                    yield Label("", id="page-label")
            with VerticalScroll(id="detail-pane"):
                yield Static(_("Nothing waits for a decision"), id="fields")
                yield Label(_("Signatures"), classes="section")
                yield KeyedTable(id="signatures")
                yield Label(_("Lines"), classes="section")
                yield KeyedTable(id="lines")
                yield Label(_("Customer"), classes="section")
                yield Static("", id="customer")
                yield KeyedTable(id="history")
        yield Label(_("a: approve · r: reject · Enter: order · w: mine / all · F5: refresh · ?: all keys"), id="hint")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.setup_table()
        self.query_one("#signatures", KeyedTable).set_columns([
            (_("Step"), "step"), (_("Role"), "role"), (_("Who"), "user"), (_("Decision"), "decision"),
            Column(_("When"), "at", priority=2), Column(_("Comment"), "comment", priority=1)])
        self.query_one("#lines", KeyedTable).set_columns([
            Column(_("SKU"), "sku"), Column(_("Title"), "title", priority=1), Column(_("Qty"), "qty"),
            Column(_("Price"), "price")])
        self.query_one("#history", KeyedTable).set_columns(history_columns())
        self.load_page(1, recount=True)
        self.table.focus()

    # --- the list ------------------------------------------------------------------------------

    def columns(self) -> list[Column]:
        return [Column(_("Due"), "due"), Column(_("Order"), "order"), Column(_("Kind"), "kind"),
                Column(_("Waits for"), "waiting"), Column(_("Step"), "step", priority=2),
                Column(_("Asked by"), "asked_by", priority=1), Column(_("Total"), "total", priority=2),
                Column(_("Platform"), "platform", priority=3)]

    def current_query(self) -> ApprovalsQuery:
        return ApprovalsQuery(tuple(self.actor.roles) if self.scope == MINE else None)

    def fetch_count(self, session: Session, query: ApprovalsQuery) -> int:
        return decisions.count_pending(session, waiting_for=query.roles)

    def fetch_rows(self, session: Session, query: ApprovalsQuery, limit: int, offset: int) -> list[TableRow]:
        zone = shop_zone(self.oms.settings.timezone)
        now = utcnow()
        rows = []
        for r in decisions.list_pending(session, limit=limit, offset=offset, waiting_for=query.roles):
            if r.due_at is None:
                due = Text(_("stalled"), style="bold red")
            elif r.due_at <= now or r.escalations:
                due = Text(local_time(r.due_at, zone), style="bold red")
            else:
                due = Text(local_time(r.due_at, zone))
            rows.append(TableRow(str(r.id), (
                due, plain(r.platform_order_id), plain(named(APPROVAL_KIND_NAMES, r.kind)),
                Text(role_names(r.waiting_for), style="bold" if r.escalations else ""),
                plain(f"{r.step + 1}/{r.steps}"), plain(r.requested_by), money(r.total_fen),
                plain(named(PLATFORM_NAMES, r.platform)))))
        return rows

    def on_page_shown(self, result) -> None:  # noqa: ANN001 - a PageResult
        if not result.rows:
            self.query_one("#page-label", Label).update(
                _("Nothing waits for your roles") if self.scope == MINE else _("Nothing waits for a decision"))
            self._show_detail(None)
        else:
            self._load_detail_soon()

    @on(DataTable.RowHighlighted, "#table")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._load_detail_soon()

    @on(DataTable.RowSelected, "#table")
    def _open_order(self, _event: DataTable.RowSelected) -> None:
        if self.detail is not None and str(self.detail.request_id) == self.table.selected_key:
            self.oms.open_order(self.detail.order_id)

    @on(Select.Changed, "#scope")
    def _scope_changed(self, event: Select.Changed) -> None:
        if event.value in (MINE, ALL) and event.value != self.scope:
            self.scope = str(event.value)
            self.clear_error()
            self.load_page(1, recount=True)

    def action_toggle_scope(self) -> None:
        self.query_one("#scope", Select).value = ALL if self.scope == MINE else MINE

    # --- the detail pane -----------------------------------------------------------------------

    def _load_detail_soon(self) -> None:
        if self._detail_timer is not None:
            self._detail_timer.stop()
        self._detail_timer = self.set_timer(DETAIL_DELAY, self.load_detail)

    def load_detail(self) -> None:
        key = self.table.selected_key
        if key is None:
            self._show_detail(None)
            return
        zone = shop_zone(self.oms.settings.timezone)

        def fetch(session: Session) -> DetailView:
            d = overview.request_detail(session, int(key))
            now = utcnow()
            path = " → ".join(("[" if i == d.step else "") + " + ".join(_(ROLE_NAMES.get(r, r)) for r in step)
                              + ("]" if i == d.step else "") for i, step in enumerate(d.steps))
            due = _("stalled, nobody left above") if d.due_at is None else (
                _("{time} (overdue)").format(time=local_time(d.due_at, zone)) if d.due_at <= now
                else local_time(d.due_at, zone))
            fields = [
                (_("Request"), f"#{d.id} {named(APPROVAL_KIND_NAMES, d.kind)}"),
                (_("Why"), render(d.reason)),
                *[(key_, value) for key_, value in d.detail.items()],
                (_("Asked by"), _("{user}, {age} ago").format(
                    user=d.requested_by, age=format_age((now - d.requested_at).total_seconds() / 3600))),
                (_("Path"), _("{path} (rule {rule})").format(path=path, rule=d.rule)),
                (_("Waits for"), role_names(d.waiting_for) + (_(" · climbed {n}×").format(n=d.escalations)
                                                              if d.escalations else "")),
                (_("Due"), due),
                (_("Order"), f"{named(PLATFORM_NAMES, d.platform)} {d.platform_order_id} · "
                             f"{named(STATUS_NAMES, d.order_status)} · {d.shop}"),
                (_("Total"), _("{total} (paid {paid})").format(total=yuan(d.total_fen), paid=yuan(d.paid_fen))),
                (_("Receiver"), d.receiver_name),
            ]
            signatures = [TableRow(str(i), (
                plain(str(s.step + 1)), plain(_(ROLE_NAMES.get(s.role, s.role))), plain(s.user),
                Text(_("approved") if s.approve else _("rejected"), style="green" if s.approve else "bold red"),
                plain(local_time(s.at, zone)), plain(s.comment))) for i, s in enumerate(d.signatures)]
            lines = [TableRow(str(i), (plain(sku), plain(title), num(qty), money(price)))
                     for i, (sku, title, qty, price) in enumerate(d.lines)]
            customer, history = [], []
            if d.history is not None and d.credit is not None:
                customer = customer_facts(d.history, d.credit)
                history = history_rows(d.history, zone)
            return DetailView(d.id, d.order_id, d.platform_order_id, fields, signatures, lines, customer, history)

        self.read(fetch, self._show_detail, group="detail")

    def _show_detail(self, detail: DetailView | None) -> None:
        previous, self.detail = self.detail, detail
        if detail is None:
            self.query_one("#fields", Static).update(_("Nothing waits for a decision"))
            self.query_one("#customer", Static).update("")
        else:
            self.query_one("#fields", Static).update(detail_grid(detail.fields))
            self.query_one("#customer", Static).update(detail_grid(detail.customer) if detail.customer
                                                        else _("No customer record"))
        same = previous is not None and detail is not None and previous.request_id == detail.request_id
        for table_id, rows in (("#signatures", detail.signatures if detail else []),
                               ("#lines", detail.lines if detail else []),
                               ("#history", detail.history if detail else [])):
            self.query_one(table_id, KeyedTable).show_rows(rows, keep_cursor=same)

    # --- decisions -----------------------------------------------------------------------------

    def _ready(self) -> DetailView | None:
        """The request the keys act on (the detail shown); a bell when there is none yet."""
        if self.detail is None or str(self.detail.request_id) != self.table.selected_key:
            self.app.bell()
            return None
        return self.detail

    def _decide(self, detail: DetailView, *, approve: bool, comment: str) -> None:
        actor = self.actor
        self.clear_error()

        def done(status: str) -> None:
            if status == "pending":
                message = _("Signed request #{request}: it waits for the next signature").format(
                    request=detail.request_id)
            elif approve:
                message = _("Approved request #{request}: order {order} goes on").format(
                    request=detail.request_id, order=detail.order_ref)
            else:
                message = _("Rejected request #{request}: order {order} is back with CS").format(
                    request=detail.request_id, order=detail.order_ref)
            self.notify(message)
            self.load_page(recount=True)

        self.write(lambda session: str(decisions.decide(session, detail.request_id, actor=actor, approve=approve,
                                                        comment=comment).status), done, group="decide")

    def action_approve(self) -> None:
        detail = self._ready()
        if detail is None:
            return

        def entered(comment: str | None) -> None:
            if comment is not None:
                self._decide(detail, approve=True, comment=comment)

        self.app.push_screen(TextPrompt(_("Approve request #{request} on order {order}").format(
            request=detail.request_id, order=detail.order_ref), label=_("A comment, if you like; Enter approves"),
            required=False), entered)

    def action_reject(self) -> None:
        detail = self._ready()
        if detail is None:
            return

        def entered(reason: str | None) -> None:
            if reason:
                self._decide(detail, approve=False, comment=reason)

        self.app.push_screen(TextPrompt(_("Reject request #{request} on order {order}").format(
            request=detail.request_id, order=detail.order_ref), label=_("Why not — CS reads it; Enter rejects"),
            placeholder=_("The reason")), entered)
