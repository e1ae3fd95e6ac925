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
from oms_tui.platforms.simulator.model import Draft, SimRefund, SimResponse, SimShop
from oms_tui.platforms.simulator.wire import (
    BEIJING,
    format_beijing,
    has_redirect_target,
    md5_wrapped,
    redirect_with_code,
    sign_matches,
    string_to_sign,
    to_int,
    unix_time,
    yuan_number,
)

if TYPE_CHECKING:
    from oms_tui.platforms.simulator.state import SimulatorState

PLATFORM = "pdd"
PATHS = ("/pdd/api/router", "/api/router")

API_INCREMENT = "pdd.order.number.list.increment.get"
API_INFORMATION = "pdd.order.information.get"
API_LOGISTICS_SEND = "pdd.logistics.online.send"
API_REFUNDS = "pdd.refund.list.increment.get"
API_GOODS = "pdd.goods.list.get"
RESPONSE_KEYS = {
    API_INCREMENT: "order_sn_increment_get_response",
    API_INFORMATION: "order_info_get_response",
    API_LOGISTICS_SEND: "logistics_online_send_response",  # not in PROTOCOLS.md *(unconfirmed)*
    API_REFUNDS: "refund_increment_get_response",
    API_GOODS: "goods_list_get_response",
}
# pdd.refund.list.increment.get: after_sales_status, after_sales_type, start_updated_at and end_updated_at
# are required, the window at most 30 minutes, page_size at most 100 (default 100). after_sales_status /
# after_sales_type 1 asks for all *(the simulator's reading of "1：全部")*. The documentation gives no
# order: the most recently updated first *(the simulator's own)*.
AFTER_SALES_ALL = 1
REFUNDS_MAX_WINDOW = timedelta(minutes=30)
REFUNDS_MAX_PAGE_SIZE = 100
# pdd.goods.list.get: page_size at most 100 (default 100).
GOODS_MAX_PAGE_SIZE = 100

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

# Errors a test may inject into one API (state.inject_api_error): none simulated on this platform yet.
API_ERRORS: dict[str, tuple] = {}

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
        if api in AUTH_APIS:  # these make the token: they take none
            return _auth_token(state, shop, params, err, api)
        if not state.token_ok(PLATFORM, shop.app_key, params.get("access_token")):
            return err(ERR_ACCESS_TOKEN_EXPIRED, "access_token已过期", "access_token_expired")
        if api == API_INCREMENT:
            return _increment(state, shop, params, err)
        if api == API_INFORMATION:
            return _information(state, shop, params, err)
        if api == API_LOGISTICS_SEND:
            return _logistics_send(state, shop, params, err)
        if api == API_REFUNDS:
            return _refunds(state, shop, params, err)
        if api == API_GOODS:
            return _goods(state, shop, params, err)
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
    # Newest first; the documentation says to read "从后往前翻页" (from the last page back).
    candidates = shop.between("modified", unix_time(start), unix_time(end + 1))
    matched = sorted((o for o in candidates if start <= int(o.modified.timestamp()) <= end),
                     key=lambda o: (o.modified, o.key), reverse=True)
    chunk = matched[(page - 1) * size: page * size]
    rows = [{k: o.payload[k] for k in ("order_sn", "order_status", "refund_status", "updated_at")
             if k in o.payload} for o in chunk]
    # use_has_next=true: the total is left out and has_next is given instead (as on Taobao).
    if params.get("use_has_next", "").lower() == "true":
        body: dict[str, Any] = {"has_next": page * size < len(matched), "order_sn_list": rows}
    else:
        body = {"total_count": len(matched), "order_sn_list": rows}
    state.log_call(PLATFORM, API_INCREMENT, params)
    state.listed(PLATFORM, page, [o.key for o in chunk])
    return SimResponse(200, {RESPONSE_KEYS[API_INCREMENT]: body})


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
    if order is None or order.draft is None or order.draft.status != "paid" or order.draft.blocked:
        return err(ERR_PARAM, "订单不存在或状态不允许发货", "order_status_invalid")
    if state.take_ship_refusal(PLATFORM):
        return err(ERR_PARAM, "运单号不符合规则", "tracking_number_invalid")
    state.ship(order, waybill, logistics_id)
    state.log_call(PLATFORM, API_LOGISTICS_SEND, params)
    return SimResponse(200, {RESPONSE_KEYS[API_LOGISTICS_SEND]: {"is_success": True}})


