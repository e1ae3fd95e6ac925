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
from textual.widgets import DataTable, Header, Input, Label, Static

from oms_tui.i18n import N_, _
from oms_tui.screens.base import OmsScreen
from oms_tui.phrases import render
from oms_tui.screens.formatting import (
    PLATFORM_NAMES,
    STATUS_NAMES,
    TRACK_STATE_NAMES,
    local_time,
    money,
    named,
    plain,
    shop_zone,
)
from oms_tui.services.catalogue import couriers
from oms_tui.services.cs import lookup
from oms_tui.widgets.error_line import ErrorLine
from oms_tui.widgets.keys import KeysFooter
from oms_tui.widgets.paging import TableRow
from oms_tui.widgets.search_box import SEARCH_BINDING, SearchBox
from oms_tui.widgets.table import Column, KeyedTable

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
        SEARCH_BINDING,
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
            yield SearchBox(value=self.initial_query, placeholder=_("Phone (also masked), platform order number or waybill"),
                        id="query")
        yield ErrorLine()
        yield Static(_("Type a phone number, an order number or a waybill and press Enter"), id="customers")
        yield KeyedTable(id="orders")
        with Horizontal(id="status-bar"):
            yield Label("", id="summary")
            yield Label(_("Enter: open the order · /: new search"), id="hint")
        yield KeysFooter()

    def on_mount(self) -> None:
        # Who, which order and where the parcel is stay on a narrow terminal; the rest goes first.
        self.query_one("#orders", KeyedTable).set_columns([
            Column(_("Platform"), "platform", priority=2), Column(_("Order"), "order"),
            Column(_("Status"), "status", priority=1), Column(_("Created"), "created", priority=3),
            Column(_("Paid amount"), "paid", priority=2), Column(_("Receiver"), "receiver"), Column(_("Phone"), "phone"),
            Column(_("Courier"), "courier"), Column(_("Waybill"), "waybill")])
        self.query_one("#query", Input).focus()
        if self.initial_query:
            self.search(self.initial_query)

    @on(Input.Submitted, "#query")
    def _submitted(self, event: Input.Submitted) -> None:
        self.search(event.value)

    def search(self, text: str, *, again: bool = False) -> None:
        """Look ``text`` up; ``again`` reads the same search anew (a refresh) without moving the focus."""
        text = text.strip()
        if not text:
            self.show_error(_("Type a phone number, an order number or a waybill"))
            return
        zone = shop_zone(self.oms.settings.timezone)
        if not again:
            self.clear_error()
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
                    plain(o.receiver_name), plain(o.receiver_phone), plain(couriers.display_name(o.courier)),
                    plain(" · ".join(part for part in (
                        o.waybill or "", named(TRACK_STATE_NAMES, o.tracking_state) if o.tracking_state else "",
                        o.last_event[:40]) if part)),
                ))
                for o in result.orders
            ]
            return Found(text, result.kind, render(result.basis), people, rows)

        self.read(fetch, lambda found: self._show(found, again=again), group="lookup")

    def _show(self, found: Found, *, again: bool = False) -> None:
        same_search = self.found is not None and self.found.query == found.query
        self.found = found
        kind = _(KIND_NAMES.get(found.kind, found.kind))
        if found.customers:
            text = "\n".join(found.customers)
        elif found.rows:
            text = _("No customer record for these orders")
        else:
            text = _("Nothing found for {query}").format(query=found.query)
        self.query_one("#customers", Static).update(Text(text))
        table = self.query_one("#orders", KeyedTable)
        table.show_rows(found.rows, keep_cursor=same_search)
        self.query_one("#summary", Label).update(
            _("{kind}: {count} orders · {basis}").format(kind=kind, count=len(found.rows), basis=found.basis))
        if found.rows and not again:
            table.focus()

    @on(DataTable.RowSelected, "#orders")
    def _open_order(self, event: DataTable.RowSelected) -> None:
        self.oms.open_order(int(event.row_key.value))

    def action_refresh(self) -> None:
        if self.found is not None:
            self.search(self.found.query, again=True)

    def on_data_changed(self) -> None:
        self.action_refresh()  # a status or a waybill changed at another desk

    def action_back(self) -> None:
        self.app.pop_screen()
