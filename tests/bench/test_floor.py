"""The floor benchmark runs end to end on a tiny database (the figures themselves are not tested)."""

from oms_tui.bench import floor as bench_floor


def test_bench_scan_on_a_tiny_database(sqlite_url):
    report = bench_floor.bench_scan(sqlite_url, n_orders=300, scans=80)
    assert report["orders"] == 300 and report["scans"] == 80
    assert report["check_violations"] == 0 and report["unexpected_results"] == 0
    assert report["shipped"] >= 1 and report["by_kind"]["item"]["count"] > 0
    assert 0 < report["p50_ms"] <= report["p99_ms"]


def test_bench_scan_screen_on_a_tiny_database(sqlite_url):
    report = bench_floor.bench_scan_screen(sqlite_url, n_orders=100, scans=25)
    assert report["scans"] == 25 and report["check_violations"] == 0
    assert 0 < report["p50_ms"] <= report["p99_ms"]
