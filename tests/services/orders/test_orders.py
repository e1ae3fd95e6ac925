"""Order service: idempotent upsert, lifecycle, holds and audit, on SQLite and PostgreSQL."""

import pytest
from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.errors import IllegalTransition, InsufficientStock, NotFound, ValidationError
from oms_tui.models import AuditEvent, HoldKind, Order, OrderStatus
from oms_tui.phrases import english, render
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor
from oms_tui.services.orders import (
    actions,
    allocation,
    holds,
    lifecycle,
    queries,
    upsert,
)
from tests.helpers.shop import assert_books_balance, ingest, level, normalized, stock_up


def test_same_platform_order_twice_is_one_row_and_the_second_an_update(seeded):
    stock_up(seeded, "HG-001", 5)
    first = ingest(seeded, "T1", {"HG-001": 1})
    again = ingest(seeded, "T1", {"HG-001": 1}, receiver_address="文三路 200 号", buyer_remark="请周末送")
    assert again.id == first.id
    with read_session(seeded) as s:
        assert s.exec(select(Order)).all().__len__() == 1
        o = queries.get_order(s, first.id)
        assert o.receiver_address == "文三路 200 号"
        updates = [e for e in audit.history(s, "order", o.id) if e.action == "order.update"]
        assert len(updates) == 1 and "receiver_address" in updates[0].detail and "buyer_remark" in updates[0].detail
    assert level(seeded).locked == 1  # not locked twice
    assert_books_balance(seeded)


def test_same_id_on_another_platform_is_another_order(seeded):
    stock_up(seeded, "HG-001", 5)
    a = ingest(seeded, "X1", {"HG-001": 1}, platform="taobao")
    b = ingest(seeded, "X1", {"HG-001": 1}, platform="pdd")
    assert a.id != b.id


def test_unpaid_order_is_not_taken_in(seeded):
    with session_scope(seeded) as s:
        result = upsert.upsert_order(s, normalized("U1", {"HG-001": 1}, state="awaiting_payment"),
                                     warehouse=catalogue.get_warehouse(s, "WH1"))
    assert result.order is None


def test_platform_cancellation_before_shipping_releases_stock(seeded):
    stock_up(seeded, "HG-001", 5)
    order = ingest(seeded, "T1", {"HG-001": 2})
    ingest(seeded, "T1", {"HG-001": 2}, state="cancelled", platform_status="TRADE_CLOSED")
    with read_session(seeded) as s:
        assert queries.get_order(s, order.id).status == OrderStatus.CANCELLED
    assert level(seeded).locked == 0
    assert_books_balance(seeded)


def test_unknown_sku_becomes_a_sku_unmapped_hold_not_a_crash(seeded):
    stock_up(seeded, "HG-001", 5)
    order = ingest(seeded, "T1", {"HG-001": 1, "NOPE-9": 2})
    assert order.status == OrderStatus.REVIEW
    with read_session(seeded) as s:
        (hold,) = holds.open_holds(s, order.id)
    assert hold.kind == HoldKind.SKU_UNMAPPED and "NOPE-9" in render(hold.reason)
    assert_books_balance(seeded)


def test_illegal_transition_is_a_clear_error(seeded):
    stock_up(seeded, "HG-001", 5)
    order = ingest(seeded, "T1", {"HG-001": 1})
    with pytest.raises(IllegalTransition, match="only packed orders ship"):
        with session_scope(seeded) as s:
            actions.ship(s, queries.get_order(s, order.id), waybill="YT1", courier="yuantong", user="w")
    with pytest.raises(IllegalTransition, match="from ready to delivered"):
        with session_scope(seeded) as s:
            lifecycle.transition(s, queries.get_order(s, order.id), OrderStatus.DELIVERED, user="w")
    with read_session(seeded) as s:
        assert queries.get_order(s, order.id).status == OrderStatus.READY


def test_shipped_order_cannot_be_cancelled(seeded):
    stock_up(seeded, "HG-001", 5)
    order = ingest(seeded, "T1", {"HG-001": 1})
    with session_scope(seeded) as s:
        o = queries.get_order(s, order.id)
        actions.start_picking(s, o, user="w")
        actions.mark_packed(s, o, user="w")
        actions.ship(s, o, waybill="YT1234567890123", courier="yuantong", user="w")
    with pytest.raises(IllegalTransition):
        with session_scope(seeded) as s:
            actions.cancel(s, queries.get_order(s, order.id), actor=Actor.system("cs"), reason="too late")
    assert_books_balance(seeded)


