"""The simulated Taobao/Tmall TOP router: its API names, error table, limits, signature check,
request rules and trade payloads, written from PROTOCOLS.md (never from the adapter's module)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from oms_tui.platforms.simulator.generate import (
    mask_name_taobao,
    mask_phone_taobao,
    mask_street,
)
from oms_tui.platforms.simulator.model import Draft, SimOrder, SimRefund, SimResponse, SimShop
from oms_tui.platforms.simulator.wire import (
    BEIJING,
    format_beijing,
    has_redirect_target,
    md5_wrapped,
    parse_beijing,
    redirect_with_code,
    secret_matches,
    sign_matches,
    string_to_sign,
    to_int,
    yuan_text,
)

if TYPE_CHECKING:
    from oms_tui.platforms.simulator.state import SimulatorState

PLATFORM = "taobao"
PATHS = ("/taobao/router/rest", "/router/rest")

API_INCREMENT = "taobao.trades.sold.increment.get"
API_FULLINFO = "taobao.trade.fullinfo.get"
API_OFFLINE_SEND = "taobao.logistics.offline.send"
API_REFUNDS = "taobao.refunds.receive.get"
API_ITEMS_ONSALE = "taobao.items.onsale.get"
API_ITEM_SKUS = "taobao.item.skus.get"
RESPONSE_KEYS = {
    API_INCREMENT: "trades_sold_increment_get_response",
    API_FULLINFO: "trade_fullinfo_get_response",
    API_OFFLINE_SEND: "logistics_offline_send_response",
    API_REFUNDS: "refunds_receive_get_response",
    API_ITEMS_ONSALE: "items_onsale_get_response",
    API_ITEM_SKUS: "item_skus_get_response",
}
# taobao.trades.sold.increment.get and taobao.trade.fullinfo.get: `fields` required (PROTOCOLS.md lists it
# with both; TOP's documentation marks it 必须), and only the fields named come back, lines (`orders`) too.
# taobao.refunds.receive.get: fields required; page_size default 40, at most 100; with use_has_next=true
# the answer has has_next and no total_results. The documentation gives no order: the simulator lists the
# most recently modified first, as TOP's trade increments do *(its own reading)*.
REFUNDS_DEFAULT_PAGE_SIZE = 40
REFUNDS_MAX_PAGE_SIZE = 100
# taobao.items.onsale.get: page_size default 40, at most 200; page_no × page_size may not pass 20,000.
# taobao.item.skus.get: num_iids required, at most 40.
ITEMS_DEFAULT_PAGE_SIZE = 40
ITEMS_MAX_PAGE_SIZE = 200
ITEMS_MAX_DEPTH = 20_000
ITEM_SKUS_MAX_IDS = 40

SIGN_METHODS = ("md5", "hmac", "hmac-sha256")
TIMESTAMP_TOLERANCE = timedelta(minutes=10)
MAX_WINDOW = timedelta(days=1)  # and both ends on the same Beijing day
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 40  # the simulator's choice when page_size is left out

# Error codes. PROTOCOLS.md documents 7, 11, 15, 25, 26, 27, 28 ("unconfirmed beyond 7/25/27"); its
# corrected part: 7 flow control with "This ban will last for N more seconds", 11 permission
# (isv.permission-api-package-limit), isp.* sub_codes transient.
ERR_RATE_LIMITED = 7
ERR_INSUFFICIENT_PERMISSION = 11
ERR_REMOTE_SERVICE = 15
ERR_INVALID_SIGNATURE = 25
ERR_MISSING_SESSION = 26
ERR_INVALID_SESSION = 27
ERR_MISSING_APP_KEY = 28
# Not in PROTOCOLS.md: the simulator's own reading of TOP's list *(unconfirmed)*.
ERR_MISSING_METHOD = 21
ERR_INVALID_METHOD = 22
ERR_MISSING_SIGNATURE = 24
ERR_INVALID_APP_KEY = 29
ERR_MISSING_TIMESTAMP = 30
ERR_INVALID_TIMESTAMP = 31
ERR_MISSING_ARGUMENT = 40
ERR_INVALID_ARGUMENT = 41
# How the ship notice is refused: code 15 with an isv.* sub-code (the request as written; PROTOCOLS.md:
# isp.* would be the platform's own, transient fault). The sub-codes and texts are *(unconfirmed)*.
SUB_TRADE_NOT_EXIST = "isv.trade-not-exist"
SUB_OFFLINE_SEND_REFUSED = "isv.logistics-offline-service-error"
MESSAGES = {
    ERR_RATE_LIMITED: "App Call Limited",
    ERR_INSUFFICIENT_PERMISSION: "Insufficient isv permissions",
    ERR_REMOTE_SERVICE: "Remote service error",
    ERR_INVALID_SIGNATURE: "Invalid signature",
    ERR_MISSING_SESSION: "Missing session",
    ERR_INVALID_SESSION: "Invalid session",
    ERR_MISSING_APP_KEY: "Missing app key",
    ERR_MISSING_METHOD: "Missing method",
    ERR_INVALID_METHOD: "Invalid method",
    ERR_MISSING_SIGNATURE: "Missing signature",
    ERR_INVALID_APP_KEY: "Invalid app Key",
    ERR_MISSING_TIMESTAMP: "Missing timestamp",
    ERR_INVALID_TIMESTAMP: "Invalid timestamp",
}

# Trade types (`type`). Without a `type` parameter the increment API returns only its default five:
# "默认同时查询guarantee_trade,auto_delivery,ec,cod,step这5种类型的数据"; guarantee_trade stands for
# 一口价 and 拍卖 (fixed, auction). Every type the documentation lists is accepted in `type`.
DEFAULT_TRADE_TYPES = ("guarantee_trade", "auto_delivery", "ec", "cod", "step")
TYPE_ALIASES = {"guarantee_trade": ("guarantee_trade", "fixed", "auction")}
TRADE_TYPES = ("fixed", "auction", "guarantee_trade", "auto_delivery", "independent_simple_trade",
               "independent_shop_trade", "ec", "cod", "fenxiao", "game_equipment", "shopex_trade", "netcn_trade",
               "external_trade", "o2o_offlinetrade", "step", "nopaid", "pre_auth_type")

# Errors a test may inject into one API (state.inject_api_error): kind → (code, sub_code, sub_msg).
# The isp.* sub_code is the simulator's own example of TOP's transient (platform-side) errors.
API_ERRORS: dict[str, tuple[int, str, str]] = {
    "permission": (ERR_INSUFFICIENT_PERMISSION, "isv.permission-api-package-limit", "该应用没有此API的权限"),
    "transient": (ERR_REMOTE_SERVICE, "isp.top-remote-connection-timeout", "远程服务调用超时"),
}

# What the simulator's generator and fault injection need to know about a trade payload.
ORDER_ID_FIELD = "tid"
PAYMENT_FIELD = "payment"
COURIER_CODES: dict[str, str] = {}  # any company_code is accepted


def expected_sign(params: Mapping[str, str], secret: str, sign_method: str) -> str:
    """TOP's sign of ``params``: md5 wraps S in the secret; hmac / hmac-sha256 key S with it."""
    s = string_to_sign(params)
    if sign_method == "md5":
        return md5_wrapped(secret, s)
    digest = {"hmac": hashlib.md5, "hmac-sha256": hashlib.sha256}[sign_method]
    return hmac.new(secret.encode("utf-8"), s.encode("utf-8"), digest).hexdigest().upper()


