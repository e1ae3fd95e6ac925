"""``oms report …``: the owner's reports (``kpi``: order→ship hours, errors per month, staff-hours).

Registered in cli.py with ``app.add_typer(report_app, name="report")``.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from oms_tui.commands.common import cli_actor, console, get_settings, open_engine, print_json, read_session
from oms_tui.errors import ValidationError
from oms_tui.i18n import N_, _
from oms_tui.limits import require_day

report_app = typer.Typer(help="Reports: KPIs, purchasing, month-end reconciliation", no_args_is_help=True)


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    xlsx = "xlsx"


def parse_date(text: str, option: str) -> date:
    """A YYYY-MM-DD day for ``option``; anything else is one clear line."""
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date() if text.isascii() else None
    except ValueError:
        day = None
    if day is None:
        raise ValidationError(N_("{option} wants a day as YYYY-MM-DD, got {value!r}"), option=option, value=text)
    require_day(day, option)
    return day


def _cell(value: object) -> str:
    return "—" if value is None else str(value)


@report_app.command("kpi")
def kpi(
    first: Annotated[str, typer.Option("--from", help="first day, YYYY-MM-DD (the shop's time zone)")],
    last: Annotated[str, typer.Option("--to", help="last day, YYYY-MM-DD (included)")],
    fmt: Annotated[ReportFormat, typer.Option("--format", help="table, json or xlsx")] = ReportFormat.table,
    output: Annotated[Optional[Path], typer.Option("--output", "-o",
                                                   help="the xlsx file (default kpi-FROM-TO.xlsx here)")] = None,
) -> None:
    """Order→ship hours, errors per month and staff-hours between two days (README: their definitions)."""
    from zoneinfo import ZoneInfo

    from oms_tui.services.reports import kpi as kpi_service

    settings = get_settings()
    start, end = parse_date(first, "--from"), parse_date(last, "--to")
    actor = cli_actor(settings)
    with read_session(open_engine(settings)) as session:
        report = kpi_service.kpi_report(session, actor, start, end, ZoneInfo(settings.timezone))
    if fmt == ReportFormat.json:
        print_json(report.as_dict())
        return
    if fmt == ReportFormat.xlsx:
        from oms_tui.services.core.xlsx import write_workbook

        path = write_workbook(output or Path(f"kpi-{start}-{end}.xlsx"), kpi_service.kpi_sheets(report))
        typer.echo(_("written: {path}").format(path=path))
        return
    ship = report.ship
    table = Table(title=_("Order → ship, {first} to {last}").format(first=start, last=end))
    for header in (_("Orders shipped"), _("Mean hours"), _("p50 hours"), _("p90 hours")):
        table.add_column(header, justify="right")
    table.add_row(str(ship.orders), _cell(ship.mean_hours), _cell(ship.p50_hours), _cell(ship.p90_hours))
    console.print(table)
    errors = Table(title=_("Errors per month"))
    for header in (_("Month"), _("Scan errors"), _("Wrong"), _("Missed"), _("Duplicate"), _("Total")):
        errors.add_column(header, justify="right")
    for row in report.errors:
        errors.add_row(row.month, str(row.scan_errors), str(row.wrong), str(row.missed), str(row.duplicate),
                       str(row.total))
    console.print(errors)
    staff = Table(title=_("Staff-hours (total {hours})").format(hours=report.staff_hours))
    for header, justify in ((_("User"), "left"), (_("Day"), "left"), (_("Actions"), "right"), (_("Hours"), "right")):
        staff.add_column(header, justify=justify)
    for row in report.staff:
        staff.add_row(row.user, row.day, str(row.actions), str(row.hours))
    console.print(staff)
