"""Ship notices reach the platform through the adapter; a platform that keeps refusing becomes a hold."""

import random
from datetime import timedelta

from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.models import Order, OrderStatus, Outbox, utcnow
from oms_tui.platforms.base import RetryPolicy
from oms_tui.platforms.registry import client_for
from oms_tui.services.core import outbox
from oms_tui.services.core.actor import Actor
from oms_tui.services.floor import ship_notices
from oms_tui.services.orders import actions, holds
from tests.helpers.shop import SIM_SKUS as SKUS
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


def test_refusing_platform_retries_then_becomes_a_notify_failed_hold(seeded, sim):
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
        kinds = {h.kind for oid in order_ids for h in holds.open_holds(s, oid)}
    assert kinds == {"notify_failed"}


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
        assert sorted(m.last_error[:12] for m in failed) == ["payload lack", "shop 'gone s"]
        assert [h.kind for h in holds.open_holds(s, first_order)] == ["notify_failed"]


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
