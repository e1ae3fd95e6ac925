"""Mapping platform payloads to NormalizedOrder: money, times, statuses, codes, masks, malformed records.
No network here; the clients are exercised against the simulator in test_clients.py."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from oms_tui.money import InvalidAmount
from oms_tui.phrases import render
from oms_tui.platforms import jd, pdd, taobao
from oms_tui.platforms.base import MalformedRecord, split_window
from oms_tui.platforms.mapping import (
    BEIJING,
    UNMATCHED_PREFIX,
    MappingError,
    parse_beijing,
    yuan_to_fen,
)
from oms_tui.services.orders.normalized import NormalizedOrder, PlatformState
from tests.helpers.platforms import JD_ORDER, PDD_ORDER, TRADE

# --- money and time --------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "fen"), [
    ("123.40", 12340), ("0.01", 1), ("19.9", 1990), ("100", 10000), (188.0, 18800), (19.9, 1990),
    (0.1, 10), (1022.6, 102260), (Decimal("35.50"), 3550), (7, 700), (" 8.80 ", 880),
])
def test_yuan_to_fen_exact(value, fen) -> None:
    assert yuan_to_fen(value) == fen


@pytest.mark.parametrize("value", ["abc", "", None, "12,3元", "12,3", "1,234.50", True, "-1.00", "1.005", "NaN", "Infinity", [1]])
def test_yuan_to_fen_rejects(value) -> None:
    with pytest.raises(InvalidAmount):
        yuan_to_fen(value, field="payment")


def test_parse_beijing_is_aware_utc8() -> None:
    t = parse_beijing("2026-11-24 10:00:00")
    assert t.tzinfo is not None
    assert t.astimezone(timezone.utc) == datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)
    with pytest.raises(MappingError):
        parse_beijing("yesterday")
    with pytest.raises(MappingError):
        parse_beijing(None)


# --- windows ---------------------------------------------------------------------------------


def bj(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)


def test_split_window_same_day_and_one_day_max() -> None:
    windows = split_window(bj("2026-11-23 20:00:00"), bj("2026-11-26 03:00:00"), timedelta(days=1), same_day_tz=BEIJING)
    assert [(a.astimezone(BEIJING).strftime("%d %H:%M:%S"), b.astimezone(BEIJING).strftime("%d %H:%M:%S"))
            for a, b in windows] == [
        ("23 20:00:00", "23 23:59:59"), ("24 00:00:00", "24 23:59:59"), ("25 00:00:00", "25 23:59:59"),
        ("26 00:00:00", "26 03:00:00"),
    ]


def test_split_window_thirty_minutes() -> None:
    start = bj("2026-11-24 09:00:00")
    windows = split_window(start, start + timedelta(minutes=75, seconds=30), timedelta(minutes=30))
    assert [(b - a) for a, b in windows] == [timedelta(minutes=30), timedelta(minutes=30),
                                             timedelta(minutes=15, seconds=30)]
    assert windows[0][1] == windows[1][0]  # adjoining windows share the boundary second


def test_split_window_edges() -> None:
    t = bj("2026-11-24 09:00:00")
    assert split_window(t, t, timedelta(minutes=30)) == [(t, t)]
    with pytest.raises(ValueError):
        split_window(t, t - timedelta(seconds=1), timedelta(minutes=30))
    with pytest.raises(ValueError):
        split_window(t.replace(tzinfo=None), t, timedelta(minutes=30))


# --- Taobao ----------------------------------------------------------------------------------

def test_taobao_trade_maps_every_field() -> None:
    order = taobao.map_trade(TRADE, "天猫店")
    assert isinstance(order, NormalizedOrder)
    assert order.platform == "taobao" and order.platform_order_id == "3123456789012345678"
    assert order.shop == "天猫店"
    assert order.state == PlatformState.PAID and order.platform_status == "WAIT_SELLER_SEND_GOODS"
    assert (order.paid_fen, order.total_fen, order.post_fee_fen, order.discount_fen) == (12340, 11940, 1000, 600)
    assert (order.receiver_name, order.receiver_phone) == ("张**", "138****5678")  # masked, kept as given
    assert (order.receiver_province, order.receiver_city, order.receiver_district) == ("浙江省", "杭州市", "西湖区")
    assert order.receiver_address == "文新街道文三路****"
    assert order.buyer_id == "AAHopenuid" and order.buyer_remark == "请尽快发货" and order.seller_memo == "VIP"
    assert order.paid_at == datetime(2026, 11, 24, 1, 59, 30, tzinfo=timezone.utc)
    assert order.created_at.utcoffset() == timedelta(hours=8)
    assert [(l.sku_code, l.qty, l.price_fen, l.platform_line_id) for l in order.lines] == [
        ("HG-001", 2, 1990, "900000000000000001"),  # outer_sku_id
        ("MB-001", 1, 7960, "900000000000000002"),  # no outer_sku_id: outer_iid
    ]
    assert order.lines[0].title == "竹纤维毛巾 颜色:白色"


@pytest.mark.parametrize(("status", "state"), [
    ("WAIT_SELLER_SEND_GOODS", PlatformState.PAID),
    ("TRADE_CLOSED", PlatformState.CANCELLED), ("TRADE_CLOSED_BY_TAOBAO", PlatformState.CANCELLED),
    ("WAIT_BUYER_CONFIRM_GOODS", PlatformState.SHIPPED), ("SELLER_CONSIGNED_PART", PlatformState.PAID),
    ("TRADE_FINISHED", PlatformState.FINISHED), ("TRADE_BUYER_SIGNED", PlatformState.FINISHED),
    ("WAIT_BUYER_PAY", PlatformState.AWAITING_PAYMENT), ("TRADE_NO_CREATE_PAY", PlatformState.AWAITING_PAYMENT),
    ("PAY_PENDING", PlatformState.AWAITING_PAYMENT), ("WAIT_PRE_AUTH_CONFIRM", PlatformState.AWAITING_PAYMENT),
    ("PAID_FORBID_CONSIGN", PlatformState.PAID),
])
def test_taobao_status_map(status, state) -> None:
    assert taobao.map_trade({**TRADE, "status": status}).state == state


def test_taobao_paid_but_forbidden_to_ship_is_blocked_naming_the_status() -> None:
    assert taobao.map_trade(TRADE).platform_block == ""
    blocked = taobao.map_trade({**TRADE, "status": "PAID_FORBID_CONSIGN"})
    assert "PAID_FORBID_CONSIGN" in render(blocked.platform_block) and "status" in render(blocked.platform_block)


def test_taobao_partly_consigned_keeps_only_the_lines_still_to_ship() -> None:
    """SELLER_CONSIGNED_PART: the seller shipped some lines; the rest are still ours to send."""
    trade = copy.deepcopy(TRADE) | {"status": "SELLER_CONSIGNED_PART"}
    first, second = trade["orders"]["order"]
    first |= {"status": "WAIT_BUYER_CONFIRM_GOODS", "consign_time": "2026-11-24 12:00:00"}
    second |= {"status": "WAIT_SELLER_SEND_GOODS"}
    order = taobao.map_trade(trade)
    assert order.state == PlatformState.PAID and order.platform_status == "SELLER_CONSIGNED_PART"
    assert [line.sku_code for line in order.lines] == ["MB-001"]
    assert [line.sku_code for line in order.shipped_lines] == ["HG-001"]
    second |= {"status": "WAIT_BUYER_CONFIRM_GOODS"}  # every line gone after all: shipped
    assert taobao.map_trade(trade).state == PlatformState.SHIPPED


def test_taobao_paid_with_every_line_refunded_is_cancelled() -> None:
    trade = copy.deepcopy(TRADE)
    for line in trade["orders"]["order"]:
        line["refund_status"] = "SUCCESS"
    assert taobao.map_trade(trade).state == PlatformState.CANCELLED
    trade["orders"]["order"][1]["refund_status"] = "WAIT_SELLER_AGREE"  # one line still live: still paid
    assert taobao.map_trade(trade).state == PlatformState.PAID


def test_taobao_line_without_any_outer_code_keeps_the_platform_id() -> None:
    trade = copy.deepcopy(TRADE)
    trade["orders"]["order"][1]["outer_iid"] = ""
    order = taobao.map_trade(trade)
    assert order.lines[1].sku_code == UNMATCHED_PREFIX + "600000000002"


@pytest.mark.parametrize(("change", "reason"), [
    ({"tid": None}, "tid"), ({"payment": "12,3元"}, "payment"), ({"payment": "abc"}, "payment"),
    ({"orders": {"order": []}}, "no lines"), ({"status": "SOMETHING_NEW"}, "status"), ({"created": "x"}, "created"),
])
def test_taobao_malformed(change, reason) -> None:
    result = taobao.to_result({**TRADE, **change})
    assert isinstance(result, MalformedRecord)
    assert result.platform == "taobao" and reason in result.reason
    assert result.raw["status"] == {**TRADE, **change}["status"]
    if change.get("tid", 1) is not None:
        assert result.platform_order_id == "3123456789012345678"
    else:
        assert result.platform_order_id is None


def test_taobao_bad_quantity_is_malformed() -> None:
    trade = copy.deepcopy(TRADE)
    trade["orders"]["order"][0]["num"] = 0
    assert isinstance(taobao.to_result(trade), MalformedRecord)


# --- JD --------------------------------------------------------------------------------------

def test_jd_order_maps_every_field() -> None:
    order = jd.map_order(JD_ORDER, "京东店")
    assert (order.platform, order.platform_order_id, order.state) == ("jd", "312345678901", PlatformState.PAID)
    assert (order.total_fen, order.paid_fen, order.post_fee_fen, order.discount_fen) == (19800, 19600, 800, 1000)
    assert (order.receiver_name, order.receiver_phone, order.receiver_province, order.receiver_district) == (
        "李**", "139****1234", "江苏", "鼓楼区")
    assert order.receiver_address.endswith("中山北****")
    assert [(l.sku_code, l.qty, l.price_fen) for l in order.lines] == [("MB-001", 2, 9900)]
    assert order.buyer_remark == "周末送货"


@pytest.mark.parametrize(("state", "expected"), [
    ("WAIT_SELLER_STOCK_OUT", PlatformState.PAID), ("WAIT_GOODS_RECEIVE_CONFIRM", PlatformState.SHIPPED),
    ("FINISHED_L", PlatformState.FINISHED), ("TRADE_CANCELED", PlatformState.CANCELLED),
    ("LOCKED", PlatformState.PAID), ("POP_ORDER_PAUSE", PlatformState.PAID),
])
def test_jd_status_map(state, expected) -> None:
    assert jd.map_order({**JD_ORDER, "orderState": state}).state == expected


@pytest.mark.parametrize("state", ["LOCKED", "POP_ORDER_PAUSE"])
def test_jd_held_on_the_platform_is_blocked(state) -> None:
    assert jd.map_order(JD_ORDER).platform_block == ""
    assert state in render(jd.map_order({**JD_ORDER, "orderState": state}).platform_block)


@pytest.mark.parametrize("change", [{"orderId": ""}, {"orderPayment": "n/a"}, {"itemInfoList": []},
                                    {"orderState": "WHO_KNOWS"}])
def test_jd_malformed(change) -> None:
    assert isinstance(jd.to_result({**JD_ORDER, **change}), MalformedRecord)


# --- PDD -------------------------------------------------------------------------------------

def test_pdd_order_maps_masked_copies_and_money() -> None:
    order = pdd.map_order(PDD_ORDER, "拼多多店")
    assert (order.platform_order_id, order.state) == ("261124-422796379670125", PlatformState.PAID)
    assert (order.paid_fen, order.total_fen, order.discount_fen, order.post_fee_fen) == (18800, 19990, 1790, 600)
    assert (order.receiver_name, order.receiver_phone, order.receiver_address) == ("林*坤", "1*********5",
                                                                                   "庵埠镇安南路****")
    assert order.receiver_district == "潮安区"
    assert [(l.sku_code, l.qty, l.price_fen, l.title) for l in order.lines] == [
        ("HG-CUSTOM", 1, 19990, "定制刻字砧板 40x28cm")]


def test_pdd_money_parsed_as_decimal() -> None:
    """The clients parse JSON numbers as Decimal; both forms give the same fen."""
    assert pdd.map_order({**PDD_ORDER, "pay_amount": Decimal("188.0"), "goods_amount": Decimal("199.9")}).paid_fen == 18800


def test_pdd_never_shows_ciphertext() -> None:
    raw = {k: v for k, v in PDD_ORDER.items() if not k.endswith("_mask")}
    order = pdd.map_order(raw)
    assert order.receiver_name == order.receiver_phone == order.receiver_address == ""


@pytest.mark.parametrize(("status", "refund", "expected"), [
    (1, 1, PlatformState.PAID), (1, 2, PlatformState.PAID), (1, 4, PlatformState.CANCELLED),
    (2, 1, PlatformState.SHIPPED), (2, 4, PlatformState.SHIPPED), (3, 1, PlatformState.FINISHED),
])
def test_pdd_status_map(status, refund, expected) -> None:
    assert pdd.map_order({**PDD_ORDER, "order_status": status, "refund_status": refund}).state == expected


@pytest.mark.parametrize(("field", "value"), [("confirm_status", 0), ("confirm_status", 2), ("group_status", 0),
                                              ("group_status", 2), ("risk_control_status", 1)])
def test_pdd_order_the_platform_says_not_to_ship_is_paid_but_blocked(field, value) -> None:
    """order_status 1 alone is not enough (PROTOCOLS.md): these fields say not to ship yet."""
    cleared = {**PDD_ORDER, "confirm_status": 1, "group_status": 1, "risk_control_status": 0}
    assert pdd.map_order(cleared).platform_block == "" and pdd.map_order(PDD_ORDER).platform_block == ""
    order = pdd.map_order({**cleared, field: value})
    assert order.state == PlatformState.PAID
    assert f"{field} is {value}" in render(order.platform_block)


@pytest.mark.parametrize("change", [{"order_sn": None}, {"pay_amount": "12,3元"}, {"item_list": []},
                                    {"order_status": 9}])
def test_pdd_malformed(change) -> None:
    assert isinstance(pdd.to_result({**PDD_ORDER, **change}), MalformedRecord)
