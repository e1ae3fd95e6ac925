"""The simulated JD JOS router: its API names, error table, limits, signature check, request rules
and order payloads, written from PROTOCOLS.md (never from the adapter's module)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from oms_tui.platforms.simulator.generate import (
    digits,
    mask_name_taobao,
    mask_phone_taobao,
    mask_street,
)
from oms_tui.platforms.simulator.model import Draft, SimOrder, SimResponse, SimShop
from oms_tui.platforms.simulator.wire import (
    format_beijing,
    md5_wrapped,
    parse_beijing,
    sign_matches,
    string_to_sign,
    to_int,
    yuan_text,
)

if TYPE_CHECKING:
    from oms_tui.platforms.simulator.state import SimulatorState

PLATFORM = "jd"
PATHS = ("/jd/routerjson", "/routerjson")

API_ORDER_SEARCH = "jingdong.pop.order.search"
API_ORDER_SEARCH_OLD = "360buy.order.search"  # the older name of the same search
# Ship notice: not in PROTOCOLS.md. The method, its parameters (orderId, logiCoprId, logiNo) and
# the result key are the simulator's reading of JOS *(unconfirmed)*.
API_ORDER_SHIPMENT = "jingdong.pop.order.shipment"
SHIPMENT_RESULT_KEY = "sopjosshipment_result"

TIMESTAMP_TOLERANCE = timedelta(minutes=6)
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20  # the simulator's choice when page_size is left out
# dateType asking for modified time: PROTOCOLS.md names the parameter, not its value *(unconfirmed)*.
DATE_TYPE_MODIFIED = "0"

# Error codes from PROTOCOLS.md (checked against JD's SDK and documentation).
ERR_INVALID_TIMESTAMP = "8"
ERR_INVALID_SIGNATURE = "12"
ERR_MISSING_METHOD = "14"
ERR_INVALID_TOKEN = "19"
# The simulator's own, for bad parameters and unknown methods (not in PROTOCOLS.md).
ERR_OTHER = "66"
# A refused shipment: apiResult.success false with a resultCode *(unconfirmed: the simulator's own)*.
RESULT_ORDER_NOT_SHIPPABLE = "10400001"
RESULT_BAD_WAYBILL = "10400002"
# Rate limiting: PROTOCOLS.md has error 2 "App Call Limited"; the simulator's injected rate limit
# answers HTTP 429 instead, as a gateway in front of JOS does.

# What the simulator's generator and fault injection need to know about an order payload.
ORDER_ID_FIELD = "orderId"
PAYMENT_FIELD = "orderPayment"
# logiCoprId values the simulated JD shop accepts for our courier codes: the simulator's own, NOT
# JD's real ids (any non-empty id is accepted). For the demo: client_for(shop, courier_codes=...).
COURIER_CODES = {code: str(9000 + n) for n, code in enumerate(
    ("shunfeng", "zhongtong", "yuantong", "yunda", "shentong", "jtexpress", "ems", "jd", "debangkuaidi"))}


def response_key(api: str) -> str:
    """``jingdong.pop.order.search`` → ``jingdong_pop_order_search_responce`` (JD's own spelling)."""
    return api.replace(".", "_") + "_responce"


def expected_sign(params: Mapping[str, str], secret: str) -> str:
    """JOS sign (sign_method=md5): S wrapped in the secret; 360buy_param_json is one value."""
    return md5_wrapped(secret, string_to_sign(params))


def new_order_id(rng: random.Random, moment: datetime) -> str:
    return "3" + digits(rng, 11)


def clear_lines(payload: dict[str, Any]) -> None:
    payload["itemInfoList"] = []


# --- the router --------------------------------------------------------------------------------

def handle(state: SimulatorState, params: Mapping[str, str]) -> SimResponse:
    """One call to JOS's routerjson: app key and sign, timestamp, token, then the method."""
    api = params.get("method", "")

    def err(code: str, zh: str, en: str) -> SimResponse:
        state.log_call(PLATFORM, api, params, f"error {code}")
        return SimResponse(200, {"error_response": {"code": code, "zh_desc": zh, "en_desc": en}})

    with state.lock:
        fault = state.take_fault(PLATFORM)
        if isinstance(fault, int):
            state.log_call(PLATFORM, api, params, f"HTTP {fault}")
            return SimResponse(fault, {"error": "service unavailable"})
        if fault == "rate":
            state.log_call(PLATFORM, api, params, "HTTP 429")
            return SimResponse(429, {"error": "too many requests"})
        shop = state.shop(PLATFORM, params.get("app_key", ""))
        if shop is None or not sign_matches(params.get("sign"), expected_sign(params, shop.app_secret)):
            return err(ERR_INVALID_SIGNATURE, "签名无效或app_key不存在", "Invalid signature")
        if not state.timestamp_ok(parse_beijing(params.get("timestamp", "")), TIMESTAMP_TOLERANCE):
            return err(ERR_INVALID_TIMESTAMP, "时间戳无效", "Invalid timestamp")
        if params.get("access_token") != shop.session:
            return err(ERR_INVALID_TOKEN, "token已过期或者不存在，请重新授权访问", "Invalid access_token")
        try:
            biz = json.loads(params.get("360buy_param_json") or "{}")
            if not isinstance(biz, dict):
                raise ValueError
        except ValueError:
            return err(ERR_OTHER, "360buy_param_json格式错误", "Invalid 360buy_param_json")
        if not api:
            return err(ERR_MISSING_METHOD, "缺少method参数", "Missing method")
        if api in (API_ORDER_SEARCH, API_ORDER_SEARCH_OLD):
            return _search(state, shop, params, biz, err)
        if api == API_ORDER_SHIPMENT:
            return _shipment(state, shop, params, biz, err)
        return err(ERR_OTHER, "无效的方法", "Invalid method")


def _search(state: SimulatorState, shop: SimShop, params: Mapping[str, str], biz: dict[str, Any],
            err: Callable[..., SimResponse]) -> SimResponse:
    start, end = parse_beijing(str(biz.get("start_date", ""))), parse_beijing(str(biz.get("end_date", "")))
    page, size = to_int(biz.get("page"), 1), to_int(biz.get("page_size"), DEFAULT_PAGE_SIZE)
    if start is None or end is None or start > end:
        return err(ERR_OTHER, "start_date/end_date无效", "Invalid start_date/end_date")
    if page is None or size is None or page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        return err(ERR_OTHER, "page/page_size无效", "Invalid page/page_size")
    states = {s for s in str(biz.get("order_state", "")).split(",") if s}
    by_modified = str(biz.get("dateType", "")) == DATE_TYPE_MODIFIED

    def when(o: SimOrder) -> datetime:
        return o.modified if by_modified else o.created

    matched = sorted((o for o in shop.orders.values()
                      if start <= when(o) <= end and (not states or o.payload.get("orderState") in states)),
                     key=lambda o: (when(o), o.key))
    chunk = matched[(page - 1) * size: page * size]
    wanted = {f for f in str(biz.get("optional_fields", "")).split(",") if f}
    rows = [{k: v for k, v in o.payload.items() if not wanted or k in wanted} for o in chunk]
    state.log_call(PLATFORM, API_ORDER_SEARCH, params)
    return SimResponse(200, {response_key(API_ORDER_SEARCH): {
        "code": "0",
        "searchorderinfo_result": {"apiResult": {"success": True, "resultCode": "0", "resultDescribe": "成功"},
                                   "orderTotal": len(matched), "orderInfoList": rows},
    }})


def _shipment(state: SimulatorState, shop: SimShop, params: Mapping[str, str], biz: dict[str, Any],
              err: Callable[..., SimResponse]) -> SimResponse:
    oid, company, waybill = (str(biz.get(k, "")) for k in ("orderId", "logiCoprId", "logiNo"))
    if not (oid and company and waybill):
        return err(ERR_OTHER, "缺少参数orderId/logiCoprId/logiNo", "Missing orderId/logiCoprId/logiNo")
    order = shop.orders.get(oid)
    key = response_key(API_ORDER_SHIPMENT)
    refusal = None
    if order is None or order.draft is None or order.draft.status != "paid":
        refusal = (RESULT_ORDER_NOT_SHIPPABLE, "订单不存在或状态不允许出库")
    elif state.take_ship_refusal(PLATFORM):
        refusal = (RESULT_BAD_WAYBILL, "运单号不符合规则")
    if refusal is not None:
        state.log_call(PLATFORM, API_ORDER_SHIPMENT, params, "refused")
        return SimResponse(200, {key: {"code": "0", SHIPMENT_RESULT_KEY: {
            "success": False, "apiResult": {"success": False, "resultCode": refusal[0],
                                            "resultDescribe": refusal[1]}}}})
    state.ship(order, waybill, company)
    state.log_call(PLATFORM, API_ORDER_SHIPMENT, params)
    return SimResponse(200, {key: {"code": "0", SHIPMENT_RESULT_KEY: {
        "success": True, "apiResult": {"success": True, "resultCode": "0"}}}})


# --- the order payload -------------------------------------------------------------------------

def render(d: Draft) -> dict[str, Any]:
    """A draft as a JOS order (consigneeInfo masked, itemInfoList lines)."""
    state = {"unpaid": "WAIT_SELLER_STOCK_OUT", "paid": "WAIT_SELLER_STOCK_OUT", "shipped": "WAIT_GOODS_RECEIVE_CONFIRM",
             "finished": "FINISHED_L", "cancelled": "TRADE_CANCELED"}[d.status]
    r = d.receiver
    order: dict[str, Any] = {
        "orderId": d.order_id, "orderState": state, "orderStartTime": format_beijing(d.created),
        "modified": format_beijing(d.modified), "orderTotalPrice": yuan_text(d.total_fen),
        "orderSellerPrice": yuan_text(d.total_fen - d.discount_fen), "orderPayment": yuan_text(d.paid_fen),
        "freightPrice": yuan_text(d.post_fee_fen), "sellerDiscount": yuan_text(d.discount_fen),
        "orderRemark": d.buyer_message, "venderRemark": d.seller_memo, "pin": d.buyer_uid[:10] + "***",
        "consigneeInfo": {
            "fullname": mask_name_taobao(r.name), "mobile": mask_phone_taobao(r.phone), "telephone": "",
            "province": r.province_short, "city": r.city, "county": r.district, "town": r.town,
            "fullAddress": f"{r.province_short}{r.city}{r.district}{r.town}{mask_street(r.street)}",
        },
        "itemInfoList": [{"skuId": str(line.platform_sku_id), "outerSkuId": line.sku_code, "skuName": line.title,
                          "itemTotal": str(line.qty), "jdPrice": yuan_text(line.price_fen)} for line in d.lines],
    }
    if d.paid_at:
        order["paymentConfirmTime"] = format_beijing(d.paid_at)
    return order
