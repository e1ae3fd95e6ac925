"""Stock: SKUs × warehouses with their four buckets; search by code, name or a scanned barcode."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Header, Input, Label

from oms_tui.i18n import N_, _
from oms_tui.screens.formatting import num, plain
from oms_tui.screens.paging import PagedTableScreen
from oms_tui.services.stock import queries
from oms_tui.widgets.error_line import ErrorLine
from oms_tui.widgets.keys import KeysFooter
from oms_tui.widgets.paging import TableRow
from oms_tui.widgets.search_box import SEARCH_BINDING, SearchBox
from oms_tui.widgets.table import KeyedTable

SEARCH_DELAY = 0.4  # seconds of no typing before a search runs by itself


@dataclass(frozen=True)
class StockQuery:
    search: str | None


class StockScreen(PagedTableScreen):
    TITLE_ID = N_("Stock")
    CSS_PATH = "stock.tcss"
    BINDINGS = [
        SEARCH_BINDING,
    ]

    def __init__(self, search: str = "") -> None:
        super().__init__()
        self.search = search.strip()
        self._search_timer = None
        self._redirecting = False  # digits typed on the table are on their way to the search box

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="search-bar"):
            yield Label(_("Search"), classes="field-label")
            yield SearchBox(value=self.search, placeholder=_("SKU code, name or scan a barcode"), id="search",
                        select_on_focus=False)
        yield ErrorLine()
        yield KeyedTable(id="table")
        with Horizontal(id="status-bar"):
            yield Label("", id="page-label")
            yield Label(_("Enter: ledger · /: search · PgDn/PgUp: page"), id="hint")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.setup_table()
        self.load_page(1, recount=True)
        self.query_one("#search", Input).focus()

    def columns(self) -> list[tuple[str, str]]:
        return [
            (_("Warehouse"), "warehouse"), (_("SKU"), "sku"), (_("Name"), "name"), (_("Spec"), "spec"),
            (_("Bin"), "bin"), (_("On hand"), "on_hand"), (_("Inbound"), "inbound"), (_("Locked"), "locked"),
            (_("Reserved"), "reserved"), (_("Available"), "available"), (_("Damaged"), "damaged"),
        ]

    def current_query(self) -> StockQuery:
        return StockQuery(self.search or None)

    def fetch_count(self, session: Session, query: StockQuery) -> int:
        return queries.count_stock(session, search=query.search)

    def fetch_rows(self, session: Session, query: StockQuery, limit: int, offset: int) -> list[TableRow]:
        rows = queries.list_stock(session, search=query.search, limit=limit, offset=offset)
        return [
            TableRow(
                key=f"{row.warehouse}\t{row.sku}",
                cells=(plain(row.warehouse), plain(row.sku), plain(row.name), plain(row.spec),
                       plain(row.bin_location), num(row.on_hand), num(row.inbound), num(row.locked),
                       num(row.reserved), num(row.available, style="bold red" if row.available <= 0 else "bold"),
                       num(row.damaged)),
            )
            for row in rows
        ]

    # --- searching ---------------------------------------------------------------------------

    def apply_search(self, text: str) -> bool:
        """Search for ``text``; False when it is what is shown already."""
        text = text.strip()
        if text == self.search and self.loaded:
            return False
        self.search = text
        self.clear_error()
        self.load_page(1, recount=True)
        return True

    @on(Input.Changed, "#search")
    def _search_typed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY, lambda: self.apply_search(event.value))

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        # A barcode gun types the code and Enter: search at once and put the cursor on the result.
        if self._search_timer is not None:
            self._search_timer.stop()
        self.apply_search(event.value)
        self.table.focus()

    def on_key(self, event: events.Key) -> None:
        # A scan while the table has focus goes into the search box, so the gun works anywhere here.
        # The gun types faster than focus moves, so keys keep going to the box until it has focus.
        search = self.query_one("#search", Input)
        if self.focused is not self.table:
            return
        if event.character and event.character.isdigit():
            search.value = (search.value if self._redirecting else "") + event.character
            search.cursor_position = len(search.value)
            if not self._redirecting:
                self._redirecting = True
                search.focus()
            event.stop()
        elif event.key == "enter" and self._redirecting:
            self._redirecting = False
            self.apply_search(search.value)
            self.table.focus()
            event.stop()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if event.widget is self.query_one("#search", Input):
            self._redirecting = False

    # --- the ledger --------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#table")
    def _open_ledger(self, event: DataTable.RowSelected) -> None:
        warehouse, sku = str(event.row_key.value).split("\t", 1)
        self.oms.open_sku(sku, warehouse_code=warehouse)
