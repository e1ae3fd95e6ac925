"""The simulated Pinduoduo router: its API types, error table, limits, signature check, request
rules and order payloads, written from PROTOCOLS.md (never from the adapter's module)."""

from __future__ import annotations

import base64
import random
import zlib
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from oms_tui.platforms.simulator.generate import (
    digits,
    mask_name_pdd,
    mask_phone_pdd,
    mask_street,
)
from oms_tui.platforms.simulator.model import Draft, SimResponse, SimShop
from oms_tui.platforms.simulator.wire import (
    BEIJING,
    format_beijing,
    md5_wrapped,
    sign_matches,
    string_to_sign,
    to_int,
    yuan_number,
)

if TYPE_CHECKING:
    from oms_tui.platforms.simulator.state import SimulatorState

PLATFORM = "pdd"
PATHS = ("/pdd/api/router", "/api/router")

API_INCREMENT = "pdd.order.number.list.increment.get"
API_INFORMATION = "pdd.order.information.get"
API_LOGISTICS_SEND = "pdd.logistics.online.send"
RESPONSE_KEYS = {
    API_INCREMENT: "order_sn_increment_get_response",
    API_INFORMATION: "order_info_get_response",
    API_LOGISTICS_SEND: "logistics_online_send_response",  # not in PROTOCOLS.md *(unconfirmed)*
}

# PROTOCOLS.md gives no timestamp tolerance for PDD: the simulator's own, as Taobao's.
TIMESTAMP_TOLERANCE = timedelta(minutes=10)
MAX_WINDOW = timedelta(minutes=30)
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 100  # the simulator's choice when page_size is left out

# Error codes from PROTOCOLS.md: 20004 signature check failed, 10019 access_token expired;
# 52001 rate limited was found in no public source *(unconfirmed)*.
ERR_SIGN = 20004
ERR_ACCESS_TOKEN_EXPIRED = 10019
ERR_RATE_LIMITED = 52001
ERR_PARAM = 10000  # the simulator's own: bad parameters, unknown type, bad timestamp

# What the simulator's generator and fault injection need to know about an order payload.
ORDER_ID_FIELD = "order_sn"
PAYMENT_FIELD = "pay_amount"
# logistics_id values the simulated PDD shop accepts for our courier codes: the simulator's own,
# NOT PDD's real ids (any non-empty id is accepted). For the demo: client_for(shop, courier_codes=...).
COURIER_CODES = {code: str(8000 + n) for n, code in enumerate(
    ("shunfeng", "zhongtong", "yuantong", "yunda", "shentong", "jtexpress", "ems", "jd", "debangkuaidi"))}


def expected_sign(params: Mapping[str, str], client_secret: str) -> str:
    """PDD's sign: S wrapped in the client secret, MD5, upper-case hex."""
    return md5_wrapped(client_secret, string_to_sign(params))


def new_order_id(rng: random.Random, moment: datetime) -> str:
    """``YYMMDD-`` (the Beijing day) and 15 digits, as in ``240318-422796379670125``."""
    return f"{moment.astimezone(BEIJING):%y%m%d}-{digits(rng, 15)}"


def clear_lines(payload: dict[str, Any]) -> None:
    payload["item_list"] = []


# --- the router --------------------------------------------------------------------------------

def handle(state: SimulatorState, params: Mapping[str, str]) -> SimResponse:
    """One call to PDD's router: client id and sign, timestamp, token, then the type."""
    api = params.get("type", "")

    def err(code: int, msg: str, sub_code: str = "", sub_msg: str = "") -> SimResponse:
        state.log_call(PLATFORM, api, params, f"error {code}")
        return SimResponse(200, {"error_response": {"error_code": code, "error_msg": msg, "sub_code": sub_code,
                                                    "sub_msg": sub_msg, "request_id": state.request_id()}})

    with state.lock:
        fault = state.take_fault(PLATFORM)
        if isinstance(fault, int):
            state.log_call(PLATFORM, api, params, f"HTTP {fault}")
            return SimResponse(fault, {"error": "service unavailable"})
        if fault == "rate":
            return err(ERR_RATE_LIMITED, "请求过于频繁，触发限流", "rate_limited")
        shop = state.shop(PLATFORM, params.get("client_id", ""))
        if shop is None or not sign_matches(params.get("sign"), expected_sign(params, shop.app_secret)):
            return err(ERR_SIGN, "签名错误或client_id不存在", "sign_error", "sign error")
        ts = to_int(params.get("timestamp"), None)
        if not state.timestamp_ok(datetime.fromtimestamp(ts, timezone.utc) if ts else None, TIMESTAMP_TOLERANCE):
            return err(ERR_PARAM, "时间戳无效", "timestamp_invalid")
        if params.get("access_token") != shop.session:
            return err(ERR_ACCESS_TOKEN_EXPIRED, "access_token已过期", "access_token_expired")
        if api == API_INCREMENT:
            return _increment(state, shop, params, err)
        if api == API_INFORMATION:
            return _information(state, shop, params, err)
        if api == API_LOGISTICS_SEND:
            return _logistics_send(state, shop, params, err)
        return err(ERR_PARAM, "无效的接口类型", "type_invalid")