def new_order_id(rng: random.Random, moment: datetime) -> str:
    return str(rng.randrange(10**18, 4 * 10**18))


def clear_lines(payload: dict[str, Any]) -> None:
    payload["orders"] = {"order": []}


# --- the router --------------------------------------------------------------------------------

def handle(state: SimulatorState, params: Mapping[str, str]) -> SimResponse:
    """One call to the TOP router: system parameters checked in TOP's order, then the API."""
    api = params.get("method", "")

    def err(code: int, msg: str | None = None, sub_code: str | None = None, sub_msg: str | None = None
            ) -> SimResponse:
        body: dict[str, Any] = {"code": code, "msg": msg or MESSAGES[code], "request_id": state.request_id()}
        if sub_code:
            body["sub_code"] = sub_code
        if sub_msg:
            body["sub_msg"] = sub_msg
        state.log_call(PLATFORM, api, params, f"error {code}")
        return SimResponse(200, {"error_response": body})

    with state.lock:
        fault = state.take_fault(PLATFORM)
        if isinstance(fault, int):
            state.log_call(PLATFORM, api, params, f"HTTP {fault}")
            return SimResponse(fault, {"error": "service unavailable"})
        if not api:
            return err(ERR_MISSING_METHOD)
        app_key = params.get("app_key")
        if not app_key:
            return err(ERR_MISSING_APP_KEY)
        shop = state.shop(PLATFORM, app_key)
        if shop is None:
            return err(ERR_INVALID_APP_KEY)
        if fault == "rate":
            return err(ERR_RATE_LIMITED, None, "accesscontrol.limited-by-app-access-count",
                       f"This ban will last for {state.ban_seconds_left(PLATFORM)} more seconds")
        sign_method = params.get("sign_method") or "md5"
        if not params.get("sign"):
            return err(ERR_MISSING_SIGNATURE)
        if sign_method not in SIGN_METHODS or not sign_matches(params["sign"], expected_sign(
                params, shop.app_secret, sign_method)):
            return err(ERR_INVALID_SIGNATURE)
        if not params.get("timestamp"):
            return err(ERR_MISSING_TIMESTAMP)
        if not state.timestamp_ok(parse_beijing(params["timestamp"]), TIMESTAMP_TOLERANCE):
            return err(ERR_INVALID_TIMESTAMP)
        if not params.get("session"):
            return err(ERR_MISSING_SESSION)
        if not state.token_ok(PLATFORM, shop.app_key, params["session"]):
            return err(ERR_INVALID_SESSION, None, "invalid-sessionkey", "SessionKey非法或已过期")
        injected = state.take_api_error(PLATFORM, api)
        if injected is not None:
            code, sub_code, sub_msg = API_ERRORS[injected]
            return err(code, None, sub_code, sub_msg)
        if api == API_INCREMENT:
            return _increment(state, shop, params, err)
        if api == API_FULLINFO:
            return _fullinfo(state, shop, params, err)
        if api == API_OFFLINE_SEND:
            return _offline_send(state, shop, params, err)
        if api == API_REFUNDS:
            return _refunds(state, shop, params, err)
        if api == API_ITEMS_ONSALE:
            return _items_onsale(state, shop, params, err)
        if api == API_ITEM_SKUS:
            return _item_skus(state, shop, params, err)
        return err(ERR_INVALID_METHOD)