def test_blocking_hold_stops_picking_until_resolved(seeded):
    stock_up(seeded, "HG-001", 5)
    order = ingest(seeded, "T1", {"HG-001": 1})
    with session_scope(seeded) as s:
        o = queries.get_order(s, order.id)
        hold = holds.open_hold(s, o, HoldKind.BUYER_REMARK, reason="请开发票", user="cs")
        lifecycle.settle_status(s, o, user="cs")
        hold_id = hold.id
    with read_session(seeded) as s:
        assert queries.get_order(s, order.id).status == OrderStatus.REVIEW
    with pytest.raises(IllegalTransition):
        with session_scope(seeded) as s:
            actions.start_picking(s, queries.get_order(s, order.id), user="w")
    with session_scope(seeded) as s:
        o = actions.resolve_hold(s, hold_id, actor=Actor.system("cs1"), resolution="invoice noted")
        assert o.status == OrderStatus.READY
    with read_session(seeded) as s:
        h = holds.get_hold(s, hold_id)
        assert (h.resolved_by, h.resolution) == ("cs1", "invoice noted")


def test_opening_the_same_hold_twice_keeps_one(seeded):
    stock_up(seeded, "HG-001", 5)
    order = ingest(seeded, "T1", {"HG-001": 1})
    with session_scope(seeded) as s:
        o = queries.get_order(s, order.id)
        a = holds.open_hold(s, o, HoldKind.COUPON_CHECK)
        b = holds.open_hold(s, o, HoldKind.COUPON_CHECK)
        assert a.id == b.id


def test_cancel_needs_a_reason(seeded):
    stock_up(seeded, "HG-001", 5)
    order = ingest(seeded, "T1", {"HG-001": 1})
    with pytest.raises(ValidationError):
        with session_scope(seeded) as s:
            actions.cancel(s, queries.get_order(s, order.id), actor=Actor.system("cs"), reason="")


def test_every_change_leaves_an_audit_row(seeded):
    stock_up(seeded, "HG-001", 5)
    order = ingest(seeded, "T1", {"HG-001": 1})
    with session_scope(seeded) as s:
        actions.cancel(s, queries.get_order(s, order.id), actor=Actor.system("cs"), reason="buyer asked")
    with read_session(seeded) as s:
        recorded = [e.action for e in audit.history(s, "order", order.id)]
        users = {e.user for e in s.exec(select(AuditEvent).where(AuditEvent.action == "order.status",
                                                                 AuditEvent.entity_id == str(order.id)))}
    assert recorded[0] == "order.create"
    assert "order.lock" in recorded and "order.unlock" in recorded and recorded.count("order.status") == 2
    assert users == {"sync", "cs"}


def test_list_filters_pages_and_dicts(no_duplicate_check, seeded):
    stock_up(seeded, "HG-001", 100)
    for i in range(7):
        ingest(seeded, f"T{i}", {"HG-001": 1}, platform="taobao" if i % 2 else "jd", paid_minutes_ago=100 - i)
    with read_session(seeded) as s:
        page1 = queries.list_orders(s, limit=3)
        page3 = queries.list_orders(s, limit=3, offset=6)
        jd = queries.list_orders(s, queries.OrderFilter(platform="jd"))
        dicts = queries.as_dicts(s, page1)
        assert queries.count_orders(s, queries.OrderFilter(status="ready")) == 7
        capped = [queries.count_orders(s, queries.OrderFilter(platform="jd"), cap=cap) for cap in (2, 3, 4, 10)]
    assert [o.platform_order_id for o in page1] == ["T6", "T5", "T4"] and len(page3) == 1
    assert {o.platform for o in jd} == {"jd"} and len(jd) == 4
    assert capped == [3, 4, 4, 4]  # past the cap: cap + 1 ("more than"); within it: the count
    assert dicts[0]["lines"] == [{"sku": "HG-001", "title": "", "qty": 1, "price_fen": 1990, "locked_qty": 1}]
    assert set(dicts[0]) >= {"platform", "platform_order_id", "status", "total_fen", "holds", "lines"}


def test_list_order_rows_is_a_page_with_its_open_hold_kinds(no_duplicate_check, seeded):
    stock_up(seeded, "HG-001", 1)
    ingest(seeded, "T1", {"HG-001": 1}, paid_minutes_ago=30)
    ingest(seeded, "T2", {"HG-001": 1}, paid_minutes_ago=20, buyer_remark="请发顺丰")  # no stock left: short
    with read_session(seeded) as s:
        rows = queries.list_order_rows(s, limit=2)
        assert [r.id for r in rows] == [o.id for o in queries.list_orders(s, limit=2)]
    assert [(r.platform_order_id, r.open_hold_kinds) for r in rows] == [
        ("T2", (HoldKind.BUYER_REMARK, HoldKind.STOCK_SHORT)), ("T1", ())]


