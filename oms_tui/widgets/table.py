"""The app's table: rows handed over whole (``TableRow``s with keys), columns as wide as their
content from the first frame, the less important columns left out when the terminal is narrow, and
the cursor kept on the same row (by key) when the rows are read again.

Drawing a page is most of what a key press costs (profiled at a million orders: the database answers in
a few ms, DataTable's ``_render_cell`` took 5–10 ms a row): Textual renders each cell through Rich's
``Padding`` and ``Styled`` and a console render, ~0.3 ms a cell, 500 cells a page. ``_render_cell``
here draws a one-line ``Text`` cell straight to its segments, with the same characters and styles
(``tests/widgets`` holds it to Rich's output), and leaves anything else to DataTable.

Textual's DataTable widens auto-width columns only when it next goes idle, and cells drawn in a frame
before that stay cached at the old widths (a table filled while on screen kept every column at header
width). Here each refill sets every column's width from the rows it is given, so nothing waits for
idle; and a refill is where the cursor is put back, so every screen gets the same rule.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.widgets import DataTable

from oms_tui.widgets.paging import TableRow


# What the fast cell path reads of DataTable (Textual 8.x; tests/widgets/test_table_cells.py compares the
# result with DataTable's own render): without them every cell goes DataTable's way.
# A newer Textual that renames or reshapes them gets DataTable's own drawing, never a wrong one: the
# method's parameters are checked here, the instance attributes on first use (``_fast_cell``).
DATATABLE_INTERNALS = all(hasattr(DataTable, name) for name in (
    "_render_cell", "_get_styles_to_render_cell", "_get_row_renderables", "_get_row_style", "_should_highlight")
) and list(inspect.signature(DataTable._render_cell).parameters) == [
    "self", "row_index", "column_index", "base_style", "width", "cursor", "hover"]


@dataclass(frozen=True)
class Column:
    """One column: its translated label and key; ``priority`` 0 is always shown, higher numbers are
    left out first when the table is too narrow; ``max_width`` cuts a long free text (a reason)."""

    label: str
    key: str
    priority: int = 0
    max_width: int | None = None


@dataclass(frozen=True)
class CursorAnchor:
    """Where the cursor was: its row and the rows after it, so a refill finds the same row again or,
    when that row is gone, the one that took its place."""

    row: TableRow
    following: tuple[str, ...]
    index: int


def cell_width(cell: object) -> int:
    """How many terminal cells ``cell`` takes on one line (the widest line of a multi-line text)."""
    if isinstance(cell, Text):
        text = cell.plain
    elif isinstance(cell, str):
        text = Text.from_markup(cell).plain  # DataTable reads a plain str as markup
    else:
        text = str(cell)
    return max((cell_len(line) for line in text.splitlines()), default=0)


class KeyedTable(DataTable):
    """A DataTable filled with ``show_rows``: widths from the content, narrow-screen columns, a cursor
    that stays on its row's key across refills."""

    def __init__(self, *, id: str | None = None, classes: str | None = None, cursor_type: str = "row",
                 zebra_stripes: bool = True) -> None:
        super().__init__(id=id, classes=classes, cursor_type=cursor_type, zebra_stripes=zebra_stripes)
        self._specs: list[Column] = []
        self._rows: list[TableRow] = []
        self._widths: list[int] = []
        self._shown: tuple[int, ...] = ()  # indices into _specs of the columns on screen

    # --- what screens call ---------------------------------------------------------------------

    def set_columns(self, columns: Iterable[Column | tuple[str, str]]) -> None:
        """The columns, in order: ``Column``s or (label, key) pairs (always shown)."""
        self._specs = [c if isinstance(c, Column) else Column(*c) for c in columns]
        self._rebuild(None)

    def show_rows(self, rows: Sequence[TableRow], *, keep_cursor: bool = True) -> TableRow | None:
        """Replace the rows. With ``keep_cursor`` the cursor stays on the row with the same key, or
        goes to the row that took its place; else it goes to the first row. Returns the row the
        cursor was on when it is gone (None when it is still there or was not kept)."""
        anchor = self.anchor() if keep_cursor else None
        self._rows = list(rows)
        return self._rebuild(anchor)

    @property
    def shown_rows(self) -> list[TableRow]:
        return list(self._rows)

    @property
    def selected_key(self) -> str | None:
        """The key of the row under the cursor; None when the table is empty."""
        if not self._rows:
            return None
        return self._rows[min(max(self.cursor_row, 0), len(self._rows) - 1)].key

    def anchor(self) -> CursorAnchor | None:
        if not self._rows:
            return None
        index = min(max(self.cursor_row, 0), len(self._rows) - 1)
        return CursorAnchor(self._rows[index], tuple(r.key for r in self._rows[index + 1:]), index)

    def cell_text(self, row: TableRow, key: str) -> str:
        """The plain text of ``row``'s cell in the column ``key`` (shown or left out)."""
        for spec, cell in zip(self._specs, row.cells):
            if spec.key == key:
                return cell.plain if isinstance(cell, Text) else str(cell)
        raise KeyError(key)

    @property
    def hidden_columns(self) -> list[str]:
        """Keys of the columns left out for want of width."""
        return [spec.key for i, spec in enumerate(self._specs) if i not in self._shown]

    # --- machinery -----------------------------------------------------------------------------

    def _measure(self) -> list[int]:
        widths = []
        for i, spec in enumerate(self._specs):
            content = max((cell_width(row.cells[i]) for row in self._rows), default=0)
            if spec.max_width is not None:
                content = min(content, spec.max_width)
            widths.append(max(cell_width(spec.label), content))
        return widths

    def _fit(self, widths: list[int]) -> tuple[int, ...]:
        """The columns that fit the table's width: drop the highest priority number first (the
        rightmost of equals), never a priority-0 column."""
        shown = list(range(len(self._specs)))
        available = self.scrollable_content_region.width
        if available <= 0:  # not laid out yet: on_resize fits it
            return tuple(shown)
        pad = 2 * self.cell_padding
        total = sum(widths[i] + pad for i in shown)
        for i in sorted((i for i in shown if self._specs[i].priority > 0),
                        key=lambda i: (-self._specs[i].priority, -i)):
            if total <= available:
                break
            shown.remove(i)
            total -= widths[i] + pad
        return tuple(shown)

    def _rebuild(self, anchor: CursorAnchor | None) -> TableRow | None:
        self._widths = self._measure()
        self._shown = self._fit(self._widths)
        self.clear(columns=True)
        for i in self._shown:
            spec = self._specs[i]
            self.add_column(spec.label, key=spec.key, width=self._widths[i])
        for row in self._rows:
            self.add_row(*(row.cells[i] for i in self._shown), key=row.key)
        if anchor is None:
            return None
        where = {row.key: i for i, row in enumerate(self._rows)}
        if anchor.row.key in where:
            self.move_cursor(row=where[anchor.row.key], animate=False)
            return None
        if self._rows:
            self.move_cursor(row=next((where[key] for key in anchor.following if key in where),
                                      min(anchor.index, len(self._rows) - 1)), animate=False)
        return anchor.row

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> list[list[Segment]]:
        global DATATABLE_INTERNALS
        if not DATATABLE_INTERNALS or row_index < self.fixed_rows or column_index < self.fixed_columns:
            # a Textual without the internals this relies on; the header, row labels, fixed cells
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        try:
            return self._fast_cell(row_index, column_index, base_style, width, cursor, hover)
        except AttributeError:  # an instance attribute this reads is gone: DataTable's way from now on
            DATATABLE_INTERNALS = False
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)

    def _fast_cell(self, row_index: int, column_index: int, base_style: Style, width: int, cursor: bool,
                   hover: bool) -> list[list[Segment]]:
        row_key = self._row_locations.get_key(row_index)
        cache_key = (row_key, self._column_locations.get_key(column_index), base_style, cursor, hover,
                     self._show_hover_cursor, self._update_count, self._pseudo_class_state)
        lines = self._cell_render_cache.get(cache_key)
        if lines is not None:
            return lines
        row = self.rows.get(row_key) if row_key is not None else None
        cells = self._get_row_renderables(row_index).cells
        cell = cells[column_index] if column_index < len(cells) else None
        if row is None or row.height != 1 or not isinstance(cell, Text) or not one_line(cell):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css")
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        lines = [draw_cell(cell, width, self.cell_padding, pre_style, post_style, self.app.console)]
        self._cell_render_cache[cache_key] = lines
        return lines

    def on_resize(self, _event: events.Resize) -> None:
        if self._specs and self._fit(self._widths) != self._shown:
            self._rebuild(self.anchor())


