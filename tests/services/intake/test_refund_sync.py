"""The refund sync against the loopback simulator: a request holds the order, its closing releases it, the
cursor moves only after a whole window, and JD's open applications are read again by id."""

import random
from datetime import timedelta

import pytest
from sqlmodel import select

from oms_tui.db import read_session
from oms_tui.models import HoldKind, Order, OrderStatus, RefundCursor, SyncProblem, utcnow
from oms_tui.platforms.base import RetryPolicy
from oms_tui.platforms.registry import client_for
from oms_tui.services.intake import refund_sync
from oms_tui.services.orders import holds
from tests.helpers.shop import SIM_SKUS as SKUS
from tests.helpers.sync import plenty_of_stock, run_once, shop

OPEN = {"taobao": "WAIT_SELLER_AGREE", "pdd": "2", "jd": "0"}
CLOSED = {"taobao": "CLOSED", "pdd": "11", "jd": "11"}


def refunds_once(engine, config, **kw):
    with client_for(config, retry=RetryPolicy.no_wait()) as client:
        return refund_sync.sync_refunds(engine, config.name, config.platform, client, **kw)


def one_order(engine, sim, platform, minutes_ago=30):
    plenty_of_stock(engine)
    config = shop(sim, platform)
    sim.state.generate(8, utcnow() - timedelta(minutes=minutes_ago), random.Random(4), SKUS, platforms=[platform])
    run_once(engine, config)
    with read_session(engine) as s:
        order = s.exec(select(Order).where(Order.status == OrderStatus.READY).order_by(Order.id)).first()
    sim_shop = next(s for s in sim.state.shops if s.platform == platform)
    return config, sim_shop, order


def refund_holds(engine, order_id):
    with read_session(engine) as s:
        return [h.kind for h in holds.open_holds(s, order_id) if h.kind == HoldKind.REFUND_REQUESTED]


@pytest.mark.parametrize("platform", ["taobao", "pdd", "jd"])
def test_a_request_holds_the_order_and_its_closing_releases_it(seeded, sim, platform):
    config, sim_shop, order = one_order(seeded, sim, platform)
    refund = sim.state.add_refund(sim_shop, order.platform_order_id, status=OPEN[platform], reason="不想要了",
                                  at=utcnow() - timedelta(minutes=2))
    first = refunds_once(seeded, config)
    assert first.ok and first.counts == {"held": 1}, first
    assert refund_holds(seeded, order.id) == [HoldKind.REFUND_REQUESTED]
    sim.state.update_refund(sim_shop, refund.refund_id, status=CLOSED[platform], at=utcnow() - timedelta(seconds=1))
    second = refunds_once(seeded, config)
    assert second.ok and second.counts == {"released": 1}, second
    assert refund_holds(seeded, order.id) == []
    with read_session(seeded) as s:
        assert s.get(Order, order.id).status == OrderStatus.READY
        cursor = s.exec(select(RefundCursor).where(RefundCursor.shop == config.name)).one()
    assert (cursor.runs, cursor.last_status, cursor.errors) == (2, "ok", 0)
    assert refunds_once(seeded, config).counts == {}  # the overlap reads it again: nothing changes


def test_a_failed_run_keeps_the_cursor_and_the_next_one_reads_the_window_again(seeded, sim):
    config, sim_shop, order = one_order(seeded, sim, "taobao")
    refunds_once(seeded, config)
    with read_session(seeded) as s:
        before = s.exec(select(RefundCursor)).one().cursor_at
    sim.state.add_refund(sim_shop, order.platform_order_id, status="WAIT_SELLER_AGREE",
                         at=utcnow() - timedelta(seconds=5))
    sim.state.inject_http_error("taobao", n=3)  # every try of one run (RetryPolicy.no_wait: 3)
    failed = refunds_once(seeded, config)
    assert not failed.ok and "503" in failed.error
    with read_session(seeded) as s:
        cursor = s.exec(select(RefundCursor)).one()
        assert (cursor.cursor_at, cursor.last_status, cursor.errors) == (before, "error", 1)
    assert refunds_once(seeded, config).counts == {"held": 1}


def test_a_refund_that_cannot_be_read_is_kept_as_a_problem(seeded, sim):
    config, sim_shop, order = one_order(seeded, sim, "pdd")
    refund = sim.state.add_refund(sim_shop, order.platform_order_id, status="2", at=utcnow() - timedelta(minutes=1))
    refund.status = "处理中"
    summary = refunds_once(seeded, config)
    assert summary.ok and summary.malformed == 1
    with read_session(seeded) as s:
        (problem,) = s.exec(select(SyncProblem)).all()
    assert problem.platform_order_id == order.platform_order_id and "after_sales_status" in problem.reason


def test_jd_reads_its_open_applications_again_by_id(seeded, sim):
    config, sim_shop, order = one_order(seeded, sim, "jd", minutes_ago=200)
    refund = sim.state.add_refund(sim_shop, order.platform_order_id, status="0", at=utcnow() - timedelta(hours=2))
    assert refunds_once(seeded, config).counts == {"held": 1}
    # withdrawn by the buyer: no check time, applied long before the next window
    sim.state.update_refund(sim_shop, refund.refund_id, status="11", at=utcnow() - timedelta(seconds=1), decided=False)
    assert refunds_once(seeded, config).counts == {"released": 1}
    assert refund_holds(seeded, order.id) == []