def test_order_detail_is_the_whole_order_in_plain_values(seeded):
    stock_up(seeded, "HG-001", 5)
    order = ingest(seeded, "T1", {"HG-001": 2, "NO-SUCH": 1}, buyer_remark="请发顺丰")
    with session_scope(seeded) as s:
        remark = next(h for h in holds.open_holds(s, order.id) if h.kind == HoldKind.BUYER_REMARK)
        holds.resolve(s, remark, user="zhang", resolution="已备注")
    with read_session(seeded) as s:
        view = queries.order_detail(s, order.id)
        assert queries.find_order_detail(s, "T1") == view
        listed = queries.as_dicts(s, [queries.get_order(s, order.id)])[0]
        with pytest.raises(NotFound):
            queries.order_detail(s, order.id + 1000)
    assert (view.platform_order_id, view.warehouse_code, view.buyer_remark) == ("T1", "WH1", "请发顺丰")
    assert [(line.sku_code, line.qty) for line in view.lines] == [("HG-001", 2), ("NO-SUCH", 1)]
    assert [(h.kind, h.is_open) for h in view.holds] == [(HoldKind.SKU_UNMAPPED, True), (HoldKind.BUYER_REMARK, False)]
    assert view.holds[1].resolved_by == "zhang" and view.open_holds == [view.holds[0]]
    assert view.history[0].action == "order.create" and view.history[-1].action == "hold.resolve"  # oldest first
    # `oms orders show --format json`: what `oms orders list` says of the order, plus every hold and the history
    shown = view.as_dict()
    assert {key: value for key, value in shown.items() if key not in ("all_holds", "history")} == listed
    assert [h["resolution"] for h in shown["all_holds"]] == [None, "已备注"]
    assert [e["action"] for e in shown["history"]] == [e.action for e in view.history]


def test_address_change_after_picking_began_stops_the_order(seeded):
    stock_up(seeded, "HG-001", 5)
    order = ingest(seeded, "T1", {"HG-001": 1})
    with session_scope(seeded) as s:
        actions.start_picking(s, queries.get_order(s, order.id), user="w")
    ingest(seeded, "T1", {"HG-001": 1}, receiver_address="新地址 1 号")
    with read_session(seeded) as s:
        o = queries.get_order(s, order.id)
        assert o.status == OrderStatus.REVIEW
        (hold,) = holds.open_holds(s, o.id)
    assert hold.kind == HoldKind.SYNC_CONFLICT and english(hold.reason).endswith("after picking began: address")
    assert level(seeded).locked == 1  # still held for this order
    assert_books_balance(seeded)


def test_address_change_of_a_ready_order_stops_it_for_cs(seeded):
    stock_up(seeded, "HG-001", 5)
    order = ingest(seeded, "T1", {"HG-001": 1})
    assert order.status == OrderStatus.READY
    ingest(seeded, "T1", {"HG-001": 1}, receiver_address="新地址 1 号", receiver_phone="13900139000")
    with read_session(seeded) as s:
        o = queries.get_order(s, order.id)
        (hold,) = holds.open_holds(s, o.id)
    assert o.status == OrderStatus.REVIEW and o.receiver_address == "新地址 1 号"
    assert hold.kind == HoldKind.SYNC_CONFLICT
    assert english(hold.reason) == "receiver changed on the platform after the order was ready: phone; address"
    with session_scope(seeded) as s:  # CS checked the new receiver: it goes on with its stock
        actions.resolve_hold(s, hold.id, actor=Actor.system("cs1"), resolution="新地址已核对")
        assert queries.get_order(s, order.id).status == OrderStatus.READY
    ingest(seeded, "T1", {"HG-001": 1}, receiver_address="新地址 1 号", receiver_phone="13900139000", seller_memo="x")
    with read_session(seeded) as s:  # a change that is not the receiver's does not stop it
        assert holds.open_holds(s, order.id) == []
    assert level(seeded).locked == 1
    assert_books_balance(seeded)