def one_line(cell: Text) -> bool:
    """A cell ``draw_cell`` draws as Rich would: one line, no tabs, justified left (by default) or right."""
    return cell.justify in (None, "default", "right") and "\n" not in cell.plain and "\t" not in cell.plain


def draw_cell(cell: Text, width: int, padding: int, pre_style: Style, post_style: Style | None,
              console) -> list[Segment]:  # noqa: ANN001
    """The segments of one table cell ``width`` cells wide: what DataTable gets from
    ``console.render_lines(Styled(Padding(cell, (0, padding)), pre_style, post_style))`` for a one-line
    cell (``one_line``), without Rich's general layout machinery."""
    inner = max(0, width - 2 * padding)
    line = cell.copy()
    line.end = ""
    overflow = line.overflow or "fold"
    line.rstrip_end(inner)
    if line.justify == "right":
        line.rstrip()
        line.truncate(inner, overflow=overflow)
        line.pad_left(inner - cell_len(line.plain))
    line.truncate(inner, overflow=overflow)
    used = cell_len(line.plain)
    blank = pre_style + post_style if post_style else pre_style  # padding: no style of its own
    segments = [Segment(" " * padding, blank)] if padding else []
    if line.spans:  # joined as Rich joins its wrapped lines: the cell's own style becomes a span
        rendered = Text("\n").join([line]).render(console)
    else:  # (``render`` alone would drop it)
        rendered = [Segment(line.plain, console.get_style(line.style) if line.style else None)]
    for segment in rendered:
        style = pre_style + segment.style if segment.style is not None else pre_style
        segments.append(Segment(segment.text, style + post_style if post_style else style))
    if inner - used + padding > 0:
        segments.append(Segment(" " * (inner - used + padding), blank))
    if width < 2 * padding:  # narrower than its padding: cropped as Rich crops the line
        return list(Segment.adjust_line_length(segments, width, style=blank))
    return segments
