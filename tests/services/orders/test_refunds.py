"""Refund requests from the platforms' refund APIs: they stop an order before shipping (the wave skips it,
the pack station refuses it with the buyer's reason), a closed one releases it, and after shipping one is
an after-sale record for the returns desk."""

from datetime import datetime, timedelta, timezone

from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.models import HoldKind, OrderStatus, PlatformRefund, RefundState, RefundStatus, ReturnRecord
from oms_tui.phrases import english
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.services.floor import packing, waves
from oms_tui.services.orders import holds, queries, refunds
from oms_tui.services.orders.refunds import Outcome, RefundNotice
from tests.helpers.shop import assert_books_balance, ingest, level, stock_up

TOWEL = "6901234567892"
T0 = datetime(2026, 11, 29, 2, 0, tzinfo=timezone.utc)


def notice(state, *, refund_id="R1", order="T1", minutes=0, reason="不想要了", amount=1990, status=None):
    return RefundNotice(platform="taobao", refund_id=refund_id, platform_order_id=order,
                        status=status or {RefundState.REQUESTED: "WAIT_SELLER_AGREE", RefundState.CLOSED: "CLOSED",
                                          RefundState.REFUNDED: "SUCCESS"}[state],
                        state=state, reason=reason, amount_fen=amount, modified_at=T0 + timedelta(minutes=minutes))


def apply(engine, refund):
    with session_scope(engine) as s:
        return refunds.apply_refund(s, refund, shop="旗舰店")


def state_of(engine, order_id):
    with read_session(engine) as s:
        order = queries.get_order(s, order_id)
        open_ = holds.open_holds(s, order_id)
        return order.status, [(h.kind, english(h.reason)) for h in open_]


def make_wave(engine):
    with session_scope(engine) as s:
        return waves.create_wave(s, catalogue.get_warehouse(s, "WH1"), courier="yuantong",
                                 actor=Actor.system("li")).code


def station():
    return packing.PackSession(station="P1", actor=Actor("li", {"warehouse"}))


def test_a_refund_request_before_shipping_holds_the_order_and_no_wave_takes_it(seeded):
    stock_up(seeded)
    order = ingest(seeded, "T1", {"HG-001": 1})
    assert apply(seeded, notice(RefundState.REQUESTED)) == Outcome.HELD
    status, open_ = state_of(seeded, order.id)
    assert status == OrderStatus.REVIEW
    assert open_ == [(HoldKind.REFUND_REQUESTED, "the buyer asked the platform for a refund: R1 不想要了")]
    with read_session(seeded) as s:
        assert waves.count_candidates(s) == 0
    assert level(seeded).locked == 1  # the stock stays locked until the platform decides


def test_the_pack_station_refuses_a_picking_order_with_the_buyers_reason(seeded):
    stock_up(seeded)
    order = ingest(seeded, "T1", {"HG-001": 1})
    make_wave(seeded)
    pack = station()
    pack.scan(seeded, "T1")  # on the bench before the refund arrives
    pack.scan(seeded, TOWEL)
    assert apply(seeded, notice(RefundState.REQUESTED, reason="拍错了")) == Outcome.HELD
    assert state_of(seeded, order.id)[0] == OrderStatus.PICKING  # already on the floor: held, not moved
    refused = pack.scan(seeded, "YT1234567890123")
    assert refused.result == "refused"
    assert refused.message == "Order T1: the buyer asked for a refund (拍错了); do not pack or ship it"
    again = station().scan(seeded, "T1")
    assert again.result == "refused" and "拍错了" in again.message
    with read_session(seeded) as s:
        assert queries.get_order(s, order.id).status == OrderStatus.PICKING
    assert level(seeded).on_hand == 10
    assert_books_balance(seeded)


def test_a_closed_refund_releases_the_order_unless_another_is_open(seeded):
    stock_up(seeded)
    order = ingest(seeded, "T1", {"HG-001": 1})
    apply(seeded, notice(RefundState.REQUESTED))
    apply(seeded, notice(RefundState.REQUESTED, refund_id="R2", reason="少件"))
    assert apply(seeded, notice(RefundState.CLOSED, minutes=5)) == Outcome.HELD  # R2 still open
    assert state_of(seeded, order.id)[1] == [
        (HoldKind.REFUND_REQUESTED, "the buyer asked the platform for a refund: R2 少件")]
    assert apply(seeded, notice(RefundState.CLOSED, refund_id="R2", minutes=6, status="SELLER_REFUSE_BUYER")
                 ) == Outcome.RELEASED
    assert state_of(seeded, order.id) == (OrderStatus.READY, [])
    with read_session(seeded) as s:
        (hold,) = holds.holds_of(s, order.id)  # one hold for both requests
        assert (hold.resolution, hold.resolved_by) == ("refund closed on the platform", "refund-sync")