# --- shop authorization (oauth.taobao.com) -----------------------------------------------------------
#
# Taobao's OAuth 2.0 as its documentation and public clients use it: ``/authorize?response_type=code&client_id
# &redirect_uri&state&view=web`` sends the owner back with ``code`` (once); ``POST /token`` (form) with
# ``grant_type=authorization_code`` + ``code`` + ``redirect_uri`` (the same as on the consent page), or
# ``grant_type=refresh_token`` + ``refresh_token``, and ``client_id``/``client_secret`` answers ``{"access_token"
# (the session), "token_type", "expires_in", "refresh_token", "re_expires_in" (the refresh token's seconds),
# "taobao_user_id", "taobao_user_nick", …}``; a refusal is ``{"error", "error_description"}`` (HTTP 400/401).
OAUTH_AUTHORIZE_PATH = "/taobao/authorize"
OAUTH_TOKEN_PATH = "/taobao/token"


def oauth_authorize(state: SimulatorState, params: Mapping[str, str]) -> SimResponse:
    shop = state.shop(PLATFORM, params.get("client_id", ""))
    if shop is None or params.get("response_type") != "code" or not has_redirect_target(params.get("redirect_uri", "")):
        return SimResponse(400, {"error": "invalid_request", "error_description": "client_id/response_type/redirect_uri"})
    code = state.issue_code(PLATFORM, shop.app_key, params["redirect_uri"])
    state.log_call(PLATFORM, "oauth/authorize", params)
    return redirect_with_code(params["redirect_uri"], code, params.get("state", ""))


