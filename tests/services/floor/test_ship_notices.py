"""Ship notices reach the platform through the adapter; a platform that keeps refusing becomes a hold."""

import random
from datetime import timedelta

import pytest

from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.errors import IllegalTransition
from oms_tui.i18n import setup_language
from oms_tui.models import Order, OrderStatus, Outbox, utcnow
from oms_tui.platforms.base import RetryPolicy
from oms_tui.platforms.registry import client_for
from oms_tui.phrases import english, render
from oms_tui.services.core import outbox
from oms_tui.services.core.actor import Actor
from oms_tui.services.cs import exceptions
from oms_tui.services.floor import ship_notices
from oms_tui.services.orders import actions, holds
from tests.helpers.shop import SIM_SKUS as SKUS
from tests.helpers.shop import ingest, stock_up
from tests.helpers.sync import plenty_of_stock, run_once, shop


def ship_everything(engine):
    with session_scope(engine) as s:  # CS has looked at every hold (the simulator writes buyer remarks)
        for order in s.exec(select(Order)).all():
            for hold in holds.open_holds(s, order.id):
                actions.resolve_hold(s, hold.id, actor=Actor.system("cs"), resolution="checked")
    with session_scope(engine) as s:
        for order in s.exec(select(Order).where(Order.status == OrderStatus.READY)).all():
            actions.start_picking(s, order, user="w")
            actions.mark_packed(s, order, user="w")
            actions.ship(s, order, waybill=f"YT{order.id:013d}", courier="yuantong", user="w")
            outbox.enqueue(s, "platform_ship", channel=order.platform, target=order.shop, order_id=order.id,
                           payload={"platform_order_id": order.platform_order_id, "waybill": order.waybill,
                                    "courier": "yuantong"})


def factory(sim):
    def make(config):
        return client_for(config.model_copy(update={"courier_codes": sim.courier_codes(config.platform)}),
                          retry=RetryPolicy.no_wait())
    return make


def test_shipped_orders_are_reported_to_the_platform(seeded, sim):
    plenty_of_stock(seeded)
    config = shop(sim, "pdd")
    sim.state.generate(6, utcnow() - timedelta(minutes=5), random.Random(1), SKUS, platforms=["pdd"])
    run_once(seeded, config)
    ship_everything(seeded)
    result = ship_notices.dispatch(seeded, [config], factory(sim))
    with read_session(seeded) as s:
        shipped = {o.platform_order_id: o.waybill for o in s.exec(select(Order).where(Order.status == "shipped"))}
        assert all(m.status == "sent" for m in s.exec(select(Outbox).where(Outbox.kind == "platform_ship")))
    assert result.sent == len(shipped) > 0
    told = {entry["order_id"]: entry["waybill"] for entry in sim.state.shipments}
    assert told == shipped
    assert ship_notices.dispatch(seeded, [config], factory(sim)).sent == 0  # nothing sent twice


def test_a_platform_that_keeps_failing_is_retried_then_becomes_a_ship_notice_failed_hold(seeded, sim):
    plenty_of_stock(seeded)
    config = shop(sim, "taobao")
    sim.state.generate(2, utcnow() - timedelta(minutes=5), random.Random(2), SKUS, platforms=["taobao"])
    run_once(seeded, config)
    ship_everything(seeded)
    sim.state.expire_session("taobao")
    first = ship_notices.dispatch(seeded, [config], factory(sim))
    assert first.retrying > 0 and first.sent == 0
    with session_scope(seeded) as s:  # make the retries due at once, as if the back-off had passed
        for message in s.exec(select(Outbox)).all():
            message.attempts = outbox.BACKOFF.max_attempts - 1
            message.next_attempt_at = utcnow()
            s.add(message)
    last = ship_notices.dispatch(seeded, [config], factory(sim))
    assert last.failed == first.retrying
    with read_session(seeded) as s:
        order_ids = [m.order_id for m in s.exec(select(Outbox)).all()]
        open_ = [h for oid in order_ids for h in holds.open_holds(s, oid)]
    assert {h.kind for h in open_} == {"ship_notice_failed"}
    assert "after 10 attempts" in english(open_[0].reason) and "session" in english(open_[0].reason)


