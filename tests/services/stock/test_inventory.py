"""Inventory service on SQLite and PostgreSQL: every operation, its ledger rows and its refusals."""

from datetime import timedelta

import pytest
from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.errors import InsufficientStock, NotFound, ValidationError
from oms_tui.models import Hold, HoldKind, OrderStatus, StockMove, utcnow
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.services.orders import actions, allocation, queries
from oms_tui.services.stock import ledger, reservations
from oms_tui.services.stock import queries as stock_queries
from tests.helpers.shop import assert_books_balance, ingest, level, stock_up


def test_purchase_then_receive_moves_inbound_to_on_hand(seeded):
    with session_scope(seeded) as s:
        wh, sku = catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "HG-001")
        ledger.purchase(s, wh, sku, 10, actor=Actor.system("t"))
    assert (level(seeded).inbound, level(seeded).on_hand) == (10, 0)
    with session_scope(seeded) as s:
        wh, sku = catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "HG-001")
        allocation.receive_stock(s, wh, sku, 4, actor=Actor.system("t"))
    lv = level(seeded)
    assert (lv.inbound, lv.on_hand, lv.available) == (6, 4, 4)
    with read_session(seeded) as s:
        kinds = [m.kind for m in s.exec(select(StockMove).order_by(StockMove.id))]
    assert kinds == ["purchase", "receive"]
    assert_books_balance(seeded)


@pytest.mark.parametrize("qty", [0, -3, 2.5, True])
def test_non_positive_or_fractional_quantity_is_refused_and_changes_nothing(seeded, qty):
    with pytest.raises(ValidationError):
        with session_scope(seeded) as s:
            ledger.purchase(s, catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "HG-001"), qty, actor=Actor.system("t"))
    assert level(seeded).inbound == 0
    with read_session(seeded) as s:
        assert s.exec(select(StockMove)).all() == []


def test_receive_more_than_inbound_is_refused(seeded):
    stock_up(seeded, qty=5, receive=5)
    with pytest.raises(InsufficientStock, match="inbound"):
        with session_scope(seeded) as s:
            allocation.receive_stock(s, catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "HG-001"), 1, actor=Actor.system("t"))
    assert level(seeded).on_hand == 5


def test_lock_is_all_lines_or_none_and_short_order_gets_hold(seeded):
    stock_up(seeded, "HG-001", 5)
    stock_up(seeded, "MB-001", 1)
    order = ingest(seeded, "T1", {"HG-001": 2, "MB-001": 3})
    assert order.status == OrderStatus.SHORT
    assert (level(seeded, "HG-001").locked, level(seeded, "MB-001").locked) == (0, 0)
    with read_session(seeded) as s:
        hold = s.exec(select(Hold).where(Hold.order_id == order.id)).one()
    assert hold.kind == HoldKind.STOCK_SHORT and "MB-001" in hold.reason and hold.resolved_at is None
    assert_books_balance(seeded)


def test_ship_takes_on_hand_and_locked_down(seeded):
    stock_up(seeded, "HG-001", 5)
    order = ingest(seeded, "T1", {"HG-001": 2})
    assert order.status == OrderStatus.READY and level(seeded).locked == 2 and level(seeded).available == 3
    with session_scope(seeded) as s:
        o = queries.get_order(s, order.id)
        actions.start_picking(s, o, user="w")
        actions.mark_packed(s, o, user="w")
        actions.ship(s, o, waybill="YT1234567890123", courier="yuantong", user="w")
    lv = level(seeded)
    assert (lv.on_hand, lv.locked, lv.available) == (3, 0, 3)
    assert_books_balance(seeded)


def test_cancel_releases_stock_and_serves_the_waiting_order(seeded):
    stock_up(seeded, "HG-001", 2)
    first = ingest(seeded, "T1", {"HG-001": 2}, paid_minutes_ago=90)
    second = ingest(seeded, "T2", {"HG-001": 2}, paid_minutes_ago=30)
    assert (first.status, second.status) == (OrderStatus.READY, OrderStatus.SHORT)
    with session_scope(seeded) as s:
        actions.cancel(s, queries.get_order(s, first.id), actor=Actor.system("cs"), reason="buyer asked")
    with read_session(seeded) as s:
        assert queries.get_order(s, first.id).status == OrderStatus.CANCELLED
        assert queries.get_order(s, second.id).status == OrderStatus.READY
    assert level(seeded).locked == 2
    assert_books_balance(seeded)


