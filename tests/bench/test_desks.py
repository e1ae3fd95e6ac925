"""The desks benchmark runs end to end with two desks for a second (the figures themselves are not tested)."""

from sqlalchemy import text

from oms_tui.bench import desks as bench_desks
from oms_tui.db import make_engine


def test_bench_desks_measures_actions_refreshes_and_baselines(pg_engine):
    url = pg_engine.url.render_as_string(hide_password=False)
    figures = bench_desks.bench_desks(url, desks=2, seconds=1)
    assert figures.failed_actions == 0 and figures.probes > 0
    assert len(figures.action_ms) >= 2 and len(figures.raw_action_ms) >= 2
    # every probe commit reached both desks' screens and the bare listener
    assert len(figures.refresh_ms) == 2 * figures.probes and len(figures.raw_notify_ms) == figures.probes
    assert 0 < bench_desks.percentile(figures.refresh_ms, 0.5) <= bench_desks.percentile(figures.refresh_ms, 0.99)
    engine = make_engine(url)
    with engine.connect() as conn:  # each desk's actions really landed, through the services' ledger
        purchased = conn.execute(text("SELECT count(*) FROM stockmove WHERE kind = 'purchase'")).scalar_one()
    engine.dispose()
    assert purchased == len(figures.action_ms) + len(figures.raw_action_ms)
    assert "p99" in figures.lines()[1] and "ratio p99" in figures.lines()[3]


def test_percentile_is_the_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert bench_desks.percentile(values, 0.99) == 99.0
    assert bench_desks.percentile(values, 0.5) == 50.0
    assert bench_desks.percentile([], 0.99) == 0.0
