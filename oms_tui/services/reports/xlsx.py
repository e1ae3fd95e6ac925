"""Every report's xlsx: openpyxl, one sheet per table, headers as given (the reports give Chinese ones).

A cell whose text starts with ``= + - @`` (or a tab / carriage return, which spreadsheets strip
before looking) is stored as text, never as a formula: a buyer's remark or a platform's reason that
reads ``=HYPERLINK(…)`` must not run when the owner opens the file (CSV/formula injection). Numbers
stay numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Sheet:
    title: str  # at most 31 characters; no []:*?/\
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]] = field(default_factory=list)


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def write_workbook(path: str | Path, sheets: Sequence[Sheet]) -> Path:
    """Write ``sheets`` to the xlsx file ``path`` (replaced if it exists); returns the path."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet in sheets:
        ws = workbook.create_sheet(title=sheet.title[:31])
        ws.append([str(header) for header in sheet.headers])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            ws.append([_cell_value(value) for value in row])
            for cell in ws[ws.max_row]:
                if is_formula_like(cell.value) or cell.data_type == "f":
                    # openpyxl reads a leading "=" as a formula: say it is a plain string, and mark it
                    # quoted (Excel's leading ') so editing the cell later does not turn it into one.
                    cell.data_type = TYPE_STRING
                    cell.quotePrefix = True
        ws.freeze_panes = "A2"
        for column in ws.columns:
            width = max(len(str(c.value or "")) for c in column)
            ws.column_dimensions[column[0].column_letter].width = min(60, max(10, width * 1.6 + 2))
    target = Path(path)
    workbook.save(target)
    return target


def _cell_value(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, str)):
        return value
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
