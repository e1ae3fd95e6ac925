"""A screen base around a table read one page at a time (the pieces are in ``oms_tui.widgets.paging``)."""

from __future__ import annotations

from sqlmodel import Session
from textual.binding import Binding
from textual.widgets import DataTable, Label

from oms_tui.i18n import N_, _
from oms_tui.screens.base import OmsScreen
from oms_tui.widgets.paging import PAGE_SIZE, Page, PageResult, TableRow


class PagedTableScreen(OmsScreen):
    """A screen around one DataTable (``#table``) and a page label (``#page-label``).

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

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.page = Page(size=self.PAGE_SIZE)
        self.loaded = False  # a page has been shown at least once

    # --- for subclasses ----------------------------------------------------------------------

    def columns(self) -> list[tuple[str, str]]:
        """(translated label, column key) pairs."""
        raise NotImplementedError

    def current_query(self) -> object:
        """The filter as plain values, taken on the UI thread and handed to the fetches."""
        return None

    def fetch_count(self, session: Session, query: object) -> int:
        raise NotImplementedError

    def fetch_rows(self, session: Session, query: object, limit: int, offset: int) -> list[TableRow]:
        raise NotImplementedError

    def on_page_shown(self, result: PageResult) -> None:
        """Hook after a page is drawn."""

    # --- machinery ---------------------------------------------------------------------------

    @property
    def table(self) -> DataTable:
        return self.query_one("#table", DataTable)

    def setup_table(self) -> None:
        table = self.table
        table.cursor_type = "row"
        table.zebra_stripes = True
        for label, key in self.columns():
            table.add_column(label, key=key)

    def load_page(self, number: int | None = None, *, recount: bool = False, keep_cursor: bool = False) -> None:
        """Read page ``number`` (default: the current one); ``recount`` re-reads the row count;
        ``keep_cursor`` leaves the cursor on the same row (a refresh the user did not ask for)."""
        wanted = Page(self.page.number if number is None else number, self.page.size, self.page.total)
        recount = recount or not self.loaded
        query = self.current_query()

        def fetch(session: Session) -> PageResult:
            page = wanted
            if recount:
                page = Page(page.number, page.size, self.fetch_count(session, query))
            page = page.clamped()
            return PageResult(page, self.fetch_rows(session, query, page.size, page.offset))

        # Not ``table.loading``: that would take the focus away from the table.
        self.query_one("#page-label", Label).update(_("Loading…"))
        cursor = self.table.cursor_row if keep_cursor else None
        self.read(fetch, lambda result: self._show_page(result, cursor), group="page")

    def _show_page(self, result: PageResult, cursor: int | None = None) -> None:
        self.page = result.page
        self.loaded = True
        table = self.table
        table.clear()
        for row in result.rows:
            table.add_row(*row.cells, key=row.key)
        if cursor is not None and result.rows:
            table.move_cursor(row=min(cursor, len(result.rows) - 1), animate=False)
        self.query_one("#page-label", Label).update(result.page.label())
        self.on_page_shown(result)

    def show_error(self, message: str) -> None:
        super().show_error(message)
        if self.loaded:
            self.query_one("#page-label", Label).update(self.page.label())

    def action_next_page(self) -> None:
        if self.page.number < self.page.pages:
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
            self.load_page(recount=True, keep_cursor=True)

    def action_back(self) -> None:
        self.app.pop_screen()
