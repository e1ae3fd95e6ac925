"""One order: its header fields, lines, holds (open and resolved) and audit history, as
``orders.queries.order_detail`` reads them."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Header, Label, Static

from oms_tui.i18n import N_, _
from oms_tui.models import OrderStatus
from oms_tui.phrases import render
from oms_tui.screens.base import OmsScreen
from oms_tui.screens.formatting import (
    HOLD_NAMES,
    PLATFORM_NAMES,
    STATUS_NAMES,
    TRACK_STATE_NAMES,
    local_time,
    money,
    named,
    num,
    plain,
    platform_status_name,
    shop_zone,
    yuan,
)
from oms_tui.services.catalogue import couriers
from oms_tui.services.core import audit
from oms_tui.services.floor import labels
from oms_tui.services.orders import queries as order_queries
from oms_tui.services.shipping import tracking
from oms_tui.widgets.error_line import ErrorLine
from oms_tui.widgets.keys import KeysFooter
from oms_tui.widgets.paging import TableRow
from oms_tui.widgets.table import KeyedTable


@dataclass(frozen=True)
class OrderDetail:
    platform_order_id: str
    fields: list[tuple[str, str]]
    lines: list[TableRow]
    holds: list[TableRow]
    open_holds: int
    history: list[TableRow]
    tracking_title: str = ""  # empty: the order is not tracked (not shipped, or shipped before tracking)
    tracking: tuple[TableRow, ...] = ()  # the timeline, newest first


# Once shipped, the stock left with the parcel: the order's lock time is history, not its state.
SHIPPED_STATUSES = (OrderStatus.SHIPPED, OrderStatus.DELIVERED)


def stock_state(o: order_queries.OrderDetailView, zone: ZoneInfo) -> str:
    """Where the order's stock stands: shipped, locked since when, or not locked."""
    if o.status in SHIPPED_STATUSES:
        return _("shipped {at}").format(at=local_time(o.shipped_at, zone)).strip()
    if o.locked_at is not None and any(line.locked_qty for line in o.lines):
        return _("locked since {at}").format(at=local_time(o.locked_at, zone))
    return _("not locked")


def line_stock(line: order_queries.DetailLine, shipped: bool) -> str:
    """One line's units: shipped with the parcel, locked for it, or none locked yet."""
    if shipped:
        return _("{qty} shipped").format(qty=line.qty)
    if line.locked_qty:
        return _("{qty} locked").format(qty=line.locked_qty)
    return _("not locked")


def as_shown(o: order_queries.OrderDetailView, zone: ZoneInfo) -> OrderDetail:
    """The order's read model as the screen draws it: labelled fields, table rows, newest history first."""
    address = " ".join(p for p in (o.receiver_province, o.receiver_city, o.receiver_district, o.receiver_address) if p)
    fields = [
        (_("Order"), o.platform_order_id), (_("Platform"), named(PLATFORM_NAMES, o.platform)),
        (_("Shop"), o.shop), (_("Status"), named(STATUS_NAMES, o.status)),
        (_("Platform status"), platform_status_name(o.platform, o.platform_status)),
        (_("Warehouse"), o.warehouse_code),
        (_("Created"), local_time(o.created_at, zone)), (_("Paid"), local_time(o.paid_at, zone)),
        (_("Receiver"), o.receiver_name), (_("Phone"), o.receiver_phone),
        (_("Address"), address), (_("Buyer"), o.buyer_id),
        (_("Total"), yuan(o.total_fen)), (_("Paid amount"), yuan(o.paid_fen)),
        (_("Discount"), yuan(o.discount_fen)), (_("Postage"), yuan(o.post_fee_fen)),
        (_("Buyer remark"), o.buyer_remark), (_("Seller memo"), o.seller_memo),
        (_("Courier"), couriers.display_name(o.courier)), (_("Waybill"), o.waybill or ""),
        (_("Shipped"), local_time(o.shipped_at, zone)), (_("Stock"), stock_state(o, zone)),
    ]
    shipped = o.status in SHIPPED_STATUSES
    lines = [
        TableRow(str(line.id), (plain(line.sku_code), plain(line.title), num(line.qty), money(line.price_fen),
                                plain(line_stock(line, shipped)), num(line.returned_qty)))
        for line in o.lines
    ]
    hold_rows = [
        TableRow(str(h.id), (
            Text(named(HOLD_NAMES, h.kind), style="bold red" if h.is_open else "dim"),
            plain(_("yes") if h.blocking else _("no")), plain(local_time(h.opened_at, zone)),
            plain(h.opened_by), plain(render(h.reason)),
            plain(_("open") if h.is_open else local_time(h.resolved_at, zone)),
            plain(h.resolved_by or ""), plain(render(h.resolution)),
        ))
        for h in o.holds
    ]
    history = [
        TableRow(str(e.id), (plain(local_time(e.at, zone, seconds=True)), plain(e.user),
                             *(plain(text) for text in audit.describe(e.action, e.detail))))
        for e in reversed(o.history)
    ]
    return OrderDetail(o.platform_order_id, fields, lines, hold_rows, len(o.open_holds), history)


