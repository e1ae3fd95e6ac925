"""Reading the platforms' bills: their column mappings, CSV in GBK or UTF-8, XLSX; a malformed file is
refused with a message naming what is wrong, and nothing is stored."""

import re

import pytest
from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.errors import PermissionDenied, ValidationError
from oms_tui.models import SettlementImport, SettlementLine
from oms_tui.services.core.actor import Actor
from oms_tui.services.core.xlsx import Sheet, write_workbook
from oms_tui.services.finance import settlement_import
from oms_tui.services.finance.settlement_import import parse_bill

FINANCE = Actor("qian", frozenset({"finance"}))


def test_jd_bill_from_xlsx_with_numeric_order_numbers(tmp_path):
    path = write_workbook(tmp_path / "jd.xlsx", [Sheet("结算单", ["订单编号", "应结金额", "退款金额", "备注"], [
        [302211112222.0, 88.0, None, "=HYPERLINK(\"x\")"], [302211112222, "12.50", "", ""],
        ["302233334444", "1,234.56", "10", ""]])])
    bill = parse_bill("jd", settlement_import.read_table(path))
    assert bill.lines == {"302211112222": (10050, 0), "302233334444": (123456, 1000)}
    assert bill.rows == 3


def test_pdd_bill_in_utf8(tmp_path):
    path = tmp_path / "pdd.csv"
    path.write_text("订单编号,收入金额(元),支出金额(元)\nP1,19.90,0\nP1,,-19.90\nP2,5,\n", encoding="utf-8")
    assert parse_bill("pdd", settlement_import.read_table(path)).lines == {"P1": (1990, 1990), "P2": (500, 0)}


@pytest.mark.parametrize("content, error", [
    ("交易号,金额\nT1,1\n", "this is not a Taobao/Tmall bill: no column named 业务基础订单号 / 商户订单号"),
    ("商户订单号,备注\nT1,x\n", "no amount column: expected one of 收入金额（+元）"),
    ("商户订单号,收入金额（+元）\nT1,12.3x\n", "row 2: 收入金额（+元） '12.3x' is not an amount"),
    ("商户订单号,收入金额（+元）\nT1,1.234\n", "row 2: 收入金额（+元） '1.234' is not an amount in yuan and fen"),
    ("商户订单号,收入金额（+元）\nT1,99999999999\n", "not an amount in yuan and fen"),
    ("商户订单号,收入金额（+元）\n", "no order rows"),
])
def test_malformed_bills_are_refused(sqlite_engine, tmp_path, content, error):
    path = tmp_path / "bill.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationError, match=re.escape(error)):
        with session_scope(sqlite_engine) as s:
            settlement_import.import_settlement(s, FINANCE, "taobao", "2026-10", path)
    with read_session(sqlite_engine) as s:
        assert s.exec(select(SettlementImport)).all() == [] and s.exec(select(SettlementLine)).all() == []


def test_wrong_files_months_platforms_and_people(sqlite_engine, tmp_path):
    garbage = tmp_path / "bill.xlsx"
    garbage.write_bytes(b"not a zip at all")
    other = tmp_path / "bill.pdf"
    other.write_bytes(b"%PDF")
    cases = [(garbage, "taobao", "2026-10", "not a readable .xlsx file"),
             (other, "taobao", "2026-10", "must be a .csv or .xlsx file"),
             (tmp_path / "absent.csv", "taobao", "2026-10", "no such file"),
             (other, "taobao", "2026/10", "YYYY-MM"),
             (other, "douyin", "2026-10", "unknown platform 'douyin'")]
    for path, platform, month, error in cases:
        with pytest.raises(ValidationError, match=error):
            with session_scope(sqlite_engine) as s:
                settlement_import.import_settlement(s, FINANCE, platform, month, path)
    with pytest.raises(PermissionDenied):
        with session_scope(sqlite_engine) as s:
            settlement_import.import_settlement(s, Actor("wang", frozenset({"purchasing"})), "jd", "2026-10", other)
