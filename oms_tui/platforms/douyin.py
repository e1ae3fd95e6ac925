"""Douyin Shop (抖店): changed orders (``order.searchList``), one order (``order.orderDetail``), ship notice
(``order.logisticsAdd``), after-sales (``afterSale.List``); token create / refresh live in oauth.py.

Wire shape (the platform's Go SDK, the ``doudian`` PyPI package): every API has its own path on one host,
``POST https://openapi-fxg.jinritemai.com/order/searchList`` (the method with ``.`` as ``/``), the system
parameters ``app_key``, ``method``, ``access_token``, ``timestamp``, ``v=2``, ``sign_method``, ``sign`` in the query
string and the business parameters as the JSON body, the very ``param_json`` string that was signed
(signing.douyin_sign). Answers: ``{"code": 10000, "msg", "sub_code", "sub_msg", "log_id", "data": {...}}``; any
other code is a refusal (ERROR_CLASSES).

Money comes in fen (integers), times as Unix seconds. Receivers: ``encrypt_post_receiver``, ``encrypt_post_tel``
and ``post_addr.encrypt_detail`` are ciphertext (``~…~``, ``$…$``, ``#…#``) kept only in ``receiver_opaque``
(for an e-waybill request, which Douyin decrypts); what is shown and matched on is ``mask_post_receiver``,
``mask_post_tel``, the plain province / city / district / street names and ``mask_post_addr.detail``, and the
``open_address_id`` (the same address gets the same id: ``NormalizedOrder.receiver_address_id``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from oms_tui.i18n import N_
from oms_tui.models import RefundState
from oms_tui.platforms.base import (
    FetchResult,
    ListingPage,
    MalformedRecord,
    PlatformClient,
    each_once,
    listing_total,
    mapped_or_malformed,
    split_window,
)
from oms_tui.platforms.errors import (
    PlatformAuthError,
    PlatformClockError,
    PlatformError,
    PlatformPermissionError,
    PlatformRateLimited,
    PlatformResponseError,
    PlatformSignatureError,
    PlatformUnavailable,
)
from oms_tui.platforms.mapping import (
    MappingError,
    as_dict,
    as_list,
    build_line,
    build_order,
    line_title,
    order_id,
    platform_block,
    quantity,
    sku_code,
    text,
)
from oms_tui.platforms.paging import Page, first_of_each, page_of, read_backwards, refund_id_of
from oms_tui.platforms.signing import douyin_param_json, douyin_sign
from oms_tui.services.customers import withheld
from oms_tui.services.customers.normalize import looks_encrypted
from oms_tui.services.orders.normalized import NormalizedOrder, PlatformState
from oms_tui.services.orders.refunds import RefundNotice

# ============================== Douyin constants ============================================
PLATFORM = "douyin"
DEFAULT_ENDPOINT = "https://openapi-fxg.jinritemai.com"
DEFAULT_PATH = ""  # each API has its own path under the host (api_path)
API_VERSION = "2"
SIGN_METHOD = "hmac-sha256"  # what the platform's SDKs send; md5 is also documented
SUCCESS_CODE = 10000

API_SEARCH_LIST = "order.searchList"
API_ORDER_DETAIL = "order.orderDetail"
API_LOGISTICS_ADD = "order.logisticsAdd"
API_AFTERSALE_LIST = "afterSale.List"

# order.searchList: update_time_start / update_time_end (Unix seconds), page from 0, size at most 100,
# order_by "update_time", order_asc false = newest first (the documented default). *(unconfirmed)*: the
# longest window (an hour here, halved while it has many pages: base.list_window) and any listing lag
# the platform needs (a minute here, as JD).
MAX_WINDOW = timedelta(hours=1)
MAX_PAGE_SIZE = 100
LISTING_LAG = timedelta(minutes=1)
FIRST_PAGE = 0

# order_status (searchList documentation): 1 待支付, 105 已支付, 2 备货中, 101 部分发货, 3 已发货, 4 已取消,
# 5 已完成. 105 is paid but not yet handed to the seller to stock up *(unconfirmed: our reading)*: held.
STATUS_MAP: dict[int, PlatformState] = {
    1: PlatformState.AWAITING_PAYMENT,
    105: PlatformState.PAID,
    2: PlatformState.PAID,
    101: PlatformState.PAID,
    3: PlatformState.SHIPPED,
    4: PlatformState.CANCELLED,
    5: PlatformState.FINISHED,
}
HOLD_STATES: dict[int, str] = {105: N_("paid, not yet released for shipping")}
# A line's after_sale_info.refund_status: 3 退款成功. Every line refunded → the paid order is cancelled.
LINE_REFUNDED = 3
# given_product_type FREE: a gift bound to a main product (its price 0); shipped like any line.
GIFT_TYPE = "FREE"
GIFT_MARK = "【赠品】"

# The platform's base error table (its "平台基础错误码"): code → class; 40003 is told apart by sub_code.
ERROR_CLASSES: dict[int, type[PlatformError]] = {
    20000: PlatformUnavailable,  # 服务不可用
    20001: PlatformUnavailable,  # 内部服务超时
    30001: PlatformPermissionError,  # 操作权限不足 (dop.authorization-* sub-codes: see SUB_CODE_CLASSES)
    60000: PlatformRateLimited,  # 触发限流
}
SUB_CODE_CLASSES: dict[str, type[PlatformError]] = {
    "isv.signature-invalid": PlatformSignatureError,
    "isv.signature-missing": PlatformSignatureError,
    "isv.app-id-invalid": PlatformSignatureError,
    "isv.access-token-expired": PlatformAuthError,
    "isv.access-token-no-existed": PlatformAuthError,
    "isv.access-token-invalid": PlatformAuthError,
    "isv.access-token-missing": PlatformAuthError,
    "dop.authorization-no-existed": PlatformAuthError,
    "dop.authorization-closed": PlatformAuthError,
    "isv.timestamp-invalid": PlatformClockError,
    "isv.timestamp-format-error": PlatformClockError,
}

# afterSale.List: update_start_time / update_end_time (Unix seconds), page from 0, size at most 100, order_by
# ["update_time desc"]. *(unconfirmed)*: the longest window (a day here).
AFTERSALE_PAGE_SIZE = 100
AFTERSALE_MAX_WINDOW = timedelta(days=1)
# aftersale_status: 6 待商家同意, 7 待买家退货, 8 待商家发货, 11 待商家二次同意, 3/13 换货待买家收货 → open; 12 售后成功
# → refunded (for a refund type; 14 换货成功 closes); 27 商家一次拒绝, 28 售后失败, 29 商家二次拒绝 → closed.
REFUND_STATE: dict[int, RefundState] = {
    12: RefundState.REFUNDED,
    14: RefundState.CLOSED,
    27: RefundState.CLOSED,
    28: RefundState.CLOSED,
    29: RefundState.CLOSED,
}
EXCHANGE_TYPES = frozenset({3, 7, 8})  # 换货, 补寄, 维修: no money back even when "successful"

# Our courier code → Douyin company_code (order.logisticsCompanyList). *(unconfirmed: these are the codes
# commonly seen; a shop's courier_codes override them)*.
COMPANY_CODES: dict[str, str] = {
    "shunfeng": "shunfeng", "zhongtong": "zhongtong", "yuantong": "yuantong", "yunda": "yunda",
    "shentong": "shentong", "jtexpress": "jtexpress", "ems": "ems", "jd": "jd",
}
# ============================================================================================


def api_path(api: str) -> str:
    """``order.searchList`` → ``/order/searchList`` (the SDKs' rule)."""
    return "/" + api.replace(".", "/")


def fen(record: Mapping[str, Any], key: str, *, required: bool = False) -> int:
    """A money field in fen (an integer, or a digit string); missing is 0 unless ``required``."""
    value = record.get(key)
    if value is None or value == "":
        if required:
            raise MappingError(f"{key} is missing")
        return 0
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())):
        raise MappingError(f"{key} is not a whole number of fen: {value!r}")
    amount = int(value)
    if amount < 0:
        raise MappingError(f"{key} is negative: {value!r}")
    return amount


