"""Finance: the month-end reconciliation per platform (orders paid, amounts, refunds, shipped, cost of
goods, gross profit), a platform's bill imported (``i``), and each bill's differences from our orders
line by line. ``x`` exports the month to a workbook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Header, Input, Label, Select

from oms_tui.errors import NotFound, OmsError
from oms_tui.i18n import N_, _
from oms_tui.models import Platform
from oms_tui.screens.base import OmsScreen, describe_error
from oms_tui.screens.formatting import PLATFORM_NAMES, money, named, num, plain, shop_zone
from oms_tui.services.core.xlsx import write_workbook
from oms_tui.services.finance import reconciliation, report, settlement_import
from oms_tui.services.finance.reconciliation import BillDiff, PlatformMonth
from oms_tui.widgets.dialogs import Dialog, TextPrompt
from oms_tui.widgets.error_line import ErrorLine
from oms_tui.widgets.keys import KeysFooter
from oms_tui.widgets.paging import TableRow
from oms_tui.widgets.table import Column, KeyedTable


@dataclass(frozen=True)
class MonthView:
    month: str
    summary: list[PlatformMonth]
    diffs: list[BillDiff]


def previous_month(now: datetime) -> str:
    """The month before ``now``'s: the one being closed."""
    return f"{now.year - 1}-12" if now.month == 1 else f"{now.year}-{now.month - 1:02d}"


