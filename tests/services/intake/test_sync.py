"""Platform sync against the loopback simulator: new, updated, cancelled, errors, and kill-and-resume."""

import copy
import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from oms_tui.db import make_engine, read_session, session_scope
from oms_tui.errors import IllegalTransition, ValidationError
from oms_tui.models import Hold, Order, OrderLine, ShopSync, StockMove, SyncProblem, utcnow
from oms_tui.phrases import render
from oms_tui.platforms import RetryPolicy, client_for
from oms_tui.platforms.mapping import BEIJING
from oms_tui.services.core.actor import Actor
from oms_tui.services.cs import review
from oms_tui.services.intake import sync
from oms_tui.services.orders import actions, holds, queries
from oms_tui.services.stock.check import run_checks
from tests.helpers.platforms import JD_ORDER, PDD_ORDER, TRADE
from tests.helpers.shop import SIM_SKUS as SKUS
from tests.helpers.shop import seed_catalogue
from tests.helpers.sync import plenty_of_stock, run_once, settled, shop


@pytest.mark.parametrize("platform", ["taobao", "jd", "pdd"])
def test_first_sync_takes_orders_in_and_second_changes_nothing(seeded, sim, platform):
    plenty_of_stock(seeded)
    sim.state.generate(40, settled(), random.Random(1), SKUS, spread=timedelta(hours=2), platforms=[platform])
    config = shop(sim, platform)
    first = run_once(seeded, config)
    assert first.ok and first.new > 20
    second = run_once(seeded, config)
    assert second.ok and (second.new, second.updated) == (0, 0)
    with read_session(seeded) as s:
        state = s.exec(select(ShopSync).where(ShopSync.shop == config.name)).one()
        assert state.last_status == "ok" and state.runs == 2 and state.total_new == first.new
        assert state.cursor_at is not None
        assert s.exec(select(func.count()).select_from(Order)).one() == first.new
        assert run_checks(s) == []


def test_cancellation_and_address_change_on_the_platform_are_applied(seeded, sim):
    plenty_of_stock(seeded)
    config = shop(sim, "taobao")
    sim.state.generate(10, utcnow() - timedelta(minutes=30), random.Random(2), SKUS, platforms=["taobao"])
    run_once(seeded, config)
    live = [o for o in sim.state.orders("taobao") if o.draft is not None and o.draft.status == "paid"]
    cancelled, moved = live[0], live[1]
    cancelled.draft.status = "cancelled"
    moved.draft.receiver.address = "新地址 88 号"
    for order in (cancelled, moved):
        sim.state.touch("taobao", order.key, settled(2))
    summary = run_once(seeded, config)
    assert summary.updated >= 2
    with read_session(seeded) as s:
        gone = s.exec(select(Order).where(Order.platform_order_id == cancelled.key)).one()
        assert gone.status == "cancelled"
        assert s.exec(select(func.sum(OrderLine.locked_qty)).where(OrderLine.order_id == gone.id)).one() == 0
        assert run_checks(s) == []


@pytest.mark.parametrize(("platform", "lag"), [("taobao", 1), ("jd", 1), ("pdd", 3)])
def test_the_window_ends_the_listing_lag_before_now_and_the_next_run_takes_the_rest(seeded, sim, platform, lag):
    """PDD: the window must end at least 3 minutes before its clock; an order changed within the lag
    is not lost: the cursor stops at the window's end and the next run reads from there."""
    plenty_of_stock(seeded)
    config = shop(sim, platform)
    now = utcnow().replace(microsecond=0)
    recent = sim.state.generate(1, now - timedelta(seconds=20), random.Random(6), SKUS, platforms=[platform])
    first = run_once(seeded, config, now=now)
    assert first.ok and first.window_end == now - timedelta(minutes=lag) and first.new == 0
    with read_session(seeded) as s:
        assert s.exec(select(ShopSync.cursor_at).where(ShopSync.shop == config.name)).one() == first.window_end
    second = run_once(seeded, config, now=now + timedelta(minutes=lag, seconds=1))
    assert second.ok and second.new == 1
    with read_session(seeded) as s:
        assert s.exec(select(Order.platform_order_id)).all() == [recent[0].order_id]