def test_arriving_stock_serves_vip_first_then_oldest_paid(seeded):
    ingest(seeded, "OLD", {"HG-001": 1}, paid_minutes_ago=300)
    ingest(seeded, "NEW", {"HG-001": 1}, paid_minutes_ago=100)
    vip = ingest(seeded, "VIP", {"HG-001": 1}, paid_minutes_ago=10, receiver_phone="13900000001")
    with session_scope(seeded) as s:
        from oms_tui.models import Customer
        customer = s.get(Customer, queries.get_order(s, vip.id).customer_id)
        customer.is_vip = True
        s.add(customer)
    with session_scope(seeded) as s:
        wh, sku = catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "HG-001")
        ledger.purchase(s, wh, sku, 2, actor=Actor.system("t"))
        assert allocation.receive_stock(s, wh, sku, 2, actor=Actor.system("t")) == 2
    with read_session(seeded) as s:
        statuses = {o.platform_order_id: o.status for o in queries.list_orders(s)}
    assert statuses == {"VIP": "ready", "OLD": "ready", "NEW": "short"}
    assert_books_balance(seeded)


def test_return_resaleable_and_damaged(seeded):
    stock_up(seeded, "HG-001", 5)
    order = ingest(seeded, "T1", {"HG-001": 3})
    with session_scope(seeded) as s:
        o = queries.get_order(s, order.id)
        actions.start_picking(s, o, user="w")
        actions.mark_packed(s, o, user="w")
        actions.ship(s, o, waybill="SF1234567890123", courier="shunfeng", user="w")
    with session_scope(seeded) as s:
        o = queries.get_order(s, order.id)
        line = queries.lines_of(s, [o.id])[o.id][0]
        allocation.return_stock(s, o, line, 2, condition="resaleable", user="w")
        allocation.return_stock(s, o, line, 1, condition="damaged", user="w")
    lv = level(seeded)
    assert (lv.on_hand, lv.damaged) == (4, 1)
    with pytest.raises(ValidationError, match="already returned"):
        with session_scope(seeded) as s:
            o = queries.get_order(s, order.id)
            allocation.return_stock(s, o, queries.lines_of(s, [o.id])[o.id][0], 1, condition="resaleable", user="w")
    assert_books_balance(seeded)


def test_adjust_after_count_needs_reason_and_cannot_cut_below_locked(seeded):
    stock_up(seeded, "HG-001", 5)
    ingest(seeded, "T1", {"HG-001": 3})
    with pytest.raises(ValidationError, match="reason"):
        with session_scope(seeded) as s:
            allocation.adjust_stock(s, catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "HG-001"), counted=4,
                             reason=" ", actor=Actor.system("t"))
    with pytest.raises(InsufficientStock, match="3 locked"):
        with session_scope(seeded) as s:
            allocation.adjust_stock(s, catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "HG-001"), counted=2,
                             reason="count", actor=Actor.system("t"))
    with session_scope(seeded) as s:
        assert allocation.adjust_stock(s, catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "HG-001"), counted=4,
                                reason="cycle count", actor=Actor.system("t")) == -1
    assert level(seeded).on_hand == 4
    assert_books_balance(seeded)


def test_reservation_holds_back_stock_and_vip_order_draws_on_it(seeded):
    stock_up(seeded, "HG-001", 5)
    with session_scope(seeded) as s:
        wh, sku = catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "HG-001")
        reservations.reserve(s, wh, sku, 4, purpose="vip", expires_at=utcnow() + timedelta(days=1), actor=Actor.system("ops"))
    assert level(seeded).available == 1
    normal = ingest(seeded, "N1", {"HG-001": 2})
    assert normal.status == OrderStatus.SHORT  # the quota is not for everyone
    with session_scope(seeded) as s:
        from oms_tui.models import Customer
        s.add(Customer(name="王五", phone_norm="13700000000", is_vip=True))
    vip = ingest(seeded, "V1", {"HG-001": 3}, receiver_phone="13700000000")
    assert vip.status == OrderStatus.READY
    lv = level(seeded)
    assert (lv.locked, lv.reserved, lv.available) == (3, 2, 0)
    assert_books_balance(seeded)


def test_reservation_expiry_returns_quota_to_available(seeded):
    stock_up(seeded, "HG-001", 5)
    with session_scope(seeded) as s:
        wh, sku = catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "HG-001")
        reservations.reserve(s, wh, sku, 5, purpose="promotion", expires_at=utcnow() + timedelta(hours=1), actor=Actor.system("ops"))
    waiting = ingest(seeded, "W1", {"HG-001": 1})
    assert waiting.status == OrderStatus.SHORT
    with session_scope(seeded) as s:
        assert allocation.expire_reservations(s, now=utcnow() + timedelta(hours=2)) == 1
    lv = level(seeded)
    assert (lv.reserved, lv.locked) == (0, 1)
    assert_books_balance(seeded)