class ImportBillDialog(Dialog):
    """Which platform's bill, and the file; dismisses with (platform, path) or None."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("Import a platform's bill"), classes="dialog-title")
            yield Select([(_(PLATFORM_NAMES[p.value]), p.value) for p in Platform], value=Platform.TAOBAO.value,
                         allow_blank=False, id="platform")
            yield Input(placeholder=_("The bill's file (.csv or .xlsx)"), id="path")
            yield ErrorLine()
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Input.Submitted, "#path")
    def _entered(self) -> None:
        self.submit()

    def submit(self) -> None:
        path = self.query_one("#path", Input).value.strip()
        if not path:
            self.complain(_("Type the bill's file name first"))
            return
        self.dismiss((str(self.query_one("#platform", Select).value), path))


class FinanceScreen(OmsScreen):
    TITLE_ID = N_("Finance")
    CSS_PATH = "finance.tcss"
    BINDINGS = [
        Binding("i", "import_bill", N_("Import bill")),
        Binding("x", "export", N_("Export")),
        Binding("f5", "refresh", N_("Refresh")),
        Binding("escape", "back", N_("Back")),
    ]

    def __init__(self, month: str = "") -> None:
        super().__init__()
        self.month = month
        self.view: MonthView | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="month-bar"):
            yield Label(_("Month"), classes="field-label")
            yield Input(value=self.month, placeholder="YYYY-MM", id="month", max_length=7)
            yield Label("", id="bills")
        yield KeyedTable(id="summary")
        yield Label(_("Bill differences"), classes="section", id="diff-title")
        yield KeyedTable(id="diff")
        yield ErrorLine()
        with Horizontal(id="status-bar"):
            yield Label("", id="note")
            yield Label(_("Enter: show the month · i: import bill · x: export"), id="hint")
        yield KeysFooter()

    def on_mount(self) -> None:
        if not self.month:
            self.month = previous_month(datetime.now(shop_zone(self.oms.settings.timezone)))
            self.query_one("#month", Input).value = self.month
        self.query_one("#summary", KeyedTable).set_columns([
            Column(_("Platform"), "platform"), Column(_("Orders"), "orders"), Column(_("Paid"), "paid"),
            Column(_("Refunds"), "refunds", 2), Column(_("Refunded"), "refunded"), Column(_("Shipped"), "shipped"),
            Column(_("Unshipped"), "unshipped"), Column(_("Cancelled"), "cancelled", 2),
            Column(_("Cost of goods"), "cost"), Column(_("Gross profit"), "profit")])
        self.query_one("#diff", KeyedTable).set_columns([
            Column(_("Platform"), "platform"), Column(_("Order"), "order"), Column(_("Difference"), "kind"),
            Column(_("Our amount"), "ours"), Column(_("Bill amount"), "bill"), Column(_("Our refund"), "our_refund"),
            Column(_("Bill refund"), "bill_refund")])
        self.query_one("#summary", KeyedTable).focus()
        self.action_refresh()

    def action_refresh(self) -> None:
        self.clear_error()
        actor, month, tz = self.actor, self.month, self.oms.settings.timezone

        def fetch(session: Session) -> MonthView:
            summary = reconciliation.month_summary(session, actor, month, timezone=tz)
            diffs = []
            for row in summary[:-1]:
                try:
                    diffs.append(reconciliation.bill_diff(session, actor, row.platform, month, timezone=tz))
                except NotFound:
                    continue
            return MonthView(month, summary, diffs)

        self.read(fetch, self._show, group="month")

    def _show(self, view: MonthView) -> None:
        self.view = view
        self.query_one("#summary", KeyedTable).show_rows([TableRow(key=r.platform or "total", cells=(
            plain(named(PLATFORM_NAMES, r.platform) if r.platform else _("Total")), num(r.orders), money(r.paid_fen),
            num(r.refunds), money(r.refund_fen), num(r.shipped), num(r.unshipped), num(r.cancelled),
            money(r.cost_fen), money(r.gross_profit_fen))) for r in view.summary])
        self.query_one("#diff", KeyedTable).show_rows([TableRow(key=f"{d.platform}\t{line.platform_order_id}", cells=(
            plain(named(PLATFORM_NAMES, d.platform)), plain(line.platform_order_id),
            plain(_(reconciliation.DIFF_NAMES[line.kind])), money(line.our_amount_fen), money(line.bill_amount_fen),
            money(line.our_refund_fen), money(line.bill_refund_fen))) for d in view.diffs for line in d.lines])
        bills = "; ".join(_("{platform}: {file}, {matched} agree, {differ} differ").format(
            platform=named(PLATFORM_NAMES, d.platform), file=d.filename, matched=d.matched, differ=len(d.lines))
            for d in view.diffs)
        self.query_one("#bills", Label).update(bills or _("No bill imported for {month}").format(month=view.month))
        self.query_one("#diff-title", Label).update(_("Bill differences ({count})").format(
            count=sum(len(d.lines) for d in view.diffs)))

    @on(Input.Submitted, "#month")
    def _month_entered(self, event: Input.Submitted) -> None:
        try:
            reconciliation.month_range(event.value.strip())
        except OmsError as exc:  # a typing error becomes the red line
            self.show_error(describe_error(exc))
            return
        self.month = event.value.strip()
        self.action_refresh()
        self.query_one("#summary", KeyedTable).focus()

    def action_import_bill(self) -> None:
        actor, month = self.actor, self.month

        def chosen(answer: tuple[str, str] | None) -> None:
            if answer is None:
                return
            platform, path = answer
            self.write(lambda session: settlement_import.import_settlement(session, actor, platform, month,
                                                                            Path(path).expanduser()),
                       self._imported, group="import")

        self.app.push_screen(ImportBillDialog(), chosen)

    def _imported(self, done: settlement_import.ImportSummary) -> None:
        note = _("Imported the {platform} bill for {month}: {orders} orders from {rows} rows").format(
            platform=named(PLATFORM_NAMES, done.platform), month=done.month, orders=done.orders, rows=done.rows)
        self.query_one("#note", Label).update(note)
        self.notify(note)
        self.action_refresh()

    def action_export(self) -> None:
        view = self.view
        if view is None:
            return

        def done(path: str | None) -> None:
            if not path:
                return
            sheets = report.sheets(view.month, view.summary, view.diffs)
            self.run_service(lambda _engine: write_workbook(path, sheets), done=self._exported, group="export")

        self.app.push_screen(TextPrompt(_("Export to a workbook"), label=_("File name"),
                                        value=f"reconcile-{view.month}.xlsx"), done)

    def _exported(self, path) -> None:  # noqa: ANN001
        note = _("Written: {path}").format(path=path)
        self.query_one("#note", Label).update(note)
        self.notify(note)

    def action_back(self) -> None:
        self.app.pop_screen()