# --- shop authorization ------------------------------------------------------------------------------
#
# Pinduoduo's documentation: the consent page ``https://fuwu.pinduoduo.com/service-market/auth?response_type=code
# &client_id&redirect_uri&state`` sends the owner back with ``code`` (valid 10 minutes, once); the router types
# ``pdd.pop.auth.token.create`` (``code``) and ``pdd.pop.auth.token.refresh`` (``refresh_token``) answer
# ``pop_auth_token_create_response`` / ``pop_auth_token_refresh_response`` with ``access_token``, ``expires_at``
# (Unix seconds), ``expires_in``, ``refresh_token``, ``refresh_token_expires_at``, ``refresh_token_expires_in``,
# ``owner_id``, ``owner_name``, ``scope``. A refusal's error_code is not documented: the simulator's own
# ERR_PARAM with the reason in sub_msg.
OAUTH_AUTHORIZE_PATH = "/pdd/service-market/auth"
API_AUTH_TOKEN_CREATE = "pdd.pop.auth.token.create"
API_AUTH_TOKEN_REFRESH = "pdd.pop.auth.token.refresh"
AUTH_APIS = {API_AUTH_TOKEN_CREATE: "pop_auth_token_create_response",
             API_AUTH_TOKEN_REFRESH: "pop_auth_token_refresh_response"}


def oauth_authorize(state: SimulatorState, params: Mapping[str, str]) -> SimResponse:
    shop = state.shop(PLATFORM, params.get("client_id", ""))
    if shop is None or params.get("response_type") != "code" or not has_redirect_target(params.get("redirect_uri", "")):
        return SimResponse(400, {"error_msg": "client_id/response_type/redirect_uri无效"})
    code = state.issue_code(PLATFORM, shop.app_key, params["redirect_uri"])
    state.log_call(PLATFORM, "service-market/auth", params)
    return redirect_with_code(params["redirect_uri"], code, params.get("state", ""))


def _auth_token(state: SimulatorState, shop: SimShop, params: Mapping[str, str], err: Callable[..., SimResponse],
                api: str) -> SimResponse:
    if api == API_AUTH_TOKEN_CREATE:
        if not params.get("code"):
            return err(ERR_PARAM, "缺少参数code", "param_invalid")
        token = state.exchange_code(PLATFORM, shop.app_key, params["code"])
    else:
        if not params.get("refresh_token"):
            return err(ERR_PARAM, "缺少参数refresh_token", "param_invalid")
        token = state.refresh(PLATFORM, shop.app_key, params["refresh_token"])
    if isinstance(token, str):
        return err(ERR_PARAM, "授权失败", "auth_failed", token)
    now = state.clock()
    state.log_call(PLATFORM, api, params)
    return SimResponse(200, {AUTH_APIS[api]: {
        "access_token": token.access_token, "expires_at": int(token.expires_at.timestamp()),
        "expires_in": int((token.expires_at - now).total_seconds()), "refresh_token": token.refresh_token,
        "refresh_token_expires_at": int(token.refresh_expires_at.timestamp()),
        "refresh_token_expires_in": int((token.refresh_expires_at - now).total_seconds()),
        "owner_id": str(100000 + zlib.crc32(shop.app_key.encode()) % 899999), "owner_name": shop.name,
        "scope": [API_INCREMENT, API_INFORMATION, API_LOGISTICS_SEND],
    }})


EXTRA_ROUTES = {OAUTH_AUTHORIZE_PATH: oauth_authorize}


def new_refund_id(seq: int, moment: datetime) -> str:
    return str(5_000_000_000 + seq * 7919)


def _refunds(state: SimulatorState, shop: SimShop, params: Mapping[str, str],
             err: Callable[..., SimResponse]) -> SimResponse:
    status, kind = to_int(params.get("after_sales_status"), None), to_int(params.get("after_sales_type"), None)
    if status is None or kind is None:
        return err(ERR_PARAM, "参数错误：after_sales_status/after_sales_type必填", "param_invalid")
    start, end = to_int(params.get("start_updated_at"), None), to_int(params.get("end_updated_at"), None)
    if start is None or end is None or start > end:
        return err(ERR_PARAM, "参数错误：start_updated_at/end_updated_at", "param_invalid")
    if end - start > REFUNDS_MAX_WINDOW.total_seconds():
        return err(ERR_PARAM, "参数错误：时间间隔不能超过30分钟", "param_invalid")
    page, size = to_int(params.get("page"), 1), to_int(params.get("page_size"), REFUNDS_MAX_PAGE_SIZE)
    if page is None or size is None or page < 1 or not 1 <= size <= REFUNDS_MAX_PAGE_SIZE:
        return err(ERR_PARAM, "参数错误：page/page_size", "param_invalid")
    matched = sorted((r for r in shop.refunds.values()
                      if start <= int(r.modified.timestamp()) <= end
                      and (status == AFTER_SALES_ALL or str(status) == r.status)
                      and (kind == AFTER_SALES_ALL or kind == 2)),  # every simulated refund is 仅退款 (2)
                     key=lambda r: (r.modified, r.refund_id), reverse=True)
    chunk = matched[(page - 1) * size: page * size]
    state.log_call(PLATFORM, API_REFUNDS, params)
    state.after_page(API_REFUNDS, page)
    return SimResponse(200, {RESPONSE_KEYS[API_REFUNDS]: {
        "total_count": len(matched), "refund_list": [render_refund(r, shop) for r in chunk]}})


