"""`oms bench portal` in a tiny bounded run: concurrent signed-in look-ups over loopback, every answer the
buyer's own, p50 ≤ p99 reported (the 200-at-once run is the bench's, not a test's)."""

from oms_tui.bench.portal import bench_portal
from oms_tui.config import load_settings


def test_a_tiny_bounded_load_run(sqlite_engine):
    figures = bench_portal(sqlite_engine, load_settings(database_url="sqlite://"), buyers=5, lookups=10,
                           concurrency=10, client_process=False)
    assert figures["lookups"] == 10 and figures["wrong"] == 0 and 0 < figures["p50_ms"] <= figures["p99_ms"]
    assert figures["raw_mean_ms"] > 0