def test_an_older_answer_or_the_same_one_again_changes_nothing(seeded):
    stock_up(seeded)
    order = ingest(seeded, "T1", {"HG-001": 1})
    apply(seeded, notice(RefundState.CLOSED, minutes=10))
    assert apply(seeded, notice(RefundState.REQUESTED, minutes=1)) == Outcome.UNCHANGED  # read before it closed
    assert apply(seeded, notice(RefundState.CLOSED, minutes=10)) == Outcome.UNCHANGED
    assert state_of(seeded, order.id) == (OrderStatus.READY, [])


def test_a_refund_seen_before_its_order_holds_the_order_when_it_arrives(seeded):
    stock_up(seeded)
    assert apply(seeded, notice(RefundState.REQUESTED, order="LATE")) == Outcome.WAITING
    order = ingest(seeded, "LATE", {"HG-001": 1})
    assert state_of(seeded, order.id)[0] == OrderStatus.REVIEW
    assert [kind for kind, _reason in state_of(seeded, order.id)[1]] == [HoldKind.REFUND_REQUESTED]


def test_a_refund_paid_before_shipping_keeps_the_order_stopped(seeded):
    stock_up(seeded)
    order = ingest(seeded, "T1", {"HG-001": 1})
    apply(seeded, notice(RefundState.REFUNDED))
    assert state_of(seeded, order.id)[1] == [
        (HoldKind.REFUND_REQUESTED, "refund paid on the platform: R1 不想要了; ship nothing it covers")]


def _ship(engine, ref):
    make_wave(engine)
    pack = station()
    for code in (ref, TOWEL, "YT1234567890123"):
        result = pack.scan(engine, code)
    assert result.result == "waybill"


def test_after_shipping_a_refund_is_an_after_sale_record_that_follows_the_platform(seeded):
    stock_up(seeded)
    order = ingest(seeded, "T1", {"HG-001": 1})
    _ship(seeded, "T1")
    assert apply(seeded, notice(RefundState.REQUESTED, reason="质量问题", amount=1500)) == Outcome.AFTER_SALE
    with read_session(seeded) as s:
        (record,) = s.exec(select(ReturnRecord)).all()
        assert (record.order_id, record.refund_fen, record.refund_status) == (order.id, 1500, RefundStatus.PENDING)
        assert "质量问题" in record.reason
        assert holds.open_holds(s, order.id) == []
    assert apply(seeded, notice(RefundState.REFUNDED, reason="质量问题", amount=1500, minutes=3)) == Outcome.AFTER_SALE
    # the trade then closes on the platform: the order sync finds the record and owes nothing twice
    ingest(seeded, "T1", {"HG-001": 1}, state="cancelled", platform_status="TRADE_CLOSED")
    with read_session(seeded) as s:
        (record,) = s.exec(select(ReturnRecord)).all()
        assert record.refund_status == RefundStatus.REFUNDED
        assert s.exec(select(PlatformRefund.return_id)).one() == record.id
    assert_books_balance(seeded)


def test_after_shipping_a_refund_takes_over_the_record_the_closed_trade_made(seeded):
    stock_up(seeded)
    ingest(seeded, "T1", {"HG-001": 1})
    _ship(seeded, "T1")
    ingest(seeded, "T1", {"HG-001": 1}, state="cancelled", platform_status="TRADE_CLOSED")
    apply(seeded, notice(RefundState.REFUNDED))
    with read_session(seeded) as s:
        (record,) = s.exec(select(ReturnRecord)).all()
        assert record.refund_status == RefundStatus.REFUNDED


def test_a_refund_closed_before_we_saw_it_after_shipping_owes_nothing(seeded):
    stock_up(seeded)
    ingest(seeded, "T1", {"HG-001": 1})
    _ship(seeded, "T1")
    assert apply(seeded, notice(RefundState.CLOSED)) == Outcome.UNCHANGED
    with read_session(seeded) as s:
        assert s.exec(select(ReturnRecord)).all() == []