def _closed_unseen(platform: str, modified) -> dict:
    """A known payload (tests/helpers/platforms.py) closed after payment, before any sync saw it."""
    stamp = modified.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    if platform == "taobao":
        trade = copy.deepcopy(TRADE) | {"status": "TRADE_CLOSED", "modified": stamp}
        for line in trade["orders"]["order"]:
            line["refund_status"] = "SUCCESS"
        return trade
    if platform == "pdd":
        return copy.deepcopy(PDD_ORDER) | {"refund_status": 4, "updated_at": stamp}
    return copy.deepcopy(JD_ORDER) | {"orderState": "TRADE_CANCELED", "modified": stamp}


@pytest.mark.parametrize("platform", ["taobao", "jd", "pdd"])
def test_an_order_closed_before_we_saw_it_is_taken_in_cancelled_with_nothing_locked(seeded, sim, platform):
    """Customer history and month-end reconciliation need the refunded sale too: in, cancelled, no lock, no hold."""
    plenty_of_stock(seeded)
    config = shop(sim, platform)
    payload = _closed_unseen(platform, settled())
    sim_shop = next(s for s in sim.state.shops if s.platform == platform)
    sim.state.put_order(sim_shop, payload, settled())
    summary = run_once(seeded, config)
    assert summary.ok and summary.new == 1 and summary.skipped == 0
    with read_session(seeded) as s:
        order = s.exec(select(Order)).one()
        assert order.status == "cancelled" and order.customer_id is not None and order.paid_fen > 0
        assert order.locked_at is None
        assert s.exec(select(func.coalesce(func.sum(OrderLine.locked_qty), 0))).one() == 0
        assert s.exec(select(func.count()).select_from(Hold)).one() == 0
        assert s.exec(select(func.count()).select_from(StockMove)).one() == len(SKUS) * 2  # the stock bought only
        assert run_checks(s) == []
    again = run_once(seeded, config)
    assert again.ok and (again.new, again.updated) == (0, 0)


def test_a_trade_closed_before_payment_is_still_not_ours(seeded, sim):
    plenty_of_stock(seeded)
    trade = _closed_unseen("taobao", settled()) | {"status": "TRADE_CLOSED_BY_TAOBAO"}
    trade.pop("pay_time")
    sim.state.put_order(next(s for s in sim.state.shops if s.platform == "taobao"), trade, settled())
    summary = run_once(seeded, shop(sim, "taobao"))
    assert summary.ok and (summary.new, summary.skipped) == (0, 1)


def _open_holds(engine, platform_order_id):
    with read_session(engine) as s:
        order = s.exec(select(Order).where(Order.platform_order_id == platform_order_id)).one()
        return order, {h.kind: h for h in holds.open_holds(s, order.id)}


def _a_paid_order(sim, platform, *, lines=1):
    sim.state.generate(30, settled(8), random.Random(12), SKUS, platforms=[platform])
    return next(o for o in sim.state.orders(platform)  # no buyer remark: nothing else for CS to look at
                if o.draft is not None and o.draft.status == "paid" and len(o.draft.lines) >= lines
                and not o.draft.buyer_message)


@pytest.mark.parametrize(("platform", "reason", "named"), [
    ("pdd", "group_forming", "group_status is 0"), ("pdd", "group_failed", "group_status is 2"),
    ("pdd", "unconfirmed", "confirm_status is 0"), ("pdd", "confirm_cancelled", "confirm_status is 2"),
    ("pdd", "risk_review", "risk_control_status is 1"),
    ("taobao", "group_forming", "status is PAID_FORBID_CONSIGN"), ("jd", "risk_review", "orderState is POP_ORDER_PAUSE"),
])
def test_an_order_the_platform_forbids_to_ship_is_held_and_released_when_it_clears(seeded, sim, no_duplicate_check,
                                                                                  platform, reason, named):
    plenty_of_stock(seeded)
    config = shop(sim, platform)
    order = _a_paid_order(sim, platform)
    sim.state.block(platform, order.key, reason, settled(7))
    assert run_once(seeded, config).ok
    ours, open_kinds = _open_holds(seeded, order.key)
    assert "platform_blocked" in open_kinds and named in render(open_kinds["platform_blocked"].reason)
    assert ours.status == "review"  # never ready, so never in a wave
    with session_scope(seeded) as s, pytest.raises(IllegalTransition):
        actions.start_picking(s, queries.get_order(s, ours.id), user="picker")
    assert run_once(seeded, config).ok  # seen again, still blocked: one hold, still open
    with read_session(seeded) as s:
        assert [h.kind for h in holds.holds_of(s, ours.id)].count("platform_blocked") == 1

    sim.state.block(platform, order.key, "", settled(4))  # the platform clears it
    assert run_once(seeded, config).ok
    ours, open_kinds = _open_holds(seeded, order.key)
    assert "platform_blocked" not in open_kinds and ours.status == "ready", open_kinds
    with read_session(seeded) as s:
        [hold] = [h for h in holds.holds_of(s, ours.id) if h.kind == "platform_blocked"]
        assert hold.resolved_by == "sync" and hold.resolved_at is not None
        assert run_checks(s) == []


