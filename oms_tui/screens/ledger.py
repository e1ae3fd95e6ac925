"""One SKU's stock ledger, newest first: every change with its bucket deltas, order, user and reason."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Header, Label, Static

from oms_tui.i18n import N_, _
from oms_tui.screens.formatting import (
    MOVE_NAMES,
    delta,
    local_time,
    named,
    plain,
    shop_zone,
)
from oms_tui.phrases import render
from oms_tui.screens.paging import PagedTableScreen
from oms_tui.services.stock import queries as stock_queries
from oms_tui.widgets.error_line import ErrorLine
from oms_tui.widgets.keys import KeysFooter
from oms_tui.widgets.paging import PageResult, TableRow
from oms_tui.widgets.table import KeyedTable


@dataclass(frozen=True)
class LedgerQuery:
    sku_code: str
    warehouse_code: str | None


class SkuLedgerScreen(PagedTableScreen):
    TITLE_ID = N_("Stock ledger")
    CSS_PATH = "ledger.tcss"

    def __init__(self, sku_code: str, *, warehouse_code: str | None = None) -> None:
        super().__init__()
        self.sku_code = sku_code
        self.warehouse_code = warehouse_code

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.sku_code, id="sku-summary", markup=False)
        yield ErrorLine()
        yield KeyedTable(id="table")
        with Horizontal(id="status-bar"):
            yield Label("", id="page-label")
            yield Label(_("Newest first · Esc: back"), id="hint")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.setup_table()
        self.table.focus()
        self.load_summary()
        self.load_page(1, recount=True)

    def load_summary(self) -> None:
        code, warehouse = self.sku_code, self.warehouse_code
        self.read(lambda session: stock_queries.sku_summary(session, code, warehouse_code=warehouse),
                  self._show_summary, group="summary")

    def _show_summary(self, summary: stock_queries.SkuSummary) -> None:
        self.sku_code = summary.code  # a barcode from the palette becomes the code
        parts = [f"{summary.code}  {summary.name}  {summary.spec}".rstrip()]
        if summary.bin_location:
            parts.append(_("bin {bin}").format(bin=summary.bin_location))
        lines = ["   ".join(parts)]
        for level in summary.levels:
            lines.append(_("{warehouse}: on hand {on_hand} · inbound {inbound} · locked {locked} · "
                           "reserved {reserved} · available {available}").format(
                warehouse=level.warehouse, on_hand=f"{level.on_hand:,}", inbound=f"{level.inbound:,}",
                locked=f"{level.locked:,}", reserved=f"{level.reserved:,}", available=f"{level.available:,}"))
        self.query_one("#sku-summary", Static).update("\n".join(lines))
        self.sub_title = f"{_(self.TITLE_ID)} · {summary.code}"

    def columns(self) -> list[tuple[str, str]]:
        return [
            (_("Time"), "at"), (_("Warehouse"), "warehouse"), (_("Kind"), "kind"), (_("On hand"), "d_on_hand"),
            (_("Inbound"), "d_inbound"), (_("Locked"), "d_locked"), (_("Reserved"), "d_reserved"),
            (_("Damaged"), "d_damaged"), (_("Order"), "order"), (_("User"), "user"), (_("Reason"), "reason"),
        ]

    def current_query(self) -> LedgerQuery:
        return LedgerQuery(self.sku_code, self.warehouse_code)

    def fetch_count(self, session: Session, query: LedgerQuery) -> int:
        return stock_queries.count_ledger_rows(session, query.sku_code, warehouse_code=query.warehouse_code)

    def fetch_rows(self, session: Session, query: LedgerQuery, limit: int, offset: int) -> list[TableRow]:
        zone = shop_zone(self.oms.settings.timezone)
        return [
            TableRow(
                key=str(m.id),
                cells=(plain(local_time(m.at, zone, seconds=True)), plain(m.warehouse),
                       plain(named(MOVE_NAMES, m.kind)), delta(m.d_on_hand), delta(m.d_inbound),
                       delta(m.d_locked), delta(m.d_reserved), delta(m.d_damaged),
                       plain(m.order_ref), plain(m.user), plain(render(m.reason))),
            )
            for m in stock_queries.ledger_rows(session, query.sku_code, warehouse_code=query.warehouse_code,
                                               limit=limit, offset=offset)
        ]

    def on_page_shown(self, result: PageResult) -> None:
        if not result.rows:
            self.query_one("#page-label", Label).update(_("No stock changes recorded yet"))


__all__ = ["SkuLedgerScreen"]
