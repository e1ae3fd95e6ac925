"""The KPI report on the fixed data set (tests/helpers/dashboard_data.py), and the xlsx writer."""

from __future__ import annotations

from datetime import date

import openpyxl
import pytest

from oms_tui.db import read_session
from oms_tui.errors import ValidationError
from oms_tui.services.core.actor import Actor
from oms_tui.services.reports import kpi
from oms_tui.services.core.xlsx import Sheet, write_workbook
from tests.helpers.dashboard_data import ZONE, load

MANAGER = Actor("wang", frozenset({"manager"}))


def test_the_three_measures(sqlite_engine):
    load(sqlite_engine)
    with read_session(sqlite_engine) as s:
        report = kpi.kpi_report(s, MANAGER, date(2026, 10, 1), date(2026, 11, 11), ZONE)
    # shipped: 1.55, 3.5, 4, 5, 10, 24, 24, 25 hours
    assert report.ship == kpi.ShipHours(8, 12.13, 5.0, 25.0)
    assert [(m.month, m.scan_errors, m.wrong, m.missed, m.duplicate, m.total) for m in report.errors] == [
        ("2026-10", 0, 1, 0, 0, 1), ("2026-11", 2, 1, 2, 1, 6)]
    # li's scans 10 min apart (a 40-minute gap is a break), zhang's audit rows 20 + 25 min; the sync's are no one's
    assert [(r.user, r.day, r.actions, r.hours) for r in report.staff] == [
        ("li", "2026-11-10", 4, 0.17), ("li", "2026-11-11", 2, 0.17), ("zhang", "2026-11-10", 3, 0.75)]
    assert report.staff_hours == 1.09
    data = report.as_dict()
    assert data["order_to_ship"]["p90_hours"] == 25.0 and data["errors_per_month"][1]["total"] == 6


def test_a_narrower_span_and_bad_spans(sqlite_engine):
    load(sqlite_engine)
    with read_session(sqlite_engine) as s:
        report = kpi.kpi_report(s, MANAGER, date(2026, 11, 10), date(2026, 11, 10), ZONE)
        assert report.ship == kpi.ShipHours(1, 24.0, 24.0, 24.0)  # O4 alone (O3 shipped 09:00 on the 11th)
        with pytest.raises(ValidationError):
            kpi.kpi_report(s, MANAGER, date(2026, 11, 10), date(2026, 11, 9), ZONE)


def test_xlsx_keeps_formula_like_text_as_text(tmp_path):
    path = write_workbook(tmp_path / "r.xlsx", [Sheet("表一", ["名称", "数量"], [
        ["=HYPERLINK(\"http://x\",\"点我\")", 3], ["+1", -2], ["@SUM(A1)", 1.5], ["-x", None], ["普通", 0]])])
    sheet = openpyxl.load_workbook(path)["表一"]
    assert [c.value for c in sheet[1]] == ["名称", "数量"]
    cells = [sheet.cell(row=r, column=1) for r in range(2, 7)]
    assert [c.value for c in cells] == ["=HYPERLINK(\"http://x\",\"点我\")", "+1", "@SUM(A1)", "-x", "普通"]
    assert all(c.data_type == "s" for c in cells) and all(c.quotePrefix for c in cells[:4])
    assert [sheet.cell(row=r, column=2).value for r in range(2, 7)] == [3, -2, 1.5, None, 0]
