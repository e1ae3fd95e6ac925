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
from tests.helpers.sync import plenty_of_stock, settled


def test_two_schedulers_one_leader_syncs_every_shop(seeded, db_url, sim):
    plenty_of_stock(seeded)
    sim.state.generate(15, settled(), random.Random(8), SKUS)
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
            if len(states) == len(shops) and all(st.runs >= 2 for st in states):
                break
            time.sleep(0.2)
    finally:
        first.shutdown()
        second.shutdown()
    assert [bool(first.last_summaries), bool(second.last_summaries)].count(True) == 1
    with read_session(seeded) as s:
        states = s.exec(select(ShopSync)).all()
        assert len(states) == len(shops) == 4 and all(st.last_status == "ok" and st.runs >= 2 for st in states)
        assert len(s.exec(select(Order)).all()) == sum(st.total_new for st in states) > 0
    # The jobs came from the config at start; the leader ran each shop's sync and recorded how it went.
    rows = job_rows(seeded)
    syncs = [rows[f"sync:{shop.name}"] for shop in shops]
    assert all(job.last_status in ("ok", "running") and job.last_started_at for job in syncs)
    assert len({job.run_by for job in rows.values() if job.run_by}) == 1


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


# --- the jobs table ------------------------------------------------------------------------------

def shop_config(name: str, minutes: float = 2.0):
    from oms_tui.config import ShopConfig

    return ShopConfig(name=name, platform="taobao", base_url="http://127.0.0.1:1", app_key="k", app_secret="s",
                      sync_minutes=minutes)


def job_rows(engine):
    from oms_tui.services.core import jobs

    with read_session(engine) as s:
        return {job.name: job for job in jobs.list_jobs(s)}


def test_the_jobs_table_follows_the_config(seeded, db_url):
    settings = load_settings(database_url=db_url, shops=[shop_config("天猫店"), shop_config("拼多多店", 5)])
    OmsScheduler(seeded, settings, leadership=FixedLeadership(True)).sync_jobs()
    rows = job_rows(seeded)
    assert set(rows) == {"sync:天猫店", "sync:拼多多店", "refunds:天猫店", "refunds:拼多多店", "items:天猫店",
                         "items:拼多多店", "webhook", "outbox:platform_ship", "outbox:alert", "printing",
                         "lock-expiry", "reservation-expiry", "approval-escalation", "token-refresh", "outbox:buyer_sms",
                         "tracking-poll", "tracking-nightly", "tracking-subscribe", "stall-check", "waybill-cancel",
                         "dashboard-rollup", "supplier-mail", "outbox:supplier_mail", "statistics", "portal-purge",
                         "order-tally"}
    assert (rows["order-tally"].kind, rows["order-tally"].interval_seconds) == ("order_tally", 300)
    assert (rows["statistics"].kind, rows["statistics"].interval_seconds) == ("statistics", 6 * 3600)
    assert (rows["portal-purge"].kind, rows["portal-purge"].interval_seconds) == ("portal_purge", 3600)
    assert (rows["dashboard-rollup"].kind, rows["dashboard-rollup"].enabled) == ("dashboard_rollup", True)
    assert (rows["supplier-mail"].kind, rows["supplier-mail"].interval_seconds) == ("supplier_mail", 7 * 86400)
    assert (rows["token-refresh"].kind, rows["token-refresh"].enabled) == ("token_refresh", True)
    assert (rows["refunds:拼多多店"].kind, rows["refunds:拼多多店"].interval_seconds) == ("refund_sync", 300)
    assert (rows["items:天猫店"].kind, rows["items:天猫店"].target) == ("item_pull", "天猫店")
    assert (rows["sync:拼多多店"].kind, rows["sync:拼多多店"].target, rows["sync:拼多多店"].interval_seconds) == (
        "shop_sync", "拼多多店", 300)
    assert (rows["outbox:alert"].kind, rows["outbox:alert"].target) == ("outbox_dispatch", "alert")
    assert not rows["printing"].enabled  # no printer configured
    kuaidi100_jobs = {"tracking-poll", "tracking-nightly", "tracking-subscribe", "stall-check", "waybill-cancel"}
    assert not any(rows[name].enabled for name in kuaidi100_jobs)  # no [kuaidi100] configured
    assert not rows["supplier-mail"].enabled  # no mail server configured
    assert all(job.enabled for name, job in rows.items()
               if name not in ("printing", "supplier-mail") and name not in kuaidi100_jobs)

    # A shop added to the config gets its sync job; one removed keeps its row (its history), disabled.
    moved = load_settings(database_url=db_url, shops=[shop_config("天猫店", 1), shop_config("京东店")])
    OmsScheduler(seeded, moved, leadership=FixedLeadership(True)).sync_jobs()
    rows = job_rows(seeded)
    assert rows["sync:京东店"].enabled and rows["sync:京东店"].next_due_at <= utcnow()
    assert not rows["sync:拼多多店"].enabled
    assert rows["sync:天猫店"].interval_seconds == 60