def _increment(state: SimulatorState, shop: SimShop, params: Mapping[str, str],
               err: Callable[..., SimResponse]) -> SimResponse:
    start, end = to_int(params.get("start_updated_at"), None), to_int(params.get("end_updated_at"), None)
    if start is None or end is None or start > end:
        return err(ERR_PARAM, "参数错误：start_updated_at/end_updated_at", "param_invalid")
    if end - start > MAX_WINDOW.total_seconds():
        return err(ERR_PARAM, "参数错误：时间间隔不能超过30分钟", "param_invalid")
    page, size = to_int(params.get("page"), 1), to_int(params.get("page_size"), DEFAULT_PAGE_SIZE)
    if page is None or size is None or page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        return err(ERR_PARAM, "参数错误：page/page_size", "param_invalid")
    matched = sorted((o for o in shop.orders.values() if start <= int(o.modified.timestamp()) <= end),
                     key=lambda o: (o.modified, o.key))
    chunk = matched[(page - 1) * size: page * size]
    rows = [{k: o.payload[k] for k in ("order_sn", "order_status", "refund_status", "updated_at")
             if k in o.payload} for o in chunk]
    state.log_call(PLATFORM, API_INCREMENT, params)
    return SimResponse(200, {RESPONSE_KEYS[API_INCREMENT]: {
        "total_count": len(matched), "has_next": page * size < len(matched), "order_sn_list": rows}})


def _information(state: SimulatorState, shop: SimShop, params: Mapping[str, str],
                 err: Callable[..., SimResponse]) -> SimResponse:
    order = shop.orders.get(params.get("order_sn", ""))
    if order is None:
        return err(ERR_PARAM, "订单不存在", "order_not_exist")
    state.log_call(PLATFORM, API_INFORMATION, params)
    return SimResponse(200, {RESPONSE_KEYS[API_INFORMATION]: {"order_info": order.payload}})


def _logistics_send(state: SimulatorState, shop: SimShop, params: Mapping[str, str],
                    err: Callable[..., SimResponse]) -> SimResponse:
    sn, logistics_id, waybill = (params.get(k, "") for k in ("order_sn", "logistics_id", "tracking_number"))
    if not (sn and logistics_id and waybill):
        return err(ERR_PARAM, "缺少参数order_sn/logistics_id/tracking_number", "param_invalid")
    order = shop.orders.get(sn)
    if order is None or order.draft is None or order.draft.status != "paid":
        return err(ERR_PARAM, "订单不存在或状态不允许发货", "order_status_invalid")
    if state.take_ship_refusal(PLATFORM):
        return err(ERR_PARAM, "运单号不符合规则", "tracking_number_invalid")
    state.ship(order, waybill, logistics_id)
    state.log_call(PLATFORM, API_LOGISTICS_SEND, params)
    return SimResponse(200, {RESPONSE_KEYS[API_LOGISTICS_SEND]: {"is_success": True}})


# --- the order payload -------------------------------------------------------------------------

def _cipher(rng: random.Random, marker: str) -> str:
    """A made-up ciphertext in PDD's shapes: ``~AgAAAA…~0~~`` or ``$Y/YK…$0$$``."""
    body = base64.b64encode(bytes(rng.randrange(256) for _ in range(36))).decode()
    if marker == "~":
        return f"~AgAAAA{body}~0~~"
    return "$Y/YK" + body + "$0$$"


def render(d: Draft) -> dict[str, Any]:
    """A draft as a PDD order: receiver encrypted with masked copies, money as JSON numbers."""
    status = {"unpaid": 1, "paid": 1, "shipped": 2, "finished": 3, "cancelled": 1}[d.status]
    refund = 4 if d.status == "cancelled" else 1
    r = d.receiver
    rng = random.Random(d.secret_seed ^ zlib.crc32((r.name + r.phone + r.street).encode()))
    platform_discount = min(d.discount_fen, 200)
    return {
        "order_sn": d.order_id, "order_status": status, "refund_status": refund, "confirm_status": 1,
        "created_time": format_beijing(d.created),
        "confirm_time": format_beijing(d.paid_at) if d.paid_at else "",
        "pay_time": format_beijing(d.paid_at) if d.paid_at else "",
        "updated_at": format_beijing(d.modified),
        "pay_amount": yuan_number(d.paid_fen), "goods_amount": yuan_number(d.total_fen),
        "discount_amount": yuan_number(d.discount_fen), "seller_discount": yuan_number(d.discount_fen - platform_discount),
        "platform_discount": yuan_number(platform_discount), "postage": yuan_number(d.post_fee_fen),
        "province": r.province, "city": r.city, "town": r.district,
        "province_id": r.region_ids[0], "city_id": r.region_ids[1], "town_id": r.region_ids[2],
        "receiver_name": _cipher(rng, "~"), "receiver_phone": _cipher(rng, "$"), "receiver_address": _cipher(rng, "~"),
        "receiver_name_mask": mask_name_pdd(r.name), "receiver_phone_mask": mask_phone_pdd(r.phone),
        "receiver_address_mask": f"{r.town}{mask_street(r.street)}",
        "buyer_memo": d.buyer_message, "remark": d.seller_memo,
        "tracking_number": d.waybill, "shipping_time": format_beijing(d.shipped_at) if d.shipped_at else "",
        "stock_out_handle_status": -1,
        "item_list": [{"goods_id": line.item_id, "sku_id": line.platform_sku_id, "outer_id": line.sku_code,
                       "outer_goods_id": line.sku_code.split("-")[0], "goods_name": line.title,
                       "goods_spec": line.spec, "goods_count": line.qty,
                       "goods_price": yuan_number(line.price_fen)} for line in d.lines],
    }
