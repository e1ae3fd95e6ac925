"""Returns: scan the returned parcel's waybill (or type the order id or the buyer's phone), choose the
units that came back and their condition with keys, confirm: stock back in and the refund recorded."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Input, Label

from oms_tui.errors import ValidationError
from oms_tui.i18n import N_, _
from oms_tui.models import RefundStatus, ReturnCondition
from oms_tui.screens.base import OmsScreen
from oms_tui.screens.floor import print_note
from oms_tui.screens.formatting import (
    PLATFORM_NAMES,
    local_time,
    money,
    named,
    num,
    plain,
    shop_zone,
    yuan,
)
from oms_tui.services.catalogue import couriers
from oms_tui.services.floor import printing, returns
from oms_tui.services.floor.print_request import PrintOutcome
from oms_tui.widgets.error_line import ErrorLine
from oms_tui.widgets.search_box import SEARCH_BINDING, SearchBox

CONDITION_NAMES = {ReturnCondition.RESALEABLE: N_("resaleable"), ReturnCondition.DAMAGED: N_("damaged")}
REFUND_STATUS_NAMES = {RefundStatus.PENDING: N_("waiting for the platform"), RefundStatus.REFUNDED: N_("refunded"),
                       RefundStatus.REFUSED: N_("refused")}
AFTER_SALE_ROWS = 30


@dataclass(frozen=True)
class FoundOrder:
    id: int
    ref: str
    platform: str
    receiver: str
    shipped_at: str
    courier: str
    waybill: str


@dataclass
class Pick:
    """What the user chose for one line: how many came back and in what state."""

    line: returns.ReturnableLine
    qty: int = 0
    condition: str = ReturnCondition.RESALEABLE


class ReturnsScreen(OmsScreen):
    TITLE_ID = N_("Returns")
    CSS_PATH = "returns.tcss"
    BINDINGS = [
        Binding("plus,equals_sign", "more", N_("One more")),
        Binding("minus", "less", N_("One less")),
        Binding("a", "all", N_("All units")),
        Binding("c", "condition", N_("Resaleable / damaged")),
        Binding("f10", "confirm", N_("Confirm return")),
        SEARCH_BINDING,
        Binding("escape", "back", N_("Back")),
    ]

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.initial_query = query.strip()
        self.found: list[FoundOrder] = []
        self.order_id: int | None = None
        self.picks: list[Pick] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="search-bar"):
            yield Label(_("Scan"), classes="field-label")
            yield SearchBox(value=self.initial_query, placeholder=_("Return waybill, order id or buyer's phone"),
                        id="query")
        yield ErrorLine()
        yield Label(_("Shipped orders"), classes="section")
        yield DataTable(id="orders", cursor_type="row", zebra_stripes=True)
        yield Label(_("Lines: +/- units, a all, c condition"), classes="section")
        yield DataTable(id="lines", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="form"):
            yield Input(placeholder=_("Reason"), id="reason", max_length=300)
            yield Input(placeholder=_("Refund in yuan (empty: price × units)"), id="refund", max_length=14)
            yield Input(placeholder=_("Buyer's return waybill"), id="waybill-in", max_length=64)
        with Horizontal(id="status-bar"):
            yield Label("", id="summary")
            yield Label(_("F10: confirm · /: search"), id="hint")
        yield Label(_("After-sales from the platforms, goods not back yet (Enter: find the order)"),
                    classes="section", id="after-sales-title")
        yield DataTable(id="after-sales", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#orders", DataTable).add_columns(
            _("Order"), _("Platform"), _("Receiver"), _("Shipped"), _("Courier"), _("Waybill"))
        self.query_one("#lines", DataTable).add_columns(
            _("SKU"), _("Name"), _("Sent"), _("Returned"), _("Coming back"), _("Condition"), _("Refund"))
        self.query_one("#after-sales", DataTable).add_columns(
            _("Order"), _("Platform"), _("Reason"), _("Refund"), _("Refund status"), _("Reported"))
        self.query_one("#query", Input).focus()
        if self.initial_query:
            self.search(self.initial_query)
        self.load_after_sales()

    def on_data_changed(self) -> None:
        self.load_after_sales()  # the refund sync reports after-sales as they come

    # --- the platforms' after-sales ----------------------------------------------------------------

    def load_after_sales(self) -> None:
        zone = shop_zone(self.oms.settings.timezone)

        def fetch(session: Session) -> list[tuple[str, tuple]]:
            return [(row.platform_order_id, (
                plain(row.platform_order_id), plain(named(PLATFORM_NAMES, row.platform)), plain(row.reason),
                money(row.refund_fen), plain(named(REFUND_STATUS_NAMES, row.refund_status)),
                plain(local_time(row.created_at, zone))))
                for row in returns.platform_after_sales(session, limit=AFTER_SALE_ROWS)]

        self.read(fetch, self._show_after_sales, group="after-sales")

    def _show_after_sales(self, rows: list[tuple[str, tuple]]) -> None:
        table = self.query_one("#after-sales", DataTable)
        table.clear()
        for n, (_ref, cells) in enumerate(rows):
            table.add_row(*cells, key=f"{n}:{_ref}")
        self.query_one("#after-sales-title", Label).update(
            _("After-sales from the platforms, goods not back yet ({count}; Enter: find the order)").format(
                count=len(rows)))

    @on(DataTable.RowSelected, "#after-sales")
    def _after_sale_selected(self, event: DataTable.RowSelected) -> None:
        ref = str(event.row_key.value).split(":", 1)[1]
        query = self.query_one("#query", Input)
        query.value = ref
        self.search(ref)

    # --- finding the order ----------------------------------------------------------------------

    @on(Input.Submitted, "#query")
    def _query_submitted(self, event: Input.Submitted) -> None:
        self.search(event.value)

    def search(self, text: str) -> None:
        self.clear_error()
        zone = shop_zone(self.oms.settings.timezone)

        def fetch(session: Session) -> list[FoundOrder]:
            return [FoundOrder(o.id, o.platform_order_id, o.platform, o.receiver_name,
                               local_time(o.shipped_at, zone), o.courier or "", o.waybill or "")
                    for o in returns.find_for_return(session, text)]

        self.read(fetch, self._show_found, group="find")

    def _show_found(self, found: list[FoundOrder]) -> None:
        self.found = found
        table = self.query_one("#orders", DataTable)
        table.clear()
        for o in found:
            table.add_row(plain(o.ref), plain(named(PLATFORM_NAMES, o.platform)), plain(o.receiver),
                          plain(o.shipped_at), plain(couriers.display_name(o.courier)), plain(o.waybill), key=str(o.id))
        if not found:
            self.order_id = None
            self.picks = []
            self._show_lines()
            self.show_error(_("No shipped order matches that"))
            return
        self.load_lines(found[0].id)
        (table if len(found) > 1 else self.query_one("#lines", DataTable)).focus()

    @on(DataTable.RowHighlighted, "#orders")
    def _order_highlighted(self, event: DataTable.RowHighlighted) -> None:
        order_id = int(event.row_key.value)
        if order_id != self.order_id:
            self.load_lines(order_id)

    @on(DataTable.RowSelected, "#orders")
    def _order_selected(self, _event: DataTable.RowSelected) -> None:
        self.query_one("#lines", DataTable).focus()

    def load_lines(self, order_id: int) -> None:
        def done(lines: list[returns.ReturnableLine]) -> None:
            self.order_id = order_id
            self.picks = [Pick(line) for line in lines]
            self._show_lines()

        self.read(lambda session: returns.lines_for_return(session, order_id), done, group="lines")

    # --- choosing units -------------------------------------------------------------------------

    def _show_lines(self) -> None:
        table = self.query_one("#lines", DataTable)
        row = table.cursor_row
        table.clear()
        for pick in self.picks:
            line = pick.line
            condition = Text(_(CONDITION_NAMES[pick.condition]),
                             style="bold red" if pick.condition == ReturnCondition.DAMAGED else "green")
            table.add_row(plain(line.sku), plain(line.name), num(line.qty), num(line.returned),
                          num(pick.qty, style="bold" if pick.qty else "dim"), condition,
                          money(line.price_fen * pick.qty), key=str(line.line_id))
        if self.picks:
            table.move_cursor(row=min(row, len(self.picks) - 1))
        units = sum(p.qty for p in self.picks)
        value = sum(p.qty * p.line.price_fen for p in self.picks)
        self.query_one("#summary", Label).update(
            _("Coming back: {units} units · refund by price {refund}").format(units=units, refund=yuan(value)))

    def _current(self) -> Pick | None:
        table = self.query_one("#lines", DataTable)
        if not self.picks or self.focused is not table:
            return None
        return self.picks[min(table.cursor_row, len(self.picks) - 1)]

    def _change(self, qty: int | None = None, delta: int = 0) -> None:
        pick = self._current()
        if pick is None:
            self.app.bell()
            return
        wanted = qty if qty is not None else pick.qty + delta
        if not 0 <= wanted <= pick.line.returnable:
            self.app.bell()
            return
        pick.qty = wanted
        self._show_lines()

    def action_more(self) -> None:
        self._change(delta=1)

    def action_less(self) -> None:
        self._change(delta=-1)

    def action_all(self) -> None:
        """Every unit of every line is coming back (the whole parcel returned); +/- then trims."""
        if not self.picks or not any(p.line.returnable for p in self.picks):
            self.app.bell()
            return
        for pick in self.picks:
            pick.qty = pick.line.returnable
        self._show_lines()

    def action_condition(self) -> None:
        pick = self._current()
        if pick is None:
            self.app.bell()
            return
        pick.condition = (ReturnCondition.DAMAGED if pick.condition == ReturnCondition.RESALEABLE
                          else ReturnCondition.RESALEABLE)
        self._show_lines()

    # --- confirming -----------------------------------------------------------------------------

    def action_confirm(self) -> None:
        self.clear_error()
        if self.order_id is None:
            self.show_error(_("Find the order first"))
            return
        chosen = [(p.line.line_id, p.qty, p.condition) for p in self.picks if p.qty > 0]
        if not chosen:
            self.show_error(_("Choose at least one unit coming back (+ on a line)"))
            return
        try:
            refund = returns.parse_yuan(self.query_one("#refund", Input).value)
        except ValidationError:
            self.show_error(_("The refund must be an amount in yuan, like 19.90"))
            return
        reason = self.query_one("#reason", Input).value
        waybill_in = self.query_one("#waybill-in", Input).value
        order_id = self.order_id
        actor = self.actor
        settings = self.oms.settings

        self.write(lambda session: returns.record_and_print(
            session, order_id, chosen, reason=reason, refund_fen=refund, waybill_in=waybill_in, actor=actor,
            settings=settings), self._recorded, group="confirm")

    def _recorded(self, done: returns.RecordedReturn) -> None:
        self.picks = [Pick(line) for line in done.lines]
        self._show_lines()
        for widget_id in ("#reason", "#refund", "#waybill-in"):
            self.query_one(widget_id, Input).value = ""
        text = _("Return {id} recorded: {units} units back, refund {refund} owed").format(
            id=done.return_id, units=done.units, refund=yuan(done.refund_fen))
        outcome = done.print_outcome
        self.query_one("#summary", Label).update(f"{text} · {print_note(outcome)}")
        if outcome.queued:
            # The return is committed; the slip's printer is tried now, outside that transaction.
            self.run_service(printing.print_now, self.oms.settings, outcome.job_id, actor=self.actor,
                             done=lambda state: self._slip_printed(text, outcome, state), group="printer")
        else:
            self.notify(f"{text} · {print_note(outcome)}")
        search = self.query_one("#query", Input)
        search.value = ""
        search.focus()

    def _slip_printed(self, text: str, outcome: PrintOutcome, state: printing.JobState) -> None:
        note = f"{text} · {print_note(outcome, state)}"
        self.query_one("#summary", Label).update(note)
        self.notify(note, severity="information" if state.printed else "warning")

    def action_back(self) -> None:
        self.app.pop_screen()