def oauth_token(state: SimulatorState, params: Mapping[str, str]) -> SimResponse:
    def refused(status: int, error: str, description: str) -> SimResponse:
        state.log_call(PLATFORM, "oauth/token", params, error)
        return SimResponse(status, {"error": error, "error_description": description})

    with state.lock:
        shop = state.shop(PLATFORM, params.get("client_id", ""))
        if shop is None or not secret_matches(params.get("client_secret"), shop.app_secret):
            return refused(401, "invalid_client", "invalid client_id or client_secret")
        grant_type = params.get("grant_type")
        if grant_type == "authorization_code" and params.get("code"):
            token = state.exchange_code(PLATFORM, shop.app_key, params["code"], params.get("redirect_uri", ""))
        elif grant_type == "refresh_token" and params.get("refresh_token"):
            token = state.refresh(PLATFORM, shop.app_key, params["refresh_token"])
        else:
            return refused(400, "invalid_request", "grant_type with its code or refresh_token")
        if isinstance(token, str):
            return refused(400, "invalid_grant", token)
        now = state.clock()
        state.log_call(PLATFORM, "oauth/token", params)
        expires_in = int((token.expires_at - now).total_seconds())
        return SimResponse(200, {
            "access_token": token.access_token, "token_type": "Bearer", "expires_in": expires_in,
            "refresh_token": token.refresh_token,
            "re_expires_in": int((token.refresh_expires_at - now).total_seconds()),
            "r1_expires_in": expires_in, "r2_expires_in": expires_in, "w1_expires_in": expires_in,
            "w2_expires_in": expires_in, "taobao_user_id": str(2200000000 + len(shop.app_key)),
            "taobao_user_nick": shop.name})


EXTRA_ROUTES = {OAUTH_AUTHORIZE_PATH: oauth_authorize, OAUTH_TOKEN_PATH: oauth_token}


def _increment(state: SimulatorState, shop: SimShop, params: Mapping[str, str],
               err: Callable[..., SimResponse]) -> SimResponse:
    for name in ("fields", "start_modified", "end_modified"):
        if not params.get(name):
            return err(ERR_MISSING_ARGUMENT, f"Missing required arguments:{name}")
    start, end = parse_beijing(params["start_modified"]), parse_beijing(params["end_modified"])
    if start is None or end is None or start > end:
        return err(ERR_INVALID_ARGUMENT, "Invalid arguments:start_modified/end_modified", "isv.invalid-parameter")
    if (end - start) > MAX_WINDOW or start.astimezone(BEIJING).date() != end.astimezone(BEIJING).date():
        return err(ERR_INVALID_ARGUMENT, "Invalid arguments:end_modified", "isv.invalid-parameter",
                   "start_modified and end_modified must be on the same day")
    page, size = to_int(params.get("page_no"), 1), to_int(params.get("page_size"), DEFAULT_PAGE_SIZE)
    if page is None or size is None or page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        return err(ERR_INVALID_ARGUMENT, "Invalid arguments:page_no/page_size", "isv.invalid-parameter")
    asked = [t.strip() for t in params.get("type", "").split(",") if t.strip()] or list(DEFAULT_TRADE_TYPES)
    if any(t not in TRADE_TYPES for t in asked):
        return err(ERR_INVALID_ARGUMENT, "Invalid arguments:type", "isv.invalid-parameter")
    types = {alias for t in asked for alias in TYPE_ALIASES.get(t, (t,))}
    # Newest first: "返回的数据结果是以订单的修改时间倒序排列的，通过从后往前翻页的方式可以避免漏单问题".
    matched = sorted((o for o in shop.between("modified", start, end)
                      if start <= o.modified <= end and o.payload.get("type", "fixed") in types),
                     key=lambda o: (o.modified, o.key), reverse=True)
    chunk = matched[(page - 1) * size: page * size]
    # use_has_next=true: "返回的结果中不包含总记录数，但是会新增一个是否存在下一页的的字段".
    if params.get("use_has_next", "").lower() == "true":
        body: dict[str, Any] = {"has_next": page * size < len(matched)}
    else:
        body = {"total_results": len(matched)}
    if chunk:  # TOP leaves the key out when there is nothing
        body["trades"] = {"trade": [select_fields(o.payload, params.get("fields", "")) for o in chunk]}
    state.log_call(PLATFORM, API_INCREMENT, params)
    state.listed(PLATFORM, page, [o.key for o in chunk])
    return SimResponse(200, {RESPONSE_KEYS[API_INCREMENT]: body})


