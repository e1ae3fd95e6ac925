"""Review rules on intake: each rule, masked data, duplicates across platforms, limits per period,
re-checks on platform updates — on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import select

from oms_tui.config import PurchaseLimit, ReviewConfig, Settings
from oms_tui.db import read_session, session_scope
from oms_tui.models import Hold, HoldKind, OrderStatus
from oms_tui.phrases import english
from oms_tui.services.core.actor import Actor
from oms_tui.services.cs import review
from oms_tui.services.orders import actions, holds, queries
from oms_tui.services.orders import intake_rules as review_rules
from tests.helpers.shop import assert_books_balance, ingest, level, stock_up

PDD_MASKED = dict(platform="pdd", buyer_id="", receiver_name="张*", receiver_phone="1*********0")


@pytest.fixture
def stocked(seeded):
    stock_up(seeded, "HG-001", 50)
    stock_up(seeded, "MB-001", 50)
    return seeded


def open_kinds(engine, order) -> dict[str, str]:
    with read_session(engine) as s:
        return {h.kind: english(h.reason) for h in holds.open_holds(s, order.id)}


def status(engine, order) -> str:
    with read_session(engine) as s:
        return queries.get_order(s, order.id).status


def test_defaults_and_configure():
    config = Settings().review
    assert config.address_check and config.remark_check and config.coupon_max_percent == 30
    assert config.duplicate_check and config.duplicate_window_hours == 24
    assert config.duplicate_scope == "cross_platform" and config.limits == []
    with review_rules.configured(duplicate_check=False, limits=[{"sku": "MB-001", "qty": 6}]) as cfg:
        assert review_rules.current_config() is cfg and not cfg.duplicate_check
        assert cfg.limits == [PurchaseLimit(sku="MB-001", qty=6, days=30)]
    assert review_rules.current_config() == Settings().review
    review_rules.configure(ReviewConfig(remark_check=False))
    try:
        assert not review_rules.current_config().remark_check
    finally:
        review_rules.configure(None)
    with pytest.raises(ValueError):
        with review_rules.configured(coupon_max_percent=101):
            pass


def test_a_plain_order_passes_every_default_rule(stocked):
    order = ingest(stocked, "T1", {"HG-001": 1})
    assert status(stocked, order) == OrderStatus.READY and open_kinds(stocked, order) == {}


@pytest.mark.parametrize(("fields", "found"), [
    (dict(receiver_province=""), "no province"),
    (dict(receiver_city=" "), "no city"),
    (dict(receiver_address=""), "no detail address"),
    (dict(receiver_address="1号"), "detail address too short ('1号', under 4 characters)"),
    (dict(receiver_phone=""), "no phone"),
    (dict(receiver_phone="12345"), "phone '12345' is neither a mobile, a masked number nor a landline"),
])
def test_address_invalid(stocked, fields, found):
    order = ingest(stocked, "T1", {"HG-001": 1}, **fields)
    kinds = open_kinds(stocked, order)
    assert set(kinds) == {HoldKind.ADDRESS_INVALID} and found in kinds[HoldKind.ADDRESS_INVALID]
    assert "(address: " in kinds[HoldKind.ADDRESS_INVALID]  # says what it looked at
    assert status(stocked, order) == OrderStatus.REVIEW
    assert level(stocked).locked == 1  # locked all the same: the review does not lose the stock


def test_masked_and_encrypted_receivers_are_valid(stocked):
    cases = [
        dict(receiver_phone="138****5678", receiver_name="张**", receiver_address="文三路***号"),  # Taobao
        dict(platform="pdd", receiver_phone="1*********5", receiver_name="林*坤", receiver_address="西溪街道文三****"),
        dict(platform="pdd", receiver_phone="$Y/YKq3vCQ9pM8aZ$0$$", receiver_address="~AgAAAAq3vCQ9pM8aZ~0~~"),
        dict(platform="jd", receiver_phone="0571-88886666", receiver_address="****"),  # landline, fully masked detail
    ]
    for n, fields in enumerate(cases):
        order = ingest(stocked, f"M{n}", {"HG-001": 1}, **fields)
        assert open_kinds(stocked, order) == {}, fields


def test_min_address_chars_is_configurable(stocked):
    with review_rules.configured(min_address_chars=12):
        order = ingest(stocked, "T1", {"HG-001": 1})  # 文三路100号: 7 characters
    assert HoldKind.ADDRESS_INVALID in open_kinds(stocked, order)
    with review_rules.configured(address_check=False):
        order = ingest(stocked, "T2", {"HG-001": 1}, receiver_province="")
    assert open_kinds(stocked, order) == {}


def test_buyer_remark(stocked):
    order = ingest(stocked, "T1", {"HG-001": 1}, buyer_remark="请发顺丰，谢谢")
    assert open_kinds(stocked, order) == {HoldKind.BUYER_REMARK: "buyer remark: 请发顺丰，谢谢"}
    assert status(stocked, order) == OrderStatus.REVIEW
    with review_rules.configured(remark_check=False):
        quiet = ingest(stocked, "T2", {"HG-001": 1}, buyer_remark="随便")
    assert open_kinds(stocked, quiet) == {}


@pytest.mark.parametrize(("amounts", "held"), [
    (dict(total_fen=10000, paid_fen=6000), True),  # 40% off: total − paid
    (dict(total_fen=10000, paid_fen=10500, discount_fen=3500, post_fee_fen=4000), True),  # discount_fen says it
    (dict(total_fen=10000, paid_fen=7000), False),  # exactly 30%: allowed
    (dict(total_fen=10000, paid_fen=9000, discount_fen=1000), False),
    (dict(total_fen=0, paid_fen=0), False),
])
def test_coupon_check(stocked, amounts, held):
    order = ingest(stocked, "T1", {"HG-001": 1}, **amounts)
    kinds = open_kinds(stocked, order)
    assert (HoldKind.COUPON_CHECK in kinds) == held
    if held:
        assert "over 30%" in kinds[HoldKind.COUPON_CHECK] and "total ¥100.00" in kinds[HoldKind.COUPON_CHECK]


def test_coupon_threshold_from_config(stocked):
    with review_rules.configured(coupon_max_percent=10):
        order = ingest(stocked, "T1", {"HG-001": 1}, total_fen=10000, paid_fen=8500)
    assert "15% of the price ¥100.00, over 10%" in open_kinds(stocked, order)[HoldKind.COUPON_CHECK]
    with review_rules.configured(coupon_max_percent=None):
        order = ingest(stocked, "T2", {"HG-001": 1}, total_fen=10000, paid_fen=100)
    assert open_kinds(stocked, order) == {}


# --- duplicates ---------------------------------------------------------------------------------

@pytest.fixture
def duplicates_on():
    with review_rules.configured(duplicate_check=True) as config:
        yield config


def test_same_mobile_same_sku_on_two_platforms_holds_both(stocked, duplicates_on):
    first = ingest(stocked, "T1", {"HG-001": 1, "MB-001": 1}, paid_minutes_ago=90)
    assert status(stocked, first) == OrderStatus.READY
    second = ingest(stocked, "J1", {"HG-001": 2}, platform="jd", paid_minutes_ago=30)
    a, b = open_kinds(stocked, first), open_kinds(stocked, second)
    assert a[HoldKind.DUPLICATE_SUSPECT] == (f"possible duplicate of JD J1 (order #{second.id}): same mobile "
                                             "13800138000; shared SKU HG-001; created 60 min apart")
    assert b[HoldKind.DUPLICATE_SUSPECT].startswith(f"possible duplicate of Taobao/Tmall T1 (order #{first.id}): same mobile")
    # Shipping paused on both: blocking, both in review, stock still held.
    assert status(stocked, first) == status(stocked, second) == OrderStatus.REVIEW
    with read_session(stocked) as s:
        assert all(h.blocking for h in s.exec(select(Hold).where(Hold.kind == HoldKind.DUPLICATE_SUSPECT)))
    assert level(stocked).locked == 3
    assert_books_balance(stocked)


def test_masked_taobao_and_pdd_receivers_at_one_address_are_duplicates(stocked, duplicates_on):
    first = ingest(stocked, "T1", {"HG-001": 1}, receiver_phone="138****8000", receiver_name="张**")
    second = ingest(stocked, "P1", {"HG-001": 1}, **PDD_MASKED)
    reason = open_kinds(stocked, second)[HoldKind.DUPLICATE_SUSPECT]
    assert "masked phone 1*********0 ≈ 138****8000 + address key 浙江|杭州市|西湖区|文三路100号 + name 张* ≈ 张**" in reason
    assert HoldKind.DUPLICATE_SUSPECT in open_kinds(stocked, first)


def test_masked_receivers_elsewhere_or_encrypted_are_not_duplicates(stocked, duplicates_on):
    ingest(stocked, "T1", {"HG-001": 1}, receiver_phone="138****8000")
    other_address = ingest(stocked, "P1", {"HG-001": 1}, **PDD_MASKED, receiver_address="莫干山路 8 号")
    other_digit = ingest(stocked, "P2", {"HG-001": 1}, **(PDD_MASKED | {"receiver_phone": "1*********5"}))
    encrypted = ingest(stocked, "P3", {"HG-001": 1}, platform="pdd", buyer_id="",
                       receiver_phone="$Y/YKq3vCQ9pM8aZ$0$$", receiver_name="~AgAAAAnameXYZ~0~~")
    for order in (other_address, other_digit, encrypted):
        assert open_kinds(stocked, order) == {}, order.platform_order_id


def test_no_duplicate_without_a_shared_sku_outside_the_window_or_on_one_platform(stocked, duplicates_on):
    ingest(stocked, "T1", {"HG-001": 1}, paid_minutes_ago=60 * 30)
    late = ingest(stocked, "J1", {"HG-001": 1}, platform="jd")  # 29 h later
    other_sku = ingest(stocked, "P1", {"MB-001": 1}, platform="pdd")
    # A repeat buyer on one platform is normal (and J1 is 29 h away from this one too).
    same_platform = ingest(stocked, "T2", {"HG-001": 1}, paid_minutes_ago=60 * 29 + 30)
    for order in (late, other_sku, same_platform):
        assert open_kinds(stocked, order) == {}, order.platform_order_id


def test_scope_any_also_checks_the_same_platform(stocked):
    with review_rules.configured(duplicate_check=True, duplicate_scope="any", duplicate_window_hours=2):
        first = ingest(stocked, "T1", {"HG-001": 1}, paid_minutes_ago=100)
        second = ingest(stocked, "T2", {"HG-001": 1})
        third = ingest(stocked, "T3", {"HG-001": 1}, paid_minutes_ago=60 * 5)  # outside the 2 h window
    assert HoldKind.DUPLICATE_SUSPECT in open_kinds(stocked, first)
    assert HoldKind.DUPLICATE_SUSPECT in open_kinds(stocked, second)
    assert open_kinds(stocked, third) == {}


def test_cancelled_or_shipped_orders_are_not_duplicates(stocked, duplicates_on):
    cancelled = ingest(stocked, "T1", {"HG-001": 1})
    shipped = ingest(stocked, "T2", {"HG-001": 1})
    with session_scope(stocked) as s:
        actions.cancel(s, queries.get_order(s, cancelled.id), actor=Actor.system("cs"), reason="拍错了")
        order = queries.get_order(s, shipped.id)
        actions.start_picking(s, order, user="w")
        actions.mark_packed(s, order, user="w")
        actions.ship(s, order, waybill="YT1234567890123", courier="yuantong", user="w")
    again = ingest(stocked, "J1", {"HG-001": 1}, platform="jd")
    assert open_kinds(stocked, again) == {}


def test_duplicate_of_an_order_on_the_floor_stops_it(stocked, duplicates_on):
    first = ingest(stocked, "T1", {"HG-001": 1})
    with session_scope(stocked) as s:
        actions.start_picking(s, queries.get_order(s, first.id), user="w")
    ingest(stocked, "J1", {"HG-001": 1}, platform="jd")
    assert status(stocked, first) == OrderStatus.REVIEW
    assert HoldKind.DUPLICATE_SUSPECT in open_kinds(stocked, first)


def test_three_orders_name_each_other_and_a_decided_pair_is_not_raised_again(stocked, duplicates_on):
    first = ingest(stocked, "T1", {"HG-001": 1})
    second = ingest(stocked, "J1", {"HG-001": 1}, platform="jd")
    third = ingest(stocked, "P1", {"HG-001": 1}, **PDD_MASKED)
    reason = open_kinds(stocked, first)[HoldKind.DUPLICATE_SUSPECT]
    assert f"(order #{second.id})" in reason and f"also Pinduoduo P1 (order #{third.id})" in reason
    with session_scope(stocked) as s:
        review.keep_both(s, first.id, actor=Actor.system("cs"))
    assert all(status(stocked, o) == OrderStatus.READY for o in (first, second, third))
    # The buyer edits the address on JD: CS checks the ready order's new receiver; the decided pair is not
    # raised again.
    ingest(stocked, "J1", {"HG-001": 1}, platform="jd", receiver_address="文三路 100 号 2 单元")
    assert set(open_kinds(stocked, second)) == {HoldKind.SYNC_CONFLICT}


# --- purchase limits ------------------------------------------------------------------------------

LIMIT = [PurchaseLimit(sku="MB-001", qty=6, days=30)]


def test_limit_per_customer_per_sku_per_period(stocked):
    with review_rules.configured(limits=LIMIT):
        old = ingest(stocked, "T0", {"MB-001": 5}, paid_minutes_ago=60 * 24 * 40)  # 40 days ago: outside
        first = ingest(stocked, "T1", {"MB-001": 4, "HG-001": 9}, paid_minutes_ago=60 * 24 * 10)
        second = ingest(stocked, "J1", {"MB-001": 2}, platform="jd", paid_minutes_ago=60 * 24 * 5)  # 6: at the limit
        third = ingest(stocked, "P1", {"MB-001": 1}, **PDD_MASKED)  # 7: over, matched through the mask
        stranger = ingest(stocked, "T2", {"MB-001": 6}, receiver_phone="13900139000", receiver_address="莫干山路 8 号")
        alone = ingest(stocked, "T3", {"MB-001": 7}, receiver_phone="13700137000", receiver_address="莫干山路 9 号")
    for order in (old, first, second, stranger):
        assert HoldKind.LIMIT_EXCEEDED not in open_kinds(stocked, order), order.platform_order_id
    reason = open_kinds(stocked, third)[HoldKind.LIMIT_EXCEEDED]
    assert reason.startswith("over the purchase limit: MB-001: 7 in 30 days, limit 6 (this order ×1 + "
                             "Taobao/Tmall T1 ×4; JD J1 ×2; same customer by ")
    assert "masked phone 1*********0 ≈ 13800138000" in reason
    assert open_kinds(stocked, alone)[HoldKind.LIMIT_EXCEEDED] == (
        "over the purchase limit: MB-001: 7 in this order, limit 6 per 30 days")
    assert status(stocked, third) == OrderStatus.REVIEW


def test_a_bundle_counts_towards_a_limit_as_its_components(stocked):
    from oms_tui.services.catalogue import sku_mapping
    from tests.helpers.shop import ingest_lines, platform_line

    with session_scope(stocked) as s:
        sku_mapping.save_mapping(s, shop="旗舰店", platform="taobao", platform_sku_id="7000011",
                                 components=[("MB-001", 3)], actor=Actor("zhang", {"cs"}))
    with review_rules.configured(limits=LIMIT):
        order = ingest_lines(stocked, "T1", [platform_line("MB-SET3", 3, sku="7000011")])  # 9 packs of wipes
    assert open_kinds(stocked, order)[HoldKind.LIMIT_EXCEEDED] == (
        "over the purchase limit: MB-001: 9 in this order, limit 6 per 30 days")


def test_cancelled_orders_do_not_count_towards_a_limit(stocked):
    with review_rules.configured(limits=LIMIT):
        first = ingest(stocked, "T1", {"MB-001": 5})
        with session_scope(stocked) as s:
            actions.cancel(s, queries.get_order(s, first.id), actor=Actor.system("cs"), reason="拍错了")
        second = ingest(stocked, "T2", {"MB-001": 5})
    assert open_kinds(stocked, second) == {}


# --- platform updates -----------------------------------------------------------------------------

def test_an_update_rechecks_only_what_changed(stocked):
    order = ingest(stocked, "T1", {"HG-001": 1}, buyer_remark="周末送", total_fen=10000, paid_fen=5000)
    assert set(open_kinds(stocked, order)) == {HoldKind.BUYER_REMARK, HoldKind.COUPON_CHECK}
    with session_scope(stocked) as s:
        review.accept_remark(s, order.id, actor=Actor.system("cs"))
    # The address changes to something unusable: the address rule runs, the remark rule does not.
    ingest(stocked, "T1", {"HG-001": 1}, buyer_remark="周末送", total_fen=10000, paid_fen=5000,
           receiver_address="x")
    assert set(open_kinds(stocked, order)) == {HoldKind.ADDRESS_INVALID, HoldKind.COUPON_CHECK}
    # Corrected on the platform, and the price settled: both holds go by themselves.
    ingest(stocked, "T1", {"HG-001": 1}, buyer_remark="周末送", total_fen=10000, paid_fen=9000,
           receiver_address="文三路 100 号")
    assert open_kinds(stocked, order) == {} and status(stocked, order) == OrderStatus.READY
    # A new remark is a new thing to read.
    ingest(stocked, "T1", {"HG-001": 1}, buyer_remark="改成周一送", total_fen=10000, paid_fen=9000)
    assert open_kinds(stocked, order) == {HoldKind.BUYER_REMARK: "buyer remark: 改成周一送"}
    with read_session(stocked) as s:
        resolved = [h for h in holds.holds_of(s, order.id) if h.resolved_at is not None]
    assert {english(h.resolution) for h in resolved} >= {"receiver corrected on the platform",
                                                "discount back within the limit after a platform update"}


def test_updates_to_a_shipped_order_open_nothing(stocked):
    order = ingest(stocked, "T1", {"HG-001": 1})
    with session_scope(stocked) as s:
        o = queries.get_order(s, order.id)
        actions.start_picking(s, o, user="w")
        actions.mark_packed(s, o, user="w")
        actions.ship(s, o, waybill="YT1234567890123", courier="yuantong", user="w")
    ingest(stocked, "T1", {"HG-001": 1}, buyer_remark="到了吗？", receiver_address="", platform_status="SHIPPED")
    assert open_kinds(stocked, order) == {} and status(stocked, order) == OrderStatus.SHIPPED
