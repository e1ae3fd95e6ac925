"""`oms report kpi` in its three formats, on the fixed data set (tests/helpers/dashboard_data.py)."""

from __future__ import annotations

from datetime import datetime

import json
import os

import openpyxl
import pytest

from oms_tui.db import make_engine, session_scope
from tests.helpers.dashboard_data import load, utc


@pytest.fixture
def report_db(monkeypatch, sqlite_url):
    monkeypatch.setenv("OMS_DATABASE_URL", sqlite_url)
    monkeypatch.delenv("OMS_CONFIG", raising=False)
    engine = make_engine(sqlite_url)
    ids = load(engine)
    engine.dispose()
    return ids


def test_kpi_as_json_table_and_xlsx(oms, report_db, tmp_path, wide_tables):
    code, out, err = oms("report", "kpi", "--from", "2026-10-01", "--to", "2026-11-11", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["order_to_ship"] == {"orders": 8, "mean_hours": 12.13, "p50_hours": 5.0, "p90_hours": 25.0}
    assert [(m["month"], m["total"]) for m in data["errors_per_month"]] == [("2026-10", 1), ("2026-11", 6)]
    assert data["staff_hours_total"] == 1.09

    code, out, err = oms("report", "kpi", "--from", "2026-10-01", "--to", "2026-11-11")
    assert code == 0, err
    assert "12.13" in out and "2026-11" in out and "zhang" in out and "0.75" in out

    path = tmp_path / "kpi.xlsx"
    code, out, err = oms("report", "kpi", "--from", "2026-10-01", "--to", "2026-11-11", "--format", "xlsx",
                         "-o", str(path))
    assert code == 0, err
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["发货时效", "每月差错", "人员工时"]
    ship = book["发货时效"]
    assert [c.value for c in ship[1]][:4] == ["开始日期", "结束日期", "时区", "发货订单数"]
    # dates are Excel dates (sortable, filterable), not text
    assert [c.value for c in ship[2]] == [datetime(2026, 10, 1), datetime(2026, 11, 11), "Asia/Shanghai", 8, 12.13,
                                          5.0, 25.0]
    assert [[c.value for c in row] for row in book["每月差错"].iter_rows(min_row=2)] == [
        ["2026-10", 0, 1, 0, 0, 1], ["2026-11", 2, 1, 2, 1, 6]]


def test_a_user_name_that_looks_like_a_formula_stays_text(oms, report_db, tmp_path):
    engine = make_engine(os.environ["OMS_DATABASE_URL"])
    with session_scope(engine) as s:
        from oms_tui.models import AuditEvent, User

        s.add(User(name="=cmd|' /C calc'!A0", roles="cs", pin_hash="-"))
        s.add(AuditEvent(at=utc(11, 10, 8), user="=cmd|' /C calc'!A0", action="x", entity_type="order", entity_id="1"))
    engine.dispose()
    path = tmp_path / "kpi.xlsx"
    code, _out, err = oms("report", "kpi", "--from", "2026-11-10", "--to", "2026-11-10", "--format", "xlsx",
                          "--output", str(path))
    assert code == 0, err
    cell = openpyxl.load_workbook(path)["人员工时"]["A2"]
    assert cell.value == "=cmd|' /C calc'!A0" and cell.data_type == "s" and cell.quotePrefix


def test_bad_days_are_one_line(oms, report_db):
    code, _out, err = oms("report", "kpi", "--from", "2026-11-31", "--to", "2026-12-01")
    assert code == 1 and "--from" in err and "Traceback" not in err
    code, _out, err = oms("report", "kpi", "--from", "2026-11-10", "--to", "2026-11-01")
    assert code == 1 and "2026-11-01" in err