def _fullinfo(state: SimulatorState, shop: SimShop, params: Mapping[str, str],
              err: Callable[..., SimResponse]) -> SimResponse:
    for name in ("fields", "tid"):
        if not params.get(name):
            return err(ERR_MISSING_ARGUMENT, f"Missing required arguments:{name}")
    tid = params["tid"]
    order = shop.orders.get(tid)
    if order is None:
        return err(ERR_REMOTE_SERVICE, None, "isv.trade-not-exist", "交易不存在")
    state.log_call(PLATFORM, API_FULLINFO, params)
    return SimResponse(200, {RESPONSE_KEYS[API_FULLINFO]: {
        "trade": select_fields(order.payload, params.get("fields", ""))}})


def _offline_send(state: SimulatorState, shop: SimShop, params: Mapping[str, str],
                  err: Callable[..., SimResponse]) -> SimResponse:
    for name in ("tid", "out_sid", "company_code"):
        if not params.get(name):
            return err(ERR_MISSING_ARGUMENT, f"Missing required arguments:{name}")
    order: SimOrder | None = shop.orders.get(params["tid"])
    if order is None or order.draft is None:
        return err(ERR_REMOTE_SERVICE, None, SUB_TRADE_NOT_EXIST, "交易不存在")
    d = order.draft
    if d.status != "paid" or d.blocked:  # PAID_FORBID_CONSIGN: paid, shipping forbidden
        return err(ERR_REMOTE_SERVICE, None, SUB_OFFLINE_SEND_REFUSED, "当前订单状态不支持发货")
    # Split shipping (拆单发货): is_split=1 with sub_tid, the oids of the lines that leave. A trade
    # already partly shipped (SELLER_CONSIGNED_PART) only takes a split notice naming lines still
    # waiting: the simulator's strict reading, the documentation does not say what a whole notice does.
    line_ids: set[int] | None = None
    if params.get("is_split") == "1":
        try:
            line_ids = {int(x) for x in params.get("sub_tid", "").split(",") if x.strip()}
        except ValueError:
            return err(ERR_INVALID_ARGUMENT, "Invalid arguments:sub_tid", "isv.invalid-parameter")
        waiting = {line.line_id for line in d.lines if not line.shipped_at}
        if not line_ids or not line_ids <= waiting:
            return err(ERR_REMOTE_SERVICE, None, SUB_OFFLINE_SEND_REFUSED, "子订单不存在或已发货")
    elif d.partly_shipped:
        return err(ERR_REMOTE_SERVICE, None, SUB_OFFLINE_SEND_REFUSED, "部分发货的交易请拆单发货")
    if state.take_ship_refusal(PLATFORM):
        return err(ERR_REMOTE_SERVICE, None, SUB_OFFLINE_SEND_REFUSED, "运单号不符合规则")
    state.ship(order, params["out_sid"], params["company_code"], line_ids)
    state.log_call(PLATFORM, API_OFFLINE_SEND, params)
    return SimResponse(200, {RESPONSE_KEYS[API_OFFLINE_SEND]: {"shipping": {"is_success": True}}})