def test_a_broken_row_or_unknown_shop_fails_alone_and_the_rest_go_out(seeded, sim):
    plenty_of_stock(seeded)
    config = shop(sim, "pdd")
    sim.state.generate(4, utcnow() - timedelta(minutes=5), random.Random(1), SKUS, platforms=["pdd"])
    run_once(seeded, config)
    ship_everything(seeded)
    with session_scope(seeded) as s:
        good = s.exec(select(Outbox).where(Outbox.kind == "platform_ship")).all()
        first_order = good[0].order_id
        # no waybill: written wrong (by hand or an older version; enqueue refuses it now)
        s.add(Outbox(kind="platform_ship", channel="pdd", target=config.name, order_id=first_order,
                     payload='{"platform_order_id": "x"}'))
        outbox.enqueue(s, "platform_ship", channel="pdd", target="gone shop", order_id=first_order,
                       payload={"platform_order_id": "x", "waybill": "y", "courier": "yuantong"})
    result = ship_notices.dispatch(seeded, [config], factory(sim))
    assert (result.sent, result.failed) == (len(good), 2)
    with read_session(seeded) as s:
        failed = s.exec(select(Outbox).where(Outbox.status == "failed")).all()
        assert sorted(english(m.last_error)[:12] for m in failed) == ["payload lack", "shop 'gone s"]
        assert [h.kind for h in holds.open_holds(s, first_order)] == ["ship_notice_failed"]


def test_failed_sends_back_off_exponentially_then_give_up(seeded):
    with session_scope(seeded) as s:
        message = outbox.enqueue(s, "platform_ship", target="x",
                                 payload={"platform_order_id": "1", "waybill": "YT1", "courier": "yuantong"})
        s.flush()
        delays = []
        for _ in range(outbox.BACKOFF.max_attempts - 1):
            before = utcnow()
            outbox.mark_failed(s, message, "platform down")
            delays.append(round((message.next_attempt_at - before).total_seconds()))
            assert message.status == "pending"
        outbox.mark_failed(s, message, "platform down")
        assert message.status == "failed"
        assert outbox.due(s, "platform_ship") == []
    assert delays[:4] == [30, 60, 120, 240] and max(delays) == outbox.BACKOFF.cap_seconds


def test_the_platform_is_called_with_no_transaction_open(seeded):
    from oms_tui.config import ShopConfig
    from tests.no_transaction import assert_no_transaction_open

    config = ShopConfig(name="tb-main", platform="taobao", base_url="http://127.0.0.1:1", app_key="k", app_secret="s")
    with session_scope(seeded) as s:
        outbox.enqueue(s, outbox.MessageKind.PLATFORM_SHIP, target="tb-main",
                       payload={"platform_order_id": "TB1", "waybill": "YT1", "courier": "yuantong"})
    calls = []

    class CheckingClient:
        def ship(self, platform_order_id, waybill, courier):
            assert_no_transaction_open(seeded)
            calls.append((platform_order_id, waybill, courier))

        def close(self):
            pass

    assert ship_notices.dispatch(seeded, [config], lambda shop: CheckingClient()).sent == 1
    assert calls == [("TB1", "YT1", "yuantong")]


def shipped_order(engine, platform, platform_order_id, config):
    """An order of ours that shipped and whose ship notice waits in the outbox (the platform may not know it)."""
    stock_up(engine, "HG-001", 5)
    order = ingest(engine, platform_order_id, {"HG-001": 1}, platform=platform)
    with session_scope(engine) as s:
        order = s.get(Order, order.id)
        for hold in holds.open_holds(s, order.id):
            actions.resolve_hold(s, hold.id, actor=Actor.system("cs"), resolution="checked")
        order.shop = config.name
        actions.start_picking(s, order, user="w")
        actions.mark_packed(s, order, user="w")
        actions.ship(s, order, waybill="YT1234567890123", courier="yuantong", user="w")
        ship_notices.enqueue_notice(s, order)
        return order.id


