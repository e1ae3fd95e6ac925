"""KeyedTable draws a one-line cell itself (``draw_cell``): the same characters and styles as Rich's
``Padding`` + ``Styled`` render that DataTable uses, for every kind of cell the screens hand it."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from textual.renderables.styled import Styled
from rich.text import Text

from oms_tui.widgets.table import draw_cell, one_line

CELLS = [
    Text("TB0000000123"),
    Text(""),
    Text("王小明"),
    Text("浙江 杭州市西湖区文三路一百号"),  # wider than the column: cropped
    Text("¥1,990.00", justify="right"),
    Text("12", justify="right", style="red"),
    Text("+3", style="green"),
    Text.assemble(("held ", "bold"), ("remark", "italic yellow")),
    Text("trailing   "),
    Text("abcdefghijklmnopqrstuvwxyz", overflow="ellipsis"),
    Text.from_markup("[b]bold[/b] and plain", end=""),
]


def as_cells(segments: list[Segment]) -> list[tuple[str, Style | None]]:
    return [(char, segment.style) for segment in segments for char in segment.text]


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: repr(c.plain))
@pytest.mark.parametrize("width", [1, 4, 12, 30])
@pytest.mark.parametrize("post_style", [Style(), Style(bgcolor="blue", bold=True)])
def test_a_cell_is_drawn_as_rich_draws_it(cell, width, post_style):
    console = Console(width=200, color_system="truecolor", legacy_windows=False)
    pre_style = Style(color="white", bgcolor="black") + Style.from_meta({"row": 3, "column": 1})
    assert one_line(cell)
    options = console.options.update_dimensions(width, 1).update(no_wrap=True)
    expected = console.render_lines(Styled(Padding(cell, (0, 1)), pre_style=pre_style, post_style=post_style),
                                    options)
    assert len(expected) == 1
    assert as_cells(draw_cell(cell, width, 1, pre_style, post_style, console)) == as_cells(expected[0])


def test_cells_of_more_lines_tabs_or_other_justification_are_left_to_datatable():
    assert not one_line(Text("two\nlines"))
    assert not one_line(Text("a\tb"))
    assert not one_line(Text("centred", justify="center"))


async def test_the_table_draws_every_cell_as_datatable_itself_would(monkeypatch):
    """In a running table (zebra rows, the cursor row, a right-aligned styled cell, a cropped one): every
    body cell from KeyedTable._render_cell equals DataTable's own render of it — the fast path keeps to
    DataTable's internals as they are in the installed Textual."""
    from textual.app import App, ComposeResult
    from textual.coordinate import Coordinate
    from textual.widgets import DataTable

    from oms_tui.widgets import table as table_module
    from oms_tui.widgets.paging import TableRow
    from oms_tui.widgets.table import Column, KeyedTable

    drawn = []

    def counted(*args):  # noqa: ANN002
        drawn.append(args[0])
        return draw_cell(*args)

    monkeypatch.setattr(table_module, "draw_cell", counted)

    class TableApp(App):
        def compose(self) -> ComposeResult:
            yield KeyedTable(id="table")

    app = TableApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = app.query_one(KeyedTable)
        table.set_columns([Column("Order", "order"), Column("Note", "note", max_width=6), Column("Total", "total")])
        table.show_rows([TableRow(str(n), (Text(f"TB{n:08d}"), Text("备注很长很长的一句话"),
                                           Text(f"{n * 1.5:,.2f}", style="bold red", justify="right")))
                         for n in range(1, 6)])
        await pilot.pause()
        checked = 0
        for row in range(table.row_count):
            row_style = table._get_row_style(row, table.rich_style)
            for column, spec in enumerate(table.ordered_columns):
                width = spec.get_render_width(table)
                for cursor in (False, True):
                    location = Coordinate(row, column)
                    hover = table._should_highlight(table.hover_coordinate, location, table.cursor_type)
                    table._cell_render_cache.clear()
                    theirs = DataTable._render_cell(table, row, column, row_style, width, cursor, hover)
                    table._cell_render_cache.clear()
                    ours = table._render_cell(row, column, row_style, width, cursor, hover)
                    assert [as_cells(line) for line in ours] == [as_cells(line) for line in theirs]
                    checked += 1
        assert checked == 5 * 3 * 2
        assert len(drawn) >= checked  # each went the fast way (and the frames drew some more)