def new_refund_id(seq: int, moment: datetime) -> str:
    return str(10**16 + seq * 7919)


def _page_params(params: Mapping[str, str], default: int, largest: int) -> tuple[int, int] | None:
    page, size = to_int(params.get("page_no"), 1), to_int(params.get("page_size"), default)
    if page is None or size is None or page < 1 or not 1 <= size <= largest:
        return None
    return page, size


def _refunds(state: SimulatorState, shop: SimShop, params: Mapping[str, str],
             err: Callable[..., SimResponse]) -> SimResponse:
    if not params.get("fields"):
        return err(ERR_MISSING_ARGUMENT, "Missing required arguments:fields")
    paging = _page_params(params, REFUNDS_DEFAULT_PAGE_SIZE, REFUNDS_MAX_PAGE_SIZE)
    if paging is None:
        return err(ERR_INVALID_ARGUMENT, "Invalid arguments:page_no/page_size", "isv.invalid-parameter")
    page, size = paging
    start = parse_beijing(params["start_modified"]) if params.get("start_modified") else None
    end = parse_beijing(params["end_modified"]) if params.get("end_modified") else None
    if (params.get("start_modified") and start is None) or (params.get("end_modified") and end is None) or (
            start and end and start > end):
        return err(ERR_INVALID_ARGUMENT, "Invalid arguments:start_modified/end_modified", "isv.invalid-parameter")
    wanted = params.get("status") or ""
    matched = sorted((r for r in shop.refunds.values()
                      if (start is None or r.modified >= start) and (end is None or r.modified <= end)
                      and (not wanted or r.status == wanted)),
                     key=lambda r: (r.modified, r.refund_id), reverse=True)
    chunk = matched[(page - 1) * size: page * size]
    body: dict[str, Any] = {}
    if params.get("use_has_next", "").lower() == "true":
        body["has_next"] = page * size < len(matched)
    else:
        body["total_results"] = len(matched)
    if chunk:  # TOP leaves the key out when there is nothing
        body["refunds"] = {"refund": [select_fields(render_refund(r, shop), params.get("fields", "")) for r in chunk]}
    state.log_call(PLATFORM, API_REFUNDS, params)
    state.after_page(API_REFUNDS, page)
    return SimResponse(200, {RESPONSE_KEYS[API_REFUNDS]: body})


def render_refund(r: SimRefund, shop: SimShop) -> dict[str, Any]:
    """A refund as refunds.receive.get gives it (money in yuan strings, Beijing times)."""
    order = shop.orders.get(r.order_key)
    trade = order.payload if order is not None else {}
    return {
        "refund_id": r.refund_id, "tid": int(r.order_key) if r.order_key.isdigit() else r.order_key,
        "oid": int(r.line_id) if r.line_id.isdigit() else r.line_id, "title": r.title,
        "buyer_nick": trade.get("buyer_nick", ""), "total_fee": trade.get("total_fee", "0.00"),
        "status": r.status, "created": format_beijing(r.created), "modified": format_beijing(r.modified),
        "refund_fee": yuan_text(r.amount_fen), "payment": trade.get("payment", "0.00"),
        "good_status": "BUYER_NOT_RECEIVED", "has_good_return": False, "reason": r.reason, "desc": "",
        "order_status": trade.get("status", ""), "num": r.qty,
        "refund_phase": "onsale" if trade.get("status") == "WAIT_SELLER_SEND_GOODS" else "aftersale",
    }


