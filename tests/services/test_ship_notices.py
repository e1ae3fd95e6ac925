"""Ship notices reach the platform through the adapter; a platform that keeps refusing becomes a hold."""

import random
from datetime import timedelta

from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.models import Order, OrderStatus, Outbox, utcnow
from oms_tui.platforms.base import RetryPolicy
from oms_tui.platforms.registry import client_for
from oms_tui.services import holds, orders, outbox, ship_notices
from tests.services.test_sync import SKUS, plenty_of_stock, run_once, shop


def ship_everything(engine):
    with session_scope(engine) as s:  # CS has looked at every hold (the simulator writes buyer remarks)
        for order in s.exec(select(Order)).all():
            for hold in holds.open_holds(s, order.id):
                orders.resolve_hold(s, hold.id, user="cs", resolution="checked")
    with session_scope(engine) as s:
        for order in s.exec(select(Order).where(Order.status == OrderStatus.READY)).all():
            orders.start_picking(s, order, user="w")
            orders.mark_packed(s, order, user="w")
            orders.ship(s, order, waybill=f"YT{order.id:013d}", courier="yuantong", user="w")
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
            message.attempts = outbox.MAX_ATTEMPTS - 1
            message.next_attempt_at = utcnow()
            s.add(message)
    last = ship_notices.dispatch(seeded, [config], factory(sim))
    assert last.failed == first.retrying
    with read_session(seeded) as s:
        order_ids = [m.order_id for m in s.exec(select(Outbox)).all()]
        kinds = {h.kind for oid in order_ids for h in holds.open_holds(s, oid)}
    assert kinds == {"notify_failed"}
