"""The workbooks we write: Chinese headers, numbers as numbers, and no cell a spreadsheet would run."""

from decimal import Decimal

from openpyxl import load_workbook

from oms_tui.services.core.xlsx import Sheet, write_workbook


def test_formula_like_text_is_written_as_text(tmp_path):
    path = write_workbook(tmp_path / "out" / "r.xlsx", [Sheet("采购:建议", ["SKU", "备注", "金额(元)"], [
        ["=1+2", "@SUM(A1:A9)", Decimal("12.50")], ["+86 138", "-x", -3], ["普通", "\t=cmd", None]])])
    book = load_workbook(path)
    ws = book.worksheets[0]
    assert ws.title == "采购_建议"
    cells = [[(c.value, c.data_type) for c in row] for row in ws.iter_rows()]
    assert cells[0] == [("SKU", "s"), ("备注", "s"), ("金额(元)", "s")]
    assert cells[1] == [("=1+2", "s"), ("@SUM(A1:A9)", "s"), (12.5, "n")]
    assert cells[2] == [("+86 138", "s"), ("-x", "s"), (-3, "n")]
    assert cells[3][:2] == [("普通", "s"), ("\t=cmd", "s")]
    # and in the file itself: no <f> (formula) element anywhere
    import zipfile

    with zipfile.ZipFile(path) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()
