"""`oms report purchase` and `oms report reconcile`: the fixed data set's figures as JSON and as a workbook,
a bill imported on the way, and bad input as one line."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook

from oms_tui.db import make_engine
from tests.helpers.purchasing import EXPECTED_SUGGESTED, TAOBAO_BILL_CSV, seed_purchasing


@pytest.fixture
def books(monkeypatch, sqlite_url):
    monkeypatch.setenv("OMS_DATABASE_URL", sqlite_url)
    monkeypatch.delenv("OMS_CONFIG", raising=False)
    monkeypatch.setenv("OMS_TIMEZONE", "Asia/Shanghai")
    engine = make_engine(sqlite_url)
    seed_purchasing(engine)
    engine.dispose()
    return sqlite_url


def test_purchase_report_as_json_and_xlsx(oms, books, tmp_path):
    code, out, err = oms("report", "purchase", "--as-of", "2026-12-19", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    # the end of 2026-12-19 in Shanghai is 2026-12-19 16:00 UTC: twelve hours before the data set's NOW,
    # so the same orders are in the window
    assert {s["sku"]: s["suggested"] for s in data["suggestions"]} == EXPECTED_SUGGESTED
    path = tmp_path / "p.xlsx"
    code, out, err = oms("report", "purchase", "--as-of", "2026-12-19", "--format", "xlsx", "--output", str(path))
    assert code == 0, err
    ws = load_workbook(path)["采购建议"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("供应商", "供应商名称", "SKU") and rows[0][12] == "建议采购"
    assert [(r[2], r[12]) for r in rows[1:]] == list(EXPECTED_SUGGESTED.items())


def test_reconcile_imports_the_bill_and_shows_the_month(oms, books, tmp_path):
    bill = tmp_path / "tb.csv"
    bill.write_bytes(TAOBAO_BILL_CSV.encode("gb18030"))
    code, out, err = oms("report", "reconcile", "--month", "2026-10", "--bill", f"taobao={bill}", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["platforms"][-1]["gross_profit_fen"] == 17000
    [taobao] = data["bills"]
    assert (taobao["matched"], [(line["kind"], line["order"]) for line in taobao["lines"]]) == (
        2, [("missing", "T3"), ("extra", "T4"), ("amount_differs", "T5"), ("extra", "T9")])
    path = tmp_path / "r.xlsx"
    code, out, err = oms("report", "reconcile", "--month", "2026-10", "--format", "xlsx", "-o", str(path))
    assert code == 0, err
    book = load_workbook(path)
    summary = list(book["2026-10 对账"].iter_rows(values_only=True))
    assert summary[0][0] == "平台" and summary[1][:4] == ("淘宝/天猫", "2026-10", 4, 200)
    assert summary[-1][0] == "合计" and summary[-1][-1] == 170
    diffs = list(book["账单差异"].iter_rows(values_only=True))
    assert [(r[1], r[2]) for r in diffs[1:]] == [("T3", "账单缺少"), ("T4", "账单多出"), ("T5", "金额不符"),
                                                 ("T9", "账单多出")]


@pytest.mark.parametrize("args, error", [
    (("reconcile", "--month", "2026-13"), "YYYY-MM"),
    (("reconcile", "--month", "2026-10", "--bill", "taobao"), "PLATFORM=FILE"),
    (("reconcile", "--month", "2026-10", "--bill", "taobao=/no/such.csv"), "no such file"),
    (("purchase", "--as-of", "yesterday"), "--as-of wants a day"),
])
def test_bad_input_is_one_line(oms, books, args, error):
    code, out, err = oms("report", *args)
    assert code == 1 and error in err and "Traceback" not in err