def test_each_due_job_runs_once_however_many_schedulers_claim_it(seeded, db_url, monkeypatch):
    from collections import Counter

    from oms_tui import scheduler as scheduler_module
    from oms_tui.services.core import jobs

    runs = Counter()
    for kind in scheduler_module.JobKind:
        monkeypatch.setitem(scheduler_module.JOB_KINDS, kind,
                            lambda sched, target, kind=kind: runs.update([f"{kind}:{target}"]) or {"ran": 1})
    settings = load_settings(database_url=db_url, shops=[shop_config("天猫店")])
    # Both believe they lead (the worst case: a lease that ran out mid-tick); the table still decides.
    schedulers = [OmsScheduler(seeded, settings, leadership=FixedLeadership(True)) for _ in range(3)]
    schedulers[0].sync_jobs()
    try:
        for _round in range(3):
            for sched in schedulers:
                sched.tick()
        for sched in schedulers:
            sched.pool.shutdown(wait=True)
    finally:
        for sched in schedulers:
            sched.shutdown()
    expected = {f"{spec.kind}:{spec.target}" for spec in scheduler_module.job_specs(settings) if spec.enabled}
    assert set(runs) == expected and set(runs.values()) == {1}
    rows = job_rows(seeded)
    assert {job.last_status for job in rows.values() if job.enabled} == {jobs.JobStatus.OK}
    assert rows["webhook"].last_result == "ran 1" and rows["webhook"].next_due_at > utcnow()


def test_a_failing_job_records_its_error_and_the_others_go_on(seeded, db_url, monkeypatch):
    from oms_tui import scheduler as scheduler_module
    from oms_tui.errors import OmsError

    def broken(sched, target):
        raise OmsError("taobao shop '天猫店': platform error (code 7: app call limited)")

    monkeypatch.setitem(scheduler_module.JOB_KINDS, scheduler_module.JobKind.SHOP_SYNC, broken)
    settings = load_settings(database_url=db_url, shops=[shop_config("天猫店")])
    sched = OmsScheduler(seeded, settings, leadership=FixedLeadership(True))
    sched.sync_jobs()
    assert sched.run_job("sync:天猫店") and sched.run_job("reservation-expiry")
    assert not sched.run_job("reservation-expiry")  # ran already: not due again for ten minutes
    rows = job_rows(seeded)
    failed, fine = rows["sync:天猫店"], rows["reservation-expiry"]
    assert (failed.last_status, failed.last_error) == ("error", "taobao shop '天猫店': platform error (code 7: app "
                                                                "call limited)")
    assert failed.last_finished_at >= failed.last_started_at
    assert (fine.last_status, fine.last_error, fine.last_result) == ("ok", "", "expired_reservations 0")
    sched.shutdown()


def test_a_follower_runs_nothing(seeded, db_url):
    settings = load_settings(database_url=db_url, shops=[shop_config("天猫店")])
    OmsScheduler(seeded, settings, leadership=FixedLeadership(True)).sync_jobs()
    follower = OmsScheduler(seeded, settings, leadership=FixedLeadership(False))
    assert follower.tick() == []
    assert {job.last_status for job in job_rows(seeded).values()} == {""}
    follower.shutdown()


# --- shop tokens -----------------------------------------------------------------------------------