def with_tracking(detail: OrderDetail, followed: tracking.Tracking | None, zone: ZoneInfo) -> OrderDetail:
    """``detail`` with the parcel's tracking timeline, when it is tracked."""
    if followed is None:
        return detail
    title = _("Tracking: {courier} {waybill} · {state}").format(
        courier=couriers.display_name(followed.courier), waybill=followed.waybill,
        state=named(TRACK_STATE_NAMES, followed.state))
    if followed.stalled:
        title += " · " + _("stalled")
    if followed.last_error:
        title += " · " + followed.last_error[:80]
    rows = tuple(TableRow(str(i), (plain(local_time(e.at, zone)), plain(e.location), plain(e.context)))
                 for i, e in enumerate(followed.events))
    return OrderDetail(detail.platform_order_id, detail.fields, detail.lines, detail.holds, detail.open_holds,
                       detail.history, title, rows)


class OrderDetailScreen(OmsScreen):
    TITLE_ID = N_("Order")
    CSS_PATH = "order_detail.tcss"
    BINDINGS = [
        Binding("escape", "back", N_("Back")),
        Binding("f5", "refresh", N_("Refresh")),
        Binding("l", "reprint_label", N_("Reprint label")),
    ]

    def __init__(self, order_id: int) -> None:
        super().__init__()
        self.order_id = order_id
        self.detail: OrderDetail | None = None  # what is shown, once loaded

    def compose(self) -> ComposeResult:
        yield Header()
        yield ErrorLine()
        with VerticalScroll(id="detail"):
            yield Static("", id="fields")
            yield Label(_("Lines"), classes="section")
            yield KeyedTable(id="lines")
            yield Label(_("Holds"), classes="section", id="holds-title")
            yield KeyedTable(id="holds")
            yield Label("", classes="section", id="tracking-title")
            yield KeyedTable(id="tracking")
            yield Label(_("History"), classes="section")
            yield KeyedTable(id="history")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#lines", KeyedTable).set_columns([
            (_("SKU"), "sku"), (_("Title"), "title"), (_("Qty"), "qty"), (_("Price"), "price"), (_("Stock"), "stock"),
            (_("Returned"), "returned")])
        self.query_one("#holds", KeyedTable).set_columns([
            (_("Kind"), "kind"), (_("Blocking"), "blocking"), (_("Opened"), "opened"), (_("By"), "by"),
            (_("Reason"), "reason"), (_("Resolved"), "resolved"), (_("Resolved by"), "resolved_by"),
            (_("Resolution"), "resolution")])
        self.query_one("#history", KeyedTable).set_columns(
            [(_("Time"), "at"), (_("User"), "user"), (_("Action"), "action"), (_("Detail"), "detail")])
        self.query_one("#tracking", KeyedTable).set_columns(
            [(_("Time"), "at"), (_("Where"), "where"), (_("Event"), "event")])
        self.query_one("#lines", KeyedTable).focus()
        self.load()

    def load(self) -> None:
        order_id = self.order_id
        zone = shop_zone(self.oms.settings.timezone)

        def fetch(session):
            detail = as_shown(order_queries.order_detail(session, order_id), zone)
            order = order_queries.get_order(session, order_id)
            return with_tracking(detail, tracking.tracking_for_order(session, order), zone)

        self.read(fetch, self._show)

    def _show(self, detail: OrderDetail) -> None:
        self.detail = detail
        self.sub_title = f"{_(self.TITLE_ID)} · {detail.platform_order_id}"
        grid = Table.grid(padding=(0, 2), expand=True)
        for _i in range(2):
            grid.add_column(style="bold", no_wrap=True)
            grid.add_column(ratio=1)
        pairs = [(Text(label), Text(value or "—")) for label, value in detail.fields]
        for i in range(0, len(pairs), 2):
            row = [*pairs[i], *(pairs[i + 1] if i + 1 < len(pairs) else (Text(""), Text("")))]
            grid.add_row(*row)
        self.query_one("#fields", Static).update(grid)
        self.query_one("#holds-title", Label).update(
            _("Holds ({open} open, {total} in all)").format(open=detail.open_holds, total=len(detail.holds)))
        for table_id, rows in (("#lines", detail.lines), ("#holds", detail.holds), ("#history", detail.history)):
            self.query_one(table_id, KeyedTable).show_rows(rows)
        self.query_one("#tracking-title", Label).update(detail.tracking_title)
        self.query_one("#tracking-title", Label).display = bool(detail.tracking_title)
        self.query_one("#tracking", KeyedTable).display = bool(detail.tracking_title)
        self.query_one("#tracking", KeyedTable).show_rows(list(detail.tracking))

    def action_reprint_label(self) -> None:
        """Queue the order's e-waybill label again (its printer's queue retries it as any job)."""
        if self.detail is None:
            return
        reference = self.detail.platform_order_id

        def done(outcome: labels.LabelOutcome) -> None:
            self.notify(_("Label {waybill} queued (job {job})").format(waybill=outcome.waybill, job=outcome.job_id))

        self.run_service(labels.reprint_label, reference, actor=self.actor, settings=self.oms.settings, done=done)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_refresh(self) -> None:
        self.load()
