"""The simulated Douyin Shop (抖店) open platform: its paths, error table, signature check, request rules and
order / after-sale payloads, written from the platform's documentation and SDKs (never from the adapter).

Every API has its own path under ``/douyin`` (``/douyin/order/searchList``); the system parameters come in the
query string and the business parameters are the raw JSON body, the ``param_json`` that was signed:
``sign = hex(HMAC-SHA256(key=secret, secret + "app_key…method…param_json…timestamp…v2" + secret))`` (or MD5 of
the same wrapped string with ``sign_method=md5``). The body must be a JSON object with its keys sorted, as the
documentation demands for signing. Answers ``{"code": 10000, "msg": "success", "data": …}`` or a refusal from the
platform's base error table.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import zlib
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from oms_tui.platforms.simulator.generate import digits, mask_street
from oms_tui.platforms.simulator.model import Draft, SimRefund, SimResponse, SimShop
from oms_tui.platforms.simulator.wire import (
    has_redirect_target,
    parse_beijing,
    redirect_with_code,
    to_int,
    unix_time,
)

if TYPE_CHECKING:
    from oms_tui.platforms.simulator.state import SimulatorState

PLATFORM = "douyin"
PATHS = ("/douyin",)  # the API host's stand-in: each API at PATHS[0] + "/" + method with "." as "/"

API_SEARCH_LIST = "order.searchList"
API_ORDER_DETAIL = "order.orderDetail"
API_LOGISTICS_ADD = "order.logisticsAdd"
API_AFTERSALE_LIST = "afterSale.List"
API_TOKEN_CREATE = "token.create"
API_TOKEN_REFRESH = "token.refresh"

SUCCESS = 10000
# The platform's base error table ("平台基础错误码"): code, with sub_code where it has one.
ERR_UNAVAILABLE = 20000
ERR_PERMISSION = 30001
ERR_MISSING = 40001  # 缺少必选参数（平台校验）: isv.access-token-missing, isv.signature-missing
ERR_MISSING_BUSINESS = 40002
ERR_INVALID = 40003  # 非法的参数（平台校验）: isv.signature-invalid, isv.access-token-expired, isv.timestamp-invalid…
ERR_INVALID_BUSINESS = 40004
ERR_TOKEN = 50001  # dop.token-generate-failed:…
ERR_BUSINESS = 50002
ERR_RATE_LIMITED = 60000
ERR_OFFLINE = 70000

SIGN_METHODS = ("md5", "hmac-sha256")
VERSION = "2"
# *(unconfirmed)*: the documentation found gives no tolerance; the simulator's own, as Taobao's ±10 minutes.
TIMESTAMP_TOLERANCE = timedelta(minutes=10)
MAX_PAGE_SIZE = 100
AFTERSALE_MAX_PAGE_SIZE = 100
ORDER_BY = ("create_time", "update_time")

API_ERRORS: dict[str, tuple] = {}
ORDER_ID_FIELD = "order_id"
PAYMENT_FIELD = "pay_amount"
# company_code values the simulated shop accepts: the simulator's own table (Douyin's codes are courier names).
COURIER_CODES = {code: code for code in ("shunfeng", "zhongtong", "yuantong", "yunda", "shentong", "jtexpress", "ems",
                                         "jd", "debangkuaidi")}
# after-sale statuses still open (6 待商家同意, 7 待买家退货, 8 待商家发货, 11 待商家二次同意): shipping is refused while one
# stands unless the ship notice says is_refund_reject.
OPEN_AFTERSALE = {"6", "7", "8", "11"}


def sign(app_key: str, secret: str, method: str, param_json: str, timestamp: str, v: str, sign_method: str) -> str:
    pattern = f"{secret}app_key{app_key}method{method}param_json{param_json}timestamp{timestamp}v{v}{secret}"
    if sign_method == "md5":
        return hashlib.md5(pattern.encode("utf-8")).hexdigest()
    return hmac.new(secret.encode("utf-8"), pattern.encode("utf-8"), hashlib.sha256).hexdigest()


def new_order_id(rng: random.Random, moment: datetime) -> str:
    """19 digits, as ``4781320682406083640``."""
    return "69" + digits(rng, 17)


def new_refund_id(seq: int, moment: datetime) -> str:
    return str(7_100_000_000_000_000_000 + seq * 7919)


def clear_lines(payload: dict[str, Any]) -> None:
    payload["sku_order_list"] = []


def _sorted_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _v in pairs]
    if keys != sorted(keys):
        raise ValueError("param_json keys are not sorted")
    return dict(pairs)


def _timestamp(value: str) -> datetime | None:
    """Unix seconds (the SDKs) or ``YYYY-MM-DD HH:MM:SS`` Beijing time (the older documentation, the PyPI SDK)."""
    if value.isdigit():
        return datetime.fromtimestamp(int(value), timezone.utc)
    return parse_beijing(value)


# --- one call ----------------------------------------------------------------------------------

def handle_raw(state: SimulatorState, path: str, query: Mapping[str, str], body: bytes) -> SimResponse:
    """One call: path and method agree, app key and sign, version, timestamp, token, then the API."""
    method = query.get("method", "")
    params = dict(query)

    def err(code: int, msg: str, sub_code: str = "", sub_msg: str = "") -> SimResponse:
        state.log_call(PLATFORM, method, params, f"error {code}")
        return SimResponse(200, {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg,
                                 "log_id": state.request_id(), "data": None})

    with state.lock:
        fault = state.take_fault(PLATFORM)
        if isinstance(fault, int):
            state.log_call(PLATFORM, method, params, f"HTTP {fault}")
            return SimResponse(fault, {"error": "service unavailable"})
        if fault == "rate":
            return err(ERR_RATE_LIMITED, "触发限流，请稍后重试", "isv.api-flow-limit")
        if not method or path.rstrip("/") != PATHS[0] + "/" + method.replace(".", "/"):
            return err(ERR_OFFLINE, "接口服务已下线", "isp.api-service-off", "API不存在或API已下线")
        shop = state.shop(PLATFORM, query.get("app_key", ""))
        if shop is None:
            return err(ERR_MISSING, "缺少必选参数", "isv.app-id-missing", "认证失败，app_key不存在")
        param_json = body.decode("utf-8", "replace")
        try:
            biz = json.loads(param_json or "{}", object_pairs_hook=_sorted_keys)
            if not isinstance(biz, dict):
                raise ValueError("not an object")
        except ValueError:
            return err(ERR_INVALID, "非法的参数", "isv.parameter-format-invalid", "业务参数json解析失败")
        params["param_json"] = param_json
        if not query.get("sign"):
            return err(ERR_MISSING, "缺少必选参数", "isv.signature-missing", "获取签名失败")
        sign_method = query.get("sign_method") or "md5"
        if sign_method not in SIGN_METHODS or query.get("v") != VERSION:
            return err(ERR_INVALID, "非法的参数", "isv.signature-invalid", "签名校验失败")
        expected = sign(shop.app_key, shop.app_secret, method, param_json, query.get("timestamp", ""), VERSION,
                        sign_method)
        if not hmac.compare_digest(query["sign"].strip().lower().encode("utf-8"), expected.encode("utf-8")):
            return err(ERR_INVALID, "非法的参数", "isv.signature-invalid", "签名校验失败")
        if not state.timestamp_ok(_timestamp(query.get("timestamp", "")), TIMESTAMP_TOLERANCE):
            return err(ERR_INVALID, "非法的参数", "isv.timestamp-invalid", "时间戳不合法")
        if method in (API_TOKEN_CREATE, API_TOKEN_REFRESH):
            return _token(state, shop, method, biz, params, err)
        token_state = state.token_state(PLATFORM, shop.app_key, query.get("access_token"))
        if token_state == "missing":
            return err(ERR_MISSING, "缺少必选参数", "isv.access-token-missing", "认证失败，access_token不能为空")
        if token_state != "ok":
            return err(ERR_INVALID, "非法的参数", "isv.access-token-expired", "access_token已过期")
        handler = HANDLERS.get(method)
        if handler is None:
            return err(ERR_OFFLINE, "接口服务已下线", "isp.api-service-off", "API不存在或API已下线")
        return handler(state, shop, biz, params, err)


def _ok(state: SimulatorState, method: str, params: Mapping[str, str], data: Any) -> SimResponse:
    state.log_call(PLATFORM, method, params)
    return SimResponse(200, {"code": SUCCESS, "msg": "success", "sub_code": "", "sub_msg": "",
                             "log_id": state.request_id(), "data": data})


def _number(biz: Mapping[str, Any], key: str, default: int | None) -> int | None:
    value = biz.get(key)
    if isinstance(value, bool):
        return None
    return to_int(value, default)


def _search_list(state: SimulatorState, shop: SimShop, biz: Mapping[str, Any], params: Mapping[str, str],
                 err: Callable[..., SimResponse]) -> SimResponse:
    page, size = _number(biz, "page", 0), _number(biz, "size", 10)
    if page is None or size is None or page < 0 or not 1 <= size <= MAX_PAGE_SIZE:
        return err(ERR_INVALID_BUSINESS, "非法的参数", "isv.business-failed", "page从0开始，size不超过100")
    order_by = biz.get("order_by") or "create_time"
    if order_by not in ORDER_BY:
        return err(ERR_INVALID_BUSINESS, "非法的参数", "isv.business-failed", "order_by不合法")
    field = "update_time" if order_by == "update_time" else "create_time"
    start, end = _number(biz, f"{field}_start", 0), _number(biz, f"{field}_end", 2**62)
    if start is None or end is None or start > end:
        return err(ERR_INVALID_BUSINESS, "非法的参数", "isv.business-failed", "时间范围不合法")

    def moment(o: Any) -> int:
        return int((o.modified if field == "update_time" else o.created).timestamp())

    candidates = shop.between("modified" if field == "update_time" else "created", unix_time(start),
                              unix_time(end + 1))
    matched = sorted((o for o in candidates if start <= moment(o) <= end),
                     key=lambda o: (moment(o), o.key), reverse=biz.get("order_asc") is not True)
    chunk = matched[page * size: (page + 1) * size]
    state.listed(PLATFORM, page, [o.key for o in chunk])
    return _ok(state, API_SEARCH_LIST, params, {"page": page, "size": size, "total": len(matched),
                                                 "shop_order_list": [o.payload for o in chunk]})


def _order_detail(state: SimulatorState, shop: SimShop, biz: Mapping[str, Any], params: Mapping[str, str],
                  err: Callable[..., SimResponse]) -> SimResponse:
    order = shop.orders.get(str(biz.get("shop_order_id") or ""))
    if order is None:
        return err(ERR_BUSINESS, "业务处理失败", "isv.business-failed:订单不存在", "订单不存在")
    return _ok(state, API_ORDER_DETAIL, params, {"shop_order_detail": order.payload})


def _logistics_add(state: SimulatorState, shop: SimShop, biz: Mapping[str, Any], params: Mapping[str, str],
                   err: Callable[..., SimResponse]) -> SimResponse:
    oid, company, waybill = (str(biz.get(k) or "") for k in ("order_id", "company_code", "logistics_code"))
    if not (oid and company and waybill):
        return err(ERR_MISSING_BUSINESS, "缺少必选参数", "isv.missing-parameter", "order_id/company_code/logistics_code")
    order = shop.orders.get(oid)
    if order is None or order.draft is None or order.draft.status != "paid" or order.draft.blocked:
        return err(ERR_BUSINESS, "业务处理失败", "isv.business-failed:订单状态不允许发货", "订单状态不允许发货")
    if company not in COURIER_CODES:
        return err(ERR_INVALID_BUSINESS, "非法的参数", "isv.business-failed", "物流公司code不存在")
    pending = any(r.order_key == oid and r.status in OPEN_AFTERSALE for r in shop.refunds.values())
    if pending and biz.get("is_refund_reject") is not True and biz.get("is_reject_refund") is not True:
        return err(ERR_BUSINESS, "业务处理失败", "isv.business-failed:有退款需要处理", "订单有退款待处理，拒绝发货")
    if state.take_ship_refusal(PLATFORM):
        return err(ERR_BUSINESS, "业务处理失败", "isv.business-failed:运单号不合法", "运单号不符合规则")
    state.ship(order, waybill, company)
    return _ok(state, API_LOGISTICS_ADD, params, {})


def _aftersale_list(state: SimulatorState, shop: SimShop, biz: Mapping[str, Any], params: Mapping[str, str],
                    err: Callable[..., SimResponse]) -> SimResponse:
    page, size = _number(biz, "page", 0), _number(biz, "size", 10)
    if page is None or size is None or page < 0 or not 1 <= size <= AFTERSALE_MAX_PAGE_SIZE:
        return err(ERR_INVALID_BUSINESS, "非法的参数", "isv.business-failed", "page从0开始，size不超过100")
    start, end = _number(biz, "update_start_time", 0), _number(biz, "update_end_time", 2**62)
    if start is None or end is None or start > end:
        return err(ERR_INVALID_BUSINESS, "非法的参数", "isv.business-failed", "时间范围不合法")
    order_by = biz.get("order_by") or ["apply_time desc"]
    if not isinstance(order_by, list) or not all(isinstance(o, str) and o.split(" ")[0] in
                                                 ("status_deadline", "apply_time", "update_time") for o in order_by):
        return err(ERR_INVALID_BUSINESS, "非法的参数", "isv.business-failed", "order_by不合法")
    key, _sp, direction = order_by[0].partition(" ")
    matched = sorted((r for r in shop.refunds.values() if start <= int(r.modified.timestamp()) <= end),
                     key=lambda r: (r.modified if key == "update_time" else r.created, r.refund_id),
                     reverse=direction != "asc")
    chunk = matched[page * size: (page + 1) * size]
    state.after_page(API_AFTERSALE_LIST, page)
    return _ok(state, API_AFTERSALE_LIST, params, {
        "items": [render_aftersale(r) for r in chunk], "total": len(matched), "page": page, "size": len(chunk),
        "has_more": (page + 1) * size < len(matched)})


def render_aftersale(r: SimRefund) -> dict[str, Any]:
    return {
        "aftersale_info": {"aftersale_id": r.refund_id, "aftersale_type": 2, "aftersale_status": int(r.status)
                           if r.status.isdigit() else r.status, "related_id": r.order_key,
                           "apply_time": int(r.created.timestamp()), "update_time": int(r.modified.timestamp()),
                           "refund_amount": r.amount_fen, "refund_status": 3 if r.status == "12" else 1,
                           "reason": r.reason},
        "order_info": {"shop_order_id": r.order_key,
                       "related_order_info": [{"sku_order_id": r.line_id, "product_name": r.title,
                                               "item_num": r.qty}]},
    }


HANDLERS: dict[str, Callable[..., SimResponse]] = {
    API_SEARCH_LIST: _search_list, API_ORDER_DETAIL: _order_detail, API_LOGISTICS_ADD: _logistics_add,
    API_AFTERSALE_LIST: _aftersale_list,
}


# --- shop authorization ------------------------------------------------------------------------
# token.create (``code``, ``grant_type=authorization_code``) and token.refresh (``refresh_token``,
# ``grant_type=refresh_token``), signed, no access_token; data: access_token, expires_in, refresh_token, scope,
# shop_id, shop_name. Refusals: 50001 ``dop.token-generate-failed:code-invalid`` / ``…:token-expired`` /
# ``…:token-invalid`` (the platform's table).
OAUTH_AUTHORIZE_PATH = "/douyin/authorize"


def oauth_authorize(state: SimulatorState, params: Mapping[str, str]) -> SimResponse:
    """The consent page: ``service_id`` (the simulator takes the app key) and the app's redirect (the simulator's
    own ``redirect_uri`` parameter: the real page sends the owner to the address registered for the app)."""
    shop = state.shop(PLATFORM, params.get("service_id", ""))
    if shop is None or not has_redirect_target(params.get("redirect_uri", "")):
        return SimResponse(400, {"message": "service_id/redirect_uri无效"})
    code = state.issue_code(PLATFORM, shop.app_key, params["redirect_uri"])
    state.log_call(PLATFORM, "authorize", params)
    return redirect_with_code(params["redirect_uri"], code, params.get("state", ""))


EXTRA_ROUTES = {OAUTH_AUTHORIZE_PATH: oauth_authorize}


def _token(state: SimulatorState, shop: SimShop, method: str, biz: Mapping[str, Any], params: Mapping[str, str],
           err: Callable[..., SimResponse]) -> SimResponse:
    if method == API_TOKEN_CREATE:
        if biz.get("grant_type") != "authorization_code" or not biz.get("code"):
            return err(ERR_TOKEN, "平台处理失败", "dop.token-generate-failed:grant-type-invalid", "grant_type/code不正确")
        token = state.exchange_code(PLATFORM, shop.app_key, str(biz["code"]))
    else:
        if biz.get("grant_type") != "refresh_token" or not biz.get("refresh_token"):
            return err(ERR_TOKEN, "平台处理失败", "dop.token-generate-failed:grant-type-invalid",
                       "grant_type/refresh_token不正确")
        token = state.refresh(PLATFORM, shop.app_key, str(biz["refresh_token"]))
    if isinstance(token, str):
        sub = {"invalid code": "code-invalid", "code expired": "code-expired",
               "refresh_token expired": "token-expired"}.get(token, "token-invalid")
        return err(ERR_TOKEN, "平台处理失败", f"dop.token-generate-failed:{sub}", token)
    now = state.clock()
    return _ok(state, method, params, {
        "access_token": token.access_token, "expires_in": int((token.expires_at - now).total_seconds()),
        "refresh_token": token.refresh_token, "scope": "SCOPE",
        "shop_id": str(100000 + zlib.crc32(shop.app_key.encode()) % 899999), "shop_name": shop.name,
        "authority_id": "", "auth_subject_type": "MiniShop"})


# --- the order payload -------------------------------------------------------------------------

def _cipher(rng: random.Random, marker: str) -> str:
    """A made-up ciphertext in Douyin's shapes: ``$…$`` phone, ``~…~`` name, ``#…#`` address detail."""
    body = base64.b64encode(bytes(rng.randrange(256) for _ in range(30))).decode()
    return f"{marker}{body}{marker}1{marker}{marker}"


