"""Importing the platforms' order-export files: good files, broken rows, repeats, dry runs."""

import csv

import pytest
from openpyxl import Workbook
from sqlmodel import select

from oms_tui.db import read_session
from oms_tui.errors import ValidationError
from oms_tui.models import Order, StockMove
from oms_tui.services.core.actor import Actor
from oms_tui.services.intake import order_import
from oms_tui.services.orders import queries
from tests.helpers.order_import import TAOBAO_HEADER, taobao_row, write_csv
from tests.helpers.shop import assert_books_balance, level, stock_up


def test_taobao_csv_imports_and_twice_changes_nothing(seeded, tmp_path):
    stock_up(seeded, "HG-001", 10)
    stock_up(seeded, "MB-001", 10)
    path = write_csv(tmp_path / "taobao.csv", [
        taobao_row("1001", "HG-001", 2), taobao_row("1001", "MB-001", 1), taobao_row("1002", "HG-001", 1),
        taobao_row("1003", "HG-001", 1, status="等待买家付款"),
    ])
    report = order_import.import_file(seeded, path, "taobao", actor=Actor.system("test"))
    assert (report.rows, report.orders, report.new, report.skipped, report.errors) == (4, 3, 2, 1, [])
    with read_session(seeded) as s:
        o = queries.find_order(s, "taobao", "1001")
        assert o.status == "ready" and o.receiver_province == "浙江省" and o.receiver_phone == "138****5678"
        assert o.paid_fen == 3980 and len(queries.lines_of(s, [o.id])[o.id]) == 2
        moves_before = len(s.exec(select(StockMove)).all())
    again = order_import.import_file(seeded, path, "taobao", actor=Actor.system("test"))
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    with read_session(seeded) as s:
        assert len(s.exec(select(StockMove)).all()) == moves_before
    assert level(seeded).locked == 3
    assert_books_balance(seeded)


def test_broken_rows_are_reported_by_row_and_their_order_refused(seeded, tmp_path):
    stock_up(seeded, "HG-001", 10)
    path = write_csv(tmp_path / "broken.csv", [
        taobao_row("2001", "HG-001", 1),
        taobao_row("2002", "HG-001", -1),
        taobao_row("2003", "HG-001", 1, 价格="abc"),
        taobao_row("", "HG-001", 1),
        taobao_row("2004", "HG-001", 1, status="火星状态"),
        taobao_row("2005", "HG-001", 1, 订单创建时间="yesterday"),
        taobao_row("2006", "HG-001", "Infinity"),
        taobao_row("2007", "HG-001", 1, 价格="12.345"),
        taobao_row("2008", "HG-001", "1.5"),
    ], encoding="gb18030")
    report = order_import.import_file(seeded, path, "taobao", actor=Actor.system("test"))
    assert report.new == 1 and report.refused == 7
    messages = [str(e) for e in report.errors]
    assert messages == [
        "row 5, 订单编号: order number is empty",
        "row 3, 购买数量: quantity must be a positive whole number, got '-1' (order 2002)",
        "row 4, 价格: not an amount: 'abc' (order 2003)",
        "row 6, 订单状态: unknown order status '火星状态' (order 2004)",
        "row 7, 订单创建时间: not a time (YYYY-MM-DD HH:MM:SS): 'yesterday' (order 2005)",
        "row 8, 购买数量: quantity must be a positive whole number, got 'Infinity' (order 2006)",
        "row 9, 价格: not an amount: '12.345' (order 2007)",
        "row 10, 购买数量: quantity must be a positive whole number, got '1.5' (order 2008)",
    ]
    with read_session(seeded) as s:
        assert [o.platform_order_id for o in s.exec(select(Order))] == ["2001"]