def render_refund(r: SimRefund, shop: SimShop) -> dict[str, Any]:
    """A refund as the refund list gives it (money in yuan as text, Beijing times)."""
    order = shop.orders.get(r.order_key)
    payload = order.payload if order is not None else {}
    return {
        "id": int(r.refund_id), "order_sn": r.order_key, "after_sales_status": int(r.status) if r.status.isdigit() else r.status,
        "after_sales_type": 2, "after_sale_reason": r.reason, "refund_amount": f"{r.amount_fen / 100:.2f}",
        "order_amount": f"{payload.get('pay_amount', 0):.2f}", "discount_amount": "0.00",
        "goods_id": int(r.item_id) if r.item_id.isdigit() else r.item_id,
        "sku_id": r.sku_id, "goods_name": r.title, "goods_number": str(r.qty), "goods_price": "0.00",
        "outer_id": "", "outer_goods_id": "", "good_image": "", "tracking_number": "",
        "created_time": format_beijing(r.created), "updated_time": format_beijing(r.modified),
        "confirm_time": payload.get("confirm_time", ""), "speed_refund_flag": 0, "speed_refund_status": "",
    }


def _goods(state: SimulatorState, shop: SimShop, params: Mapping[str, str],
           err: Callable[..., SimResponse]) -> SimResponse:
    page, size = to_int(params.get("page"), 1), to_int(params.get("page_size"), GOODS_MAX_PAGE_SIZE)
    if page is None or size is None or page < 1 or not 1 <= size <= GOODS_MAX_PAGE_SIZE:
        return err(ERR_PARAM, "参数错误：page/page_size", "param_invalid")
    on_sale = to_int(params.get("is_onsale"), None)
    listed = [i for i in shop.items if on_sale is None or int(i.on_sale) == on_sale]
    chunk = listed[(page - 1) * size: page * size]
    rows = [{"goods_id": int(i.item_id) if i.item_id.isdigit() else i.item_id, "goods_name": i.title,
             "is_more_sku": int(len(i.skus) > 1), "is_onsale": int(i.on_sale), "thumb_url": "", "image_url": "",
             "goods_quantity": sum(s.quantity for s in i.skus), "goods_reserve_quantity": 0,
             "sku_list": [{"sku_id": int(s.sku_id) if s.sku_id.isdigit() else s.sku_id, "outer_id": s.outer_id,
                           "outer_goods_id": i.outer_id, "spec": s.spec, "sku_quantity": s.quantity,
                           "is_sku_onsale": int(i.on_sale), "reserve_quantity": 0} for s in i.skus]}
            for i in chunk]
    state.log_call(PLATFORM, API_GOODS, params)
    state.after_page(API_GOODS, page)
    return SimResponse(200, {RESPONSE_KEYS[API_GOODS]: {"total_count": len(listed), "goods_list": rows}})


# --- the order payload -------------------------------------------------------------------------

def _cipher(rng: random.Random, marker: str) -> str:
    """A made-up ciphertext in PDD's shapes: ``~AgAAAA…~0~~`` or ``$Y/YK…$0$$``."""
    body = base64.b64encode(bytes(rng.randrange(256) for _ in range(36))).decode()
    if marker == "~":
        return f"~AgAAAA{body}~0~~"
    return "$Y/YK" + body + "$0$$"


# A paid order PDD says not to ship (PROTOCOLS.md): confirm_status 0 not concluded / 2 cancelled,
# group_status 0 group forming / 2 group failed, risk_control_status 1 under review.
BLOCK_FIELDS = {"unconfirmed": ("confirm_status", 0), "confirm_cancelled": ("confirm_status", 2),
                "group_forming": ("group_status", 0), "group_failed": ("group_status", 2),
                "risk_review": ("risk_control_status", 1)}


def render(d: Draft) -> dict[str, Any]:
    """A draft as a PDD order: receiver encrypted with masked copies, money as JSON numbers."""
    status = {"unpaid": 1, "paid": 1, "shipped": 2, "finished": 3, "cancelled": 1}[d.status]
    refund = 4 if d.status == "cancelled" else 1
    r = d.receiver
    rng = random.Random(d.secret_seed ^ zlib.crc32((r.name + r.phone + r.street).encode()))
    platform_discount = min(d.discount_fen, 200)
    flags = {"confirm_status": 1, "group_status": 1, "risk_control_status": 0}
    if d.blocked in BLOCK_FIELDS:
        field, value = BLOCK_FIELDS[d.blocked]
        flags[field] = value
    # "订单状态为待发货状态，且订单未被风控打标的情况下返回密文数据；其余情况返回空字符串"
    hidden = flags["risk_control_status"] == 1
    order = {
        "order_sn": d.order_id, "order_status": status, "refund_status": refund, **flags,
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
    if hidden:
        for key in ("receiver_name", "receiver_phone", "receiver_address", "receiver_name_mask",
                    "receiver_phone_mask", "receiver_address_mask"):
            order[key] = ""
    return order
