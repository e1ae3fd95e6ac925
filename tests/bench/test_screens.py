"""The screens benchmark runs end to end on a tiny database (the figures themselves are not tested)."""

import random

from sqlalchemy import func, select

from oms_tui.bench import screens as bench_screens
from oms_tui.db import make_engine, read_session
from oms_tui.models import Hold, Order
from oms_tui.services.stock.check import run_checks


def test_the_built_shop_has_the_mix_of_a_busy_history_and_balanced_books(tmp_path):
    url, built = bench_screens.kept_database("sqlite", 400, "", tmp_path)
    assert not built
    engine = make_engine(url)
    bench_screens.build(engine, 400, rng=random.Random(1))
    with read_session(engine) as s:
        shipped = s.exec(select(func.count()).select_from(Order).where(Order.status == "shipped")).one()[0]
        open_holds = s.exec(select(func.count()).select_from(Hold).where(Hold.resolved_at.is_(None))).one()[0]
        assert (shipped, open_holds) == (280, 40)  # 70 %; two on each of the 5 % in review
        assert run_checks(s) == []
    engine.dispose()
    assert bench_screens.kept_database("sqlite", 400, "", tmp_path) == (url, True)  # the next run reuses it
    figures = bench_screens.bench_screens(url, "sqlite", 400, repeats=3, only="exceptions")
    assert [f.case for f in figures] == ["(Pilot floor: unbound key)", "exceptions"]
    assert figures[1].pilot_p50 > 0 and figures[1].raw_p50 > 0