def test_dry_run_previews_and_changes_nothing(seeded, tmp_path):
    stock_up(seeded, "HG-001", 10)
    path = write_csv(tmp_path / "t.csv", [taobao_row("3001", "HG-001", 2)])
    report = order_import.import_file(seeded, path, "taobao", dry_run=True, actor=Actor.system("test"))
    assert report.new == 1 and report.dry_run
    with read_session(seeded) as s:
        assert s.exec(select(Order)).all() == []
    assert level(seeded).locked == 0


def test_pdd_xlsx_with_separate_address_columns(seeded, tmp_path):
    stock_up(seeded, "MB-001", 5)
    columns = order_import.COLUMNS["pdd"]
    book = Workbook()
    sheet = book.active
    sheet.append(list(columns.values()))
    values = {"order_id": "241124-123456789012345", "buyer": "pdd_u1", "status": "待发货", "paid": 29.9,
              "total": 29.9, "post_fee": 0, "name": "林*坤", "phone": "1*********5", "province": "广东省",
              "city": "潮州市", "district": "潮安区", "address": "****", "remark": "", "created": "2026-11-24 10:00:00",
              "paid_at": "2026-11-24 10:00:05", "sku": "MB-001", "title": "婴儿湿巾", "qty": 1, "price": 29.9}
    sheet.append([values[k] for k in columns])
    book.save(tmp_path / "pdd.xlsx")
    report = order_import.import_file(seeded, tmp_path / "pdd.xlsx", "pdd", actor=Actor.system("test"))
    assert report.new == 1 and report.errors == []
    with read_session(seeded) as s:
        o = queries.find_order(s, "pdd", "241124-123456789012345")
        assert (o.receiver_city, o.receiver_district, o.paid_fen) == ("潮州市", "潮安区", 2990)


