"""Importing the platforms' order-export files: good files, broken rows, repeats, dry runs."""

import pytest
from openpyxl import Workbook
from sqlmodel import select

from oms_tui.db import read_session
from oms_tui.errors import ValidationError
from oms_tui.models import Order, StockMove
from oms_tui.services.core.actor import Actor
from oms_tui.services.intake import order_import
from oms_tui.services.orders import queries
from tests.helpers.order_import import taobao_row, write_csv
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
