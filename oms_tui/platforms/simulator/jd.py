"""The simulated JD JOS router: its API names, error table, limits, signature check, request rules
and order payloads, written from PROTOCOLS.md (never from the adapter's module)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import random
import zlib
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from oms_tui.platforms.simulator.generate import digits, mask_phone_taobao
from oms_tui.platforms.simulator.model import Draft, SimOrder, SimRefund, SimResponse, SimShop
from oms_tui.platforms.simulator.wire import (
    format_beijing,
    has_redirect_target,
    md5_wrapped,
    parse_beijing,
    sign_matches,
    string_to_sign,
    redirect_with_code,
    secret_matches,
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
# Refund applications before shipping (退款审核单). Asked by application time or by check time, or by ids;
# pageSize at most 50 and the ids one call takes are the simulator's reading *(unconfirmed)*, as is that
# applyRefundSum is in fen. Listed newest application first *(the simulator's own)*.
API_REFUND_APPLY = "jingdong.pop.afs.soa.refundapply.queryPageList"
REFUND_MAX_PAGE_SIZE = 50
REFUND_MAX_IDS = 50
# The shop's SKUs *(unconfirmed: pageNo / pageSize, at most 50)*.
API_SKU_LIST = "jingdong.sku.read.searchSkuList"
SKU_MAX_PAGE_SIZE = 50

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
ERR_CALL_LIMITED = "2"  # "App Call Limited": rate or quota
# The simulator's own, for bad parameters and unknown methods (not in PROTOCOLS.md).
ERR_OTHER = "66"

# Errors a test may inject into one API (state.inject_api_error): none simulated on this platform yet.
API_ERRORS: dict[str, tuple] = {}

# A refused shipment: apiResult.success false with a resultCode *(unconfirmed: the simulator's own)*.
RESULT_ORDER_NOT_SHIPPABLE = "10400001"
RESULT_BAD_WAYBILL = "10400002"

# What the simulator's generator and fault injection need to know about an order payload.
ORDER_ID_FIELD = "orderId"
PAYMENT_FIELD = "orderPayment"
# logiCoprId values the simulated JD shop accepts for our courier codes: the simulator's own, NOT
# JD's real ids (any non-empty id is accepted). For the demo: client_for(shop, courier_codes=...).
COURIER_CODES = {code: str(9000 + n) for n, code in enumerate(
    ("shunfeng", "zhongtong", "yuantong", "yunda", "shentong", "jtexpress", "ems", "jd", "debangkuaidi"))}


# --- TDE: receiver data encrypted ---------------------------------------------------------------
#
# PROTOCOLS.md: consigneeInfo's ``fullname``, ``telephone``, ``mobile`` and ``fullAddress`` come TDE-encrypted;
# ``desen_mobile`` / ``desen_telephone`` are masked plain text. The ciphertext has the shape JD's TDE SDK
# recognises (its ``isEncryptData``; a real order's ``AAS/ZFJF…`` decodes the same way): base64 of
# [cipher type 0 = weak][algorithm 4 = AES-CBC-128][16-byte key id][16-byte IV][data]. The "cipher" here is
# a keyed XOR stream, enough for the decrypt endpoint below to give the text back; it is no cryptography.
TDE_CIPHER_WEAK = 0
TDE_ALGORITHM_AES_CBC_128 = 4
TDE_KEY_ID = hashlib.md5(b"oms simulator: JD TDE key").digest()  # 16 bytes
ENCRYPTED_CONSIGNEE_FIELDS = ("fullname", "telephone", "mobile", "fullAddress")
# The decrypt service a shop may run beside JD's TDE SDK (config ``decrypt_url``): our own seam, not a JD API.
# POST JSON {"app_key", "access_token", "ciphertexts": [...]} → {"plaintexts": [... or null]}.
DECRYPT_PATH = "/jd/tde/decrypt"


def _tde_stream(iv: bytes, size: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(TDE_KEY_ID + iv + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:size]


def tde_encrypt(plaintext: str, rng: random.Random) -> str:
    """``plaintext`` as TDE-shaped ciphertext (a fresh IV from ``rng``: the same text encrypts differently)."""
    data = plaintext.encode("utf-8")
    iv = bytes(rng.randrange(256) for _ in range(16))
    body = bytes(a ^ b for a, b in zip(data, _tde_stream(iv, len(data))))
    return base64.b64encode(bytes([TDE_CIPHER_WEAK, TDE_ALGORITHM_AES_CBC_128]) + TDE_KEY_ID + iv + body).decode()


def tde_decrypt(ciphertext: str) -> str | None:
    """The text ``tde_encrypt`` made, or None for anything this simulator did not encrypt."""
    try:
        raw = base64.b64decode(ciphertext, validate=True)
    except (binascii.Error, ValueError, TypeError):
        return None
    if len(raw) < 34 or raw[0] != TDE_CIPHER_WEAK or raw[2:18] != TDE_KEY_ID:
        return None
    iv, body = raw[18:34], raw[34:]
    try:
        return bytes(a ^ b for a, b in zip(body, _tde_stream(iv, len(body)))).decode("utf-8")
    except UnicodeDecodeError:
        return None


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
            return err(ERR_CALL_LIMITED, "调用次数超限", "App Call Limited")
        shop = state.shop(PLATFORM, params.get("app_key", ""))
        if shop is None or not sign_matches(params.get("sign"), expected_sign(params, shop.app_secret)):
            return err(ERR_INVALID_SIGNATURE, "签名无效或app_key不存在", "Invalid signature")
        if not state.timestamp_ok(parse_beijing(params.get("timestamp", "")), TIMESTAMP_TOLERANCE):
            return err(ERR_INVALID_TIMESTAMP, "时间戳无效", "Invalid timestamp")
        if not state.token_ok(PLATFORM, shop.app_key, params.get("access_token")):
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
        if api == API_REFUND_APPLY:
            return _refund_apply(state, shop, params, biz, err)
        if api == API_SKU_LIST:
            return _sku_list(state, shop, params, biz, err)
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

    matched = sorted((o for o in shop.between("modified" if by_modified else "created", start, end)
                      if start <= when(o) <= end and (not states or o.payload.get("orderState") in states)),
                     key=lambda o: (when(o), o.key))
    chunk = matched[(page - 1) * size: page * size]
    wanted = {f for f in str(biz.get("optional_fields", "")).split(",") if f}
    rows = [{k: v for k, v in o.payload.items() if not wanted or k in wanted} for o in chunk]
    state.log_call(PLATFORM, API_ORDER_SEARCH, params)
    state.listed(PLATFORM, page, [o.key for o in chunk])
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
    if order is None or order.draft is None or order.draft.status != "paid" or order.draft.blocked:
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


# --- shop authorization (open-oauth.jd.com) and the decrypt seam ------------------------------------
#
# From JD's OAuth2 documentation as public clients use it: the consent page
# ``/oauth2/to_login?app_key&response_type=code&redirect_uri&state&scope=snsapi_base`` sends the owner back to
# ``redirect_uri?code=…&state=…``; ``/oauth2/access_token?app_key&app_secret&grant_type=authorization_code&code``
# and ``/oauth2/refresh_token?app_key&app_secret&grant_type=refresh_token&refresh_token`` answer
# ``{"access_token", "expires_in" (seconds), "refresh_token", "scope", "open_id", "uid", "time" (ms),
# "token_type", "code": 0, "xid"}``. A refusal is ``{"code": N, "msg", "requestId"}``: 304 ("this session was
# never authorized") is seen in public client code; the simulator answers every refusal so *(unconfirmed)*.
OAUTH_AUTHORIZE_PATH = "/jd/oauth2/to_login"
OAUTH_TOKEN_PATH = "/jd/oauth2/access_token"
OAUTH_REFRESH_PATH = "/jd/oauth2/refresh_token"
OAUTH_REFUSED = 304


def _oauth_refusal(state: SimulatorState, msg: str) -> SimResponse:
    return SimResponse(200, {"code": OAUTH_REFUSED, "msg": msg, "requestId": state.request_id()})


def _token_body(token: Any, now: datetime) -> dict[str, Any]:
    return {"access_token": token.access_token, "expires_in": int((token.expires_at - now).total_seconds()),
            "refresh_token": token.refresh_token, "scope": "snsapi_base", "open_id": f"open-{token.app_key}",
            "uid": str(9000000000 + zlib.crc32(token.app_key.encode()) % 999999), "time": int(now.timestamp() * 1000),
            "token_type": "bearer", "code": 0, "xid": f"o*{token.app_key}"}


def oauth_authorize(state: SimulatorState, params: Mapping[str, str]) -> SimResponse:
    shop = state.shop(PLATFORM, params.get("app_key", ""))
    if shop is None or params.get("response_type") != "code" or not has_redirect_target(params.get("redirect_uri", "")):
        return SimResponse(400, {"code": 400, "msg": "app_key/response_type/redirect_uri无效"})
    code = state.issue_code(PLATFORM, shop.app_key, params["redirect_uri"])
    state.log_call(PLATFORM, "oauth2/to_login", params)
    return redirect_with_code(params["redirect_uri"], code, params.get("state", ""))


def _oauth_app(state: SimulatorState, params: Mapping[str, str]) -> SimShop | None:
    shop = state.shop(PLATFORM, params.get("app_key", ""))
    if shop is None or not secret_matches(params.get("app_secret"), shop.app_secret):
        return None
    return shop


def oauth_token(state: SimulatorState, params: Mapping[str, str]) -> SimResponse:
    with state.lock:
        shop = _oauth_app(state, params)
        if shop is None:
            return _oauth_refusal(state, "app_key或app_secret无效")
        if params.get("grant_type") != "authorization_code" or not params.get("code"):
            return _oauth_refusal(state, "grant_type/code无效")
        token = state.exchange_code(PLATFORM, shop.app_key, params["code"])
        state.log_call(PLATFORM, "oauth2/access_token", params, "ok" if not isinstance(token, str) else token)
        if isinstance(token, str):
            return _oauth_refusal(state, f"当前会话没有做过授权,请先授权 ({token})")
        return SimResponse(200, _token_body(token, state.clock()))


def oauth_refresh(state: SimulatorState, params: Mapping[str, str]) -> SimResponse:
    with state.lock:
        shop = _oauth_app(state, params)
        if shop is None:
            return _oauth_refusal(state, "app_key或app_secret无效")
        if params.get("grant_type") != "refresh_token" or not params.get("refresh_token"):
            return _oauth_refusal(state, "grant_type/refresh_token无效")
        token = state.refresh(PLATFORM, shop.app_key, params["refresh_token"])
        state.log_call(PLATFORM, "oauth2/refresh_token", params, "ok" if not isinstance(token, str) else token)
        if isinstance(token, str):
            return _oauth_refusal(state, f"refresh_token无效或已过期 ({token})")
        return SimResponse(200, _token_body(token, state.clock()))


def decrypt(state: SimulatorState, params: Mapping[str, str]) -> SimResponse:
    """The decrypt service a shop runs beside JD's TDE SDK (our seam, ``DECRYPT_PATH``): the SDK needs the
    app and a live access token to fetch its keys, so this checks both."""
    with state.lock:
        shop = state.shop(PLATFORM, params.get("app_key", ""))
        if shop is None or not state.token_ok(PLATFORM, shop.app_key, params.get("access_token")):
            state.log_call(PLATFORM, "tde/decrypt", params, "refused")
            return SimResponse(403, {"error": "unknown app_key or invalid access_token"})
        try:
            ciphertexts = json.loads(params.get("ciphertexts") or "[]")
        except ValueError:
            ciphertexts = None
        if not isinstance(ciphertexts, list) or not all(isinstance(c, str) for c in ciphertexts):
            return SimResponse(400, {"error": "ciphertexts must be a list of strings"})
        state.log_call(PLATFORM, "tde/decrypt", params)
        return SimResponse(200, {"plaintexts": [tde_decrypt(c) for c in ciphertexts]})


# Paths besides the router: (path, handler).
EXTRA_ROUTES = {
    OAUTH_AUTHORIZE_PATH: oauth_authorize,
    OAUTH_TOKEN_PATH: oauth_token,
    OAUTH_REFRESH_PATH: oauth_refresh,
    DECRYPT_PATH: decrypt,
}


def new_refund_id(seq: int, moment: datetime) -> str:
    return str(2_000_000 + seq)


def _refund_apply(state: SimulatorState, shop: SimShop, params: Mapping[str, str], biz: dict[str, Any],
                  err: Callable[..., SimResponse]) -> SimResponse:
    page, size = to_int(biz.get("pageIndex"), 1), to_int(biz.get("pageSize"), 10)
    if page is None or size is None or page < 1 or not 1 <= size <= REFUND_MAX_PAGE_SIZE:
        return err(ERR_OTHER, "pageIndex/pageSize无效", "Invalid pageIndex/pageSize")
    ids = {i.strip() for i in str(biz.get("ids") or "").split(",") if i.strip()}
    if len(ids) > REFUND_MAX_IDS:
        return err(ERR_OTHER, "ids过多", "Too many ids")
    spans = {}
    for name in ("applyTime", "checkTime"):
        raw = (biz.get(f"{name}Start"), biz.get(f"{name}End"))
        if raw == (None, None):
            continue
        start, end = parse_beijing(str(raw[0] or "")), parse_beijing(str(raw[1] or ""))
        if start is None or end is None or start > end:
            return err(ERR_OTHER, f"{name}Start/{name}End无效", f"Invalid {name}Start/{name}End")
        spans[name] = (start, end)

    def wanted(r: SimRefund) -> bool:
        if ids and r.refund_id not in ids:
            return False
        if biz.get("orderId") and str(biz["orderId"]) != r.order_key:
            return False
        if "applyTime" in spans and not spans["applyTime"][0] <= r.created <= spans["applyTime"][1]:
            return False
        if "checkTime" in spans and not (r.checked and spans["checkTime"][0] <= r.checked <= spans["checkTime"][1]):
            return False
        return True

    matched = sorted((r for r in shop.refunds.values() if wanted(r)), key=lambda r: (r.created, r.refund_id),
                     reverse=True)
    chunk = matched[(page - 1) * size: page * size]
    rows = [{"id": int(r.refund_id), "orderId": r.order_key, "buyerId": "jd_buyer", "buyerName": "京东用户",
             "applyTime": format_beijing(r.created),
             "checkTime": format_beijing(r.checked) if r.checked else "", "applyRefundSum": r.amount_fen,
             "status": int(r.status) if r.status.isdigit() else r.status, "checkUserName": "", "reason": r.reason} for r in chunk]
    state.log_call(PLATFORM, API_REFUND_APPLY, params)
    state.after_page(API_REFUND_APPLY, page)
    return SimResponse(200, {response_key(API_REFUND_APPLY): {"code": "0", "queryResult": {
        "success": True, "resultCode": "0", "resultDescribe": "成功", "result": rows, "totalCount": len(matched)}}})


def _sku_list(state: SimulatorState, shop: SimShop, params: Mapping[str, str], biz: dict[str, Any],
              err: Callable[..., SimResponse]) -> SimResponse:
    page, size = to_int(biz.get("pageNo"), 1), to_int(biz.get("pageSize"), 20)
    if page is None or size is None or page < 1 or not 1 <= size <= SKU_MAX_PAGE_SIZE:
        return err(ERR_OTHER, "pageNo/pageSize无效", "Invalid pageNo/pageSize")
    skus = [(i, s) for i in shop.items if i.on_sale for s in i.skus]
    chunk = skus[(page - 1) * size: page * size]
    wanted = {f for f in str(biz.get("field", "")).split(",") if f}
    rows = [{"wareId": int(i.item_id) if i.item_id.isdigit() else i.item_id,
             "skuId": int(s.sku_id) if s.sku_id.isdigit() else s.sku_id, "outerId": s.outer_id, "skuName": s.spec,
             "wareTitle": i.title, "jdPrice": yuan_text(s.price_fen), "status": 1, "stockNum": s.quantity}
            for i, s in chunk]
    rows = [{k: v for k, v in row.items() if not wanted or k in wanted} for row in rows]
    state.log_call(PLATFORM, API_SKU_LIST, params)
    state.after_page(API_SKU_LIST, page)
    return SimResponse(200, {response_key(API_SKU_LIST): {"code": "0", "page": {
        "data": rows, "pageNo": page, "pageSize": size, "totalItem": len(skus)}}})


# --- the order payload -------------------------------------------------------------------------

def render(d: Draft) -> dict[str, Any]:
    """A draft as a JOS order (consigneeInfo TDE-encrypted with masked phones, itemInfoList lines)."""
    state = {"unpaid": "WAIT_SELLER_STOCK_OUT", "paid": "WAIT_SELLER_STOCK_OUT", "shipped": "WAIT_GOODS_RECEIVE_CONFIRM",
             "finished": "FINISHED_L", "cancelled": "TRADE_CANCELED"}[d.status]
    if d.status == "paid" and d.blocked:
        state = "POP_ORDER_PAUSE"  # paused on JD's side: not to be shipped
    r = d.receiver
    # Stable per receiver: the same order renders the same ciphertext until its receiver changes.
    rng = random.Random(d.secret_seed ^ zlib.crc32((r.name + r.phone + r.street).encode()))
    order: dict[str, Any] = {
        "orderId": d.order_id, "orderState": state, "orderStartTime": format_beijing(d.created),
        "modified": format_beijing(d.modified), "orderTotalPrice": yuan_text(d.total_fen),
        "orderSellerPrice": yuan_text(d.total_fen - d.discount_fen), "orderPayment": yuan_text(d.paid_fen),
        "freightPrice": yuan_text(d.post_fee_fen), "sellerDiscount": yuan_text(d.discount_fen),
        "orderRemark": d.buyer_message, "venderRemark": d.seller_memo, "pin": d.buyer_uid[:10] + "***",
        "consigneeInfo": {
            "fullname": tde_encrypt(r.name, rng), "mobile": tde_encrypt(r.phone, rng),
            "telephone": tde_encrypt(r.phone, rng),
            "desen_mobile": mask_phone_taobao(r.phone), "desen_telephone": mask_phone_taobao(r.phone),
            "province": r.province_short, "city": r.city, "county": r.district, "town": r.town,
            "fullAddress": tde_encrypt(f"{r.province_short}{r.city}{r.district}{r.town}{r.street}", rng),
        },
        "itemInfoList": [{"skuId": str(line.platform_sku_id), "wareId": str(line.item_id),
                          "outerSkuId": line.sku_code, "skuName": line.title,
                          "itemTotal": str(line.qty), "jdPrice": yuan_text(line.price_fen)} for line in d.lines],
    }
    if d.paid_at:
        order["paymentConfirmTime"] = format_beijing(d.paid_at)
    return order