@pytest.mark.parametrize("platform", ["taobao", "jd", "pdd"])
def test_a_notice_for_an_order_the_platform_does_not_know_is_a_hold_within_one_dispatch(seeded, sim, platform):
    config = shop(sim, platform)
    order_id = shipped_order(seeded, platform, "999000111", config)
    result = ship_notices.dispatch(seeded, [config], factory(sim))
    assert (result.sent, result.retrying, result.failed) == (0, 0, 1)
    with read_session(seeded) as s:
        message = s.exec(select(Outbox).where(Outbox.order_id == order_id)).one()
        assert message.status == "failed" and message.attempts == 1  # refused for good: no retry scheduled
        assert outbox.due(s, "platform_ship", now=utcnow() + timedelta(days=1)) == []
        [hold] = holds.open_holds(s, order_id)
    assert hold.kind == "ship_notice_failed" and not hold.blocking
    # The platform's own words, in the reader's language around them.
    assert english(hold.reason).startswith("the platform refused the ship notice: ")
    assert any(word in english(hold.reason) for word in ("不存在", "not exist"))
    try:
        setup_language("zh_CN")
        assert "refused" not in render(hold.reason) and "拒绝" in render(hold.reason)
    finally:
        setup_language("en")


def test_a_bad_waybill_refusal_is_final_and_a_rate_limit_is_retried(seeded, sim):
    config = shop(sim, "taobao")
    sim.state.generate(2, utcnow() - timedelta(minutes=5), random.Random(2), SKUS, platforms=["taobao"])
    plenty_of_stock(seeded)
    run_once(seeded, config)
    ship_everything(seeded)
    sim.state.inject_ship_refusal("taobao", 1)
    sim.state.inject_rate_limit("taobao", 3)  # every one of the adapter's tries for the first notice
    result = ship_notices.dispatch(seeded, [config], factory(sim))
    with read_session(seeded) as s:
        messages = s.exec(select(Outbox).order_by(Outbox.id)).all()
        statuses = [m.status for m in messages]
        held = [h for m in messages for h in holds.open_holds(s, m.order_id) if h.kind == "ship_notice_failed"]
    assert statuses == ["pending", "failed"] and (result.retrying, result.failed) == (1, 1)
    assert len(held) == 1 and "运单号不符合规则" in english(held[0].reason)


def test_resolving_the_hold_sends_the_notice_again_unless_told_by_hand(seeded, sim):
    config = shop(sim, "taobao")
    first = shipped_order(seeded, "taobao", "999000222", config)
    second = ingest(seeded, "999000333", {"HG-001": 1}).id
    ship_notices.dispatch(seeded, [config], factory(sim))
    with session_scope(seeded) as s:
        [hold] = holds.open_holds(s, first)
        exceptions.resolve(s, hold.id, actor=Actor("cs1", {"cs"}), resolution="淘宝后台已改好")
        waiting = s.exec(select(Outbox).where(Outbox.order_id == first, Outbox.status == "pending")).all()
        assert [(m.kind, english(m.subject)) for m in waiting] == [("platform_ship", "999000222 yuantong YT1234567890123")]
        assert ship_notices.resend(s, s.get(Order, first), user="cs1").id == waiting[0].id  # one waiting notice at most
        with pytest.raises(IllegalTransition):
            ship_notices.resend(s, s.get(Order, second), user="cs1")  # nothing shipped: nothing to tell
    ship_notices.dispatch(seeded, [config], factory(sim))  # still unknown there: a new hold
    with session_scope(seeded) as s:
        [hold] = holds.open_holds(s, first)
        exceptions.resolve(s, hold.id, actor=Actor("cs1", {"cs"}), resolution="在淘宝后台手工发货", resend=False)
        assert s.exec(select(Outbox).where(Outbox.order_id == first, Outbox.status == "pending")).all() == []
        assert holds.open_holds(s, first) == []


def test_the_counts_per_shop_say_what_failed_and_what_is_still_tried(seeded, sim):
    config = shop(sim, "taobao")
    shipped_order(seeded, "taobao", "999000444", config)
    ship_notices.dispatch(seeded, [config], factory(sim))
    with session_scope(seeded) as s:
        outbox.enqueue(s, "platform_ship", target=config.name,
                       payload={"platform_order_id": "1", "waybill": "YT1", "courier": "yuantong"})
    with read_session(seeded) as s:
        assert ship_notices.ship_notice_counts(s) == {config.name: ship_notices.ShipNoticeCounts(failed=1, waiting=1)}