def test_reserving_more_than_available_is_refused(seeded):
    stock_up(seeded, "HG-001", 2)
    with pytest.raises(InsufficientStock):
        with session_scope(seeded) as s:
            reservations.reserve(s, catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "HG-001"), 3,
                              purpose="vip", expires_at=utcnow() + timedelta(days=1), actor=Actor.system("ops"))
    assert level(seeded).reserved == 0


def test_locks_older_than_the_limit_expire_into_a_hold(seeded):
    stock_up(seeded, "HG-001", 5)
    order = ingest(seeded, "T1", {"HG-001": 2})
    with session_scope(seeded) as s:
        assert allocation.expire_locks(s, hours=72, now=utcnow() + timedelta(hours=71)) == 0
        assert allocation.expire_locks(s, hours=72, now=utcnow() + timedelta(hours=73)) == 1
    assert level(seeded).locked == 0
    with read_session(seeded) as s:
        o = queries.get_order(s, order.id)
        assert o.status == OrderStatus.SHORT
        open_kinds = [h.kind for h in queries.open_holds_of(s, [o.id])[o.id]]
        assert open_kinds == [HoldKind.LOCK_EXPIRED]
        hold_id = queries.open_holds_of(s, [o.id])[o.id][0].id
    assert_books_balance(seeded)
    with session_scope(seeded) as s:
        o = actions.resolve_hold(s, hold_id, actor=Actor.system("cs"), resolution="buyer still wants it")
        assert o.status == OrderStatus.READY
    assert level(seeded).locked == 2
    assert_books_balance(seeded)


@pytest.mark.parametrize("delta", [2.5, True, "3"])
def test_adjust_by_a_delta_that_is_not_a_whole_number_is_refused(seeded, delta):
    stock_up(seeded, "HG-001", 5)
    with pytest.raises(ValidationError, match="whole number"):
        with session_scope(seeded) as s:
            allocation.adjust_stock(s, catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "HG-001"), delta=delta,
                             reason="count", actor=Actor.system("t"))
    assert level(seeded).on_hand == 5


def test_adjust_up_by_a_delta_serves_a_short_order(seeded):
    order = ingest(seeded, "T1", {"HG-001": 2})
    assert order.status == OrderStatus.SHORT
    with session_scope(seeded) as s:
        allocation.adjust_stock(s, catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "HG-001"), delta=3,
                         reason="found a carton", actor=Actor.system("t"))
    with read_session(seeded) as s:
        assert queries.get_order(s, order.id).status == OrderStatus.READY
    assert_books_balance(seeded)


def test_a_released_reservation_cannot_be_released_again(seeded):
    stock_up(seeded, "HG-001", 5)
    with session_scope(seeded) as s:
        r = reservations.reserve(s, catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "HG-001"), 2,
                              purpose="promotion", expires_at=utcnow() + timedelta(days=1), actor=Actor.system("ops"))
        reservation_id = r.id
    with session_scope(seeded) as s:
        assert allocation.release_reservation(s, reservation_id, actor=Actor.system("ops")) == 2
    with pytest.raises(ValidationError, match="already released"):
        with session_scope(seeded) as s:
            allocation.release_reservation(s, reservation_id, actor=Actor.system("ops"))
    assert level(seeded).reserved == 0
    with read_session(seeded) as s:
        assert len(s.exec(select(StockMove).where(StockMove.kind == "unreserve")).all()) == 1
    assert_books_balance(seeded)


def test_the_ledger_as_the_ledger_screen_reads_it(seeded):
    stock_up(seeded, "HG-001", 5)
    ingest(seeded, "L1", {"HG-001": 2})
    with read_session(seeded) as s:
        summary = stock_queries.sku_summary(s, "6901234567892")  # by barcode, as a gun types it
        rows = stock_queries.ledger_rows(s, "HG-001", warehouse_code="WH1", limit=2)
        assert stock_queries.count_ledger_rows(s, "6901234567892") == 3
        assert stock_queries.count_ledger_rows(s, "HG-001", warehouse_code="NO-SUCH") == 0
        with pytest.raises(NotFound):
            stock_queries.ledger_rows(s, "NO-SUCH")
    assert (summary.code, [(lv.warehouse, lv.on_hand, lv.locked) for lv in summary.levels]) == (
        "HG-001", [("WH1", 5, 2)])
    assert [(r.kind, r.warehouse, r.d_locked, r.order_ref) for r in rows] == [("lock", "WH1", 2, "L1"),
                                                                              ("receive", "WH1", 0, "")]