def open_address_id(province: str, city: str, district: str, street: str) -> str:
    """The same address → the same id (a made-up one, in the documented example's shape)."""
    digest = hashlib.sha256(f"{province}|{city}|{district}|{street}".encode()).digest()
    return "#" + base64.b64encode(digest + digest[:12]).decode()


STATUS = {"unpaid": 1, "paid": 2, "shipped": 3, "finished": 5, "cancelled": 4}


def render(d: Draft) -> dict[str, Any]:
    """A draft as a Douyin shop order (searchList's and orderDetail's shape): fen, Unix seconds, ciphertext."""
    status = STATUS[d.status]
    if d.status == "paid" and d.blocked:
        status = 105
    elif d.partly_shipped:
        status = 101
    r = d.receiver
    rng = random.Random(d.secret_seed ^ zlib.crc32((r.name + r.phone + r.street).encode()))
    region = [{"name": name, "id": str(rid)} for name, rid in zip((r.province, r.city, r.district), r.region_ids)]
    street = {"name": r.town, "id": str(r.region_ids[2] * 1000 + 1)}
    addr_id = open_address_id(r.province, r.city, r.district, r.street)
    lines = []
    for n, line in enumerate(d.lines, 1):
        line_status = 3 if line.shipped_at else status
        lines.append({
            "order_id": f"{d.order_id[:-2]}{n:02d}", "parent_order_id": d.order_id, "order_status": line_status,
            "product_id": line.item_id, "product_id_str": str(line.item_id), "sku_id": line.platform_sku_id,
            "code": line.sku_code, "out_sku_id": "", "out_product_id": line.sku_code.split("-")[0],
            "product_name": line.title, "spec": [{"name": "规格", "value": line.spec}] if line.spec else [],
            "item_num": line.qty, "origin_amount": line.price_fen, "sum_amount": line.price_fen * line.qty,
            "pay_amount": line.price_fen * line.qty, "given_product_type": "MASTER",
            "after_sale_info": {"after_sale_status": 0, "after_sale_type": 0,
                                "refund_status": 3 if d.status == "cancelled" else 0},
        })
    pay_time = int(d.paid_at.timestamp()) if d.paid_at else 0
    return {
        "order_id": d.order_id, "order_level": 2, "order_status": status, "order_status_desc": "",
        "create_time": int(d.created.timestamp()), "pay_time": pay_time, "update_time": int(d.modified.timestamp()),
        "ship_time": int(d.shipped_at.timestamp()) if d.shipped_at else 0,
        "order_amount": d.total_fen + d.post_fee_fen, "pay_amount": d.paid_fen, "post_amount": d.post_fee_fen,
        "promotion_amount": d.discount_fen, "buyer_words": d.buyer_message, "seller_words": d.seller_memo,
        "doudian_open_id": "#" + base64.b64encode(hashlib.sha256(d.buyer_uid.encode()).digest()).decode(),
        "encrypt_post_receiver": _cipher(rng, "~"), "encrypt_post_tel": _cipher(rng, "$"),
        "post_receiver": "", "post_tel": "",
        "post_addr": {"province": region[0], "city": region[1], "town": region[2], "street": street,
                      "detail": "", "encrypt_detail": _cipher(rng, "#")},
        "mask_post_receiver": r.name[0] + "**", "mask_post_tel": r.phone[0] + "*" * 8 + r.phone[-2:],
        "mask_post_addr": {"province": region[0], "city": region[1], "town": region[2], "street": street,
                           "detail": mask_street(r.street)},
        "open_address_id": addr_id,
        "logistics_info": [{"tracking_no": d.waybill, "company": d.company}] if d.waybill else [],
        "sku_order_list": lines,
    }
