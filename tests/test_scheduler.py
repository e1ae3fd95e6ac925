"""The scheduler for real: APScheduler jobs against the simulator; two instances, one does the work."""

import random
import time
from datetime import timedelta

from sqlmodel import select

from oms_tui.config import load_settings
from oms_tui.db import read_session
from oms_tui.leadership import Leadership
from oms_tui.models import Order, ShopSync, utcnow
from oms_tui.scheduler import OmsScheduler
from tests.services.test_sync import SKUS, plenty_of_stock


def test_two_schedulers_one_leader_syncs_every_shop(seeded, db_url, sim):
    plenty_of_stock(seeded)
    sim.state.generate(15, utcnow() - timedelta(minutes=2), random.Random(8), SKUS)
    shops = [s.model_copy(update={"sync_minutes": 0.02}) for s in sim.shop_configs()]  # every ~1 s
    settings = load_settings(database_url=db_url, shops=shops)
    first = OmsScheduler(seeded, settings, leadership=Leadership(seeded, lease_seconds=30), webhook_seconds=1)
    second = OmsScheduler(seeded, settings, leadership=Leadership(seeded, lease_seconds=30), webhook_seconds=1)
    first.start()
    second.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with read_session(seeded) as s:
                states = s.exec(select(ShopSync)).all()
            if len(states) == 3 and all(st.runs >= 2 for st in states):
                break
            time.sleep(0.2)
    finally:
        first.shutdown()
        second.shutdown()
    assert [bool(first.last_summaries), bool(second.last_summaries)].count(True) == 1
    with read_session(seeded) as s:
        states = s.exec(select(ShopSync)).all()
        assert len(states) == 3 and all(st.last_status == "ok" and st.runs >= 2 for st in states)
        assert len(s.exec(select(Order)).all()) == sum(st.total_new for st in states) > 0
