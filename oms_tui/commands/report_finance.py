"""``oms report purchase`` and ``oms report reconcile``: the buyer's and the finance desk's reports.

``purchase`` and ``reconcile`` are plain functions; cli.py registers them on the ``report`` group.
``--format xlsx`` writes a workbook (Chinese headers, no formula in any cell) to ``--output``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from oms_tui.commands.common import (
    cli_actor,
    console,
    get_settings,
    open_engine,
    print_json,
    read_session,
)
from oms_tui.errors import ValidationError
from oms_tui.i18n import N_, _
from oms_tui.money import yuan


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    xlsx = "xlsx"


ReportFormatOption = Annotated[ReportFormat, typer.Option(
    "--format", help="table for people, json for scripts, xlsx for a workbook (with --output)")]
OutputOption = Annotated[Optional[Path], typer.Option(
    "--output", "-o", help="where --format xlsx writes the workbook (default: in the current directory)")]


def _as_of(text: str | None, timezone: str) -> datetime | None:
    """The end of day ``text`` (YYYY-MM-DD) in the shop's time zone; None: now."""
    if not text:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d") if text.isascii() else None
    except ValueError:
        day = None
    if day is None or day.year < 1970:
        raise ValidationError(N_("--as-of wants a day written YYYY-MM-DD, got {value!r}"), value=text)
    return day.replace(tzinfo=ZoneInfo(timezone)) + timedelta(days=1)


def _write(path: Path, sheets) -> None:  # noqa: ANN001
    from oms_tui.services.core.xlsx import write_workbook

    try:
        write_workbook(path, sheets)
    except OSError as exc:
        raise ValidationError(N_("cannot write {path}: {error}"), path=str(path), error=exc.strerror or str(exc)) from None
    typer.echo(_("written: {path}").format(path=path))


def purchase(
    warehouse: Annotated[Optional[str], typer.Option(help="warehouse code (default: the configured one)")] = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="suggest as at the end of this day (YYYY-MM-DD)")] = None,
    all_skus: Annotated[bool, typer.Option("--all", help="list every active SKU, not only those that sold or need ordering")] = False,
    fmt: ReportFormatOption = ReportFormat.table,
    output: OutputOption = None,
) -> None:
    """Purchase suggestions by supplier (28-day sales, lead time, safety stock) and the open purchase orders."""
    from oms_tui.names import PO_STATUS_NAMES, named
    from oms_tui.services.catalogue import skus as catalogue
    from oms_tui.services.purchasing import purchase_orders, report, suggestions

    settings = get_settings()
    now = _as_of(as_of, settings.timezone)
    actor = cli_actor(settings)
    with read_session(open_engine(settings)) as session:
        wh = catalogue.get_warehouse(session, warehouse) if warehouse else catalogue.default_warehouse(
            session, settings.default_warehouse)
        lines = suggestions.suggestions(session, actor, wh, now=now, include_idle=all_skus)
        orders = purchase_orders.list_purchase_orders(session, actor)
    if fmt == ReportFormat.json:
        print_json({"warehouse": wh.code, "suggestions": [s.as_dict() for s in lines],
                    "open_purchase_orders": [po.as_dict() for po in orders]})
        return
    if fmt == ReportFormat.xlsx:
        tz = ZoneInfo(settings.timezone)
        path = output or Path(f"purchase-{datetime.now(tz):%Y-%m-%d}.xlsx")
        _write(path, report.sheets(lines, orders, local=lambda t: t.astimezone(tz)))
        return
    table = Table(_("Supplier"), _("SKU"), _("Name"), _("Sold 28d"), _("Per day"), _("Lead days"), _("Safety"),
                  _("Available"), _("Inbound"), _("Need"), _("Suggested"), title=_("Purchase suggestions"))
    for group in suggestions.by_supplier(lines):
        for s in group.lines:
            table.add_row(s.supplier_code or _("(no supplier)"), s.sku, s.name, str(s.sold), str(s.daily_rate),
                          str(s.lead_days), str(s.safety_stock), str(s.available), str(s.inbound), str(s.need),
                          f"[bold]{s.suggested}[/]" if s.suggested else "0")
    console.print(table)
    pos = Table(_("Purchase order"), _("Supplier"), _("Status"), _("SKU"), _("Ordered"), _("Received"),
                _("Outstanding"), title=_("Open purchase orders"))
    for po in orders:
        for line in po.lines:
            pos.add_row(po.code, po.supplier_code, named(PO_STATUS_NAMES, po.status), line.sku, str(line.qty), str(line.received),
                        str(line.outstanding))
    console.print(pos)


