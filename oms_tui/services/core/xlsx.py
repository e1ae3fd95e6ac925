"""Spreadsheets we write (reports) and read (the platforms' bills), with openpyxl.

A text cell that starts with ``= + - @`` (or a tab or carriage return) would be a formula to Excel or
WPS — a buyer's remark or a SKU name could run one on the owner's machine (formula / CSV injection).
Such cells are stored as text (type ``s``, shown with Excel's quote prefix), never as formulas; numbers
stay numbers. Headers are written as given (the reports pass Chinese ones).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Excel's limit for a sheet's name, and the characters it refuses in one.
_TITLE_MAX = 31
_TITLE_BAD = str.maketrans({c: "_" for c in "[]:*?/\\"})


@dataclass(frozen=True)
class Sheet:
    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]] = field(default_factory=list)


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)


def write_workbook(path: str | Path, sheets: Sequence[Sheet]) -> Path:
    """Write ``sheets`` to an .xlsx file at ``path`` (replaced if there); returns the path."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    path = Path(path)
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets or [Sheet("Sheet", [])]:
        ws = book.create_sheet((sheet.title.translate(_TITLE_BAD) or "Sheet")[:_TITLE_MAX])
        ws.append([_plain(h) for h in sheet.headers])
        for cell in ws[1]:
            cell.font = Font(bold=True)
            _as_text_if_formula(cell)
        for row in sheet.rows:
            ws.append([_plain(v) for v in row])
            for cell in ws[ws.max_row]:
                _as_text_if_formula(cell)
        for column, header in enumerate(sheet.headers, start=1):
            ws.column_dimensions[ws.cell(1, column).column_letter].width = max(10, 2 * len(str(header)) + 2)
        ws.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _plain(value: Any) -> Any:
    """What a cell may hold: numbers, text, dates; Decimal as a number; anything else as its text."""
    if value is None or isinstance(value, (bool, int, float, str, date, datetime)):
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.replace(tzinfo=None)  # Excel has no time zones: the caller passes local times
        return value
    if isinstance(value, Decimal):
        return float(value) if value == value.quantize(Decimal("0.01")) else str(value)
    return str(value)


def _as_text_if_formula(cell) -> None:  # noqa: ANN001
    value = cell.value
    if isinstance(value, str) and is_formula_like(value):
        cell.value = value
        cell.data_type = "s"  # openpyxl took it for a formula ("f"); written as a string instead
        cell.quotePrefix = True


def read_rows(path: str | Path) -> list[list[Any]]:
    """Every row of the first sheet of an .xlsx file, values as stored (formulas as their text)."""
    from openpyxl import load_workbook

    book = load_workbook(Path(path), read_only=True, data_only=False)
    try:
        ws = book.worksheets[0]
        return [list(row) for row in ws.iter_rows(values_only=True)]
    finally:
        book.close()
