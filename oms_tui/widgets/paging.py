"""The pieces of a table read one page at a time: the page arithmetic and the rows of one page.

Only the rows of the current page ever leave the database; the row count is read again when the
filter changes or on refresh, not on every page turn. A screen whose rows carry their position in the
sort order is paged by keyset: the next page is the rows after the last one shown (an index range read
as fast on page 20,000 as on page 1), the page before is the rows after where that page started. A screen over a table that grows without end
(orders) caps its count: past the cap the label gives an estimate ("page 1 of ~14,000 · ~700,000 rows",
from the tally the scheduler keeps), or without one says "200+ pages · 10,000+ rows"; paging goes on, and
the first page that comes back short makes the count exact.
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
    more: bool = False  # the count stopped at ``total``: there are more rows than that (a capped count)
    about: bool = False  # ``total`` is an estimate: there may be fewer rows or more

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def open_ended(self) -> bool:
        """The rows may go on past ``total``: a capped count or an estimate."""
        return self.more or self.about

    def has_next(self) -> bool:
        return self.number < self.pages or self.open_ended

    def clamped(self) -> Page:
        last = max(self.pages, self.number) if self.open_ended else self.pages
        return Page(min(max(1, self.number), last), self.size, self.total, self.more, self.about)

    def counted(self, count: int, cap: int | None) -> Page:
        """This page with a fresh row count; a count past ``cap`` (a capped count says ``cap + 1``) is
        kept as "``cap``, and more"."""
        if cap is not None and count > cap:
            return Page(self.number, self.size, cap, more=True)
        return Page(self.number, self.size, count)

    def estimated(self, about: int) -> Page:
        """This page with an estimated row count."""
        return Page(self.number, self.size, about, about=True)

    def label(self) -> str:
        if self.about:
            return _("page {page} of ~{pages} · ~{rows} rows").format(
                page=f"{self.number:,}", pages=f"{max(self.pages, self.number):,}", rows=f"{self.total:,}")
        if self.more:
            return _("page {page} of {pages}+ · {rows}+ rows").format(
                page=f"{self.number:,}", pages=f"{max(self.pages, self.number):,}", rows=f"{self.total:,}")
        return _("page {page} of {pages} · {rows} rows").format(
            page=f"{self.number:,}", pages=f"{self.pages:,}", rows=f"{self.total:,}")


@dataclass(frozen=True)
class TableRow:
    key: str
    cells: Sequence[Text | str]
    # Where the row sits in its table's sort order (the ORDER BY values, e.g. (created_at, id)): the next
    # page is read as the rows after the last row's position (keyset) rather than at an offset.
    position: tuple | None = None


@dataclass(frozen=True)
class PageResult:
    page: Page
    rows: list[TableRow]
