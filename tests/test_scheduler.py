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
from oms_tui.services.core.actor import Actor
from oms_tui.services.stock import reservations
from tests.helpers.shop import SIM_SKUS as SKUS
from tests.helpers.sync import plenty_of_stock


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


class FixedLeadership:
    def __init__(self, leads: bool) -> None:
        self.leads = leads

    def try_acquire(self) -> bool:
        return self.leads

    def release(self) -> None:
        pass


def test_housekeeping_expires_old_locks_and_quota_only_on_the_leader(seeded, db_url):
    from oms_tui.db import session_scope
    from oms_tui.models import StockReservation
    from oms_tui.services.catalogue import skus as catalogue
    from tests.helpers.shop import ingest, stock_up

    stock_up(seeded, "HG-001", 10)
    order = ingest(seeded, "OLD", {"HG-001": 1})
    with session_scope(seeded) as s:
        o = s.get(Order, order.id)
        o.locked_at = utcnow() - timedelta(hours=100)
        s.add(o)
        r = reservations.reserve(s, catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "HG-001"), 2,
                              purpose="promotion", expires_at=utcnow() + timedelta(hours=1), actor=Actor.system("ops"))
        s.flush()
        r.expires_at = utcnow() - timedelta(minutes=1)
        s.add(r)
    settings = load_settings(database_url=db_url)
    assert OmsScheduler(seeded, settings, leadership=FixedLeadership(False)).housekeeping_job() is None
    done = OmsScheduler(seeded, settings, leadership=FixedLeadership(True)).housekeeping_job()
    assert done == {"expired_locks": 1, "expired_reservations": 1}
    with read_session(seeded) as s:
        assert s.get(Order, order.id).status == "short"
        assert s.exec(select(StockReservation)).one().released_at is not None
