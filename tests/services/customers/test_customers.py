"""Customers: phones as the platforms hand them, matching across platforms with its basis, merging,
and the history across platforms (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools

import pytest
from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.errors import NotFound, ValidationError
from oms_tui.models import Customer, Order, ReturnLine, ReturnRecord
from oms_tui.phrases import english
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor
from oms_tui.services.customers import history, identity, matching
from oms_tui.services.customers.matching import BasisKind
from oms_tui.services.customers.normalize import PhoneKind, classify_phone
from oms_tui.services.orders import actions, queries
from tests.helpers.shop import ingest, normalized, stock_up


@pytest.mark.parametrize(("raw", "kind", "value"), [
    ("13800138000", PhoneKind.MOBILE, "13800138000"),
    ("+86 138-0013-8000", PhoneKind.MOBILE, "13800138000"),
    ("8613800138000", PhoneKind.MOBILE, "13800138000"),
    ("138****5678", PhoneKind.MASKED, "138****5678"),  # Taobao / JD
    ("1*********5", PhoneKind.MASKED, "1*********5"),  # PDD keeps the first and last digit
    ("+86 138****5678", PhoneKind.MASKED, "138****5678"),
    ("0571-****6666", PhoneKind.MASKED, "0571****6666"),
    ("0571-88886666", PhoneKind.LANDLINE, "057188886666"),
    ("(010) 6552 9988", PhoneKind.LANDLINE, "01065529988"),
    ("0755-86013388-123", PhoneKind.LANDLINE, "075586013388123"),
    ("400-820-8820", PhoneKind.LANDLINE, "4008208820"),
    ("$Y/YKq3vCQ9pM8aZ$0$$", PhoneKind.ENCRYPTED, "$Y/YKq3vCQ9pM8aZ$0$$"),  # PDD ciphertext
    ("", PhoneKind.MISSING, ""),
    ("12345", PhoneKind.INVALID, "12345"),
    ("23800138000", PhoneKind.INVALID, "23800138000"),
    ("8866-1234", PhoneKind.INVALID, "8866-1234"),  # no area code
    ("***", PhoneKind.INVALID, "***"),
])
def test_classify_phone(raw, kind, value):
    info = classify_phone(raw)
    assert (info.kind, info.value) == (kind, value)
    assert info.usable == (kind not in (PhoneKind.MISSING, PhoneKind.INVALID))


def test_masks_are_compatible_only_where_every_shown_digit_agrees():
    full, taobao, pdd = classify_phone("13800138000"), classify_phone("138****8000"), classify_phone("1*********0")
    assert matching.phones_compatible(full, taobao) and matching.phones_compatible(taobao, pdd)
    assert matching.phones_compatible(full, pdd)
    assert not matching.phones_compatible(taobao, classify_phone("139****8000"))
    assert not matching.phones_compatible(pdd, classify_phone("1*********5"))
    assert not matching.phones_compatible(full, classify_phone("0571-88886666"))


@pytest.mark.parametrize(("a", "b", "same"), [
    ("张三", "张三", True), ("张三", "李四", False), ("张**", "张小三", True), ("林*坤", "林小坤", True),
    ("林*坤", "林小明", False), ("张**", "李*", False), ("", "王五", True),
])
def test_names_compatible(a, b, same):
    assert matching.names_compatible(a, b) == same


_numbers = itertools.count(1)


def _identity(**kw):
    """A receiver as an order carries it; each with its own buyer id unless given."""
    data = normalized(f"X{next(_numbers)}", {"HG-001": 1}, **kw)
    return matching.order_identity(data)


def test_match_basis_says_what_it_used():
    mobile = matching.match_basis(_identity(), _identity(platform="jd"))
    assert mobile.kind == BasisKind.MOBILE and english(mobile.text) == "same mobile 13800138000" and mobile.strong
    assert matching.match_basis(_identity(), _identity(receiver_phone="13900139000")) is None

    masked = matching.match_basis(_identity(receiver_phone="138****8000"),
                                   _identity(platform="pdd", receiver_phone="1*********0", receiver_name="张*"))
    assert masked.kind == BasisKind.MASKED and not masked.strong
    assert "masked phone 138****8000 ≈ 1*********0" in english(masked.text) and "address key 浙江|杭州市|西湖区|文三路100号" in english(masked.text)
    # A mask alone, or a mask at another address, or another name: not the same customer.
    assert matching.match_basis(_identity(receiver_phone="138****8000"),
                                 _identity(receiver_phone="138****8000", receiver_address="莫干山路 1 号")) is None
    assert matching.match_basis(_identity(receiver_phone="138****8000"),
                                 _identity(receiver_phone="138****8000", receiver_name="李四")) is None
    assert matching.match_basis(_identity(receiver_phone="138****8000", receiver_address="****"),
                                 _identity(receiver_phone="138****8000", receiver_address="****")) is None
    # PDD ciphertext has nothing to compare.
    assert matching.match_basis(_identity(receiver_phone="~AgAAAAq3vCQ9pM8aZ~0~~"),
                                 _identity(receiver_phone="~AgAAAAq3vCQ9pM8aZ~0~~")) is None

    buyer = matching.match_basis(_identity(receiver_phone="138****8000", buyer_id="tb-1"),
                                  _identity(receiver_phone="138****8000", buyer_id="tb-1"))
    assert buyer.kind == BasisKind.BUYER_ID
    assert english(buyer.text) == "same Taobao/Tmall buyer id tb-1 + address key 浙江|杭州市|西湖区|文三路100号 (phone masked)"


def test_identity_basis_for_the_screen():
    assert english(matching.identity_basis(_identity())) == "mobile 13800138000"
    text = english(matching.identity_basis(_identity(platform="pdd", buyer_id="", receiver_phone="1*********0",
                                                      receiver_name="张*")))
    assert text.startswith("masked phone 1*********0 + address key") and "cannot identify alone" in text


def test_identify_by_mobile_then_buyer_id(seeded):
    stock_up(seeded, "HG-001", 10)
    a = ingest(seeded, "T1", {"HG-001": 1})
    b = ingest(seeded, "J1", {"HG-001": 1}, platform="jd", receiver_phone="+86 138 0013 8000")
    c = ingest(seeded, "T2", {"HG-001": 1}, receiver_phone="138****1111", buyer_id="tb-9")
    d = ingest(seeded, "T3", {"HG-001": 1}, receiver_phone="138****2222", buyer_id="tb-9")
    assert a.customer_id == b.customer_id
    assert c.customer_id == d.customer_id != a.customer_id


def _returned(engine, order_id, qty, refund_fen=1990):
    with session_scope(engine) as s:
        line = queries.lines_of(s, [order_id])[order_id][0]
        record = ReturnRecord(order_id=order_id, reason="尺码不合适", refund_fen=refund_fen, created_by="wh")
        s.add(record)
        s.flush()
        s.add(ReturnLine(return_id=record.id, order_line_id=line.id, qty=qty, condition="resaleable"))


def _ship(engine, order_id, waybill):
    with session_scope(engine) as s:
        order = queries.get_order(s, order_id)
        actions.start_picking(s, order, user="w")
        actions.mark_packed(s, order, user="w")
        actions.ship(s, order, waybill=waybill, courier="yuantong", user="w")


def test_merge_moves_orders_and_is_audited(seeded):
    stock_up(seeded, "HG-001", 10)
    a = ingest(seeded, "T1", {"HG-001": 1})
    b = ingest(seeded, "P1", {"HG-001": 1}, platform="pdd", buyer_id="", receiver_phone="1*********0")
    c = ingest(seeded, "J1", {"HG-001": 1}, platform="jd", buyer_id="jd-7", receiver_phone="0571-88886666")
    assert len({a.customer_id, b.customer_id, c.customer_id}) == 3
    with session_scope(seeded) as s:
        identity.set_vip(s, identity.get_customer(s, c.customer_id), True, actor=Actor.system("lead"))
        identity.merge_customers(s, b.customer_id, c.customer_id, actor=Actor.system("cs"))  # c → b
        keep = identity.merge_customers(s, a.customer_id, b.customer_id, actor=Actor.system("cs"))  # b (with c) → a
        assert keep.id == a.customer_id and keep.is_vip  # VIP carries over
    with read_session(seeded) as s:
        assert {o.customer_id for o in s.exec(select(Order))} == {a.customer_id}
        merged = {c.id: c.merged_into_id for c in s.exec(select(Customer))}
        assert merged == {a.customer_id: None, b.customer_id: a.customer_id, c.customer_id: a.customer_id}
        assert sorted(identity.customer_group(s, c.customer_id)) == sorted([a.customer_id, b.customer_id,
                                                                             c.customer_id])
        events = audit.history(s, "customer", a.customer_id)
        merge = [e for e in events if e.action == "customer.merge"]
        assert len(merge) == 1 and f'"merged": {b.customer_id}' in merge[0].detail
        assert f'"orders": [{b.id}, {c.id}]' in merge[0].detail
        actions = [e.action for e in audit.history(s, "customer", b.customer_id)]
        assert actions == ["customer.merge", "customer.merged_into"]  # c into b first, then b into a
    # A later order of a merged customer lands on the one kept.
    later = ingest(seeded, "J2", {"HG-001": 1}, platform="jd", buyer_id="jd-7", receiver_phone="0571-88886666")
    assert later.customer_id == a.customer_id


def test_merge_refusals(seeded):
    stock_up(seeded, "HG-001", 10)
    a = ingest(seeded, "T1", {"HG-001": 1})
    b = ingest(seeded, "T2", {"HG-001": 1}, receiver_phone="13900139000")
    c = ingest(seeded, "T3", {"HG-001": 1}, receiver_phone="13700137000")
    with session_scope(seeded) as s:
        identity.merge_customers(s, a.customer_id, b.customer_id, actor=Actor.system("cs"))
    with session_scope(seeded) as s:
        with pytest.raises(ValidationError, match="into itself"):
            identity.merge_customers(s, a.customer_id, a.customer_id, actor=Actor.system("cs"))
        with pytest.raises(ValidationError, match="already merged"):
            identity.merge_customers(s, c.customer_id, b.customer_id, actor=Actor.system("cs"))
        with pytest.raises(ValidationError, match="merge into that one"):
            identity.merge_customers(s, b.customer_id, c.customer_id, actor=Actor.system("cs"))
        with pytest.raises(NotFound):
            identity.merge_customers(s, a.customer_id, 9999, actor=Actor.system("cs"))


def test_history_across_platforms_with_merged_customers(no_duplicate_check, seeded):
    stock_up(seeded, "HG-001", 20)
    a = ingest(seeded, "T1", {"HG-001": 2}, paid_minutes_ago=300)
    ingest(seeded, "J1", {"HG-001": 1}, platform="jd", paid_minutes_ago=200)
    c = ingest(seeded, "P1", {"HG-001": 3}, platform="pdd", buyer_id="", receiver_phone="1*********0",
               paid_minutes_ago=100)
    d = ingest(seeded, "T2", {"HG-001": 1}, paid_minutes_ago=50)
    _ship(seeded, a.id, "YT0000000000001")
    _ship(seeded, c.id, "YT0000000000002")
    _returned(seeded, a.id, 1)
    with session_scope(seeded) as s:
        actions.cancel(s, queries.get_order(s, d.id), actor=Actor.system("cs"), reason="拍错了")
        identity.merge_customers(s, a.customer_id, c.customer_id, actor=Actor.system("cs"))
    with read_session(seeded) as s:
        found = history.customer_history(s, c.customer_id)  # any member of the group answers
    assert found.customer_id == a.customer_id and sorted(found.customer_ids) == sorted([a.customer_id,
                                                                                           c.customer_id])
    assert [o.platform_order_id for o in found.orders] == ["T2", "P1", "J1", "T1"]
    assert found.order_count == 4 and found.cancelled_count == 1 and found.shipped_count == 2
    assert found.paid_fen == 1990 * 6  # the cancelled order's money is not counted
    assert found.platforms == {"taobao": 2, "jd": 1, "pdd": 1}
    assert found.shipped_units == 5 and found.returned_units == 1 and found.refund_fen == 1990
    assert [(r.platform_order_id, r.units) for r in found.returns] == [("T1", 1)]
    assert found.orders[0].status == "cancelled" and found.orders[2].waybill is None
    assert found.orders[1].waybill == "YT0000000000002"
    credit = history.credit_summary(found)
    # 60 + 3×2 shipped − 40×25% cancelled − 40×20% returned units
    assert (credit.score, credit.level, credit.cancel_percent, credit.return_percent) == (48, "watch", 25, 20)
    assert found.as_dict()["orders"][0]["created_at"].endswith("+00:00")


def test_related_orders_within_a_period(seeded):
    stock_up(seeded, "HG-001", 20)
    stock_up(seeded, "MB-001", 20)
    a = ingest(seeded, "T1", {"HG-001": 1}, paid_minutes_ago=10)
    ingest(seeded, "J1", {"HG-001": 1}, platform="jd", paid_minutes_ago=20)
    ingest(seeded, "J2", {"MB-001": 1}, platform="jd", paid_minutes_ago=30)
    ingest(seeded, "J3", {"HG-001": 1}, platform="jd", receiver_phone="13900139000", paid_minutes_ago=40)
    ingest(seeded, "P1", {"HG-001": 1}, platform="pdd", buyer_id="", receiver_phone="1*********0",
           paid_minutes_ago=60 * 24 * 3)
    with read_session(seeded) as s:
        order = queries.get_order(s, a.id)
        from datetime import timedelta
        found = matching.related_orders(s, order, since=order.created_at - timedelta(days=1),
                                         until=order.created_at, sku_codes={"HG-001"})
        assert [(o.platform_order_id, b.kind) for o, b in found] == [("J1", BasisKind.MOBILE)]
        found = matching.related_orders(s, order, since=order.created_at - timedelta(days=5),
                                         until=order.created_at)
        assert [(o.platform_order_id, b.kind) for o, b in found] == [("P1", BasisKind.MASKED), ("J2", BasisKind.MOBILE),
                                                                     ("J1", BasisKind.MOBILE)]


def test_platform_refunds_and_disputes_weigh_on_the_credit_score(no_duplicate_check, seeded):
    from oms_tui.models import PlatformRefund, RefundState

    stock_up(seeded, "HG-001", 20)
    shipped = ingest(seeded, "T1", {"HG-001": 1}, paid_minutes_ago=300)
    open_order = ingest(seeded, "T2", {"HG-001": 1}, paid_minutes_ago=200)
    _ship(seeded, shipped.id, "YT0000000000001")
    with session_scope(seeded) as s:
        for refund_id, order, state in (("R1", shipped, RefundState.REFUNDED), ("R2", open_order, RefundState.REFUNDED),
                                        ("R3", shipped, RefundState.CLOSED), ("R4", open_order, RefundState.CLOSED),
                                        ("R5", shipped, RefundState.REQUESTED)):
            s.add(PlatformRefund(platform="taobao", refund_id=refund_id, platform_order_id=order.platform_order_id,
                                 order_id=order.id, state=state))
    with read_session(seeded) as s:
        found = history.customer_history(s, shipped.customer_id)
    # refunds paid: R1 and R2; a dispute: R3 (after shipping, closed unpaid) — R4 was before shipping
    assert (found.platform_refunds, found.disputes) == (2, 1)
    # 60 + 3×1 shipped − 5×2 refunds − 10×1 dispute
    assert history.credit_summary(found).score == 43
