"""The review queue and every CS action on it: audited, and the order left in the right status."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.errors import IllegalTransition, ValidationError
from oms_tui.models import ApprovalRequest, HoldKind, OrderStatus
from oms_tui.phrases import english
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor
from oms_tui.services.cs import review
from oms_tui.services.orders import actions as order_actions
from oms_tui.services.orders import holds, queries
from oms_tui.services.orders import intake_rules as review_rules
from tests.helpers.paging import read_by_keyset
from tests.helpers.shop import assert_books_balance, ingest, level, stock_up
from tests.helpers.rows import order_row


@pytest.fixture
def stocked(seeded):
    stock_up(seeded, "HG-001", 50)
    return seeded


def get(engine, order):
    with read_session(engine) as s:
        return queries.get_order(s, order.id)


def open_kinds(engine, order) -> set[str]:
    with read_session(engine) as s:
        return {h.kind for h in holds.open_holds(s, order.id)}


def actions(engine, order) -> list[str]:
    with read_session(engine) as s:
        return [e.action for e in audit.history(s, "order", order.id)]


def test_queue_oldest_first_with_reasons_and_pages(stocked):
    ingest(stocked, "T0", {"HG-001": 1}, paid_minutes_ago=500)  # ready: not in the queue
    for n, minutes in enumerate((30, 300, 100)):
        ingest(stocked, f"T{n + 1}", {"HG-001": 1}, paid_minutes_ago=minutes, buyer_remark=f"留言{n + 1}")
    ingest(stocked, "T4", {"HG-001": 1}, paid_minutes_ago=200, receiver_address="")
    with read_session(stocked) as s:
        assert review.count_queue(s) == 4
        first = review.list_queue(s, limit=3)
        rest = review.list_queue(s, limit=3, offset=3)
        with pytest.raises(ValidationError):
            review.list_queue(s, limit=0)
    assert [q.platform_order_id for q in first + rest] == ["T2", "T4", "T3", "T1"]
    assert [(h.kind, english(h.reason)) for h in first[0].holds] == [(HoldKind.BUYER_REMARK, "buyer remark: 留言2")]
    assert first[1].holds[0].kind == HoldKind.ADDRESS_INVALID and first[1].region == "浙江省 杭州市"
    assert 4.9 < first[0].age() < 5.1


def test_edit_address_audits_old_and_new_and_releases_the_order(stocked):
    order = ingest(stocked, "T1", {"HG-001": 1}, receiver_address="1号", receiver_phone="12345")
    with session_scope(stocked) as s, pytest.raises(ValidationError, match="too short"):
        review.update_address(s, order.id, actor=Actor.system("cs"), province="浙江省", city="杭州市", district="西湖区",
                              address="2号", phone="13800138000")
    with session_scope(stocked) as s:
        review.update_address(s, order.id, actor=Actor.system("cs"), province="浙江省", city="杭州市", district="西湖区",
                              address="文三路 100 号 3 幢", phone="+86 138 0013 8000", note="电话确认")
    o = get(stocked, order)
    assert (o.receiver_address, o.receiver_phone, o.status) == ("文三路 100 号 3 幢", "+86 138 0013 8000",
                                                                OrderStatus.READY)
    with read_session(stocked) as s:
        (event,) = [e for e in audit.history(s, "order", order.id) if e.action == "review.address"]
        (hold,) = holds.holds_of(s, order.id)
    detail = json.loads(event.detail)
    assert detail["changes"] == {"address": {"old": "1号", "new": "文三路 100 号 3 幢"},
                                 "phone": {"old": "12345", "new": "+86 138 0013 8000"}}
    assert event.user == "cs" and detail["note"] == "电话确认"
    assert hold.resolved_by == "cs" and english(hold.resolution) == "address corrected by CS: 电话确认"


def test_address_cannot_change_once_picking_began(stocked):
    order = ingest(stocked, "T1", {"HG-001": 1})
    with session_scope(stocked) as s:
        order_actions.start_picking(s, queries.get_order(s, order.id), user="w")
    with session_scope(stocked) as s, pytest.raises(IllegalTransition, match="picking"):
        review.update_address(s, order.id, actor=Actor.system("cs"), province="浙江", city="杭州市", district="", address="新地址 8 号")


def test_confirm_address_and_accept_remark(stocked):
    order = ingest(stocked, "T1", {"HG-001": 1}, receiver_address="1号", buyer_remark="不要发票")
    with session_scope(stocked) as s:
        review.confirm_address(s, order.id, actor=Actor.system("cs"), note="村里就叫1号")
    assert get(stocked, order).status == OrderStatus.REVIEW  # the remark still waits
    with session_scope(stocked) as s:
        review.accept_remark(s, order.id, actor=Actor.system("cs"))
        with pytest.raises(ValidationError, match="no open remark hold"):
            review.accept_remark(s, order.id, actor=Actor.system("cs"))
        with pytest.raises(ValidationError, match="no open address hold"):
            review.confirm_address(s, order.id, actor=Actor.system("cs"))
    assert get(stocked, order).status == OrderStatus.READY
    assert {"review.address_confirmed", "review.remark_accepted"} <= set(actions(stocked, order))


@pytest.fixture
def pair(stocked):
    with review_rules.configured(duplicate_check=True):
        first = ingest(stocked, "T1", {"HG-001": 1})
        second = ingest(stocked, "J1", {"HG-001": 2}, platform="jd")
    return stocked, first, second


def test_confirm_duplicate_merges_into_one_parcel(pair):
    engine, first, second = pair
    with session_scope(engine) as s:
        review.keep_both(s, first.id, actor=Actor.system("cs"))  # first a decision the other way…
    with session_scope(engine) as s:
        with pytest.raises(ValidationError, match="no open duplicate"):
            review.merge_duplicates(s, first.id, actor=Actor.system("cs"))
    with review_rules.configured(duplicate_check=True):
        third = ingest(engine, "P1", {"HG-001": 1}, platform="pdd")
    with read_session(engine) as s:
        partners = review.duplicate_partners(s, queries.get_order(s, third.id))
    assert {p.platform_order_id for p in partners} == {"T1", "J1"}
    with session_scope(engine) as s:
        group = review.merge_duplicates(s, third.id, actor=Actor.system("cs"))
    assert {o.platform_order_id for o in group} == {"T1", "J1", "P1"}
    for order in (first, second, third):
        o = get(engine, order)
        assert (o.status, o.no_merge) == (OrderStatus.READY, False), o.platform_order_id
        with read_session(engine) as s:
            events = [json.loads(e.detail) for e in audit.history(s, "order", order.id)
                      if e.action == "review.duplicate"]
        assert events[-1]["decision"] == "merge" and "one parcel" in events[-1]["note"]


def test_keep_both_ships_each_on_its_own(pair):
    engine, first, second = pair
    with session_scope(engine) as s:
        review.keep_both(s, second.id, actor=Actor.system("cs"), note="两个收件人")
    for order in (first, second):
        o = get(engine, order)
        assert (o.status, o.no_merge) == (OrderStatus.READY, True)
        assert open_kinds(engine, order) == set()


def test_cancel_one_of_a_duplicate_pair_releases_the_other(pair):
    engine, first, second = pair
    with session_scope(engine) as s:
        review.cancel_order(s, second.id, actor=Actor.system("cs"), reason="重复下单，与买家确认后取消")
    assert get(engine, second).status == OrderStatus.CANCELLED
    assert get(engine, first).status == OrderStatus.READY and open_kinds(engine, first) == set()
    assert level(engine).locked == 1
    assert "review.cancel" in actions(engine, second)
    assert_books_balance(engine)


def test_release_a_hold_and_cancel_an_order(stocked):
    order = ingest(stocked, "T1", {"HG-001": 1}, total_fen=10000, paid_fen=5000)
    with read_session(stocked) as s:
        (hold,) = holds.open_holds(s, order.id)
    with session_scope(stocked) as s:
        review.release_hold(s, hold.id, actor=Actor.system("cs"), note="店铺活动价")
        with pytest.raises(ValidationError, match="already resolved"):
            review.release_hold(s, hold.id, actor=Actor.system("cs"))
    assert get(stocked, order).status == OrderStatus.READY
    other = ingest(stocked, "T2", {"HG-001": 1}, buyer_remark="不要了")
    with session_scope(stocked) as s:
        with pytest.raises(ValidationError, match="needs a reason"):
            review.cancel_order(s, other.id, actor=Actor.system("cs"), reason=" ")
        review.cancel_order(s, other.id, actor=Actor.system("cs"), reason="买家要求取消")
    assert get(stocked, other).status == OrderStatus.CANCELLED and open_kinds(stocked, other) == set()
    assert level(stocked).locked == 1
    assert_books_balance(stocked)


def test_ask_for_an_approval(stocked):
    order = ingest(stocked, "T1", {"HG-001": 1}, buyer_remark="能便宜点吗")
    with session_scope(stocked) as s:
        with pytest.raises(ValidationError, match="unknown approval kind"):
            review.request_approval(s, order.id, kind="discount", reason="x", actor=Actor.system("cs"))
        request = review.request_approval(s, order.id, kind="price_change", reason="老客户让利 10 元", actor=Actor.system("cs"),
                                          detail={"paid_fen": 990})
    o = get(stocked, order)
    assert o.status == OrderStatus.APPROVAL and HoldKind.APPROVAL_PENDING in open_kinds(stocked, order)
    with read_session(stocked) as s:
        row = s.exec(select(ApprovalRequest)).one()
        (hold,) = [h for h in holds.open_holds(s, order.id) if h.kind == HoldKind.APPROVAL_PENDING]
        with pytest.raises(ValidationError, match="waits for an approval decision"):
            review.release_hold(s, hold.id, actor=Actor.system("cs"))
    assert (row.id, row.kind, row.status, row.requested_by) == (request.id, "price_change", "pending", "cs")
    assert json.loads(row.detail) == {"paid_fen": 990}
    assert english(hold.reason) == f"price change: 老客户让利 10 元 (request #{row.id})"
    assert "approval.request" in actions(stocked, order)


def test_review_detail_shows_customer_history_credit_and_partners(pair):
    engine, first, second = pair
    with read_session(engine) as s:
        detail = review.review_detail(s, second.id)
    assert detail.platform_order_id == "J1" and detail.lines == [("HG-001", "", 2, 1990)]
    assert [h.kind for h in detail.holds] == [HoldKind.DUPLICATE_SUSPECT]
    assert [p.platform_order_id for p in detail.partners] == ["T1"]
    assert english(detail.identity) == "mobile 13800138000"
    assert detail.history.order_count == 2 and detail.history.platforms == {"taobao": 1, "jd": 1}
    assert detail.credit.score == 60 and detail.credit.level == "normal"


def test_merged_masked_duplicates_leave_in_one_parcel_even_across_wave_filters(stocked):
    """Taobao and PDD mask the same buyer differently, so the address alone would never match them:
    CS's merge forms the parcel, and a wave that takes one of them takes both."""
    from oms_tui.services.floor import waves

    with review_rules.configured(duplicate_check=True):
        tb = ingest(stocked, "T9", {"HG-001": 1}, receiver_name="王**", receiver_phone="138****8000",
                    buyer_id="tb-wang")
        pdd = ingest(stocked, "P9", {"HG-001": 1}, platform="pdd", receiver_name="王*明",
                     receiver_phone="1*********0", buyer_id="")
    assert get(stocked, pdd).status == OrderStatus.REVIEW, "the masked pair should be suspected"
    with session_scope(stocked) as s:
        review.merge_duplicates(s, pdd.id, actor=Actor.system("cs"))
    with session_scope(stocked) as s:
        wave = waves.create_wave(s, catalogue.get_warehouse(s, "WH1"), courier="yuantong", platform="pdd", actor=Actor.system("w"))
        wave_id = wave.id
    first, second = get(stocked, tb), get(stocked, pdd)
    assert first.wave_id == second.wave_id == wave_id
    assert first.parcel_id == second.parcel_id is not None
    assert first.status == second.status == OrderStatus.PICKING


