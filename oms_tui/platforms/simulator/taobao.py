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
from oms_tui.platforms.simulator.model import Draft, SimOrder, SimResponse, SimShop
from oms_tui.platforms.simulator.wire import (
    BEIJING,
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

PLATFORM = "taobao"
PATHS = ("/taobao/router/rest", "/router/rest")

API_INCREMENT = "taobao.trades.sold.increment.get"
API_FULLINFO = "taobao.trade.fullinfo.get"
API_OFFLINE_SEND = "taobao.logistics.offline.send"
RESPONSE_KEYS = {
    API_INCREMENT: "trades_sold_increment_get_response",
    API_FULLINFO: "trade_fullinfo_get_response",
    API_OFFLINE_SEND: "logistics_offline_send_response",
}

SIGN_METHODS = ("md5", "hmac", "hmac-sha256")
TIMESTAMP_TOLERANCE = timedelta(minutes=10)
MAX_WINDOW = timedelta(days=1)  # and both ends on the same Beijing day
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 40  # the simulator's choice when page_size is left out

# Error codes. PROTOCOLS.md documents 7, 11, 15, 25, 26, 27, 28 ("unconfirmed beyond 7/25/27").
ERR_RATE_LIMITED = 7
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
                       "This ban will last for 1 more seconds")
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
        if params["session"] != shop.session:
            return err(ERR_INVALID_SESSION, None, "invalid-sessionkey", "SessionKey非法或已过期")
        if api == API_INCREMENT:
            return _increment(state, shop, params, err)
        if api == API_FULLINFO:
            return _fullinfo(state, shop, params, err)
        if api == API_OFFLINE_SEND:
            return _offline_send(state, shop, params, err)
        return err(ERR_INVALID_METHOD)


def _increment(state: SimulatorState, shop: SimShop, params: Mapping[str, str],
               err: Callable[..., SimResponse]) -> SimResponse:
    for name in ("start_modified", "end_modified"):
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
    matched = sorted((o for o in shop.orders.values() if start <= o.modified <= end),
                     key=lambda o: (o.modified, o.key))
    chunk = matched[(page - 1) * size: page * size]
    body: dict[str, Any] = {"total_results": len(matched), "has_next": page * size < len(matched)}
    if chunk:  # TOP leaves the key out when there is nothing
        body["trades"] = {"trade": [select_fields(o.payload, params.get("fields", "")) for o in chunk]}
    state.log_call(PLATFORM, API_INCREMENT, params)
    return SimResponse(200, {RESPONSE_KEYS[API_INCREMENT]: body})


def _fullinfo(state: SimulatorState, shop: SimShop, params: Mapping[str, str],
              err: Callable[..., SimResponse]) -> SimResponse:
    tid = params.get("tid")
    if not tid:
        return err(ERR_MISSING_ARGUMENT, "Missing required arguments:tid")
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
    if order.draft.status != "paid":
        return err(ERR_REMOTE_SERVICE, None, SUB_OFFLINE_SEND_REFUSED, "当前订单状态不支持发货")
    if state.take_ship_refusal(PLATFORM):
        return err(ERR_REMOTE_SERVICE, None, SUB_OFFLINE_SEND_REFUSED, "运单号不符合规则")
    state.ship(order, params["out_sid"], params["company_code"])
    state.log_call(PLATFORM, API_OFFLINE_SEND, params)
    return SimResponse(200, {RESPONSE_KEYS[API_OFFLINE_SEND]: {"shipping": {"is_success": True}}})


def select_fields(payload: dict[str, Any], fields: str) -> dict[str, Any]:
    """TOP's ``fields``: top-level names, ``orders`` for whole lines or ``orders.x`` for some line fields."""
    wanted = {f.strip() for f in fields.split(",") if f.strip()}
    if not wanted:
        return dict(payload)
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

def render(d: Draft) -> dict[str, Any]:
    """A draft as a TOP trade (with its ``orders.order`` lines); receiver data masked."""
    if d.status == "cancelled":
        status = ("TRADE_CLOSED" if d.close_trade else "WAIT_SELLER_SEND_GOODS") if d.paid_at else "TRADE_CLOSED_BY_TAOBAO"
    else:
        status = {"unpaid": "WAIT_BUYER_PAY", "paid": "WAIT_SELLER_SEND_GOODS", "shipped": "WAIT_BUYER_CONFIRM_GOODS",
                  "finished": "TRADE_FINISHED"}[d.status]
    refund = "SUCCESS" if d.status == "cancelled" and d.paid_at else "NO_REFUND"
    r = d.receiver
    lines = []
    for i, line in enumerate(d.lines):
        line_total = line.qty * line.price_fen
        line_discount = d.discount_fen if i == 0 else 0
        lines.append({
            "oid": line.line_id, "num_iid": line.item_id, "sku_id": str(line.platform_sku_id),
            "outer_iid": line.sku_code if line.outer_on_item_only else line.sku_code.split("-")[0],
            "outer_sku_id": "" if line.outer_on_item_only else line.sku_code,
            "title": line.title, "sku_properties_name": line.spec, "num": line.qty,
            "price": yuan_text(line.price_fen), "payment": yuan_text(max(0, line_total - line_discount)),
            "discount_fee": yuan_text(line_discount), "refund_status": refund, "status": status,
        })
    trade: dict[str, Any] = {
        "tid": int(d.order_id), "status": status, "created": format_beijing(d.created),
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
