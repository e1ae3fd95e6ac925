"""Orders: filter by status, platform, date and a search; one page of the table at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Header, Input, Label, Select

from oms_tui.i18n import N_, _
from oms_tui.limits import OutOfBounds, require_day
from oms_tui.models import OrderStatus
from oms_tui.screens.formatting import (
    HOLD_NAMES,
    PLATFORM_NAMES,
    STATUS_NAMES,
    local_time,
    money,
    named,
    plain,
    shop_zone,
    start_of_day_utc,
)
from oms_tui.screens.paging import PagedTableScreen
from oms_tui.services.orders import queries
from oms_tui.services.orders.queries import OrderFilter
from oms_tui.services.reports import tally
from oms_tui.widgets.error_line import ErrorLine
from oms_tui.widgets.keys import KeysFooter
from oms_tui.widgets.paging import TableRow
from oms_tui.widgets.search_box import SEARCH_BINDING, SearchBox
from oms_tui.widgets.table import Column, KeyedTable

TYPING_DELAY = 0.5  # seconds of no typing before the date or search filter applies itself


@dataclass(frozen=True)
class OrdersQuery:
    status: str | None = None
    platform: str | None = None
    since: datetime | None = None
    search: str | None = None

    def as_filter(self) -> OrderFilter:
        return OrderFilter(status=self.status, platform=self.platform, since=self.since, search=self.search)


def parse_day(text: str) -> date | None:
    """'2026-11-11' → a date; empty → None; not a date: ValueError; a day outside ``limits``' range
    (its start would not be a UTC instant): OutOfBounds."""
    text = text.strip()
    if not text:
        return None
    return require_day(datetime.strptime(text, "%Y-%m-%d").date())


class OrdersScreen(PagedTableScreen):
    # A million orders: "10,000+ rows" from an index range of 10,001 entries, not a count of them all.
    COUNT_CAP = 10_000
    TITLE_ID = N_("Orders")
    CSS_PATH = "orders.tcss"
    BINDINGS = [
        SEARCH_BINDING,
        Binding("ctrl+t", "focus_table", N_("Table")),
    ]

    def __init__(self, *, status: str | None = None, platform: str | None = None, search: str = "") -> None:
        super().__init__()
        self.status = status
        self.platform = platform
        self.since: datetime | None = None
        self.search = search.strip()
        self._timer = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="filter-bar"):
            yield Select([(_(STATUS_NAMES[s]), s.value) for s in OrderStatus], prompt=_("All statuses"),
                         value=self.status or Select.NULL, id="status")
            yield Select([(_(name), key) for key, name in PLATFORM_NAMES.items()], prompt=_("All platforms"),
                         value=self.platform or Select.NULL, id="platform")
            yield Input(placeholder=_("Since YYYY-MM-DD"), id="since", max_length=10)
            yield SearchBox(value=self.search, placeholder=_("Order id, waybill or receiver"), id="search")
        yield ErrorLine()
        yield KeyedTable(id="table")
        with Horizontal(id="status-bar"):
            yield Label("", id="page-label")
            yield Label(_("Enter: details · /: search · PgDn/PgUp: page"), id="hint")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.setup_table()
        self.load_page(1, recount=True)
        self.table.focus()

    def columns(self) -> list[Column]:
        # Order, status, holds and receiver stay on a narrow terminal; shop and region go first.
        return [
            Column(_("Order"), "order"), Column(_("Platform"), "platform", priority=3),
            Column(_("Shop"), "shop", priority=4), Column(_("Status"), "status"), Column(_("Open holds"), "holds"),
            Column(_("Receiver"), "receiver"), Column(_("Region"), "region", priority=4),
            Column(_("Total"), "total", priority=2), Column(_("Created"), "created", priority=3),
            Column(_("Waybill"), "waybill", priority=1),
        ]

    def current_query(self) -> OrdersQuery:
        return OrdersQuery(self.status, self.platform, self.since, self.search or None)

    def fetch_count(self, session: Session, query: OrdersQuery) -> tally.RowCount:
        return tally.order_count(session, query.as_filter(), cap=self.COUNT_CAP,
                                 zone=shop_zone(self.oms.settings.timezone))

    def fetch_rows(self, session: Session, query: OrdersQuery, limit: int, offset: int) -> list[TableRow]:
        return self._rows(queries.list_order_rows(session, query.as_filter(), limit=limit, offset=offset))

    def fetch_rows_after(self, session: Session, query: OrdersQuery, limit: int, after: tuple) -> list[TableRow]:
        return self._rows(queries.list_order_rows(session, query.as_filter(), limit=limit, after=after))

    def _rows(self, orders: list[queries.OrderListRow]) -> list[TableRow]:
        zone = shop_zone(self.oms.settings.timezone)
        rows = []
        for o in orders:
            holds = ", ".join(named(HOLD_NAMES, kind) for kind in o.open_hold_kinds)
            rows.append(TableRow(
                key=str(o.id),
                cells=(plain(o.platform_order_id), plain(named(PLATFORM_NAMES, o.platform)), plain(o.shop),
                       plain(named(STATUS_NAMES, o.status)), plain(holds), plain(o.receiver_name),
                       plain(f"{o.receiver_province} {o.receiver_city}".strip()), money(o.total_fen),
                       plain(local_time(o.created_at, zone)), plain(o.waybill or "")),
                position=(o.created_at, o.id),
            ))
        return rows

    # --- filters -----------------------------------------------------------------------------

    def refilter(self) -> None:
        self.clear_error()
        self.load_page(1, recount=True)

    @on(Select.Changed, "#status")
    def _status_changed(self, event: Select.Changed) -> None:
        value = event.value if isinstance(event.value, str) else None
        if value != self.status:
            self.status = value
            self.refilter()

    @on(Select.Changed, "#platform")
    def _platform_changed(self, event: Select.Changed) -> None:
        value = event.value if isinstance(event.value, str) else None
        if value != self.platform:
            self.platform = value
            self.refilter()

    @on(Input.Changed, "#since")
    @on(Input.Changed, "#search")
    def _typed(self, _event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(TYPING_DELAY, self.apply_text_filters)

    @on(Input.Submitted, "#since")
    @on(Input.Submitted, "#search")
    def _submitted(self, _event: Input.Submitted) -> None:
        if self._timer is not None:
            self._timer.stop()
        if self.apply_text_filters(force=True):
            self.table.focus()

    def apply_text_filters(self, force: bool = False) -> bool:
        """Read the date and search boxes; False (and a red line) when the date is not a date."""
        try:
            day = parse_day(self.query_one("#since", Input).value)
        except ValueError:
            self.show_error(_("The date must look like 2026-11-11 (YYYY-MM-DD)"))
            return False
        except OutOfBounds as exc:
            self.show_error(exc.localized())
            return False
        since = start_of_day_utc(day, shop_zone(self.oms.settings.timezone)) if day else None
        search = self.query_one("#search", Input).value.strip()
        if force or since != self.since or search != self.search:
            self.since, self.search = since, search
            self.refilter()
        return True

    def action_focus_table(self) -> None:
        self.table.focus()

    @on(DataTable.RowSelected, "#table")
    def _open_detail(self, event: DataTable.RowSelected) -> None:
        self.oms.open_order(int(event.row_key.value))