def test_buyer_cancelling_the_duplicate_on_the_platform_releases_the_other(pair):
    engine, first, second = pair
    assert get(engine, first).status == OrderStatus.REVIEW
    ingest(engine, "J1", {"HG-001": 2}, platform="jd", state="cancelled", platform_status="TRADE_CANCELED")
    assert get(engine, second).status == OrderStatus.CANCELLED
    assert get(engine, first).status == OrderStatus.READY
    assert_books_balance(engine)


def test_the_queue_paged_by_position_is_the_queue_paged_by_offset_unpaid_orders_too(engine):
    """Keyset paging of the review queue (paid_at, created_at, id) agrees with the offset pages on either
    database, with orders not yet paid (no paid_at: first on SQLite, last on PostgreSQL) and ties."""
    from datetime import timedelta

    from sqlalchemy import insert

    from oms_tui.models import Order, utcnow

    now = utcnow()
    rows = [order_row(id=n, platform_order_id=f"R{n:04d}", status="review", created_at=now - timedelta(minutes=n % 4),
                      ingested_at=now, updated_at=now, paid_at=None if n % 5 == 0 else now - timedelta(minutes=n // 3))
            for n in range(1, 27)]
    with engine.begin() as conn:
        conn.execute(insert(Order.__table__), rows)
    with read_session(engine) as s:
        by_offset = [item.order_id for item in review.list_queue(s, limit=100)]
        by_keyset = read_by_keyset(lambda after: review.list_queue(s, limit=4, after=after),
                                   lambda item: item.order_id,
                                   lambda item: (item.paid_at, item.created_at, item.order_id))
    assert by_keyset == by_offset and len(by_offset) == 26
