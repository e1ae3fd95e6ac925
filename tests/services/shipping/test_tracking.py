"""Tracking after shipping: state mapping, polls that back off with age, errors per shipment, delivered orders,
stalls that raise a task and an SMS and close themselves when the parcel moves again, the nightly time."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from oms_tui.db import read_session
from oms_tui.models import Hold, HoldKind, Order, OrderStatus, Outbox, Shipment, TrackingEvent, TrackState
from oms_tui.services.shipping import stalls, tracking
from tests.helpers.kuaidi100 import ship


@pytest.mark.parametrize("code, state", [
    ("0", TrackState.IN_TRANSIT), ("1", TrackState.COLLECTED), ("2", TrackState.PROBLEM),
    ("3", TrackState.DELIVERED), ("4", TrackState.RETURNED), ("5", TrackState.OUT_FOR_DELIVERY),
    ("6", TrackState.RETURNING), ("7", TrackState.IN_TRANSIT), ("14", TrackState.PROBLEM),
    ("301", TrackState.DELIVERED), ("1401", TrackState.PROBLEM), ("99", None), (None, None)])
def test_kuaidi100_states_map_to_ours(code, state):
    assert tracking.map_state(code) == state


def test_polls_back_off_with_the_parcels_age():
    intervals = [tracking.poll_interval(timedelta(days=d)) for d in (0, 1, 3, 7, 20)]
    assert intervals == sorted(intervals) and intervals[0] == timedelta(hours=2) and intervals[-1] == timedelta(days=1)


def test_nightly_batch_runs_at_two_shop_time():
    at = datetime(2026, 11, 29, 15, 30, tzinfo=timezone.utc)  # 23:30 in Shanghai
    assert tracking.next_nightly(at, "Asia/Shanghai", 2) == datetime(2026, 11, 29, 18, 0, tzinfo=timezone.utc)
    assert tracking.in_nightly_window(datetime(2026, 11, 29, 18, 20, tzinfo=timezone.utc), "Asia/Shanghai", 2)


def shipment_of(shop, number):
    with read_session(shop) as s:
        return s.exec(select(Shipment).where(Shipment.waybill == number)).one()


def test_poll_stores_the_timeline_once_and_delivered_closes_the_order(shop, kd, kd_config, carrier, kd_clock):
    number = ship(shop, kd, kd_config, carrier, "T1")
    kd_clock.advance(hours=21)
    now = datetime.now(timezone.utc) + timedelta(hours=3)
    run = tracking.poll_due(shop, carrier, now=now)
    assert (run.checked, run.new_events, run.errors) == (1, 3, 0)
    first = shipment_of(shop, number)
    assert first.state == TrackState.IN_TRANSIT and first.next_poll_at == now + timedelta(hours=2)
    kd_clock.advance(hours=30)
    later = now + timedelta(hours=3)
    run = tracking.poll_due(shop, carrier, now=later)
    assert (run.new_events, run.delivered) == (2, 1)  # the three seen before are not stored twice
    with read_session(shop) as s:
        assert len(s.exec(select(TrackingEvent)).all()) == 5
        order = s.exec(select(Order).where(Order.platform_order_id == "T1")).one()
        assert order.status == OrderStatus.DELIVERED
        view = tracking.tracking_for_order(s, order)
    assert view.state == TrackState.DELIVERED and view.events[0].context.startswith("快件已签收")
    assert shipment_of(shop, number).finished
    assert tracking.poll_due(shop, carrier, now=later + timedelta(days=2)).checked == 0


def test_one_shipments_error_is_recorded_and_the_batch_goes_on(shop, kd, kd_config, carrier, kd_clock):
    bad = ship(shop, kd, kd_config, carrier, "T2")
    good = ship(shop, kd, kd_config, carrier, "T3")
    kd_clock.advance(hours=7)
    kd.kuaidi100.fail_next.append((200, {"result": False, "returnCode": "502", "message": "服务器繁忙"}))
    now = datetime.now(timezone.utc) + timedelta(hours=3)
    run = tracking.poll_due(shop, carrier, now=now)
    assert (run.checked, run.errors, run.stopped) == (1, 1, "")
    failed, fine = shipment_of(shop, bad), shipment_of(shop, good)
    assert failed.errors == 1 and "502" in failed.last_error and failed.next_poll_at < now + timedelta(hours=1)
    assert fine.errors == 0 and fine.state == TrackState.IN_TRANSIT


def test_a_refusal_every_query_would_meet_stops_the_run(shop, kd, kd_config, carrier, kd_clock):
    ship(shop, kd, kd_config, carrier, "T4")
    ship(shop, kd, kd_config, carrier, "T5")
    kd.kuaidi100.fail_next.append((200, {"result": False, "returnCode": "601", "message": "key已过期"}))
    run = tracking.poll_due(shop, carrier, now=datetime.now(timezone.utc) + timedelta(hours=3))
    assert run.errors == 1 and run.checked == 0 and "601" in run.stopped


def test_stall_raises_task_and_buyer_sms_once_and_closes_when_the_parcel_moves(shop, kd, kd_config, carrier,
                                                                                kd_clock):
    number = ship(shop, kd, kd_config, carrier, "T6")
    kd.kuaidi100.set_scenario(number, "stalled")
    kd_clock.advance(hours=7)
    start = datetime.now(timezone.utc)
    tracking.poll_due(shop, carrier, now=start + timedelta(hours=3))
    text = stalls.BuyerText("短信", "SMS_STALL")
    assert stalls.check_stalls(shop, now=start + timedelta(days=2), text=text)["stalled"] == 0
    four_days = start + timedelta(days=4)
    assert stalls.check_stalls(shop, now=four_days, text=text) == {"stalled": 1, "orders_held": 1}
    assert stalls.check_stalls(shop, now=four_days + timedelta(hours=1), text=text)["stalled"] == 0  # once
    with read_session(shop) as s:
        (hold,) = s.exec(select(Hold).where(Hold.kind == HoldKind.LOGISTICS_STALLED)).all()
        kinds = sorted(m.kind for m in s.exec(select(Outbox)))
        sms = s.exec(select(Outbox).where(Outbox.kind == "buyer_sms")).one()
    assert hold.resolved_at is None and not hold.blocking
    assert "alert" in kinds and sms.target == "13800138000" and sms.channel == "短信"
    assert '"waybill":"%s"' % number in sms.payload.replace(" ", "")
    kd.kuaidi100.set_scenario(number, "normal")  # the courier scans it again
    kd_clock.advance(days=3)
    run = tracking.poll_due(shop, carrier, now=four_days + timedelta(days=1))
    assert run.new_events >= 1
    with read_session(shop) as s:
        hold = s.get(Hold, hold.id)
    assert hold.resolved_at is not None and shipment_of(shop, number).stalled_at is None


def test_masked_phone_gets_no_sms_but_still_a_task(shop, kd, kd_config, carrier):
    number = ship(shop, kd, kd_config, carrier, "T7", receiver_phone="138****8000")
    assert number
    later = datetime.now(timezone.utc) + timedelta(days=4)
    assert stalls.check_stalls(shop, now=later, text=stalls.BuyerText("短信", "SMS_STALL"))["stalled"] == 1
    with read_session(shop) as s:
        assert s.exec(select(Outbox).where(Outbox.kind == "buyer_sms")).all() == []
        assert s.exec(select(Hold).where(Hold.kind == HoldKind.LOGISTICS_STALLED)).one()