def test_cs_cannot_release_a_platform_block(seeded, sim):
    plenty_of_stock(seeded)
    order = _a_paid_order(sim, "pdd")
    sim.state.block("pdd", order.key, "risk_review", settled(7))
    run_once(seeded, shop(sim, "pdd"))
    _ours, open_kinds = _open_holds(seeded, order.key)
    with session_scope(seeded) as s, pytest.raises(ValidationError):
        review.release_hold(s, open_kinds["platform_blocked"].id, actor=Actor("cs1", {"cs"}))


def test_a_pre_authorised_trade_is_not_paid_yet(seeded, sim):
    """WAIT_PRE_AUTH_CONFIRM (0元购合约中): not ours until it is paid."""
    trade = copy.deepcopy(TRADE) | {"status": "WAIT_PRE_AUTH_CONFIRM", "type": "pre_auth_type",
                                    "modified": settled().astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")}
    sim.state.put_order(next(s for s in sim.state.shops if s.platform == "taobao"), trade, settled())
    summary = run_once(seeded, shop(sim, "taobao"))
    assert summary.ok and (summary.new, summary.skipped) == (0, 1)


def test_a_partly_shipped_trade_first_seen_brings_only_the_lines_still_to_ship(seeded, sim, no_duplicate_check):
    plenty_of_stock(seeded)
    config = shop(sim, "taobao")
    order = _a_paid_order(sim, "taobao", lines=2)
    sim.state.consign_lines("taobao", order.key, 1, settled(7))  # shipped from the platform's back office
    assert run_once(seeded, config).ok
    ours, open_kinds = _open_holds(seeded, order.key)
    assert ours.status == "ready" and ours.platform_status == "SELLER_CONSIGNED_PART" and not open_kinds
    waiting = [line.sku_code for line in order.draft.lines[1:]]
    with read_session(seeded) as s:
        assert [line.sku_code for line in queries.lines_of(s, [ours.id])[ours.id]] == waiting
    with client_for(config, retry=RetryPolicy.no_wait()) as client:  # the rest leaves: a split ship notice
        client.ship(order.key, "YT1234567890123", "yuantong")
    assert order.draft.status == "shipped" and sim.state.shipments[-1]["lines"] == sorted(
        line.line_id for line in order.draft.lines[1:])


def test_a_trade_partly_shipped_elsewhere_after_we_took_it_in_stops_for_a_person(seeded, sim, no_duplicate_check):
    plenty_of_stock(seeded)
    config = shop(sim, "taobao")
    order = _a_paid_order(sim, "taobao", lines=2)
    assert run_once(seeded, config).ok
    sim.state.consign_lines("taobao", order.key, 1, settled(4))
    assert run_once(seeded, config).ok
    ours, open_kinds = _open_holds(seeded, order.key)
    assert ours.status == "review" and "sync_conflict" in open_kinds
    assert order.draft.lines[0].sku_code in render(open_kinds["sync_conflict"].reason)


def _cursor(engine, shop_name):
    with read_session(engine) as s:
        return s.exec(select(ShopSync.cursor_at).where(ShopSync.shop == shop_name)).one()


def test_a_listing_refused_for_permission_fails_the_sync_and_the_window_is_read_again(seeded, sim):
    """Taobao code 11 on the listing (which carries the whole trades) is the shop's problem: nothing is marked done."""
    plenty_of_stock(seeded)
    config = shop(sim, "taobao")
    sim.state.generate(6, settled(), random.Random(13), SKUS, platforms=["taobao"])
    expected = {o.key for o in sim.state.orders("taobao") if o.draft and o.draft.status == "paid"}
    sim.state.inject_api_error("taobao", "taobao.trades.sold.increment.get", "permission")
    failed = run_once(seeded, config)
    assert not failed.ok and "code 11" in failed.error and "isv.permission-api-package-limit" in failed.error
    assert failed.malformed == 0 and _cursor(seeded, config.name) is None
    with read_session(seeded) as s:
        assert s.exec(select(func.count()).select_from(SyncProblem)).one() == 0
        state = s.exec(select(ShopSync).where(ShopSync.shop == config.name)).one()
        assert state.last_status == "error" and "code 11" in state.last_error
    again = run_once(seeded, config)  # the permission granted: the same window, every order
    assert again.ok and _cursor(seeded, config.name) is not None
    with read_session(seeded) as s:
        assert set(s.exec(select(Order.platform_order_id)).all()) == expected


def test_a_transient_listing_error_is_retried_and_the_sync_goes_on(seeded, sim):
    plenty_of_stock(seeded)
    config = shop(sim, "taobao")
    sim.state.generate(4, settled(), random.Random(14), SKUS, platforms=["taobao"])
    sim.state.inject_api_error("taobao", "taobao.trades.sold.increment.get", "transient", 2)
    summary = run_once(seeded, config)
    assert summary.ok and summary.malformed == len([o for o in sim.state.orders("taobao") if o.malformed])
    assert summary.new == len([o for o in sim.state.orders("taobao") if o.draft and o.draft.status == "paid"])
    refused = [c.outcome for c in sim.state.calls if c.api == "taobao.trades.sold.increment.get" and c.outcome != "ok"]
    assert refused == ["error 15", "error 15"]


def test_a_listing_error_that_outlasts_the_retries_leaves_the_cursor(seeded, sim):
    plenty_of_stock(seeded)
    config = shop(sim, "taobao")
    sim.state.generate(3, settled(), random.Random(15), SKUS, platforms=["taobao"])
    sim.state.inject_api_error("taobao", "taobao.trades.sold.increment.get", "transient", 10)
    summary = run_once(seeded, config)
    assert not summary.ok and "isp.top-remote-connection-timeout" in summary.error and summary.malformed == 0
    assert _cursor(seeded, config.name) is None


def test_a_rate_limit_ban_pauses_the_shop_until_it_ends(seeded, sim):
    """Taobao code 7 "This ban will last for N more seconds": no call until then, shown as paused."""
    plenty_of_stock(seeded)
    config = shop(sim, "taobao")
    sim.state.generate(3, settled(), random.Random(16), SKUS, platforms=["taobao"])
    sim.state.ban("taobao", 600)
    now = utcnow().replace(microsecond=0)
    banned = run_once(seeded, config, now=now)
    assert not banned.ok and "code 7" in banned.error
    assert now + timedelta(seconds=590) <= banned.paused_until <= now + timedelta(seconds=600)
    with read_session(seeded) as s:
        state = s.exec(select(ShopSync).where(ShopSync.shop == config.name)).one()
        assert (state.last_status, state.paused_until, state.cursor_at) == ("paused", banned.paused_until, None)
        assert state.errors == 0  # the platform asked for a pause: not a failure to count
        [row] = sync.sync_overview(s).shops
        assert row.paused_until == banned.paused_until and row.status == "paused"

    calls = len(sim.state.calls)
    waiting = run_once(seeded, config, now=now + timedelta(minutes=2))  # the next scheduled run
    assert waiting.ok and waiting.paused_until == banned.paused_until and "paused" in str(waiting)
    assert len(sim.state.calls) == calls and (waiting.new, waiting.window_end) == (0, None)

    sim.state.ban("taobao", 0)
    after = run_once(seeded, config, now=now + timedelta(seconds=601))
    assert after.ok and after.new > 0 and after.paused_until is None
    with read_session(seeded) as s:
        state = s.exec(select(ShopSync).where(ShopSync.shop == config.name)).one()
        assert (state.last_status, state.paused_until) == ("ok", None) and state.cursor_at is not None


def test_expired_session_is_a_sync_error_on_the_shop_not_a_crash(seeded, sim):
    config = shop(sim, "pdd")
    sim.state.expire_session("pdd")
    summary = run_once(seeded, config)
    assert not summary.ok and "10019" in summary.error
    with read_session(seeded) as s:
        state = s.exec(select(ShopSync).where(ShopSync.shop == config.name)).one()
        assert state.last_status == "error" and "10019" in state.last_error and state.cursor_at is None


def test_malformed_records_are_kept_as_problems_and_the_rest_goes_in(seeded, sim):
    plenty_of_stock(seeded)
    config = shop(sim, "jd")
    now = settled()
    sim.state.generate(5, now, random.Random(3), SKUS, platforms=["jd"])
    sim.state.add_malformed("jd", "bad_payment", now)
    sim.state.add_malformed("jd", "no_lines", now)
    summary = run_once(seeded, config)
    assert summary.malformed == 2 and summary.new >= 4
    run_once(seeded, config)  # seen again in the overlap: not stored twice
    with read_session(seeded) as s:
        problems = s.exec(select(SyncProblem)).all()
        overview = sync.sync_overview(s, problem_limit=1)  # what the shops screen shows
    assert len(problems) == 2 and all(p.shop == config.name for p in problems)
    assert [(row.shop, row.status, row.runs) for row in overview.shops] == [(config.name, "ok", 2)]
    newest = max(problems, key=lambda p: p.id)
    assert [(p.shop, p.reason) for p in overview.problems] == [(newest.shop, newest.reason)]


def test_rate_limit_is_retried(seeded, sim):
    plenty_of_stock(seeded)
    config = shop(sim, "taobao")
    sim.state.generate(5, settled(), random.Random(4), SKUS, platforms=["taobao"])
    sim.state.inject_rate_limit("taobao", 2)
    assert run_once(seeded, config).ok


def _snapshot(url):
    """Orders, their status and how often each was locked: what must match a run that was never killed."""
    engine = make_engine(url)
    with read_session(engine) as s:
        orders = {o.platform_order_id: o.status for o in s.exec(select(Order))}
        locks = dict(s.exec(select(Order.platform_order_id, func.count(StockMove.id))
                            .join(StockMove, StockMove.order_id == Order.id)
                            .where(StockMove.kind == "lock").group_by(Order.platform_order_id)).all())
        problems = run_checks(s)
    engine.dispose()
    return orders, locks, problems


def _count_orders(url):
    engine = make_engine(url)
    try:
        with read_session(engine) as s:
            return s.exec(select(func.count()).select_from(Order)).one()
    except Exception:
        return 0
    finally:
        engine.dispose()


def _sync_process(url, config_path):
    env = dict(os.environ, OMS_DATABASE_URL=url, OMS_CONFIG=str(config_path))
    return subprocess.Popen([sys.executable, "-m", "oms_tui.cli", "sync", "--shop", "天猫旗舰店", "--once"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_killing_the_sync_process_loses_nothing_and_doubles_nothing(db_url, pg_or_sqlite_twin, sim, tmp_path):
    """A real `oms sync` process is SIGKILLed twice mid-run; the third run completes. The result must
    equal a run that was never interrupted, against the same simulated platform."""
    reference_url = pg_or_sqlite_twin
    for url in (db_url, reference_url):
        engine = make_engine(url)
        seed_catalogue(engine)
        plenty_of_stock(engine)
        engine.dispose()
    sim.state.generate(150, settled(), random.Random(9), SKUS, spread=timedelta(hours=3), platforms=["taobao"])
    config = tmp_path / "oms.toml"
    lines = []
    for s in sim.shop_configs():
        if s.platform == "taobao":
            lines += ["[[shops]]"] + [f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {v}"
                                      for k, v in s.as_config().items()]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    kills = []
    for threshold in (40, 90):
        proc = _sync_process(db_url, config)
        deadline = time.monotonic() + 90
        while _count_orders(db_url) < threshold and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(random.Random(threshold).uniform(0, 0.2))  # land anywhere inside a batch
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills.append(_count_orders(db_url))
        proc.wait(timeout=30)
    assert kills, "the sync finished before it could be killed; the test proved nothing"
    print("killed with orders in:", kills)
    final = _sync_process(db_url, config)
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, err

    reference = _sync_process(reference_url, config)
    assert reference.wait(timeout=120) == 0
    orders, locks, problems = _snapshot(db_url)
    ref_orders, ref_locks, _ = _snapshot(reference_url)
    assert problems == []
    assert orders == ref_orders and len(orders) > 100
    assert locks == ref_locks  # each order locked exactly as often as in the uninterrupted run


@pytest.fixture
def pg_or_sqlite_twin(request, db_url, tmp_path, sqlite_template):
    """A second empty database of the same kind as db_url, for the uninterrupted reference run."""
    if db_url.startswith("sqlite"):
        import shutil

        path = tmp_path / "reference.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    from tests.helpers.db import create_pg_database, drop_pg_database

    url, name = create_pg_database("oms_twin")
    yield url
    drop_pg_database(name)
