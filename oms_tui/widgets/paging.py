"""The pieces of a table read one page at a time: the page arithmetic and the rows of one page.

Only the rows of the current page ever leave the database; the row count is read again when the
filter changes or on refresh, not on every page turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text

from oms_tui.i18n import _

PAGE_SIZE = 50


@dataclass
class Page:
    number: int = 1  # 1-based
    size: int = PAGE_SIZE
    total: int = 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    def clamped(self) -> Page:
        return Page(min(max(1, self.number), self.pages), self.size, self.total)

    def label(self) -> str:
        return _("page {page} of {pages} · {rows} rows").format(
            page=f"{self.number:,}", pages=f"{self.pages:,}", rows=f"{self.total:,}")


@dataclass(frozen=True)
class TableRow:
    key: str
    cells: Sequence[Text | str]


@dataclass(frozen=True)
class PageResult:
    page: Page
    rows: list[TableRow]