def _items_onsale(state: SimulatorState, shop: SimShop, params: Mapping[str, str],
                  err: Callable[..., SimResponse]) -> SimResponse:
    if not params.get("fields"):
        return err(ERR_MISSING_ARGUMENT, "Missing required arguments:fields")
    paging = _page_params(params, ITEMS_DEFAULT_PAGE_SIZE, ITEMS_MAX_PAGE_SIZE)
    if paging is None:
        return err(ERR_INVALID_ARGUMENT, "Invalid arguments:page_no/page_size", "isv.invalid-parameter")
    page, size = paging
    if page * size > ITEMS_MAX_DEPTH:
        return err(ERR_INVALID_ARGUMENT, "Invalid arguments:page_no", "isv.invalid-parameter",
                   "page_no*page_size must not exceed 20000")
    on_sale = [i for i in reversed(shop.items) if i.on_sale]  # newest listed first, the default order
    chunk = on_sale[(page - 1) * size: page * size]
    body: dict[str, Any] = {"total_results": len(on_sale)}
    if chunk:
        rows = [{"num_iid": int(i.item_id) if i.item_id.isdigit() else i.item_id, "title": i.title,
                 "outer_id": i.outer_id, "approve_status": "onsale"} for i in chunk]
        body["items"] = {"item": [select_fields(row, params.get("fields", "")) for row in rows]}
    state.log_call(PLATFORM, API_ITEMS_ONSALE, params)
    state.after_page(API_ITEMS_ONSALE, page)
    return SimResponse(200, {RESPONSE_KEYS[API_ITEMS_ONSALE]: body})


def _item_skus(state: SimulatorState, shop: SimShop, params: Mapping[str, str],
               err: Callable[..., SimResponse]) -> SimResponse:
    if not params.get("fields"):
        return err(ERR_MISSING_ARGUMENT, "Missing required arguments:fields")
    ids = [i.strip() for i in params.get("num_iids", "").split(",") if i.strip()]
    if not ids:
        return err(ERR_MISSING_ARGUMENT, "Missing required arguments:num_iids")
    if len(ids) > ITEM_SKUS_MAX_IDS:
        return err(ERR_INVALID_ARGUMENT, "Invalid arguments:num_iids", "isv.invalid-parameter",
                   "num_iids must not exceed 40")
    rows = [{"sku_id": int(s.sku_id) if s.sku_id.isdigit() else s.sku_id,
             "num_iid": int(i.item_id) if i.item_id.isdigit() else i.item_id, "outer_id": s.outer_id,
             "properties_name": s.spec, "price": yuan_text(s.price_fen), "quantity": s.quantity}
            for i in shop.items if i.item_id in ids for s in i.skus]
    body: dict[str, Any] = {}
    if rows:
        body["skus"] = {"sku": [select_fields(row, params.get("fields", "")) for row in rows]}
    state.log_call(PLATFORM, API_ITEM_SKUS, params)
    return SimResponse(200, {RESPONSE_KEYS[API_ITEM_SKUS]: body})


def select_fields(payload: dict[str, Any], fields: str) -> dict[str, Any]:
    """TOP's ``fields``: top-level names, ``orders`` for whole lines or ``orders.x`` for some line fields. Only
    what is named comes back (the APIs that take ``fields`` require it: they never answer without it)."""
    wanted = {f.strip() for f in fields.split(",") if f.strip()}
    out = {k: v for k, v in payload.items() if k in wanted and k != "orders"}
    line_fields = {f[len("orders."):] for f in wanted if f.startswith("orders.")}
    box = payload.get("orders")
    if isinstance(box, dict) and ("orders" in wanted or line_fields):
        lines = box.get("order") or []
        if "orders" not in wanted:
            lines = [{k: v for k, v in line.items() if k in line_fields} for line in lines]
        out["orders"] = {"order": lines}
    return out


# --- the trade payload -------------------------------------------------------------------------