def test_the_token_job_refreshes_before_expiry_on_a_controlled_clock(seeded, db_url, sim):
    """Authorized against the simulator; the job (run as the jobs table runs it) refreshes the token days before
    it expires; the sync sends the stored token; an expired one is refused with PDD's 10019 and shows."""
    from urllib.parse import parse_qs, urlsplit

    import httpx

    from oms_tui.config import OAuthConfig
    from oms_tui.db import session_scope
    from oms_tui.platforms.oauth import oauth_for
    from oms_tui.services.intake import shop_auth
    from tests.helpers.sync import plenty_of_stock

    plenty_of_stock(seeded)
    now = [utcnow().replace(microsecond=0)]
    sim.state.clock = lambda: now[0]
    sim.state.check_timestamp = False  # the requests carry the wall clock; the simulator's runs on ours
    sim.state.access_token_lifetime = timedelta(days=30)
    pdd = next(s for s in sim.shop_configs() if s.platform == "pdd")
    oauth = OAuthConfig.model_validate({p: {**urls, "redirect_uri": "https://oms.example.com/cb"}
                                        for p, urls in sim.oauth_settings().items()})
    with oauth_for(pdd, oauth, clock=lambda: now[0]) as flow:
        location = httpx.get(flow.authorize_url("s"), timeout=5).headers["location"]
        grant = flow.exchange_code(parse_qs(urlsplit(location).query)["code"][0])
    with session_scope(seeded) as s:
        shop_auth.store_grant(s, shop=pdd.name, platform="pdd", grant=grant, actor=Actor("boss", {"manager"}))
    settings = load_settings(database_url=db_url, shops=[pdd], oauth=oauth)
    sched = OmsScheduler(seeded, settings, leadership=FixedLeadership(True))
    try:
        assert sched.run_sync(pdd.name).ok  # the configured session was revoked: this is the stored token at work
        now[0] += timedelta(days=20)
        assert sched.run_token_refresh(now=now[0]).refreshed == 0  # ten days left: not yet
        now[0] += timedelta(days=7, hours=1)
        assert sched.run_token_refresh(now=now[0]).refreshed == 1  # under three days left: refreshed
        stored = shop_auth.stored_access_token(seeded, pdd.name)
        assert stored != grant.access_token and stored == sim.state.live_token("pdd", pdd.app_key).access_token
        assert sched.run_sync(pdd.name).ok
        sched.sync_jobs()
        assert sched.run_job("token-refresh")  # the same through the jobs table
        assert job_rows(seeded)["token-refresh"].last_status == "ok"

        now[0] = sim.state.live_token("pdd", pdd.app_key).expires_at + timedelta(minutes=1)
        failed = sched.run_sync(pdd.name)
        assert not failed.ok and "10019" in failed.error
        with read_session(seeded) as s:
            [view] = shop_auth.overview(s, settings.shops, now=now[0])
        assert shop_auth.status_text(view, translate=lambda m: m) == "authorization expired"
        assert stored not in failed.error and grant.refresh_token not in failed.error
    finally:
        sched.shutdown()


def test_the_refund_and_item_jobs_read_the_platform_and_apply_what_they_read(seeded, db_url, sim):
    from oms_tui.models import Hold, HoldKind, PlatformItem
    from oms_tui.platforms.simulator import SimSku

    plenty_of_stock(seeded)
    sim.state.generate(6, utcnow() - timedelta(minutes=3), random.Random(3), SKUS, platforms=["pdd"])
    pdd = next(s for s in sim.shop_configs() if s.platform == "pdd")
    sim_shop = next(s for s in sim.state.shops if s.platform == "pdd")
    sim.state.add_item(sim_shop, "600001", "竹纤维毛巾 3条装", skus=[SimSku("7000011", "HG-001-3", "3条装")])
    settings = load_settings(database_url=db_url, shops=[pdd])
    sched = OmsScheduler(seeded, settings, leadership=FixedLeadership(True))
    sched.sync_jobs()
    assert sched.run_job(f"sync:{pdd.name}")
    with read_session(seeded) as s:
        taken = s.exec(select(Order)).first()
    sim.state.add_refund(sim_shop, taken.platform_order_id, status="2", reason="不想要了")
    assert sched.run_job(f"refunds:{pdd.name}") and sched.run_job(f"items:{pdd.name}")
    rows = job_rows(seeded)
    assert rows[f"refunds:{pdd.name}"].last_status == "ok" and "1 held" in rows[f"refunds:{pdd.name}"].last_result
    assert rows[f"items:{pdd.name}"].last_result.startswith(f"{pdd.name} (pdd): 1 platform SKUs pulled")
    with read_session(seeded) as s:
        open_kinds = s.exec(select(Hold.kind).where(Hold.order_id == taken.id, Hold.resolved_at.is_(None))).all()
        assert HoldKind.REFUND_REQUESTED in open_kinds
        assert s.exec(select(PlatformItem.outer_sku_code)).all() == ["HG-001-3"]
    sched.shutdown()