def epoch(record: Mapping[str, Any], key: str, *, required: bool = False) -> datetime | None:
    """A Unix-seconds time field; 0 or missing is None (an error when ``required``)."""
    value = record.get(key)
    try:
        seconds = int(str(value).strip()) if value not in (None, "") and not isinstance(value, bool) else 0
    except ValueError:
        raise MappingError(f"{key} is not a Unix time: {value!r}") from None
    if seconds <= 0:
        if required:
            raise MappingError(f"{key} is missing")
        return None
    return datetime.fromtimestamp(seconds, timezone.utc)


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise MappingError(f"{field} is not a number: {value!r}")
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise MappingError(f"{field} is not a number: {value!r}") from None


def _name(box: Any) -> str:
    """``{"name": "浙江省", "id": "33"}`` → its name."""
    return text(box, "name") if isinstance(box, dict) else ""


def _plain(value: str) -> str:
    return "" if looks_encrypted(value) else value


def _line(item: Any, n: int) -> tuple[Any, bool]:
    if not isinstance(item, dict):
        raise MappingError(f"line {n} is not an object")
    spec = " ".join(f"{text(s, 'name')}:{text(s, 'value')}" for s in item.get("spec") or [] if isinstance(s, dict))
    gift = text(item, "given_product_type").upper() == GIFT_TYPE
    title = line_title(item.get("product_name"), spec or None)
    line = build_line(
        sku_code=sku_code([item.get("code"), item.get("out_sku_id")], [item.get("sku_id"), item.get("product_id")]),
        title=f"{GIFT_MARK}{title}" if gift else title,
        qty=quantity(item.get("item_num"), field=f"line {n} item_num"),
        price_fen=0 if gift else fen(item, "origin_amount"),
        platform_line_id=text(item, "order_id"),
        platform_item_id=text(item, "product_id") or text(item, "product_id_str"),
        platform_sku_id=text(item, "sku_id"),
    )
    after = item.get("after_sale_info")
    refunded = isinstance(after, dict) and str(after.get("refund_status")) == str(LINE_REFUNDED)
    return line, refunded