def test_releasing_a_stock_short_hold_while_still_short_is_refused_and_changes_nothing(seeded):
    from oms_tui.services.core import outbox
    from oms_tui.services.cs import exceptions, review
    from oms_tui.services.stock import ledger

    stock_up(seeded, "HG-001", 5)
    order = ingest(seeded, "S1", {"HG-001": 1, "MB-001": 2, "HG-CUSTOM": 1})
    with read_session(seeded) as s:
        (hold,) = holds.open_holds(s, order.id)
        assert english(hold.reason) == "short: MB-001, HG-CUSTOM"  # every short SKU, not only the first
    cs = Actor("cs1", {"cs"})

    def unchanged():
        with read_session(seeded) as s:
            o = queries.get_order(s, order.id)
            return (o.status, [(h.id, h.resolved_at) for h in holds.holds_of(s, o.id)],
                    len(outbox.list_messages(s, kind="alert")), level(seeded).locked)

    before = unchanged()
    assert before == (OrderStatus.SHORT, [(hold.id, None)], 1, 0)
    for release in (lambda s: exceptions.resolve(s, hold.id, actor=cs, resolution="货到了"),
                    lambda s: review.release_hold(s, hold.id, actor=cs, note="先发")):
        with session_scope(seeded) as s, pytest.raises(InsufficientStock) as refused:
            release(s)
        assert str(refused.value) == "stock is still short: MB-001, HG-CUSTOM"
        assert unchanged() == before  # no released-then-reopened hold, no second alert, nothing locked
    with session_scope(seeded) as s:  # the goods arrive but nobody serves the short orders yet
        wh = catalogue.get_warehouse(s, "WH1")
        for code, qty in (("MB-001", 2), ("HG-CUSTOM", 1)):
            sku = catalogue.get_sku(s, code)
            ledger.purchase(s, wh, sku, qty, actor=Actor.system("t"))
            ledger.receive(s, wh, sku, qty, user="t")
    with session_scope(seeded) as s:
        exceptions.resolve(s, hold.id, actor=cs, resolution="货到了")
    with read_session(seeded) as s:
        o = queries.get_order(s, order.id)
        (only,) = holds.holds_of(s, o.id)
        assert o.status == OrderStatus.READY and (only.resolved_by, only.resolution) == ("cs1", "货到了")
        assert len(outbox.list_messages(s, kind="alert")) == 1
    assert level(seeded, "MB-001").locked == 2 and level(seeded, "HG-CUSTOM").locked == 1
    assert_books_balance(seeded)


def test_shortage_alert_is_written_to_the_outbox_once(seeded):
    from oms_tui.services.core import outbox

    order = ingest(seeded, "T1", {"HG-001": 1})
    with session_scope(seeded) as s:
        allocation.lock_order(s, queries.get_order(s, order.id), user="t")  # still short: no second alert
    with read_session(seeded) as s:
        (alert,) = outbox.list_messages(s, kind="alert")
    assert alert.order_id == order.id and "HG-001" in alert.subject and alert.target == ""  # roles: at routing
    payload = outbox.parse_payload("alert", alert.payload)
    assert (payload.event, payload.order, payload.skus, payload.roles) == ("stock_short", "T1", ["HG-001"], [])


def test_refund_after_shipping_becomes_an_after_sale_record_once(seeded):
    from oms_tui.models import ReturnRecord

    stock_up(seeded, "HG-001", 5)
    order = ingest(seeded, "T1", {"HG-001": 1})
    with session_scope(seeded) as s:
        o = queries.get_order(s, order.id)
        actions.start_picking(s, o, user="w")
        actions.mark_packed(s, o, user="w")
        actions.ship(s, o, waybill="YT1234567890123", courier="yuantong", user="w")
    for status in ("TRADE_CLOSED", "TRADE_CLOSED", "TRADE_CLOSED_BY_REFUND"):
        ingest(seeded, "T1", {"HG-001": 1}, state="cancelled", platform_status=status)
    with read_session(seeded) as s:
        assert queries.get_order(s, order.id).status == OrderStatus.SHIPPED
        (record,) = s.exec(select(ReturnRecord)).all()
        assert (record.refund_fen, record.refund_status) == (1990, "pending") and "TRADE_CLOSED" in record.reason
    assert_books_balance(seeded)


def test_an_order_number_on_two_platforms_is_ambiguous_not_a_guess(seeded):
    from oms_tui.errors import NotFound

    stock_up(seeded, "HG-001", 5)
    a = ingest(seeded, "X1", {"HG-001": 1}, platform="taobao")
    ingest(seeded, "X1", {"HG-001": 1}, platform="pdd", receiver_phone="13911112222")
    with read_session(seeded) as s:
        with pytest.raises(ValidationError, match="matches several orders"):
            queries.find_by_reference(s, "X1")
        assert queries.find_by_reference(s, str(a.id)).platform == "taobao"
        with pytest.raises(NotFound):
            queries.find_by_reference(s, "nope")


def test_percent_and_underscore_in_a_search_are_themselves(seeded):
    with session_scope(seeded) as s:
        wh = catalogue.get_warehouse(s, "WH1")
        upsert.upsert_order(s, normalized("P1", {"HG-001": 1}, receiver_name="王_小明"), warehouse=wh)
        upsert.upsert_order(s, normalized("P2", {"HG-001": 1}, receiver_name="王大明"), warehouse=wh)
    with read_session(seeded) as s:
        def found(text):
            return [o.platform_order_id for o in queries.list_orders(s, queries.OrderFilter(search=text))]

        assert found("%") == [] and found("_") == []
        assert found("王_") == ["P1"]  # not 王大明 too
        assert found("王") == ["P2", "P1"]


def test_an_unknown_platform_is_an_error_naming_the_known_ones(seeded):
    with read_session(seeded) as s, pytest.raises(ValidationError, match="one of: taobao, jd, pdd"):
        queries.list_orders(s, queries.OrderFilter(platform="douyin "))