def reconcile(
    month: Annotated[str, typer.Option(help="the month, YYYY-MM (e.g. 2026-10)")],
    bill: Annotated[Optional[list[str]], typer.Option(
        help="import a platform's bill first: PLATFORM=FILE (taobao, jd, pdd; .csv or .xlsx); repeatable")] = None,
    fmt: ReportFormatOption = ReportFormat.table,
    output: OutputOption = None,
) -> None:
    """Month-end figures per platform (orders paid, amounts, refunds, shipped, cost of goods, gross profit) and
    each imported bill's differences from our orders."""
    from oms_tui.errors import NotFound
    from oms_tui.db import session_scope
    from oms_tui.services.finance import reconciliation, report, settlement_import

    settings = get_settings()
    actor = cli_actor(settings)
    engine = open_engine(settings)
    reconciliation.month_range(month, settings.timezone)
    bills = []
    for item in bill or []:
        platform, sep, path = item.partition("=")
        if not sep or not path:
            raise ValidationError(N_("--bill wants PLATFORM=FILE (e.g. taobao=bill.csv), got {value!r}"), value=item)
        bills.append((platform.strip().lower(), Path(path.strip())))
    if bills:
        with session_scope(engine) as session:  # every bill or none
            for platform, path in bills:
                done = settlement_import.import_settlement(session, actor, platform, month, path)
                typer.echo(_("imported {file}: {orders} orders from {rows} rows").format(
                    file=path.name, orders=done.orders, rows=done.rows), err=True)
    with read_session(engine) as session:
        summary = reconciliation.month_summary(session, actor, month, timezone=settings.timezone)
        diffs = []
        for row in summary[:-1]:
            try:
                diffs.append(reconciliation.bill_diff(session, actor, row.platform, month, timezone=settings.timezone))
            except NotFound:  # no bill for that platform: nothing to compare
                continue
    if fmt == ReportFormat.json:
        print_json({"month": month, "platforms": [r.as_dict() for r in summary],
                    "bills": [{"platform": d.platform, "file": d.filename, "matched": d.matched,
                               "lines": [line.as_dict() for line in d.lines]} for d in diffs]})
        return
    if fmt == ReportFormat.xlsx:
        _write(output or Path(f"reconcile-{month}.xlsx"), report.sheets(month, summary, diffs))
        return
    from oms_tui.names import PLATFORM_NAMES, named

    table = Table(_("Platform"), _("Orders"), _("Paid"), _("Refunds"), _("Refunded"), _("Shipped"), _("Unshipped"),
                  _("Cancelled"), _("Cost of goods"), _("Gross profit"), title=_("Reconciliation {month}").format(month=month))
    for r in summary:
        table.add_row(named(PLATFORM_NAMES, r.platform) if r.platform else _("Total"), str(r.orders), yuan(r.paid_fen),
                      str(r.refunds), yuan(r.refund_fen), str(r.shipped), str(r.unshipped), str(r.cancelled),
                      yuan(r.cost_fen), yuan(r.gross_profit_fen))
    console.print(table)
    for d in diffs:
        lines = Table(_("Order"), _("Difference"), _("Our amount"), _("Bill amount"), _("Our refund"), _("Bill refund"),
                      title=_("{platform} bill {file}: {matched} agree, {differ} differ").format(
                          platform=named(PLATFORM_NAMES, d.platform), file=d.filename, matched=d.matched,
                          differ=len(d.lines)))
        for line in d.lines:
            lines.add_row(line.platform_order_id, _(reconciliation.DIFF_NAMES[line.kind]), yuan(line.our_amount_fen),
                          yuan(line.bill_amount_fen), yuan(line.our_refund_fen), yuan(line.bill_refund_fen))
        console.print(lines)