def test_wrong_kind_of_file_is_a_clear_error(seeded, tmp_path):
    path = write_csv(tmp_path / "jd.csv", [taobao_row("1", "HG-001", 1)])
    with pytest.raises(ValidationError, match="not a jd order export: missing column"):
        order_import.import_file(seeded, path, "jd", actor=Actor.system("test"))
    (tmp_path / "fake.xlsx").write_bytes(b"not a zip")
    with pytest.raises(ValidationError, match="not a readable XLSX"):
        order_import.import_file(seeded, tmp_path / "fake.xlsx", "taobao", actor=Actor.system("test"))
    with pytest.raises(ValidationError, match="no such file"):
        order_import.import_file(seeded, tmp_path / "none.csv", "taobao", actor=Actor.system("test"))
    (tmp_path / "binary.csv").write_bytes(b"\x81\x30\xff\xff" * 10)
    with pytest.raises(ValidationError, match="not a text file in UTF-8 or GB18030"):
        order_import.import_file(seeded, tmp_path / "binary.csv", "taobao", actor=Actor.system("test"))
    (tmp_path / "huge.csv").write_text("订单编号,商家编码\n1,2\n" + "x" * 200_000 + ",2\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="huge.csv, row 3: cannot read the row: field larger than"):
        order_import.import_file(seeded, tmp_path / "huge.csv", "taobao", actor=Actor.system("test"))


# --- hostile and sloppy files ----------------------------------------------------------------------

def write_xlsx(path, rows, header=TAOBAO_HEADER, blank_before=()):
    """An XLSX sheet: the header, then ``rows`` (dicts), with empty rows inserted before the data
    rows whose index is in ``blank_before``."""
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for index, row in enumerate(rows):
        if index in blank_before:
            sheet.append([])
        sheet.append([row.get(h, "") for h in header])
    book.save(path)
    return path


def csv_text(rows, header=TAOBAO_HEADER) -> list[str]:
    """Each row as one CSV record (no line end), as csv.writer quotes it."""
    import io

    out = []
    for row in [dict(zip(header, header)), *rows]:
        buffer = io.StringIO()
        csv.writer(buffer).writerow([row.get(h, "") for h in header])
        out.append(buffer.getvalue().rstrip("\r\n"))
    return out


def orders_in(engine) -> list[str]:
    with read_session(engine) as s:
        return sorted(o.platform_order_id for o in s.exec(select(Order)))


def test_csv_row_numbers_count_blank_lines_and_a_cell_with_a_line_break(seeded, tmp_path):
    stock_up(seeded, "HG-001", 10)
    header, good, remark, bad = csv_text([taobao_row("4001", "HG-001", 1),
                                          taobao_row("4002", "HG-001", 1, 买家留言="请放门口\n谢谢"),
                                          taobao_row("4003", "HG-001", "two")])
    # Excel shows: 1 header, 2 good, 3 blank, 4 the remark with its line break (one row), 5 blank, 6 bad
    path = tmp_path / "blank.csv"
    path.write_text("\r\n".join([header, good, "", remark, "", bad]) + "\r\n", encoding="utf-8-sig")
    report = order_import.import_file(seeded, path, "taobao", actor=Actor.system("test"))
    assert [str(e) for e in report.errors] == [
        "row 6, 购买数量: quantity must be a positive whole number, got 'two' (order 4003)"]
    assert report.rows == 3 and report.new == 2 and orders_in(seeded) == ["4001", "4002"]


def test_xlsx_row_numbers_count_blank_rows(seeded, tmp_path):
    stock_up(seeded, "HG-001", 10)
    path = write_xlsx(tmp_path / "blank.xlsx", [taobao_row("4101", "HG-001", 1), taobao_row("4102", "HG-001", 1),
                                                taobao_row("4103", "HG-001", 1, 价格="1.2.3")], blank_before={1, 2})
    report = order_import.import_file(seeded, path, "taobao", actor=Actor.system("test"))
    # 1 header, 2 order 4101, 3 blank, 4 order 4102, 5 blank, 6 order 4103
    assert [(e.row, e.column) for e in report.errors] == [(6, "价格")]
    assert orders_in(seeded) == ["4101", "4102"]


def test_a_bad_value_refuses_its_row_and_its_order_and_nothing_else(seeded, tmp_path):
    stock_up(seeded, "HG-001", 10)
    stock_up(seeded, "MB-001", 10)
    path = write_csv(tmp_path / "mixed.csv", [
        taobao_row("4201", "HG-001", 1),
        taobao_row("4202", "HG-001", 1), taobao_row("4202", "MB-001", 1, 价格="free"),  # one bad line of two
        taobao_row("4203", "MB-001", 1, 收货人姓名="名" * 201),  # longer than the column holds
        taobao_row("4204", "MB-001", 2),
    ])
    report = order_import.import_file(seeded, path, "taobao", actor=Actor.system("test"))
    assert [str(e) for e in report.errors] == [
        "row 4, 价格: not an amount: 'free' (order 4202)",
        "row 5, 收货人姓名: longer than 200 characters (order 4203)",
    ]
    assert (report.new, report.refused) == (2, 2) and orders_in(seeded) == ["4201", "4204"]
    assert_books_balance(seeded)


def test_an_order_the_database_refuses_leaves_the_others_in(seeded, tmp_path, monkeypatch):
    from oms_tui.errors import OmsError
    from oms_tui.services.orders import upsert

    stock_up(seeded, "HG-001", 10)
    real_upsert = upsert.upsert_order

    def refusing(session, order, **kwargs):
        if order.platform_order_id == "4302":
            real_upsert(session, order, **kwargs)  # half done when it fails: the savepoint undoes it
            raise OmsError("customer is blocked")
        return real_upsert(session, order, **kwargs)

    monkeypatch.setattr(upsert, "upsert_order", refusing)
    path = write_csv(tmp_path / "t.csv", [taobao_row("4301", "HG-001", 1), taobao_row("4302", "HG-001", 1),
                                          taobao_row("4303", "HG-001", 1)])
    report = order_import.import_file(seeded, path, "taobao", actor=Actor.system("test"))
    assert [str(e) for e in report.errors] == ["row 3: order refused: customer is blocked (order 4302)"]
    assert (report.new, report.refused) == (2, 1) and orders_in(seeded) == ["4301", "4303"]
    assert level(seeded).locked == 2
    assert_books_balance(seeded)


def test_a_repeated_row_is_reported_with_both_rows_not_added_up(seeded, tmp_path):
    stock_up(seeded, "HG-001", 10)
    twice = taobao_row("4401", "HG-001", 1)
    path = write_csv(tmp_path / "dup.csv", [twice, taobao_row("4402", "HG-001", 1), twice,
                                            # the same SKU twice at two prices is two real lines
                                            taobao_row("4403", "HG-001", 1), taobao_row("4403", "HG-001", 1, 价格="0")])
    report = order_import.import_file(seeded, path, "taobao", actor=Actor.system("test"))
    assert [str(e) for e in report.errors] == [
        "row 4: the same as row 2: a repeated row is not added up (order 4401)"]
    assert report.refused == 1 and orders_in(seeded) == ["4402", "4403"]
    assert level(seeded).locked == 3  # 4402 and the two lines of 4403; nothing of 4401


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_over_the_row_cap_is_refused_whole(seeded, tmp_path, kind):
    stock_up(seeded, "HG-001", 100)
    rows = [taobao_row(str(4500 + n), "HG-001", 1) for n in range(6)]
    write = write_csv if kind == "csv" else write_xlsx
    over = write(tmp_path / f"over.{kind}", rows)
    with pytest.raises(ValidationError, match=f"over.{kind} has more than 5 order rows: nothing was imported"):
        order_import.import_file(seeded, over, "taobao", max_rows=5, actor=Actor.system("test"))
    assert orders_in(seeded) == []
    at_cap = write(tmp_path / f"at.{kind}", rows[:5])
    assert order_import.import_file(seeded, at_cap, "taobao", max_rows=5, actor=Actor.system("test")).new == 5


def test_reading_stops_at_the_cap_instead_of_reading_the_whole_sheet(seeded, tmp_path, monkeypatch):
    path = write_xlsx(tmp_path / "big.xlsx", [taobao_row(str(n), "HG-001", 1) for n in range(2000)])
    pulled = []
    real_records = order_import._xlsx_records

    def counting(p):
        for record in real_records(p):
            pulled.append(record)
            yield record

    monkeypatch.setattr(order_import, "_xlsx_records", counting)
    with pytest.raises(ValidationError, match="more than 10 order rows"):
        order_import.import_file(seeded, path, "taobao", max_rows=10, actor=Actor.system("test"))
    assert len(pulled) == 12  # the header, ten rows, and the one too many


def test_xlsx_with_a_wrong_dimension_is_read_whole(seeded, tmp_path):
    """Exporters write a <dimension> that claims fewer cells than there are: read what is there."""
    import re
    import zipfile

    stock_up(seeded, "HG-001", 5)
    good = write_xlsx(tmp_path / "good.xlsx", [taobao_row("4601", "HG-001", 1), taobao_row("4602", "HG-001", 1)])
    lying = tmp_path / "lying.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(lying, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, n = re.subn(rb'<dimension ref="A1:P3"\s*/>', b'<dimension ref="A1:B2"/>', data)
                assert n == 1, "the test file changed shape: the test would prove nothing"
            dst.writestr(item, data)
    report = order_import.import_file(seeded, lying, "taobao", actor=Actor.system("test"))
    assert report.errors == [] and orders_in(seeded) == ["4601", "4602"]


def test_row_errors_read_in_chinese(tmp_path):
    from oms_tui.i18n import setup_language

    error = order_import.RowError(6, "购买数量", "quantity must be a positive whole number, got {value!r}",
                                  {"value": "two"}, "4003")
    setup_language("zh_CN")
    try:
        text = str(error)
    finally:
        setup_language("en")
    assert text.startswith("第 6 行，购买数量：") and "'two'" in text and "4003" in text