def receiver_fields(order: Mapping[str, Any]) -> dict[str, str]:
    """The receiver fields of a NormalizedOrder: masked copies shown, ciphertext withheld, the open address id."""
    addr = as_dict(order.get("post_addr") or {}, field="post_addr")
    masked = as_dict(order.get("mask_post_addr") or {}, field="mask_post_addr")
    sealed = {"name": text(order, "encrypt_post_receiver") or text(order, "post_receiver"),
              "mobile": text(order, "encrypt_post_tel") or text(order, "post_tel"),
              "address": text(addr, "encrypt_detail") or text(addr, "detail")}
    sealed = {k: v for k, v in sealed.items() if looks_encrypted(v)}
    address_id = text(order, "open_address_id")
    detail = text(masked, "detail") or _plain(text(addr, "detail"))
    street = _name(masked.get("street")) or _name(addr.get("street"))
    return {
        "receiver_name": text(order, "mask_post_receiver") or _plain(text(order, "post_receiver")),
        "receiver_phone": text(order, "mask_post_tel") or _plain(text(order, "post_tel")),
        "receiver_province": _name(addr.get("province")) or _name(masked.get("province")),
        "receiver_city": _name(addr.get("city")) or _name(masked.get("city")),
        "receiver_district": _name(addr.get("town")) or _name(masked.get("town")),
        "receiver_address": f"{street}{detail}",
        "receiver_address_id": address_id,
        "receiver_opaque": withheld.seal(oaid=address_id, **sealed),
    }


def map_order(order: Mapping[str, Any], shop: str = "") -> NormalizedOrder:
    oid = order_id(order.get("order_id"), field="order_id")
    status = _int(order.get("order_status"), "order_status")
    if status not in STATUS_MAP:
        raise MappingError(f"unknown order_status {status!r}")
    items = as_list(order.get("sku_order_list"), field="sku_order_list")
    if not items:
        raise MappingError("order has no lines")
    mapped = [_line(item, n) for n, item in enumerate(items, 1)]
    state = STATUS_MAP[status]
    if state == PlatformState.PAID and all(refunded for _line_, refunded in mapped):
        state = PlatformState.CANCELLED  # every line refunded before it shipped
    lines, shipped = [], []
    for (line, _refunded), item in zip(mapped, items):
        # 101 部分发货: a line whose own order_status is 3 already left
        if status == 101 and str(item.get("order_status")) == "3":
            shipped.append(line)
        else:
            lines.append(line)
    if not lines:
        lines, shipped = shipped, []
    block = platform_block("order_status", status, HOLD_STATES[status]) if status in HOLD_STATES else ""
    total = fen(order, "order_amount")
    return build_order(
        platform=PLATFORM,
        platform_order_id=oid,
        shop=shop,
        state=state,
        platform_status=str(status),
        platform_block=block if state == PlatformState.PAID else "",
        buyer_id=_plain(text(order, "doudian_open_id")),
        **receiver_fields(order),
        buyer_remark=text(order, "buyer_words"),
        seller_memo=text(order, "seller_words"),
        total_fen=total,
        paid_fen=fen(order, "pay_amount", required=True),
        discount_fen=fen(order, "promotion_amount"),
        post_fee_fen=fen(order, "post_amount"),
        created_at=epoch(order, "create_time", required=True),
        paid_at=epoch(order, "pay_time"),
        modified_at=epoch(order, "update_time"),
        lines=lines,
        shipped_lines=shipped,
    )


