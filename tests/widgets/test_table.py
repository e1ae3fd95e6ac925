"""KeyedTable: widths from the content in the first frame, narrow-terminal columns, the cursor by key."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.app import App, ComposeResult

from oms_tui.widgets.paging import TableRow
from oms_tui.widgets.table import Column, KeyedTable


class TableApp(App):
    def compose(self) -> ComposeResult:
        yield KeyedTable(id="table")

    def on_mount(self) -> None:
        self.query_one(KeyedTable).set_columns([
            Column("Order", "order"), Column("Shop", "shop", priority=2), Column("Note", "note", priority=1),
            Column("Receiver", "receiver")])


def rows(*keys: str, receiver: str = "王小明") -> list[TableRow]:
    return [TableRow(key, (Text(f"TB{key:0>8}"), Text("旗舰店"), Text("x" * 30), Text(receiver))) for key in keys]


async def test_a_refill_draws_the_longer_content_at_full_width_at_once():
    app = TableApp()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(KeyedTable)
        table.show_rows(rows("1", "2"))
        await pilot.pause()
        long_name = "欧阳慕容长孙司马上官"
        table.show_rows(rows("1", "2", receiver=long_name))
        frame = table.render_line(1).text  # drawn before Textual's idle pass
        assert long_name in frame
        receiver = next(c for k, c in table.columns.items() if k.value == "receiver")
        assert receiver.get_render_width(table) == cell_len(long_name) + 2 * table.cell_padding


async def test_a_narrow_table_leaves_out_the_highest_priority_numbers_first():
    app = TableApp()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(KeyedTable)
        table.show_rows(rows("1"))
        await pilot.pause()
        assert table.hidden_columns == []
        await pilot.resize_terminal(50, 20)
        await pilot.pause()
        assert table.hidden_columns == ["shop", "note"]  # both needed to go; priority-0 columns never go
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        assert table.hidden_columns == ["shop"]  # the note (priority 1) is worth more than the shop (2)
        assert [k.value for k in table.columns] == ["order", "note", "receiver"]
        await pilot.resize_terminal(140, 20)
        await pilot.pause()
        assert table.hidden_columns == []
        assert table.cell_text(table.shown_rows[0], "note") == "x" * 30


async def test_the_cursor_stays_on_its_key_or_goes_to_the_row_that_took_its_place():
    app = TableApp()
    async with app.run_test(size=(140, 20)) as pilot:
        table = app.query_one(KeyedTable)
        table.show_rows(rows("1", "2", "3", "4", "5"))
        table.move_cursor(row=3)
        await pilot.pause()
        assert table.selected_key == "4"
        assert table.show_rows(rows("2", "4", "5")) is None  # rows above went: same row, new place
        assert (table.selected_key, table.cursor_row) == ("4", 1)
        gone = table.show_rows(rows("2", "5", "6"))  # its own row went: the next one that is still there
        assert gone is not None and gone.key == "4"
        assert table.selected_key == "5"
        table.show_rows(rows("7", "8"), keep_cursor=False)
        assert table.cursor_row == 0
