"""The customer beside an order — the review queue's and the approver's: who they are across platforms,
what they bought, sent back and disputed, the credit score, and their latest orders."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from oms_tui.i18n import _
from oms_tui.screens.cs_dialogs import CREDIT_LEVELS
from oms_tui.screens.formatting import PLATFORM_NAMES, STATUS_NAMES, local_time, money, named, plain, yuan
from oms_tui.services.customers.history import CreditSummary, CustomerHistory
from oms_tui.widgets.paging import TableRow
from oms_tui.widgets.table import Column


def detail_grid(pairs: list[tuple[str, str]]) -> Table:
    """Label / value lines, the labels bold; an empty value shows as a dash."""
    grid = Table.grid(padding=(0, 2), expand=True)
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(ratio=1)
    for label, value in pairs:
        grid.add_row(Text(label), Text(value or "—"))
    return grid


def customer_facts(h: CustomerHistory, credit: CreditSummary) -> list[tuple[str, str]]:
    platforms = ", ".join(f"{named(PLATFORM_NAMES, p)} {n}" for p, n in sorted(h.platforms.items()))
    return [
        (_("Customer"), f"#{h.customer_id} {h.name}" + (_(" · VIP") if h.is_vip else "")),
        (_("Orders"), _("{count} ({platforms})").format(count=h.order_count, platforms=platforms)),
        (_("Paid in all"), yuan(h.paid_fen)),
        (_("Cancelled"), str(h.cancelled_count)),
        (_("Returned units"), _("{returned} of {shipped} shipped").format(returned=h.returned_units,
                                                                         shipped=h.shipped_units)),
        (_("Refunds and disputes"), _("{refunds} refunded · {disputes} disputed").format(
            refunds=h.platform_refunds, disputes=h.disputes)),
        (_("Credit"), _("{score} ({level}) · cancelled {cancel}% · returned {returned}%").format(
            score=credit.score, level=_(CREDIT_LEVELS[credit.level]), cancel=credit.cancel_percent,
            returned=credit.return_percent)),
    ]


def history_columns() -> list[Column]:
    return [Column(_("Platform"), "platform", priority=2), Column(_("Order"), "order"), Column(_("Status"), "status"),
            Column(_("Created"), "created", priority=3), Column(_("Paid amount"), "paid", priority=1),
            Column(_("Waybill"), "waybill", priority=1)]


def history_rows(h: CustomerHistory, zone) -> list[TableRow]:  # noqa: ANN001 - a tzinfo
    return [TableRow(str(o.id), (plain(named(PLATFORM_NAMES, o.platform)), plain(o.platform_order_id),
                                 plain(named(STATUS_NAMES, o.status)), plain(local_time(o.created_at, zone)),
                                 money(o.paid_fen), plain(o.waybill or "")))
            for o in h.orders]
