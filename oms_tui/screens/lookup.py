"""Customer look-up: type (or paste) a phone, a platform order number or a waybill; see who it is,
on what basis, and every order of theirs on every platform with status and tracking. Enter opens
the order."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from oms_tui.i18n import N_, _
from oms_tui.screens.base import OmsScreen
from oms_tui.phrases import render
from oms_tui.screens.formatting import (
    PLATFORM_NAMES,
    STATUS_NAMES,
    local_time,
    money,
    named,
    plain,
    shop_zone,
)
from oms_tui.services.cs import lookup
from oms_tui.widgets.error_line import ErrorLine
from oms_tui.widgets.paging import TableRow

KIND_NAMES = {
    "mobile": N_("mobile number"), "masked_phone": N_("masked phone"), "order": N_("order number"),
    "waybill": N_("waybill"), "landline": N_("landline"), "buyer_id": N_("buyer id"), "none": N_("nothing found"),
    "order_id": N_("our order id"),
}


@dataclass(frozen=True)
class Found:
    query: str
    kind: str
    basis: str
    customers: list[str]
    rows: list[TableRow]


class LookupScreen(OmsScreen):
    TITLE_ID = N_("Customer lookup")
    CSS_PATH = "lookup.tcss"
    BINDINGS = [
        Binding("slash", "focus_query", N_("Search")),
        Binding("f5", "refresh", N_("Refresh")),
        Binding("escape", "back", N_("Back")),
    ]

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.initial_query = query.strip()
        self.found: Found | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="search-bar"):
            yield Label(_("Find"), classes="field-label")
            yield Input(value=self.initial_query, placeholder=_("Phone (also masked), platform order number or waybill"),
                        id="query")
        yield ErrorLine()
        yield Static(_("Type a phone number, an order number or a waybill and press Enter"), id="customers")
        yield DataTable(id="orders", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="status-bar"):
            yield Label("", id="summary")
            yield Label(_("Enter: open the order · /: new search"), id="hint")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#orders", DataTable)
        for label, key in ((_("Platform"), "platform"), (_("Order"), "order"), (_("Status"), "status"),
                           (_("Created"), "created"), (_("Paid amount"), "paid"), (_("Receiver"), "receiver"),
                           (_("Phone"), "phone"), (_("Courier"), "courier"), (_("Waybill"), "waybill")):
            table.add_column(label, key=key)
        self.query_one("#query", Input).focus()
        if self.initial_query:
            self.search(self.initial_query)

    @on(Input.Submitted, "#query")
    def _submitted(self, event: Input.Submitted) -> None:
        self.search(event.value)

    def search(self, text: str) -> None:
        text = text.strip()
        if not text:
            self.show_error(_("Type a phone number, an order number or a waybill"))
            return
        self.clear_error()
        zone = shop_zone(self.oms.settings.timezone)
        self.query_one("#summary", Label).update(_("Searching…"))

        def fetch(session: Session) -> Found:
            result = lookup.lookup(session, text)
            people = [
                _("Customer #{id} {name} · {phone} · found by: {basis}").format(
                    id=c.id, name=c.name or "—", phone=c.phone or _("no full number"), basis=render(c.basis))
                + (_(" · merged: {ids}").format(ids=", ".join(f"#{i}" for i in c.merged_ids)) if c.merged_ids else "")
                + (_(" · VIP") if c.is_vip else "")
                for c in result.customers
            ]
            rows = [
                TableRow(str(o.id), (
                    plain(named(PLATFORM_NAMES, o.platform)),
                    Text(o.platform_order_id, style="bold" if o.matched else ""),
                    plain(named(STATUS_NAMES, o.status)), plain(local_time(o.created_at, zone)), money(o.paid_fen),
                    plain(o.receiver_name), plain(o.receiver_phone), plain(o.courier or ""), plain(o.waybill or ""),
                ))
                for o in result.orders
            ]
            return Found(text, result.kind, render(result.basis), people, rows)

        self.read(fetch, self._show, group="lookup")

    def _show(self, found: Found) -> None:
        self.found = found
        kind = _(KIND_NAMES.get(found.kind, found.kind))
        if found.customers:
            text = "\n".join(found.customers)
        elif found.rows:
            text = _("No customer record for these orders")
        else:
            text = _("Nothing found for {query}").format(query=found.query)
        self.query_one("#customers", Static).update(Text(text))
        table = self.query_one("#orders", DataTable)
        table.clear()
        for row in found.rows:
            table.add_row(*row.cells, key=row.key)
        self.query_one("#summary", Label).update(
            _("{kind}: {count} orders · {basis}").format(kind=kind, count=len(found.rows), basis=found.basis))
        if found.rows:
            table.focus()

    @on(DataTable.RowSelected, "#orders")
    def _open_order(self, event: DataTable.RowSelected) -> None:
        self.oms.open_order(int(event.row_key.value))

    def action_focus_query(self) -> None:
        query = self.query_one("#query", Input)
        query.focus()
        query.select_all()

    def action_refresh(self) -> None:
        if self.found is not None:
            self.search(self.found.query)

    def action_back(self) -> None:
        self.app.pop_screen()
