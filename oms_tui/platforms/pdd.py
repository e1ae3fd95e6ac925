"""Pinduoduo: changed orders (``pdd.order.number.list.increment.get`` + ``pdd.order.information.get``),
ship notice (``pdd.logistics.online.send``).

The request window is Unix seconds and at most 30 minutes; response times are Beijing strings.
Receiver name / phone / address come encrypted (``~AgAAAA…~0~~``, ``$Y/YK…$0$$``) with masked
copies; NormalizedOrder carries the masked copies (``receiver_*_mask``) and keeps the ciphertexts
only in ``receiver_opaque``, for a waybill request (services/customers/withheld.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from oms_tui.i18n import N_
from oms_tui.platforms.base import (
    FetchResult,
    ListingPage,
    MalformedRecord,
    PlatformClient,
    as_str_params,
    each_once,
    listing_total,
    mapped_or_malformed,
    split_window,
)
from oms_tui.platforms.errors import (
    PlatformAuthError,
    PlatformError,
    PlatformRateLimited,
    PlatformResponseError,
    PlatformSignatureError,
)
from oms_tui.platforms.mapping import (
    MappingError,
    as_list,
    build_line,
    build_order,
    line_title,
    optional_fen,
    optional_time,
    order_id,
    parse_beijing,
    platform_block,
    quantity,
    sku_code,
    text,
    yuan_to_fen,
)
from oms_tui.models import RefundState
from oms_tui.platforms.paging import Page, first_of_each, page_of, read_backwards, read_forwards, refund_id_of
from oms_tui.platforms.signing import pdd_sign
from oms_tui.services.customers import withheld
from oms_tui.services.catalogue.sku_mapping import ListedSku
from oms_tui.services.customers.normalize import looks_encrypted
from oms_tui.services.orders.normalized import NormalizedOrder, PlatformState
from oms_tui.services.orders.refunds import RefundNotice

# ============================== PDD constants (PROTOCOLS.md) ================================
PLATFORM = "pdd"
DEFAULT_ENDPOINT = "https://gw-api.pinduoduo.com/api/router"
DEFAULT_PATH = "/api/router"

API_INCREMENT = "pdd.order.number.list.increment.get"
API_INFORMATION = "pdd.order.information.get"
API_LOGISTICS_SEND = "pdd.logistics.online.send"
API_REFUNDS = "pdd.refund.list.increment.get"  # 售后列表增量查询
API_GOODS = "pdd.goods.list.get"  # 商品列表 (with each goods' sku_list)
RESPONSE_KEYS = {
    API_INCREMENT: "order_sn_increment_get_response",
    API_INFORMATION: "order_info_get_response",
    API_LOGISTICS_SEND: "logistics_online_send_response",  # (unconfirmed: not in PROTOCOLS.md)
    API_REFUNDS: "refund_increment_get_response",
    API_GOODS: "goods_list_get_response",
}

MAX_WINDOW = timedelta(minutes=30)
MAX_PAGE_SIZE = 100
# "通过从后往前翻页的方式以及结束时间不小于拼多多系统时间前3min可以避免漏单问题": read back from the
# last page, with the window ending at least 3 minutes before PDD's clock.
LISTING_LAG = timedelta(minutes=3)

# Request filters: every order status and every refund status.
ORDER_STATUS_ALL = 5
REFUND_STATUS_ALL = 5

# order_status → our state; order_status 1 with refund_status 4 (refunded) is CANCELLED.
STATUS_MAP: dict[int, PlatformState] = {
    1: PlatformState.PAID,
    2: PlatformState.SHIPPED,
    3: PlatformState.FINISHED,
}
REFUND_NONE = 1
REFUND_REFUNDED = 4
# An order to ship (order_status 1) that PDD still says not to ship (PROTOCOLS.md): field → {value:
# meaning}. Checked in this order; a field missing from the payload does not block.
BLOCKING_FIELDS: dict[str, dict[int, str]] = {
    "confirm_status": {0: N_("deal not concluded"), 2: N_("deal cancelled")},
    "group_status": {0: N_("group forming"), 2: N_("group failed")},
    "risk_control_status": {1: N_("under risk review")},
}
# Refund in progress (2 after-sale, 3 refunding): the order should not ship until it settles.
REFUND_IN_PROGRESS = frozenset({2, 3})

# Error codes, PROTOCOLS.md: 10019 access token expired, 20004 signature check failed (both checked
# against the SDK); 52001 rate limited was found in no public source *(unconfirmed)*. Texts are
# checked too.
ERR_ACCESS_TOKEN_EXPIRED = 10019
ERR_RATE_LIMITED = 52001  # (unconfirmed)
ERR_SIGN = 20004
# The error table: code → our error class. Only a code not in the table is classified by its text
# (ERROR_WORDS) — which is how a rate limit is recognised if 52001 turns out not to be PDD's code.
ERROR_CLASSES: dict[int, type[PlatformError]] = {
    ERR_ACCESS_TOKEN_EXPIRED: PlatformAuthError,
    ERR_SIGN: PlatformSignatureError,
    ERR_RATE_LIMITED: PlatformRateLimited,
}
ERROR_WORDS: tuple[tuple[tuple[str, ...], type[PlatformError]], ...] = (
    (("频繁", "限流", "rate limit"), PlatformRateLimited),
    (("access_token", "授权"), PlatformAuthError),
    (("签名", "signature", "sign error", "sign invalid", "invalid sign"), PlatformSignatureError),
)

# Encrypted receiver fields → our names for the withheld parts (services/customers/withheld.py).
WITHHELD_FIELDS = {"receiver_name": "name", "receiver_phone": "mobile", "receiver_address": "address"}

# Refunds: the window is at most 30 minutes (documented); page_size at most 100. after_sales_status and
# after_sales_type are required; 1 asks for every status / type *(unconfirmed: one SDK's comment says
# "1：全部", another lists no 1 at all)*.
REFUND_MAX_WINDOW = timedelta(minutes=30)
REFUND_PAGE_SIZE = 100
AFTER_SALES_ALL = 1
GOODS_PAGE_SIZE = 100
GOODS_ON_SALE = 1
# after_sales_status → RefundState (the documented list). Anything else keeps the order stopped.
REFUND_STATE: dict[int, RefundState] = {
    0: RefundState.CLOSED,  # 无售后
    2: RefundState.REQUESTED,  # 买家申请退款，待商家处理
    3: RefundState.REQUESTED,  # 退货退款，待商家处理
    4: RefundState.REQUESTED,  # 商家同意退款，退款中
    5: RefundState.REQUESTED,  # 平台同意退款，退款中
    6: RefundState.CLOSED,  # 驳回退款，待买家处理
    7: RefundState.REQUESTED,  # 已同意退货退款，待用户发货
    8: RefundState.REQUESTED,  # 平台处理中
    9: RefundState.CLOSED,  # 平台拒绝退款，退款关闭
    10: RefundState.REFUNDED,  # 退款成功
    11: RefundState.CLOSED,  # 买家撤销
    12: RefundState.CLOSED,  # 买家逾期未处理，退款失败
    13: RefundState.CLOSED,  # 买家逾期，超过有效期
    16: RefundState.CLOSED,  # 换货补寄成功
    17: RefundState.CLOSED,  # 换货补寄失败
    24: RefundState.CLOSED,  # 维修关闭
    25: RefundState.CLOSED,  # 维修成功
}

# Our courier code → PDD logistics_id. *(unconfirmed; take the ids from
# pdd.logistics.companies.get for the shop)*. Pass ``courier_codes=``; an all-digit code is used as is.
LOGISTICS_IDS: dict[str, str] = {}
# ============================================================================================


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise MappingError(f"{field} is not a number: {value!r}")
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise MappingError(f"{field} is not a number: {value!r}") from None


def _display(order: Mapping[str, Any], key: str) -> str:
    """The masked copy; else the plain field only when it is not ciphertext."""
    masked = text(order, f"{key}_mask")
    if masked:
        return masked
    plain = text(order, key)
    return "" if looks_encrypted(plain) else plain


def map_order(order: Mapping[str, Any], shop: str = "") -> NormalizedOrder:
    sn = order_id(order.get("order_sn"), field="order_sn")
    status = _int(order.get("order_status"), "order_status")
    if status not in STATUS_MAP:
        raise MappingError(f"unknown order_status {status!r}")
    refund = _int(order.get("refund_status", REFUND_NONE), "refund_status")
    state = STATUS_MAP[status]
    if status == 1 and refund == REFUND_REFUNDED:
        state = PlatformState.CANCELLED
    block = ""
    for field, meanings in BLOCKING_FIELDS.items():
        value = order.get(field)
        if value not in (None, "") and _int(value, field) in meanings:
            block = platform_block(field, _int(value, field), meanings[_int(value, field)])
            break
    items = as_list(order.get("item_list"), field="item_list")
    if not items:
        raise MappingError("order has no lines")
    lines = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise MappingError(f"line {n} is not an object")
        lines.append(build_line(
            sku_code=sku_code([item.get("outer_id")], [item.get("sku_id"), item.get("goods_id")]),
            title=line_title(item.get("goods_name"), item.get("goods_spec")),
            qty=quantity(item.get("goods_count"), field=f"line {n} goods_count"),
            price_fen=optional_fen(item, "goods_price"),
            platform_line_id=text(item, "sku_id"),
            platform_item_id=text(item, "goods_id"),
            platform_sku_id=text(item, "sku_id"),
        ))
    return build_order(
        platform=PLATFORM,
        platform_order_id=sn,
        shop=shop,
        state=state,
        platform_status=f"order_status={status} refund_status={refund}",
        platform_block=block if state == PlatformState.PAID else "",
        buyer_id="",  # PDD gives no buyer id in these fields
        receiver_name=_display(order, "receiver_name"),
        receiver_phone=_display(order, "receiver_phone"),
        receiver_province=text(order, "province"),
        receiver_city=text(order, "city"),
        receiver_district=text(order, "town"),
        receiver_address=_display(order, "receiver_address"),
        receiver_opaque=withheld.seal(**{ours: text(order, theirs) for theirs, ours in WITHHELD_FIELDS.items()
                                         if looks_encrypted(text(order, theirs))}),
        buyer_remark=text(order, "buyer_memo"),
        seller_memo=text(order, "remark"),
        total_fen=optional_fen(order, "goods_amount"),
        paid_fen=yuan_to_fen(order.get("pay_amount"), field="pay_amount"),
        discount_fen=optional_fen(order, "discount_amount"),
        post_fee_fen=optional_fen(order, "postage"),
        created_at=parse_beijing(order.get("created_time"), field="created_time"),
        paid_at=optional_time(order, "pay_time"),
        modified_at=optional_time(order, "updated_at"),
        lines=lines,
    )


def map_refund(refund: Mapping[str, Any]) -> RefundNotice:
    """A ``pdd.refund.list.increment.get`` entry → RefundNotice; MappingError when it cannot be mapped."""
    refund_id = order_id(refund.get("id"), field="id")
    status = _int(refund.get("after_sales_status"), "after_sales_status")
    return RefundNotice(
        platform=PLATFORM, refund_id=refund_id, platform_order_id=order_id(refund.get("order_sn"), field="order_sn"),
        status=str(status), state=REFUND_STATE.get(status, RefundState.REQUESTED),
        reason=text(refund, "after_sale_reason"), amount_fen=optional_fen(refund, "refund_amount"),
        modified_at=optional_time(refund, "updated_time"), platform_line_id=text(refund, "sku_id"))


def _refund_or_malformed(raw: Any) -> RefundNotice | MalformedRecord:
    return mapped_or_malformed(PLATFORM, raw, lambda record, _shop: map_refund(record), "order_sn", what="refund")



def to_result(order: Any, shop: str = "") -> FetchResult:
    """map_order, or a MalformedRecord with the reason."""
    return mapped_or_malformed(PLATFORM, order, map_order, "order_sn", shop)


def _listed_sn(item: Any) -> Any:
    """The order_sn of a listing row (an object, or the bare order_sn)."""
    return item.get("order_sn") if isinstance(item, dict) else item if isinstance(item, str) else None


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


class PddClient(PlatformClient):
    platform = PLATFORM
    default_path = DEFAULT_PATH
    max_window = MAX_WINDOW
    max_page_size = MAX_PAGE_SIZE
    listing_lag = LISTING_LAG

    default_courier_codes = LOGISTICS_IDS

    def _request_params(self, api: str, biz: Mapping[str, Any]) -> dict[str, str]:
        params = as_str_params({
            "type": api, "client_id": self.shop.app_key, "access_token": self.access_token() or None,
            "timestamp": int(self.clock().timestamp()), "data_type": "JSON", "version": "V1", **biz,
        })
        params["sign"] = pdd_sign(params, self.shop.app_secret.get_secret_value())
        return params

    def _unwrap(self, api: str, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise self._error(PlatformResponseError, None, "response is not a JSON object", api=api)
        err = payload.get("error_response")
        if isinstance(err, dict):
            raw = err.get("error_code")
            try:
                code: int | str | None = int(raw)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                code = raw
            detail = " / ".join(str(x) for x in (err.get("error_msg"), err.get("sub_msg")) if x)
            low = detail.lower()
            cls = ERROR_CLASSES.get(code) or next(  # type: ignore[arg-type]
                (c for words, c in ERROR_WORDS if any(w in low for w in words)), PlatformError)
            raise self._error(cls, code, detail, sub_code=err.get("sub_code") or None,
                              request_id=err.get("request_id") or None, api=api)
        key = RESPONSE_KEYS[api]
        body = payload.get(key)
        if not isinstance(body, dict):
            raise self._error(PlatformResponseError, None, f"no {key} in the response", api=api)
        return body

    # --- intake ------------------------------------------------------------------------------

    def _list_page(self, start: datetime, end: datetime, page: int) -> ListingPage:
        # use_has_next=false: with true PDD leaves total_count out, and the total finds the last page.
        body = self._call(API_INCREMENT, {
            "start_updated_at": int(start.timestamp()), "end_updated_at": int(end.timestamp()),
            "order_status": ORDER_STATUS_ALL, "refund_status": REFUND_STATUS_ALL, "is_lucky_flag": 0,
            "page": page, "page_size": self.page_size, "use_has_next": "false",
        })
        listed = body.get("order_sn_list") or []
        if not isinstance(listed, list):
            raise self._error(PlatformResponseError, None, "order_sn_list is not a list", api=API_INCREMENT)
        return ListingPage(listed, total=listing_total(body.get("total_count")),
                           has_next=_truthy(body["has_next"]) if "has_next" in body else None)

    def _fetch_window(self, start: datetime, end: datetime) -> Iterator[FetchResult]:
        for rows in self.listed_windows(start, end, self._list_page, API_INCREMENT):
            for sn, item in each_once(rows, _listed_sn):
                if sn is None:
                    yield MalformedRecord(PLATFORM, None, "listed order has no order_sn", item)
                else:  # the detail is fetched once per order
                    yield self.fetch_order(sn, item)

    def fetch_one(self, platform_order_id: str) -> FetchResult:
        return self.fetch_order(platform_order_id)

    def fetch_order(self, order_sn: str, listed: Any = None) -> FetchResult:
        """One order by order_sn (``pdd.order.information.get``), mapped."""
        try:
            body = self._call(API_INFORMATION, {"order_sn": order_sn})
        except PlatformError as exc:
            if type(exc) is not PlatformError:
                raise
            return MalformedRecord(PLATFORM, order_sn, f"order detail refused: {exc}", listed)
        info = body.get("order_info")
        if not isinstance(info, dict):
            return MalformedRecord(PLATFORM, order_sn, "order detail came back empty", body)
        return to_result(info, self.shop.name)

    # --- refunds and items ------------------------------------------------------------------

    def fetch_refunds(self, start: datetime, end: datetime, *,
                      open_refund_ids: Sequence[str] = ()) -> Iterator[RefundNotice | MalformedRecord]:
        def read_window(w_start: datetime, w_end: datetime) -> Iterator[Any]:
            def page(number: int) -> Page:
                body = self._call(API_REFUNDS, {
                    "after_sales_status": AFTER_SALES_ALL, "after_sales_type": AFTER_SALES_ALL,
                    "start_updated_at": int(w_start.timestamp()), "end_updated_at": int(w_end.timestamp()),
                    "page": number, "page_size": REFUND_PAGE_SIZE,
                })
                rows = body.get("refund_list")
                return page_of(rows, body.get("total_count"))

            return read_backwards(page, REFUND_PAGE_SIZE, guard=lambda n: self._paginate_guard(n, API_REFUNDS))

        raws = (raw for window in split_window(start, end, REFUND_MAX_WINDOW) for raw in read_window(*window))
        # Read backwards, a refund modified meanwhile may be read twice: each is told once.
        yield from first_of_each(map(_refund_or_malformed, raws), refund_id_of)

    def list_items(self) -> Iterator[ListedSku]:
        def page(number: int) -> Page:
            body = self._call(API_GOODS, {"is_onsale": GOODS_ON_SALE, "page": number, "page_size": GOODS_PAGE_SIZE})
            rows = body.get("goods_list")
            return page_of(rows, body.get("total_count"))

        for goods in read_forwards(page, GOODS_PAGE_SIZE, guard=lambda n: self._paginate_guard(n, API_GOODS)):
            if not isinstance(goods, dict) or not text(goods, "goods_id"):
                continue
            skus = [s for s in (goods.get("sku_list") or []) if isinstance(s, dict)]
            for sku in skus or [{}]:
                yield ListedSku(text(goods, "goods_id"), text(sku, "sku_id"),
                                outer_item_code=text(sku, "outer_goods_id"), outer_sku_code=text(sku, "outer_id"),
                                title=text(goods, "goods_name"), spec=text(sku, "spec"))

    # --- shipping ----------------------------------------------------------------------------

    def ship(self, platform_order_id: str, waybill: str, courier_code: str) -> None:
        logistics_id = self.courier_codes.get(courier_code) or (courier_code if courier_code.isdigit() else None)
        if logistics_id is None:
            raise self._error(PlatformError, None, f"no PDD logistics_id configured for courier {courier_code!r}",
                              api=API_LOGISTICS_SEND)
        body = self._call(API_LOGISTICS_SEND, {"order_sn": platform_order_id, "logistics_id": logistics_id,
                                               "tracking_number": waybill}, idempotent=False)
        if "is_success" in body and not _truthy(body.get("is_success")):
            raise self._error(PlatformError, None, f"ship notice for {platform_order_id} was not accepted",
                              api=API_LOGISTICS_SEND)
