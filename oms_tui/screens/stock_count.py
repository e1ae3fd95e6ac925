"""Stock count (盘点): the SKUs in bin order with what the books say is on the shelf; type what was found
(Enter on a row), then F10 sets on_hand to it — one adjustment per SKU that differs, in one go."""

from __future__ import annotations

from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Header, Input, Label

from oms_tui.errors import OmsError
from oms_tui.i18n import N_, _
from oms_tui.screens.base import OmsScreen, describe_error
from oms_tui.screens.formatting import delta, num, plain
from oms_tui.screens.purchasing import parse_units
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.purchasing import stock_count
from oms_tui.services.purchasing.stock_count import CountResult, SheetLine
from oms_tui.widgets.dialogs import ConfirmDialog, TextPrompt
from oms_tui.widgets.error_line import ErrorLine
from oms_tui.widgets.keys import KeysFooter
from oms_tui.widgets.paging import TableRow
from oms_tui.widgets.search_box import SEARCH_BINDING, SearchBox
from oms_tui.widgets.table import Column, KeyedTable


class StockCountScreen(OmsScreen):
    TITLE_ID = N_("Stock count")
    CSS_PATH = "stock_count.tcss"
    BINDINGS = [
        SEARCH_BINDING,
        Binding("e", "edit", N_("Counted")),
        Binding("f10", "apply", N_("Adjust stock")),
        Binding("f5", "refresh", N_("Refresh")),
        Binding("escape", "back", N_("Back")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sheet: list[SheetLine] = []
        self.counted: dict[str, int] = {}  # SKU → units found on the shelf
        self.search = ""
        self.last_note = ""  # what the last count did, shown until the next SKU is counted

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="search-bar"):
            yield Label(_("Search"), classes="field-label")
            yield SearchBox(placeholder=_("SKU code, name or scan a barcode"), id="search")
        yield KeyedTable(id="sheet")
        yield ErrorLine()
        with Horizontal(id="status-bar"):
            yield Label("", id="summary")
            yield Label(_("Enter: counted · F10: adjust stock · /: search"), id="hint")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#sheet", KeyedTable).set_columns([
            Column(_("SKU"), "sku"), Column(_("Name"), "name", 2, 30), Column(_("Bin"), "bin"),
            Column(_("On hand"), "on_hand"), Column(_("Counted"), "counted"), Column(_("Difference"), "delta")])
        self.query_one("#sheet", KeyedTable).focus()
        self.action_refresh()

    def work_at_risk(self) -> str | None:
        if not self.counted:
            return None
        return _("{count} counted SKUs are not adjusted yet. Leave them?").format(count=len(self.counted))

    def action_refresh(self) -> None:
        actor, code, search = self.actor, self.oms.settings.default_warehouse, self.search

        def fetch(session: Session) -> list[SheetLine]:
            return stock_count.count_sheet(session, actor, catalogue.default_warehouse(session, code), search=search)

        self.read(fetch, self._show, group="sheet")

    def _show(self, sheet: list[SheetLine]) -> None:
        self.sheet = sheet
        self._draw()

    def _draw(self) -> None:
        rows = []
        for line in self.sheet:
            found = self.counted.get(line.sku)
            rows.append(TableRow(key=line.sku, cells=(
                plain(line.sku), plain(line.name), plain(line.bin_location), num(line.on_hand),
                num(found, style="bold") if found is not None else plain(""),
                delta(found - line.on_hand) if found is not None else plain(""))))
        self.query_one("#sheet", KeyedTable).show_rows(rows)
        self.query_one("#summary", Label).update(
            self.last_note if self.last_note and not self.counted else
            _("{count} SKUs counted").format(count=len(self.counted)))

    @on(Input.Submitted, "#search")
    def _searched(self, event: Input.Submitted) -> None:
        self.search = event.value.strip()
        self.action_refresh()
        self.query_one("#sheet", KeyedTable).focus()

    @on(DataTable.RowSelected, "#sheet")
    def _row_chosen(self, _event: DataTable.RowSelected) -> None:
        self.action_edit()

    def action_edit(self) -> None:
        key = self.query_one("#sheet", KeyedTable).selected_key
        line = next((line for line in self.sheet if line.sku == key), None)
        if line is None:
            self.show_error(_("No SKU to count"))
            return

        def done(text: str | None) -> None:
            if text is None:
                return
            try:
                self.counted[line.sku] = parse_units(text, N_("counted quantity"))
            except OmsError as exc:
                self.show_error(describe_error(exc))
                return
            self.clear_error()
            self._draw()

        self.app.push_screen(TextPrompt(_("Units of {sku} on the shelf").format(sku=line.sku),
                                        label=_("The books say {qty}").format(qty=line.on_hand),
                                        value=str(self.counted.get(line.sku, line.on_hand))), done)

    def action_apply(self) -> None:
        if not self.counted:
            self.show_error(_("Count at least one SKU first (Enter on its row)"))
            return
        counted = dict(self.counted)
        actor, code = self.actor, self.oms.settings.default_warehouse

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            self.write(lambda session: stock_count.record_count(
                session, actor, catalogue.default_warehouse(session, code), counted), self._applied, group="count")

        self.app.push_screen(ConfirmDialog(
            _("Set on_hand of {count} SKUs to what was counted?").format(count=len(counted)),
            detail=", ".join(f"{sku} = {qty}" for sku, qty in counted.items()), confirm_label=_("Adjust")), confirmed)

    def _applied(self, result: CountResult) -> None:
        self.counted.clear()
        note = _("Stock count {count}: {adjusted} SKUs adjusted, net {net:+d}").format(
            count=result.count_id, adjusted=result.adjusted, net=result.net_delta)
        self.last_note = note
        self.notify(note)
        self.action_refresh()

    def action_back(self) -> None:
        self.oms.leave_safely(self.app.pop_screen)
