"""A platform that rate-limits: the adapter backs off and tries again, and every order still arrives."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlmodel import select

from oms_tui.db import read_session
from oms_tui.models import Order
from oms_tui.platforms.base import RetryPolicy
from oms_tui.platforms.registry import client_for
from oms_tui.services.intake import sync
from tests.helpers.faults import violations
from tests.helpers.shop import SIM_SKUS, seed_catalogue
from tests.helpers.sync import plenty_of_stock, settled, taken_in


@pytest.mark.parametrize("platform", ["taobao", "jd", "pdd"])
def test_rate_limited_calls_back_off_and_all_orders_arrive(sqlite_engine, sim, platform):
    seed_catalogue(sqlite_engine)
    plenty_of_stock(sqlite_engine)
    sim.state.generate(60, settled(), random.Random(21), SIM_SKUS, spread=timedelta(hours=1), platforms=[platform])
    expected = taken_in(sim.state, platform)
    sim.state.inject_rate_limit(platform, 3)  # the next three calls are refused as over the limit
    pauses: list[float] = []
    policy = RetryPolicy(attempts=5, base_delay=0.01, max_delay=0.1, jitter=0.0, sleep=pauses.append)
    config = next(s for s in sim.shop_configs() if s.platform == platform)
    with client_for(config, retry=policy, page_size=20) as client:
        summary = sync.sync_shop(sqlite_engine, config.name, platform, client)
    assert summary.ok, summary.error
    # Backed off, doubling, once per refused call; Taobao's refusal says "This ban will last for 1 more
    # seconds", so each pause is at least that (capped at the policy's max_delay).
    assert pauses == ([0.1, 0.1, 0.1] if platform == "taobao" else [0.01, 0.02, 0.04])
    refused = [c.outcome for c in sim.state.calls if c.platform == platform and c.outcome != "ok"]
    assert len(refused) == 3, refused  # Taobao error 7, JD error 2, PDD error 52001
    with read_session(sqlite_engine) as s:
        assert set(s.exec(select(Order.platform_order_id)).all()) == expected
    assert violations(sqlite_engine) == []