def test_nightly_tracking_waits_for_two_oclock_shop_time(seeded, db_url):
    from datetime import datetime, timezone

    settings = load_settings(database_url=db_url, kuaidi100={"key": "k", "customer": "c"})
    scheduler = OmsScheduler(seeded, settings, leadership=FixedLeadership(True))
    scheduler.sync_jobs()

    class NoQueries:
        def query(self, *args):
            raise AssertionError("no look-up outside the nightly hour")

        def close(self):
            pass

    scheduler.carrier_factory = lambda settings: NoQueries()
    evening = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)  # 20:00 in Shanghai
    assert "waiting" in scheduler.run_tracking_nightly(now=evening)
    assert job_rows(seeded)["tracking-nightly"].next_due_at == datetime(2026, 11, 29, 18, 0, tzinfo=timezone.utc)
    run = scheduler.run_tracking_nightly(now=datetime(2026, 11, 29, 18, 5, tzinfo=timezone.utc))
    assert run.checked == 0  # no shipments yet; the next night is next
    assert job_rows(seeded)["tracking-nightly"].next_due_at == datetime(2026, 11, 30, 18, 0, tzinfo=timezone.utc)
def test_the_statistics_job_analyses_the_tables(seeded, db_url):
    from sqlalchemy import text

    from oms_tui.models import Job

    with seeded.begin() as conn:  # start from none, so the job's run is what leaves them
        if seeded.dialect.name == "sqlite":
            conn.execute(text("DELETE FROM sqlite_stat1"))
        else:
            conn.execute(text('SELECT pg_stat_reset()'))
    settings = load_settings(database_url=db_url)
    scheduler = OmsScheduler(seeded, settings, leadership=FixedLeadership(True))
    scheduler.sync_jobs()
    assert scheduler.run_job("statistics")
    with read_session(seeded) as s:
        assert s.get(Job, "statistics").last_status == "ok"
        if seeded.dialect.name == "sqlite":
            analysed = set(s.exec(text("SELECT tbl FROM sqlite_stat1")).scalars())
        else:
            analysed = set(s.exec(text("SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"))
                           .scalars())
    assert {"sku", "stocklevel"} <= analysed  # the seeded catalogue's tables (empty tables leave no stat1 row)


def test_the_dashboard_rollup_job_rolls_up_today(seeded, db_url):
    from oms_tui.models import DashboardRollup

    from oms_tui.db import session_scope
    from oms_tui.models import Job

    with session_scope(seeded) as s:
        s.add(Order(platform="jd", platform_order_id="J1", created_at=utcnow()))
    settings = load_settings(database_url=db_url)
    scheduler = OmsScheduler(seeded, settings, leadership=FixedLeadership(True))
    scheduler.sync_jobs()
    assert scheduler.run_job("dashboard-rollup")
    with read_session(seeded) as s:
        assert s.get(Job, "dashboard-rollup").last_status == "ok"
        rows = s.exec(select(DashboardRollup).where(DashboardRollup.figure == "orders")).all()
        assert [(row.key, row.value) for row in rows] == [("jd", 1)]


def test_the_portal_purge_job_deletes_sign_in_codes_a_day_after_they_expired(seeded, db_url):
    from oms_tui.db import session_scope
    from oms_tui.models import Job, PortalCode

    with session_scope(seeded) as s:
        old = utcnow() - timedelta(days=2)
        s.add_all([PortalCode(phone="13800138000", code_hash="x", created_at=old, expires_at=old + timedelta(minutes=5)),
                   PortalCode(phone="13800138001", code_hash="y", expires_at=utcnow() + timedelta(minutes=5))])
    scheduler = OmsScheduler(seeded, load_settings(database_url=db_url), leadership=FixedLeadership(True))
    scheduler.sync_jobs()
    assert scheduler.run_job("portal-purge")
    with read_session(seeded) as s:
        assert s.get(Job, "portal-purge").last_status == "ok"
        assert [c.phone for c in s.exec(select(PortalCode))] == ["13800138001"]


def test_the_order_tally_job_counts_the_orders_for_the_screens(seeded, db_url):
    from oms_tui.db import session_scope
    from oms_tui.models import Job, OrderTally, TallyMark

    with session_scope(seeded) as s:
        s.add_all([Order(platform="jd", platform_order_id="J1", created_at=utcnow()),
                   Order(platform="taobao", platform_order_id="T1", created_at=utcnow(), status="ready")])
    scheduler = OmsScheduler(seeded, load_settings(database_url=db_url), leadership=FixedLeadership(True))
    scheduler.sync_jobs()
    assert scheduler.run_job("order-tally")
    with read_session(seeded) as s:
        job = s.get(Job, "order-tally")
        assert job.last_status == "ok" and "tallied orders" in job.last_result
        tallied = sum(s.exec(select(OrderTally.orders).where(OrderTally.day == "*")))
        assert tallied == 2
        assert s.get(TallyMark, "orders").last_id == max(s.exec(select(Order.id)))
