"""`oms bench sync`: a small run goes through the real `oms sync --once`, checks the books and accounts for every
order; its child processes' peak RSS is their own, not the bench process's. Figures are never asserted."""

import random

from oms_tui.bench import sync as bench
from oms_tui.platforms.simulator import SimulatorState

ORDERS = 300


def test_a_small_sync_run_takes_every_order_in_and_checks_the_books():
    figures = bench.bench_sync("sqlite", ORDERS, "")
    assert figures.sync.returncode == 0, figures.sync.stderr
    assert sum(figures.per_platform.values()) == figures.orders == ORDERS
    assert set(figures.per_platform) == {"taobao", "jd", "pdd", "douyin"}
    assert [s["platform"] for s in figures.summaries] == ["taobao", "jd", "pdd", "douyin"]
    assert all(s["ok"] for s in figures.summaries)
    # Every record the simulator holds is accounted for, by the sync and by the listing read alike.
    assert figures.expected > 0 and figures.arrived == figures.expected and figures.unexpected == 0
    told = sum(s["new"] + s["skipped"] + s["malformed"] for s in figures.summaries)
    assert told == ORDERS == sum(c["orders"] + c["malformed"] for c in figures.read.values())
    assert figures.told_malformed == figures.malformed
    assert figures.books_checked and figures.violations == [] and figures.complete
    assert figures.sync.seconds > 0 and figures.listing.seconds > 0
    assert 0 < figures.sync.peak_rss_mb and 0 < figures.listing.peak_rss_mb

    lines = figures.lines()
    assert lines[1].startswith("listing read (no ingest)") and lines[2].startswith("oms sync --once")
    for line in lines[1:3]:
        assert f"{ORDERS} in" in line and "/s, peak RSS" in line and " MB" in line
    assert lines[3].startswith("ratio sync/listing read") and lines[3].rstrip().endswith("x time")
    assert any(line.startswith("books (run_checks)") and line.rstrip().endswith("balance") for line in lines)


def test_a_childs_peak_rss_is_its_own_not_the_bench_process():
    """Forked straight from a big process, a child's ru_maxrss would be at least that process's size."""
    ballast = bytearray(300 * 1024 * 1024)
    ballast[::4096] = b"\x01" * len(ballast[::4096])  # touched: resident
    run = bench.run_child("small", "import sys; sys.stdout.write('ok')", [], {})
    assert run.returncode == 0 and run.stdout == "ok"
    assert run.peak_rss_mb < 100
    del ballast


def test_fill_makes_exactly_n_orders():
    state = SimulatorState(sku_codes=["B-0001", "B-0002"], rate_per_minute=0, rng=random.Random(1))
    for platform in ("taobao", "pdd"):
        state.add_shop(platform, f"k-{platform}", "secret", "session")
    bench.fill(state, 123, random.Random(2))
    assert len(state.orders()) == 123