def to_result(order: Any, shop: str = "") -> FetchResult:
    """map_order, or a MalformedRecord with the reason."""
    return mapped_or_malformed(PLATFORM, order, map_order, "order_id", shop)


def map_aftersale(item: Mapping[str, Any]) -> RefundNotice:
    """An afterSale.List item (``aftersale_info`` + ``order_info``) → RefundNotice."""
    info = as_dict(item.get("aftersale_info"), field="aftersale_info")
    order = as_dict(item.get("order_info") or {}, field="order_info")
    refund_id = order_id(info.get("aftersale_id"), field="aftersale_id")
    status = _int(info.get("aftersale_status"), "aftersale_status")
    kind = _int(info.get("aftersale_type", 2), "aftersale_type")
    state = REFUND_STATE.get(status, RefundState.REQUESTED)
    if status == 12 and kind in EXCHANGE_TYPES:
        state = RefundState.CLOSED
    related = [r for r in order.get("related_order_info") or [] if isinstance(r, dict)]
    return RefundNotice(
        platform=PLATFORM, refund_id=refund_id,
        platform_order_id=order_id(order.get("shop_order_id") or info.get("related_id"), field="shop_order_id"),
        status=str(status), state=state, reason=text(info, "reason") or text(info, "apply_reason"),
        amount_fen=fen(info, "refund_amount"), modified_at=epoch(info, "update_time"),
        platform_line_id=text(related[0], "sku_order_id") if related else "")


def _aftersale_or_malformed(raw: Any) -> RefundNotice | MalformedRecord:
    try:
        return map_aftersale(raw) if isinstance(raw, dict) else MalformedRecord(PLATFORM, None,
                                                                                 "refund is not an object", raw)
    except MappingError as exc:
        order = raw.get("order_info")
        key = order.get("shop_order_id") if isinstance(order, dict) else None
        return MalformedRecord(PLATFORM, str(key) if key not in (None, "") else None, f"refund: {exc}", raw)


def error_class(code: int | None, sub_code: str) -> type[PlatformError]:
    """The error class of a refusal: by sub_code first (40003 carries several), then by code."""
    cls = SUB_CODE_CLASSES.get(sub_code)
    if cls is None and sub_code.startswith("dop.token-generate-failed"):
        cls = PlatformAuthError
    return cls or ERROR_CLASSES.get(code or 0, PlatformError)


