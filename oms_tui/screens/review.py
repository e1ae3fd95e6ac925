"""The review queue: orders waiting for customer service, the longest waiting first, with why; beside
it the highlighted order (lines, address, holds) and its customer's history across platforms with a
credit summary; one key per decision (shown in the footer)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Header, Label, Static

from oms_tui.i18n import N_, _
from oms_tui.models import HoldKind, utcnow
from oms_tui.phrases import render
from oms_tui.screens.cs_dialogs import (
    AddressDialog,
    AddressInput,
    ApprovalDialog,
    ApprovalInput,
    format_age,
)
from oms_tui.screens.formatting import (
    HOLD_NAMES,
    PLATFORM_NAMES,
    STATUS_NAMES,
    local_time,
    money,
    named,
    num,
    plain,
    shop_zone,
    yuan,
)
from oms_tui.screens.customer_pane import customer_facts, detail_grid, history_columns, history_rows
from oms_tui.screens.paging import PagedTableScreen
from oms_tui.services.cs import review
from oms_tui.services.reports import tally
from oms_tui.widgets.dialogs import TextPrompt
from oms_tui.widgets.error_line import ErrorLine
from oms_tui.widgets.keys import KeysFooter
from oms_tui.widgets.paging import TableRow
from oms_tui.widgets.table import Column, KeyedTable

DETAIL_DELAY = 0.15  # seconds the cursor rests on a row before its detail is read


@dataclass(frozen=True)
class DetailView:
    """The highlighted order, drawn from plain values."""

    order_id: int
    platform_order_id: str
    address: AddressInput
    fields: list[tuple[str, str]]
    lines: list[TableRow]
    holds: list[TableRow]
    hold_kinds: dict[int, str]  # hold id → kind, for the release key
    customer: list[tuple[str, str]]
    history: list[TableRow]
    has_partners: bool


class ReviewScreen(PagedTableScreen):
    TITLE_ID = N_("Review queue")
    CSS_PATH = "review.tcss"
    PAGE_SIZE = 30
    COUNT_CAP = 10_000  # a queue of 50k reads "10,000+ rows" at once
    # Short descriptions so the eight decisions fit an 80-column footer; the ``?`` panel adds the tooltips.
    BINDINGS = [
        Binding("e", "edit_address", N_("Edit"), tooltip=N_("Edit the receiver and address")),
        Binding("c", "confirm_address", N_("Addr OK"), tooltip=N_("The address is right as it is")),
        Binding("r", "accept_remark", N_("Read"), tooltip=N_("The buyer's remark is read and handled")),
        Binding("m", "merge", N_("Merge"), tooltip=N_("Duplicates: ship them in one parcel")),
        Binding("k", "keep_both", N_("Keep"), tooltip=N_("Not duplicates: each order ships on its own")),
        Binding("h", "release", N_("Release"), tooltip=N_("Release the hold under the cursor")),
        Binding("x", "cancel_order", N_("Cancel"), tooltip=N_("Cancel the order")),
        Binding("v", "approval", N_("Approval"), tooltip=N_("Ask for an approval")),
        Binding("tab", "switch_pane", N_("Queue / holds"), show=False),
        # Paging stays on its keys but leaves the footer to the decisions (the hint line names it).
        Binding("pagedown", "next_page", N_("Next page"), key_display="PgDn", show=False, priority=True),
        Binding("pageup", "previous_page", N_("Previous page"), key_display="PgUp", show=False, priority=True),
        Binding("f5", "refresh", N_("Refresh"), show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.detail: DetailView | None = None
        self._detail_timer = None
        self._detail_asked: int | None = None  # the order whose detail was last read (or is being read)
        self._decided: set[str] = set()  # orders decided at this desk: leaving the queue is no news

    def compose(self) -> ComposeResult:
        yield Header()
        yield ErrorLine()
        with Horizontal(id="body"):
            with Vertical(id="queue-pane"):
                yield KeyedTable(id="table")
                with Horizontal(id="status-bar"):
                    yield Label("", id="page-label")
            with VerticalScroll(id="detail-pane"):
                yield Static(_("The queue is empty"), id="fields")
                yield Label(_("Lines"), classes="section")
                yield KeyedTable(id="lines")
                yield Label(_("Open holds"), classes="section")
                yield KeyedTable(id="holds")
                yield Label(_("Customer"), classes="section")
                yield Static("", id="customer")
                yield KeyedTable(id="history")
        yield Label(_("Enter: order · Tab: queue / holds · PgDn/PgUp: page · F5: refresh · ?: all keys"), id="hint")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.setup_table()
        self.query_one("#lines", KeyedTable).set_columns([
            Column(_("SKU"), "sku"), Column(_("Title"), "title", priority=1), Column(_("Qty"), "qty"),
            Column(_("Price"), "price")])
        self.query_one("#holds", KeyedTable).set_columns([
            (_("Kind"), "kind"), (_("Waiting"), "age"), (_("Reason"), "reason")])
        self.query_one("#history", KeyedTable).set_columns(history_columns())
        self.load_page(1, recount=True)
        self.table.focus()

    # --- the queue -----------------------------------------------------------------------------

    def columns(self) -> list[Column]:
        # On a narrow terminal the platform goes first (the detail names it), then total and receiver.
        return [Column(_("Waiting"), "age"), Column(_("Order"), "order"), Column(_("Platform"), "platform", priority=3),
                Column(_("Why"), "why"), Column(_("Receiver"), "receiver", priority=1),
                Column(_("Total"), "total", priority=2)]

    def fetch_count(self, session: Session, query: object) -> tally.RowCount:
        return tally.review_queue_count(session, cap=self.COUNT_CAP, zone=shop_zone(self.oms.settings.timezone))

    def fetch_rows(self, session: Session, query: object, limit: int, offset: int) -> list[TableRow]:
        return self._rows(review.list_queue(session, limit=limit, offset=offset))

    def fetch_rows_after(self, session: Session, query: object, limit: int, after: tuple) -> list[TableRow]:
        return self._rows(review.list_queue(session, limit=limit, after=after))

    def _rows(self, items: list[review.QueueItem]) -> list[TableRow]:
        now = utcnow()
        rows = []
        for item in items:
            why = ", ".join(named(HOLD_NAMES, h.kind) for h in item.holds) or named(STATUS_NAMES, item.status)
            rows.append(TableRow(str(item.order_id), (
                Text(format_age(item.age(now)), justify="right"), plain(item.platform_order_id),
                plain(named(PLATFORM_NAMES, item.platform)), Text(why, style="bold"), plain(item.receiver_name),
                money(item.total_fen)), position=(item.paid_at, item.created_at, item.order_id)))
        return rows

    def on_page_shown(self, result) -> None:  # noqa: ANN001 - a PageResult
        if not result.rows:
            self._show_detail(None)
        else:
            # At once: the page and its detail pane are one answer to the key (the wait is for a cursor
            # moving over rows, not for a page just read).
            if self._detail_timer is not None:
                self._detail_timer.stop()
            self.load_detail()

    @on(DataTable.RowHighlighted, "#table")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        if self._detail_asked is not None and self._detail_asked == self.selected_order_id():
            if self._detail_timer is not None:  # back on the row whose detail is shown: nothing to read
                self._detail_timer.stop()
            return
        self._load_detail_soon()

    @on(DataTable.RowSelected, "#table")
    def _open_order(self, event: DataTable.RowSelected) -> None:
        self.oms.open_order(int(event.row_key.value))

    def selected_order_id(self) -> int | None:
        key = self.table.selected_key
        return None if key is None else int(key)

    def on_cursor_row_gone(self, row: TableRow) -> None:
        if row.key in self._decided:
            self._decided.discard(row.key)
            return
        # Decided at another desk: say so, so nobody acts on the order that slid under the cursor unawares.
        self.notify(_("Order {order} left the queue (decided elsewhere); the cursor is on the next order").format(
            order=self.table.cell_text(row, "order")), severity="warning")

    # --- the detail pane -----------------------------------------------------------------------

    def _load_detail_soon(self) -> None:
        if self._detail_timer is not None:
            self._detail_timer.stop()
        self._detail_timer = self.set_timer(DETAIL_DELAY, self.load_detail)

    def load_detail(self) -> None:
        order_id = self.selected_order_id()
        self._detail_asked = order_id
        if order_id is None:
            self._show_detail(None)
            return
        zone = shop_zone(self.oms.settings.timezone)

        def fetch(session: Session) -> DetailView:
            d = review.review_detail(session, order_id)
            now = utcnow()
            address = " ".join(p for p in (d.province, d.city, d.district, d.address) if p)
            # What a decision turns on first (on a short terminal only the first lines show without scrolling).
            fields = [
                (_("Order"), f"{named(PLATFORM_NAMES, d.platform)} {d.platform_order_id}"),
                (_("Receiver"), d.receiver_name), (_("Phone"), d.receiver_phone), (_("Address"), address),
                (_("Buyer remark"), d.buyer_remark), (_("Seller memo"), d.seller_memo),
            ]
            if d.partners:
                fields.append((_("Possible duplicate of"), ", ".join(
                    f"{named(PLATFORM_NAMES, p.platform)} {p.platform_order_id} ({named(STATUS_NAMES, p.status)})"
                    for p in d.partners)))
            fields += [
                (_("Status"), named(STATUS_NAMES, d.status)), (_("Created"), local_time(d.created_at, zone)),
                (_("Buyer"), d.buyer_id), (_("Identified by"), render(d.identity)),
                (_("Total"), yuan(d.total_fen)), (_("Paid amount"), yuan(d.paid_fen)),
                (_("Discount"), yuan(d.discount_fen)), (_("Postage"), yuan(d.post_fee_fen)),
            ]
            lines = [TableRow(f"{i}", (plain(sku), plain(title), num(qty), money(price)))
                     for i, (sku, title, qty, price) in enumerate(d.lines)]
            hold_rows = [TableRow(str(h.id), (Text(named(HOLD_NAMES, h.kind), style="bold red" if h.blocking else ""),
                                              plain(format_age((now - h.opened_at).total_seconds() / 3600)),
                                              plain(render(h.reason))))
                         for h in d.holds]
            customer, history = [], []
            if d.history is not None and d.credit is not None:
                customer = customer_facts(d.history, d.credit)
                history = history_rows(d.history, zone)
            return DetailView(d.order_id, d.platform_order_id,
                              AddressInput(d.receiver_name, d.receiver_phone, d.province, d.city, d.district,
                                           d.address),
                              fields, lines, hold_rows, {h.id: h.kind for h in d.holds}, customer, history,
                              bool(d.partners))

        self.read(fetch, self._show_detail, group="detail")

    def _show_detail(self, detail: DetailView | None) -> None:
        previous, self.detail = self.detail, detail
        if detail is None:
            self.query_one("#fields", Static).update(_("The queue is empty"))
            self.query_one("#customer", Static).update("")
        else:
            self.query_one("#fields", Static).update(detail_grid(detail.fields))
            self.query_one("#customer", Static).update(detail_grid(detail.customer) if detail.customer
                                                        else _("No customer record"))
        same_order = previous is not None and detail is not None and previous.order_id == detail.order_id
        for table_id, rows in (("#lines", detail.lines if detail else []), ("#holds", detail.holds if detail else []),
                               ("#history", detail.history if detail else [])):
            self.query_one(table_id, KeyedTable).show_rows(rows, keep_cursor=same_order)

    def action_switch_pane(self) -> None:
        holds_table = self.query_one("#holds", KeyedTable)
        (self.table if self.focused is holds_table else holds_table).focus()

    # --- actions -------------------------------------------------------------------------------

    def _ready(self) -> DetailView | None:
        """The order the keys act on (the detail shown); a bell when there is none yet."""
        if self.detail is None or self.detail.order_id != self.selected_order_id():
            self.app.bell()
            return None
        return self.detail

    def _act(self, work: Callable[[Session, str], Any], message: str) -> None:
        """Run one decision in a writing worker, then tell the user and read the queue again."""
        actor = self.actor
        self.clear_error()
        if self.detail is not None:  # before the write: a change poll may read the queue before ``done``
            self._decided.add(str(self.detail.order_id))

        def done(_result: Any) -> None:
            self.notify(message)
            self.load_page(recount=True)  # the cursor stays on the order, or goes to the next one

        self.write(lambda session: work(session, actor), done, group="review")

    def _has(self, detail: DetailView, kind: HoldKind) -> bool:
        if kind in detail.hold_kinds.values():
            return True
        self.show_error(_("This order has no open hold of that kind"))
        return False

    def action_edit_address(self) -> None:
        detail = self._ready()
        if detail is None:
            return

        def save(entered: AddressInput | None) -> None:
            if entered is None:
                return
            self._act(lambda s, actor: review.update_address(
                s, detail.order_id, actor=actor, province=entered.province, city=entered.city,
                district=entered.district, address=entered.address, name=entered.name, phone=entered.phone),
                _("Address saved for order {order}").format(order=detail.platform_order_id))

        self.app.push_screen(AddressDialog(detail.address, order_ref=detail.platform_order_id), save)

    def action_confirm_address(self) -> None:
        detail = self._ready()
        if detail is not None and self._has(detail, HoldKind.ADDRESS_INVALID):
            self._act(lambda s, actor: review.confirm_address(s, detail.order_id, actor=actor),
                      _("Address confirmed for order {order}").format(order=detail.platform_order_id))

    def action_accept_remark(self) -> None:
        detail = self._ready()
        if detail is not None and self._has(detail, HoldKind.BUYER_REMARK):
            self._act(lambda s, actor: review.accept_remark(s, detail.order_id, actor=actor),
                      _("Remark accepted for order {order}").format(order=detail.platform_order_id))

    def action_merge(self) -> None:
        detail = self._ready()
        if detail is not None and self._has(detail, HoldKind.DUPLICATE_SUSPECT):
            self._act(lambda s, actor: review.merge_duplicates(s, detail.order_id, actor=actor),
                      _("Duplicates confirmed: they ship in one parcel"))

    def action_keep_both(self) -> None:
        detail = self._ready()
        if detail is not None and self._has(detail, HoldKind.DUPLICATE_SUSPECT):
            self._act(lambda s, actor: review.keep_both(s, detail.order_id, actor=actor),
                      _("Not duplicates: each order ships on its own"))

    def action_release(self) -> None:
        detail = self._ready()
        if detail is None:
            return
        holds_table = self.query_one("#holds", KeyedTable)
        if not detail.hold_kinds:
            self.show_error(_("This order has no open hold"))
            return
        if self.focused is holds_table and holds_table.selected_key is not None:
            hold_id = int(holds_table.selected_key)
        elif len(detail.hold_kinds) == 1:
            hold_id = next(iter(detail.hold_kinds))
        else:
            holds_table.focus()
            self.notify(_("Several holds: choose one with the arrows, then press h"))
            return
        kind = named(HOLD_NAMES, detail.hold_kinds[hold_id])

        def release(note: str | None) -> None:
            if note is None:
                return
            self._act(lambda s, actor: review.release_hold(s, hold_id, actor=actor, note=note),
                      _("Hold released: {kind}").format(kind=kind))

        self.app.push_screen(TextPrompt(_("Release the hold: {kind}").format(kind=kind),
                                        placeholder=_("Why it is fine (optional)"), required=False), release)

    def action_cancel_order(self) -> None:
        detail = self._ready()
        if detail is None:
            return

        def cancel(reason: str | None) -> None:
            if reason is None:
                return
            self._act(lambda s, actor: review.cancel_order(s, detail.order_id, actor=actor, reason=reason),
                      _("Order {order} cancelled").format(order=detail.platform_order_id))

        label = _("Its duplicate is released when nothing else holds it.") if detail.has_partners else ""
        self.app.push_screen(TextPrompt(_("Cancel order {order}").format(order=detail.platform_order_id),
                                        label=label, placeholder=_("Reason (the buyer asked, a duplicate…)")), cancel)

    def action_approval(self) -> None:
        detail = self._ready()
        if detail is None:
            return

        def ask(entered: ApprovalInput | None) -> None:
            if entered is None:
                return
            self._act(lambda s, actor: review.request_approval(
                s, detail.order_id, kind=entered.kind, reason=entered.reason, actor=actor,
                detail={"what": entered.detail} if entered.detail else {}),
                _("Approval requested for order {order}").format(order=detail.platform_order_id))

        self.app.push_screen(ApprovalDialog(detail.platform_order_id), ask)
