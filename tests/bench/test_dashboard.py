"""The dashboard benchmark runs end to end on a tiny database (the figures themselves are not tested)."""

from oms_tui.bench import dashboard as bench_dashboard


def test_bench_dashboard_on_a_tiny_database(sqlite_url):
    report = bench_dashboard.bench_dashboard(sqlite_url, n_orders=900, days=9, repeats=1)
    assert report["orders"] == 900 and report["backfill_days"] >= 9
    assert report["orders_in_window"] > 0 and report["shipped_in_window"] > 0
    assert report["service_ms"] > 0 and report["raw_ms"] > 0