class DouyinClient(PlatformClient):
    platform = PLATFORM
    default_path = DEFAULT_PATH
    max_window = MAX_WINDOW
    max_page_size = MAX_PAGE_SIZE
    listing_lag = LISTING_LAG

    default_courier_codes = COMPANY_CODES

    def _request_params(self, api: str, biz: Mapping[str, Any]) -> dict[str, str]:
        param_json = douyin_param_json(dict(biz))
        timestamp = str(int(self.clock().timestamp()))  # Unix seconds, as the Go SDK sends
        params = {"app_key": self.shop.app_key, "method": api, "timestamp": timestamp, "v": API_VERSION,
                  "sign_method": SIGN_METHOD, "param_json": param_json}
        token = self.access_token()
        if token:
            params["access_token"] = token
        params["sign"] = douyin_sign(self.shop.app_key, self.shop.app_secret.get_secret_value(), api, param_json,
                                     timestamp, v=API_VERSION, sign_method=SIGN_METHOD)
        return params

    def _post(self, api: str, params: dict[str, str]) -> httpx.Response:
        query = {k: v for k, v in params.items() if k != "param_json"}
        return self._http.post(self.endpoint.rstrip("/") + api_path(api), params=query,
                               content=params["param_json"].encode("utf-8"),
                               headers={"Content-Type": "application/json"})

    def _unwrap(self, api: str, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict) or "code" not in payload:
            raise self._error(PlatformResponseError, None, "response has no code", api=api)
        try:
            code: int | None = int(payload.get("code"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            code = None
        if code != SUCCESS_CODE:
            sub_code = str(payload.get("sub_code") or "")
            detail = " / ".join(str(x) for x in (payload.get("msg"), payload.get("sub_msg")) if x)
            raise self._error(error_class(code, sub_code), payload.get("code"), detail, sub_code=sub_code or None,
                              request_id=str(payload.get("log_id") or "") or None, api=api)
        data = payload.get("data")
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise self._error(PlatformResponseError, None, "data is not an object", api=api)
        return data

    # --- intake ------------------------------------------------------------------------------

    def _list_page(self, start: datetime, end: datetime, page: int) -> ListingPage:
        data = self._call(API_SEARCH_LIST, {
            "update_time_start": int(start.timestamp()), "update_time_end": int(end.timestamp()),
            "order_by": "update_time", "order_asc": False,
            "page": page - 1 + FIRST_PAGE, "size": self.page_size,
        })
        orders = data.get("shop_order_list") or []
        if not isinstance(orders, list):
            raise self._error(PlatformResponseError, None, "shop_order_list is not a list", api=API_SEARCH_LIST)
        return ListingPage(orders, total=listing_total(data.get("total")))

    def _fetch_window(self, start: datetime, end: datetime) -> Iterator[FetchResult]:
        # Whole orders come with the listing: the last one read of each order (newest data) is kept.
        for rows in self.listed_windows(start, end, self._list_page, API_SEARCH_LIST):
            for _oid, order in each_once(rows, lambda o: o.get("order_id") if isinstance(o, dict) else None):
                yield to_result(order, self.shop.name)

    def fetch_one(self, platform_order_id: str) -> FetchResult:
        try:
            data = self._call(API_ORDER_DETAIL, {"shop_order_id": platform_order_id})
        except PlatformError as exc:
            if type(exc) is not PlatformError:
                raise
            return MalformedRecord(PLATFORM, platform_order_id, f"order detail refused: {exc}")
        detail = data.get("shop_order_detail")
        if not isinstance(detail, dict):
            return MalformedRecord(PLATFORM, platform_order_id, "order detail came back empty", data)
        return to_result(detail, self.shop.name)

    # --- refunds -----------------------------------------------------------------------------

    def fetch_refunds(self, start: datetime, end: datetime, *,
                      open_refund_ids: Sequence[str] = ()) -> Iterator[RefundNotice | MalformedRecord]:
        def read_window(w_start: datetime, w_end: datetime) -> Iterator[Any]:
            def page(number: int) -> Page:
                data = self._call(API_AFTERSALE_LIST, {
                    "update_start_time": int(w_start.timestamp()), "update_end_time": int(w_end.timestamp()),
                    "order_by": ["update_time desc"], "page": number - 1 + FIRST_PAGE, "size": AFTERSALE_PAGE_SIZE,
                })
                return page_of(data.get("items"), data.get("total"))

            return read_backwards(page, AFTERSALE_PAGE_SIZE,
                                  guard=lambda n: self._paginate_guard(n, API_AFTERSALE_LIST))

        raws = (raw for window in split_window(start, end, AFTERSALE_MAX_WINDOW) for raw in read_window(*window))
        yield from first_of_each(map(_aftersale_or_malformed, raws), refund_id_of)

    # --- shipping ----------------------------------------------------------------------------

    def ship(self, platform_order_id: str, waybill: str, courier_code: str) -> None:
        company = self.courier_codes.get(courier_code)
        if not company:
            raise self._error(PlatformError, None, f"no Douyin company_code configured for courier {courier_code!r}",
                              api=API_LOGISTICS_ADD)
        # is_refund_reject stays unset: with a refund pending Douyin refuses the notice and the refund is dealt
        # with first (a ship notice never overrides a buyer's refund request on its own).
        self._call(API_LOGISTICS_ADD, {"order_id": platform_order_id, "company_code": company,
                                       "logistics_code": waybill}, idempotent=False)
