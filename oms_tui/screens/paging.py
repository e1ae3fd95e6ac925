"""A screen base around a table read one page at a time (the pieces are in ``oms_tui.widgets.paging``)."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session
from textual.binding import Binding
from textual.widgets import Label

from oms_tui.i18n import N_, _
from oms_tui.screens.base import OmsScreen
from oms_tui.services.reports.tally import CountKind, RowCount
from oms_tui.widgets.paging import PAGE_SIZE, Page, PageResult, TableRow
from oms_tui.widgets.table import Column, KeyedTable


class PagedTableScreen(OmsScreen):
    """A screen around one KeyedTable (``#table``) and a page label (``#page-label``).

    Subclasses give the columns and ``fetch_count`` / ``fetch_rows``; both run in a worker thread.
    """

    BINDINGS = [
        Binding("pagedown", "next_page", N_("Next page"), key_display="PgDn", priority=True),
        Binding("pageup", "previous_page", N_("Previous page"), key_display="PgUp", priority=True),
        Binding("n", "next_page", N_("Next page"), show=False),
        Binding("p", "previous_page", N_("Previous page"), show=False),
        Binding("f5", "refresh", N_("Refresh")),
        Binding("escape", "back", N_("Back")),
    ]

    PAGE_SIZE = PAGE_SIZE
    # A refresh reads its page at its offset while the offset is at most this many rows (exact: rows that
    # came or went above it move it, and the cursor follows its row), past it from where the page began.
    EXACT_REFRESH_ROWS = 10_000
    # With a cap, ``fetch_count`` may stop counting past it and answer ``COUNT_CAP + 1`` (more than the cap).
    COUNT_CAP: int | None = None

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.page = Page(size=self.PAGE_SIZE)
        self.loaded = False  # a page has been shown at least once
        # Keyset paging: page number → the position of the last row before it (for the query it was read
        # under). Known for page 1 (nothing before it) and for each page next to one shown; a page not
        # known (a jump) is read at its offset.
        self._starts: dict[int, tuple | None] = {1: None}
        self._starts_query: object = None

    # --- for subclasses ----------------------------------------------------------------------

    def columns(self) -> list[Column | tuple[str, str]]:
        """``Column``s, or (translated label, column key) pairs for columns always shown."""
        raise NotImplementedError

    def current_query(self) -> object:
        """The filter as plain values, taken on the UI thread and handed to the fetches."""
        return None

    def fetch_count(self, session: Session, query: object) -> int | RowCount:
        """The rows ``query`` matches: an exact count (capped at ``COUNT_CAP`` when there is one), or a
        ``RowCount`` that says how well it is known (past the cap, the tally's estimate)."""
        raise NotImplementedError

    def fetch_rows(self, session: Session, query: object, limit: int, offset: int) -> list[TableRow]:
        raise NotImplementedError

    def fetch_rows_after(self, session: Session, query: object, limit: int, after: tuple) -> list[TableRow]:
        """Keyset paging, for a screen whose ``TableRow``s carry a ``position``: the ``limit`` rows that
        come after ``after`` in the sort order. Without it, every page is read at its offset."""
        raise NotImplementedError

    @property
    def keyset(self) -> bool:
        return type(self).fetch_rows_after is not PagedTableScreen.fetch_rows_after

    def on_page_shown(self, result: PageResult) -> None:
        """Hook after a page is drawn."""

    def on_cursor_row_gone(self, row: TableRow) -> None:
        """Hook: a refresh found the row under the cursor gone (the cursor is on the row that took
        its place). A screen whose keys act on that row says so; the rest stay quiet."""

    # --- machinery ---------------------------------------------------------------------------

    @property
    def table(self) -> KeyedTable:
        return self.query_one("#table", KeyedTable)

    def setup_table(self) -> None:
        self.table.set_columns(self.columns())

    def load_page(self, number: int | None = None, *, recount: bool = False) -> None:
        """Read page ``number``, its cursor on the first row; or, without a number, read the current
        page again (a refresh, asked for or not, or after an action) with the cursor kept on the same
        row by key — looked for on the pages either side when rows above it came or went — or, when
        that row is gone, on the row that took its place. ``recount`` re-reads the row count."""
        wanted = replace(self.page, number=self.page.number if number is None else number)
        recount = recount or not self.loaded
        query = self.current_query()
        anchor = self.table.anchor() if number is None else None
        if query != self._starts_query:
            self._starts, self._starts_query = {1: None}, query
        starts = dict(self._starts) if self.keyset else {}
        exact = number is None  # a refresh: rows above the page may have come or gone

        def rows_of(session: Session, page: Page) -> list[TableRow]:
            if page.number in starts and not (exact and page.offset <= self.EXACT_REFRESH_ROWS):
                after = starts[page.number]
                if after is None:  # the first page
                    return self.fetch_rows(session, query, page.size, 0)
                return self.fetch_rows_after(session, query, page.size, after)
            return self.fetch_rows(session, query, page.size, page.offset)

        def fetch(session: Session) -> PageResult:
            page = wanted
            if recount:
                page = counted(page, self.fetch_count(session, query), self.COUNT_CAP)
            page = page.clamped()
            rows = rows_of(session, page)
            if len(rows) < page.size and (page.about or (page.more and page.number >= page.pages)):
                # Past the capped count, or anywhere under an estimate, the rows ran out: the count is exact now.
                if not rows and page.number > 1:
                    page = Page(page.number - 1, page.size, page.offset, more=False)
                    rows = rows_of(session, page)
                else:
                    page = Page(page.number, page.size, page.offset + len(rows), more=False)
            if anchor is not None and all(row.key != anchor.row.key for row in rows):
                if rows and rows[-1].position is not None:
                    starts[page.number + 1] = rows[-1].position
                for number in (page.number - 1, page.number + 1):
                    neighbour = replace(page, number=number)
                    if 1 <= number <= page.pages or (page.open_ended and number > page.pages):
                        moved = rows_of(session, neighbour)
                        if any(row.key == anchor.row.key for row in moved):
                            return PageResult(neighbour, moved)
            return PageResult(page, rows)

        # Not ``table.loading``: that would take the focus away from the table.
        self.query_one("#page-label", Label).update(_("Loading…"))
        self.read(fetch, lambda result: self._show_page(result, keep_cursor=anchor is not None, query=query,
                                                        exact=exact), group="page")

    def _show_page(self, result: PageResult, *, keep_cursor: bool = False, query: object = None,
                   exact: bool = False) -> None:
        self.page = result.page
        self.loaded = True
        if query == self._starts_query and result.rows and result.rows[-1].position is not None:
            # Where the next page starts; the pages past it start elsewhere now. A page read at its offset
            # also moves the start of each page before it (rows may have come or gone there): those are
            # read at their offsets until turned to again.
            number = result.page.number
            exact = exact and result.page.offset <= self.EXACT_REFRESH_ROWS
            self._starts = {n: after for n, after in self._starts.items() if n == 1 or (n <= number and not exact)}
            self._starts[number + 1] = result.rows[-1].position
        gone = self.table.show_rows(result.rows, keep_cursor=keep_cursor)
        self.query_one("#page-label", Label).update(result.page.label())
        if gone is not None:
            self.on_cursor_row_gone(gone)
        self.on_page_shown(result)

    def show_error(self, message: str) -> None:
        super().show_error(message)
        if self.loaded:
            self.query_one("#page-label", Label).update(self.page.label())

    def action_next_page(self) -> None:
        if self.page.has_next():
            self.load_page(self.page.number + 1)
        else:
            self.app.bell()

    def action_previous_page(self) -> None:
        if self.page.number > 1:
            self.load_page(self.page.number - 1)
        else:
            self.app.bell()

    def action_refresh(self) -> None:
        self.load_page(recount=True)

    def on_data_changed(self) -> None:
        if self.loaded:
            self.load_page(recount=True)

    def action_back(self) -> None:
        self.app.pop_screen()


def counted(page: Page, count: int | RowCount, cap: int | None) -> Page:
    """``page`` with a fresh row count: a plain count (capped past ``cap``) or a ``RowCount``."""
    if not isinstance(count, RowCount):
        return page.counted(count, cap)
    if count.kind is CountKind.ABOUT:
        return page.estimated(count.rows)
    if count.kind is CountKind.AT_LEAST:
        return replace(page, total=count.rows, more=True, about=False)
    return replace(page, total=count.rows, more=False, about=False)