def trade_type(d: Draft) -> str:
    """The draft's trade type: its own, else pre_auth_type for 0元购, else one trade in ten from a
    旺铺 shop (independent_shop_trade, outside the API's default types), the rest fixed (一口价)."""
    if d.trade_type:
        return d.trade_type
    if d.pre_auth:
        return "pre_auth_type"
    return "independent_shop_trade" if d.secret_seed % 10 == 0 else "fixed"


def render(d: Draft) -> dict[str, Any]:
    """A draft as a TOP trade (with its ``orders.order`` lines); receiver data masked."""
    if d.status == "cancelled":
        status = ("TRADE_CLOSED" if d.close_trade else "WAIT_SELLER_SEND_GOODS") if d.paid_at else "TRADE_CLOSED_BY_TAOBAO"
    elif d.status == "paid" and d.blocked:
        status = "PAID_FORBID_CONSIGN"  # 拼团中订单或者发货强管控的订单，已付款但禁止发货
    elif d.partly_shipped:
        status = "SELLER_CONSIGNED_PART"
    elif d.status == "unpaid" and d.pre_auth:
        status = "WAIT_PRE_AUTH_CONFIRM"  # 0元购合约中
    else:
        status = {"unpaid": "WAIT_BUYER_PAY", "paid": "WAIT_SELLER_SEND_GOODS", "shipped": "WAIT_BUYER_CONFIRM_GOODS",
                  "finished": "TRADE_FINISHED"}[d.status]
    refund = "SUCCESS" if d.status == "cancelled" and d.paid_at else "NO_REFUND"
    r = d.receiver
    lines = []
    for i, line in enumerate(d.lines):
        line_total = line.qty * line.price_fen
        line_discount = d.discount_fen if i == 0 else 0
        # A line shipped on its own has its own status and consign time; the others follow the trade.
        line_status = "WAIT_BUYER_CONFIRM_GOODS" if line.shipped_at and d.status == "paid" else (
            "WAIT_SELLER_SEND_GOODS" if status == "SELLER_CONSIGNED_PART" else status)
        row = {
            "oid": line.line_id, "num_iid": line.item_id, "sku_id": str(line.platform_sku_id),
            "outer_iid": line.sku_code if line.outer_on_item_only else line.sku_code.split("-")[0],
            "outer_sku_id": "" if line.outer_on_item_only else line.sku_code,
            "title": line.title, "sku_properties_name": line.spec, "num": line.qty,
            "price": yuan_text(line.price_fen), "payment": yuan_text(max(0, line_total - line_discount)),
            "discount_fee": yuan_text(line_discount), "refund_status": refund, "status": line_status,
        }
        if line.shipped_at:
            row["consign_time"] = format_beijing(line.shipped_at)
        lines.append(row)
    trade: dict[str, Any] = {
        "tid": int(d.order_id), "type": trade_type(d), "status": status, "created": format_beijing(d.created),
        "modified": format_beijing(d.modified), "payment": yuan_text(d.paid_fen),
        "total_fee": yuan_text(d.total_fen), "post_fee": yuan_text(d.post_fee_fen),
        "discount_fee": yuan_text(d.discount_fen), "buyer_nick": d.buyer_nick, "buyer_open_uid": d.buyer_uid,
        "receiver_name": mask_name_taobao(r.name), "receiver_mobile": mask_phone_taobao(r.phone),
        "receiver_phone": "", "receiver_state": r.province, "receiver_city": r.city,
        "receiver_district": r.district, "receiver_town": r.town, "receiver_address": mask_street(r.street),
        "receiver_zip": r.zip, "buyer_message": d.buyer_message, "seller_memo": d.seller_memo,
        "oaid": base64.b32encode(d.secret_seed.to_bytes(8, "big") + r.phone.encode()[-4:]).decode().lower(),
        "orders": {"order": lines},
    }
    if d.paid_at:
        trade["pay_time"] = format_beijing(d.paid_at)
    if d.shipped_at:
        trade["consign_time"] = format_beijing(d.shipped_at)
    return trade
