"""The dashboard's figures on the fixed data set (tests/helpers/dashboard_data.py), each worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from oms_tui.db import make_engine, read_session
from oms_tui.errors import PermissionDenied
from oms_tui.models import DashboardRollup
from oms_tui.services.core.actor import Actor
from oms_tui.services.reports import dashboard, rollup
from tests.helpers.dashboard_data import NOW, ZONE, fresh_database, load, utc

MANAGER = Actor("wang", frozenset({"manager"}))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def figures(request, tmp_path_factory):
    """The data set rolled up and read once per backend (the figures are plain values)."""
    url = fresh_database(request, tmp_path_factory)
    engine = make_engine(url)
    try:
        load(engine)
        run = rollup.refresh_rollup(engine, ZONE, now=NOW)
        assert (run.first, run.last) == (date(2026, 10, 1), date(2026, 11, 11))  # from the first order's day
        with read_session(engine) as s:
            return dashboard.load(s, MANAGER, ZONE, now=NOW)
    finally:
        engine.dispose()


def test_orders_per_hour_and_per_day_by_platform(figures):
    assert figures.platforms == ["jd", "pdd", "taobao"]
    assert figures.hours[0] == utc(11, 10, 3) and figures.hours[-1] == utc(11, 11, 2)
    assert figures.orders_per_hour["taobao"][22:] == [1, 1] and sum(figures.orders_per_hour["taobao"]) == 2
    assert figures.orders_per_hour["jd"][17] == 1 and sum(figures.orders_per_hour["jd"]) == 1
    assert sum(figures.orders_per_hour["pdd"]) == 0
    days = dict(zip(figures.days, zip(*(figures.orders_per_day[p] for p in ("jd", "pdd", "taobao")))))
    assert figures.days[0] == "2026-10-29" and figures.days[-1] == "2026-11-11"
    assert days["2026-11-11"] == (1, 0, 2) and days["2026-11-10"] == (1, 0, 0) and days["2026-11-09"] == (0, 1, 0)
    assert days["2026-11-08"] == (0, 0, 1) and days["2026-11-07"] == (0, 0, 1)
    assert days["2026-11-05"] == (0, 1, 1) and days["2026-11-04"] == (1, 1, 0)
    assert sum(map(sum, days.values())) == 11  # O12 (October) is before the chart


def test_backlog_by_status_and_age(figures):
    assert figures.backlog == {"new": [1, 0, 0, 0, 0], "ready": [1, 0, 0, 0, 0], "picking": [0, 0, 0, 1, 0],
                               "packed": [0, 0, 0, 0, 1]}


def test_exception_ratio_by_kind(figures):
    assert figures.orders_in_window == 9
    assert [(r.kind, r.open_now, r.opened, r.per_100_orders) for r in figures.exceptions] == [
        ("buyer_remark", 1, 1, 11.11), ("lock_expired", 1, 1, 11.11), ("ship_notice_failed", 1, 1, 11.11),
        ("stock_short", 1, 1, 11.11), ("duplicate_suspect", 0, 1, 11.11)]


def test_order_to_ship_time_scan_errors_and_approvals(figures):
    # shipped in the window: 1.55, 5, 10, 24, 25 hours
    assert figures.ship_time == dashboard.ShipTime(5, 13.11, 10.0, 25.0)
    assert (figures.scans, figures.scan_errors) == (6, 2)
    assert figures.scan_error_rate == pytest.approx(1 / 3)
    assert figures.approvals == dashboard.Approvals(2, 16.0, 1, utc(11, 11))


def test_wrong_missed_and_duplicate_shipments_per_month(figures):
    rows = {row.month: (row.wrong, row.missed, row.duplicate) for row in figures.shipment_errors}
    assert list(rows) == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    # November: O4 wrong (a return and a refund, one order); O5 missing items and O7's lock expired;
    # O8 + O9 both shipped (O10 + O11 left in one parcel: not a duplicate shipment)
    assert rows["2026-11"] == (1, 2, 1) and rows["2026-10"] == (1, 0, 0) and rows["2026-09"] == (0, 0, 0)


def test_ship_notices_and_sync_health(figures):
    assert [(n.shop, n.failed, n.waiting, n.gave_up) for n in figures.ship_notices] == [
        ("京东店", 1, 0, 1), ("淘宝店", 0, 1, 0)]
    assert [(s.shop, s.status, s.errors) for s in figures.shops] == [("京东店", "error", 2), ("淘宝店", "ok", 0)]
    assert figures.rollup_at == NOW


def test_a_run_refreshes_the_recent_days_and_replaces_them_whole(engine):
    load(engine)
    rollup.refresh_rollup(engine, ZONE, now=NOW)
    with read_session(engine) as s:
        rows = s.exec(DashboardRollup.__table__.select()).all()
    later = NOW + timedelta(days=1)
    run = rollup.refresh_rollup(engine, ZONE, now=later)
    assert (run.first, run.last) == (date(2026, 11, 10), date(2026, 11, 12))
    with read_session(engine) as s:
        # the same figures again, and 11-12 with nothing but its scan count (0)
        assert len(s.exec(DashboardRollup.__table__.select()).all()) == len(rows) + 1
        assert dashboard.load(s, MANAGER, ZONE, now=later).ship_time.orders == 4  # 11-06..11-12: O8 drops out


def test_the_dashboard_is_for_managers_and_leads(engine):
    with read_session(engine) as s:
        with pytest.raises(PermissionDenied):
            dashboard.load(s, Actor("zhang", frozenset({"cs"})), ZONE, now=NOW)
        assert dashboard.load(s, Actor("lead", frozenset({"warehouse_lead"})), ZONE, now=NOW).backlog == {}
