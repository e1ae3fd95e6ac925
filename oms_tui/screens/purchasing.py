"""Purchasing: the suggestions by supplier (28-day sales, lead time, safety stock), the quantities the
buyer edits, a purchase order confirmed per supplier (inbound goes up), and receiving against the open
orders, part by part. ``c`` opens the stock count; ``x`` exports the suggestions and orders to a workbook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Header, Label

from oms_tui.errors import OmsError
from oms_tui.i18n import N_, _
from oms_tui.limits import require_quantity
from oms_tui.names import PO_STATUS_NAMES
from oms_tui.screens.base import OmsScreen, describe_error
from oms_tui.screens.formatting import local_time, named, num, plain, shop_zone
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.xlsx import write_workbook
from oms_tui.services.purchasing import purchase_orders, receiving, report, suggestions
from oms_tui.services.purchasing.purchase_orders import PoView
from oms_tui.services.purchasing.suggestions import Suggestion
from oms_tui.widgets.dialogs import ConfirmDialog, TextPrompt
from oms_tui.widgets.error_line import ErrorLine
from oms_tui.widgets.keys import KeysFooter
from oms_tui.widgets.paging import TableRow
from oms_tui.widgets.table import Column, KeyedTable


@dataclass(frozen=True)
class PurchasingView:
    warehouse: str
    lines: list[Suggestion]
    orders: list[PoView]


def parse_units(text: str, what: str) -> int:
    """A quantity typed by the buyer: a whole number from 0; OmsError with a readable message otherwise."""
    text = text.strip()
    try:
        value = int(text) if text.isascii() else None
    except ValueError:
        value = None
    if value is None:
        raise OmsError(N_("type a whole number of units, got {text!r}"), text=text)
    return require_quantity(value, what, allow_zero=True)


class PurchasingScreen(OmsScreen):
    TITLE_ID = N_("Purchasing")
    CSS_PATH = "purchasing.tcss"
    BINDINGS = [
        Binding("e", "edit", N_("Edit quantity")),
        Binding("f10", "confirm_order", N_("Order from supplier")),
        Binding("r", "receive", N_("Receive")),
        Binding("c", "count", N_("Stock count")),
        Binding("x", "export", N_("Export")),
        Binding("f5", "refresh", N_("Refresh")),
        Binding("escape", "back", N_("Back")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[Suggestion] = []
        self.orders: list[PoView] = []
        self.quantities: dict[str, int] = {}  # SKU → units the buyer will order (from the suggestion, or edited)
        self.edited: set[str] = set()
        self.warehouse = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(_("Purchase suggestions"), classes="section", id="suggestions-title")
        yield KeyedTable(id="suggestions")
        yield Label(_("Open purchase orders"), classes="section", id="orders-title")
        yield KeyedTable(id="orders")
        yield ErrorLine()
        with Horizontal(id="status-bar"):
            yield Label("", id="summary")
            yield Label(_("e: quantity · F10: order · r: receive · c: count · x: export"), id="hint")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#suggestions", KeyedTable).set_columns([
            Column(_("Supplier"), "supplier"), Column(_("SKU"), "sku"), Column(_("Name"), "name", 2, 24),
            Column(_("Sold 28d"), "sold"), Column(_("Per day"), "rate", 3), Column(_("Lead days"), "lead", 3),
            Column(_("Safety"), "safety", 3), Column(_("Available"), "available"), Column(_("Inbound"), "inbound"),
            Column(_("Need"), "need", 2), Column(_("Suggested"), "suggested"), Column(_("To order"), "order")])
        self.query_one("#orders", KeyedTable).set_columns([
            Column(_("Purchase order"), "po"), Column(_("Supplier"), "supplier"), Column(_("Status"), "status"),
            Column(_("Ordered at"), "at", 2), Column(_("SKU"), "sku"), Column(_("Name"), "name", 2, 24),
            Column(_("Ordered"), "qty"), Column(_("Received"), "received"), Column(_("Outstanding"), "outstanding")])
        self.query_one("#suggestions", KeyedTable).focus()
        self.action_refresh()

    def on_data_changed(self) -> None:
        self.action_refresh()

    def work_at_risk(self) -> str | None:
        if not self.edited:
            return None
        return _("{count} edited quantities are not ordered yet. Leave them?").format(count=len(self.edited))

    # --- reading ------------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        actor, code = self.actor, self.oms.settings.default_warehouse

        def fetch(session: Session) -> PurchasingView:
            wh = catalogue.default_warehouse(session, code)
            return PurchasingView(wh.code, suggestions.suggestions(session, actor, wh),
                                  purchase_orders.list_purchase_orders(session, actor))

        self.read(fetch, self._show, group="purchasing")

    def _show(self, view: PurchasingView) -> None:
        self.warehouse, self.lines, self.orders = view.warehouse, view.lines, view.orders
        known = {line.sku for line in self.lines}
        self.edited &= known
        self.quantities = {line.sku: (self.quantities[line.sku] if line.sku in self.edited else line.suggested)
                           for line in self.lines}
        self._draw_suggestions()
        zone = shop_zone(self.oms.settings.timezone)
        rows = [TableRow(key=f"{po.code}\t{line.sku}", cells=(
            plain(po.code), plain(po.supplier_code), plain(named(PO_STATUS_NAMES, po.status)),
            plain(local_time(po.created_at, zone)), plain(line.sku), plain(line.name), num(line.qty),
            num(line.received), num(line.outstanding, style="bold" if line.outstanding else "")))
            for po in self.orders for line in po.lines]
        self.query_one("#orders", KeyedTable).show_rows(rows)
        self.query_one("#orders-title", Label).update(
            _("Open purchase orders ({count})").format(count=len(self.orders)))

    def _draw_suggestions(self) -> None:
        rows = []
        for line in self.lines:
            qty = self.quantities.get(line.sku, 0)
            rows.append(TableRow(key=line.sku, cells=(
                plain(line.supplier_code or _("(no supplier)")), plain(line.sku), plain(line.name), num(line.sold),
                plain(str(line.daily_rate)), num(line.lead_days), num(line.safety_stock), num(line.available),
                num(line.inbound), num(line.need), num(line.suggested),
                num(qty, style="bold yellow" if line.sku in self.edited else ("bold" if qty else "")))))
        self.query_one("#suggestions", KeyedTable).show_rows(rows)
        groups = suggestions.by_supplier(self.lines)
        self.query_one("#suggestions-title", Label).update(
            _("Purchase suggestions for {warehouse}: {skus} SKUs to order from {suppliers} suppliers").format(
                warehouse=self.warehouse, skus=sum(1 for q in self.quantities.values() if q),
                suppliers=sum(1 for g in groups if g.supplier_code and any(
                    self.quantities.get(line.sku) for line in g.lines))))

    def _selected_line(self) -> Suggestion | None:
        key = self.query_one("#suggestions", KeyedTable).selected_key
        return next((line for line in self.lines if line.sku == key), None)

    # --- editing and ordering -------------------------------------------------------------------

    @on(DataTable.RowSelected, "#suggestions")
    def _row_chosen(self, _event: DataTable.RowSelected) -> None:
        self.action_edit()

    def action_edit(self) -> None:
        line = self._selected_line()
        if line is None:
            self.show_error(_("No suggestion to edit"))
            return

        def done(text: str | None) -> None:
            if text is None:
                return
            try:
                qty = parse_units(text, N_("quantity to order"))
            except OmsError as exc:
                self.show_error(describe_error(exc))
                return
            self.clear_error()
            self.quantities[line.sku] = qty
            if qty != line.suggested:
                self.edited.add(line.sku)
            else:
                self.edited.discard(line.sku)
            self._draw_suggestions()

        self.app.push_screen(TextPrompt(_("Units of {sku} to order").format(sku=line.sku),
                                        label=_("Suggested: {qty}").format(qty=line.suggested),
                                        value=str(self.quantities.get(line.sku, 0))), done)

    def action_confirm_order(self) -> None:
        line = self._selected_line()
        if line is None:
            self.show_error(_("No suggestion to order"))
            return
        if not line.supplier_code:
            self.show_error(_("{sku} has no supplier: give it one in the catalogue first").format(sku=line.sku))
            return
        supplier = line.supplier_code
        chosen = {s.sku: self.quantities[s.sku] for s in self.lines
                  if s.supplier_code == supplier and self.quantities.get(s.sku)}
        if not chosen:
            self.show_error(_("Nothing to order from {supplier}: every quantity is 0").format(supplier=supplier))
            return
        detail = ", ".join(f"{sku} × {qty}" for sku, qty in chosen.items())
        actor, code = self.actor, self.oms.settings.default_warehouse

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return

            def work(session: Session) -> PoView:
                return purchase_orders.create_purchase_order(session, actor, supplier,
                                                             catalogue.default_warehouse(session, code), chosen)

            self.write(work, self._ordered, group="order")

        self.app.push_screen(ConfirmDialog(
            _("Order from {supplier} ({name})?").format(supplier=supplier, name=line.supplier_name), detail=detail,
            confirm_label=_("Order")), confirmed)

    def _ordered(self, po: PoView) -> None:
        for line in po.lines:
            self.edited.discard(line.sku)
        note = _("{po}: {units} units ordered from {supplier}").format(
            po=po.code, units=sum(line.qty for line in po.lines), supplier=po.supplier_code)
        self.query_one("#summary", Label).update(note)
        self.notify(note)
        self.action_refresh()

    # --- receiving -------------------------------------------------------------------------------

    def action_receive(self) -> None:
        key = self.query_one("#orders", KeyedTable).selected_key
        if key is None:
            self.show_error(_("No open purchase order to receive against"))
            return
        po_code, sku = key.split("\t", 1)
        po = next(po for po in self.orders if po.code == po_code)
        line = next(line for line in po.lines if line.sku == sku)
        actor = self.actor

        def done(text: str | None) -> None:
            if text is None:
                return
            try:
                qty = parse_units(text, N_("quantity received"))
            except OmsError as exc:
                self.show_error(describe_error(exc))
                return
            self.clear_error()
            self.write(lambda session: receiving.receive(session, actor, po_code, {sku: qty}), self._received,
                       group="receive")

        self.app.push_screen(TextPrompt(_("Units of {sku} received on {po}").format(sku=sku, po=po_code),
                                        label=_("Still expected: {qty}").format(qty=line.outstanding),
                                        value=str(line.outstanding)), done)

    def _received(self, receipt: receiving.Receipt) -> None:
        note = _("{po}: received {lines} ({status}); {served} short orders served").format(
            po=receipt.po, lines=", ".join(f"{sku} × {qty}" for sku, qty in receipt.received.items()),
            status=named(PO_STATUS_NAMES, receipt.status), served=receipt.served)
        self.query_one("#summary", Label).update(note)
        self.notify(note)
        self.action_refresh()

    # --- elsewhere ------------------------------------------------------------------------------

    def action_count(self) -> None:
        self.oms.open_screen("stockcount")

    def action_export(self) -> None:
        zone = shop_zone(self.oms.settings.timezone)
        default = f"purchase-{datetime.now(zone):%Y-%m-%d}.xlsx"
        lines, orders = list(self.lines), list(self.orders)

        def done(path: str | None) -> None:
            if not path:
                return
            sheets = report.sheets(lines, orders, local=lambda t: t.astimezone(zone))
            self.run_service(lambda _engine: write_workbook(path, sheets), done=self._exported, group="export")

        self.app.push_screen(TextPrompt(_("Export to a workbook"), label=_("File name"), value=default), done)

    def _exported(self, path) -> None:  # noqa: ANN001
        note = _("Written: {path}").format(path=path)
        self.query_one("#summary", Label).update(note)
        self.notify(note)

    def action_back(self) -> None:
        self.oms.leave_safely(self.app.pop_screen)

