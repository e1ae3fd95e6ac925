"""JD (JOS): changed orders through ``jingdong.pop.order.search``, ship notice.

Every business parameter travels as one JSON string, ``360buy_param_json``; the response key is
spelled ``…_responce`` (sic). ``pop.order.search`` already returns whole orders, so there is no
per-order detail call. Pagination: ``page`` from 1 until ``orderTotal`` orders were read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from oms_tui.platforms.base import (
    FetchResult,
    MalformedRecord,
    PlatformClient,
    as_str_params,
    beijing_timestamp,
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
    as_dict,
    as_list,
    build_line,
    build_order,
    first_text,
    format_beijing,
    line_title,
    optional_fen,
    optional_time,
    order_id,
    parse_beijing,
    quantity,
    sku_code,
    text,
    yuan_to_fen,
)
from oms_tui.models import RefundState
from oms_tui.money import InvalidAmount
from oms_tui.platforms.paging import Page, read_backwards, read_forwards
from oms_tui.platforms.signing import jd_sign
from oms_tui.services.catalogue.sku_mapping import ListedSku
from oms_tui.services.orders.normalized import NormalizedOrder, PlatformState
from oms_tui.services.orders.refunds import RefundNotice

# ============================== JD constants (PROTOCOLS.md) =================================
PLATFORM = "jd"
DEFAULT_ENDPOINT = "https://api.jd.com/routerjson"
DEFAULT_PATH = "/routerjson"

API_ORDER_SEARCH = "jingdong.pop.order.search"
# Ship notice: *(unconfirmed — not in PROTOCOLS.md)*: method name, its parameters (orderId,
# logiCoprId, logiNo) and the result key ``sopjosshipment_result`` are our best reading of JOS.
API_ORDER_SHIPMENT = "jingdong.pop.order.shipment"
SHIPMENT_RESULT_KEY = "sopjosshipment_result"  # (unconfirmed)

# *(unconfirmed)* PROTOCOLS.md gives no maximum window for pop.order.search; we keep a day.
MAX_WINDOW = timedelta(days=1)
MAX_PAGE_SIZE = 100
# *(unconfirmed)* the dateType value that queries by modified time (PROTOCOLS.md names the
# parameter but not the value).
DATE_TYPE_MODIFIED = "0"

STATUS_MAP: dict[str, PlatformState] = {
    "WAIT_SELLER_STOCK_OUT": PlatformState.PAID,
    "WAIT_GOODS_RECEIVE_CONFIRM": PlatformState.SHIPPED,
    "FINISHED_L": PlatformState.FINISHED,
    "TRADE_CANCELED": PlatformState.CANCELLED,
    # Still ours, but held on JD's side (after-sale / paused): mapped PAID with platform_status
    # kept, so intake can open a hold for HOLD_STATES.
    "LOCKED": PlatformState.PAID,
    "POP_ORDER_PAUSE": PlatformState.PAID,
}
HOLD_STATES = frozenset({"LOCKED", "POP_ORDER_PAUSE"})
ORDER_STATES = tuple(STATUS_MAP)  # asked for in every search

OPTIONAL_FIELDS = (
    "orderId", "orderState", "orderStartTime", "paymentConfirmTime", "modified", "orderTotalPrice",
    "orderSellerPrice", "orderPayment", "freightPrice", "sellerDiscount", "orderRemark", "venderRemark",
    "consigneeInfo", "itemInfoList", "pin",
)

# error_response codes, PROTOCOLS.md (checked against JD's SDK and documentation): 19 invalid
# access_token, 12 invalid signature, 2 "App Call Limited" (rate or quota); 14 is a missing method,
# not a bad signature. A gateway in front may also answer HTTP 429. The texts are checked too.
AUTH_CODES = frozenset({"19"})
SIGNATURE_CODES = frozenset({"12"})
RATE_LIMIT_CODES = frozenset({"2"})
AUTH_WORDS = ("access_token", "授权")
SIGNATURE_WORDS = ("签名", "signature", "invalid sign", "sign invalid")
RATE_LIMIT_WORDS = ("频繁", "限流", "rate limit", "call limit")

# Refunds before shipping: 退款审核单 (refund applications), ``jingdong.pop.afs.soa.refundapply.queryPageList``.
# It is asked by application time or by check (decision) time, not by modified time, so a window is read
# twice (applyTime*, checkTime*) and the applications still open on our side are read again by ``ids``
# (a buyer's withdrawal may carry no check time). *(unconfirmed)*: pageSize at most 50, how many ``ids`` one
# call takes (we send 50), that ``applyRefundSum`` is in fen, the reason's field name, the longest window.
API_REFUND_APPLY = "jingdong.pop.afs.soa.refundapply.queryPageList"
REFUND_PAGE_SIZE = 50
REFUND_IDS_PER_CALL = 50
REFUND_MAX_WINDOW = timedelta(days=1)
REFUND_REASON_FIELDS = ("reason", "applyReason", "cancelReason")
# status → RefundState: 0 未审核; 1 审核通过, 3 京东财务审核通过, 5 人工审核通过, 6 京东拦截并退款, 7 青龙拦截成功,
# 9 强制关单并退款, 16 拒收后退款 → refunded; 2 审核不通过, 4 京东财务审核不通过, 8 青龙拦截失败, 11 用户撤销,
# 18 协商关闭 → closed; 10 物流待跟进, 17 协商退货退款, 19 纠纷介入, 27 京东承诺拦截 and anything else → open.
REFUND_STATE: dict[str, RefundState] = {
    "0": RefundState.REQUESTED,
    **{code: RefundState.REFUNDED for code in ("1", "3", "5", "6", "7", "9", "16")},
    **{code: RefundState.CLOSED for code in ("2", "4", "8", "11", "18")},
}
# The shop's SKUs: ``jingdong.sku.read.searchSkuList`` *(unconfirmed: the paging parameter names, pageNo /
# pageSize, and that pageSize may be 50)*.
API_SKU_LIST = "jingdong.sku.read.searchSkuList"
SKU_PAGE_SIZE = 50
SKU_FIELDS = "wareId,skuId,outerId,skuName,wareTitle,status"

# Our courier code → JD logistics company id (logiCoprId). *(unconfirmed; fill from the shop's
# JD account)*. Pass ``courier_codes=`` to the client; an all-digit courier code is used as is.
LOGISTICS_IDS: dict[str, str] = {}
# ============================================================================================


def response_key(api: str) -> str:
    """``jingdong.pop.order.search`` → ``jingdong_pop_order_search_responce`` (JD's spelling)."""
    return api.replace(".", "_") + "_responce"


def map_order(order: Mapping[str, Any], shop: str = "") -> NormalizedOrder:
    oid = order_id(order.get("orderId"), field="orderId")
    state = text(order, "orderState")
    if state not in STATUS_MAP:
        raise MappingError(f"unknown orderState {state!r}")
    items = as_list(order.get("itemInfoList"), field="itemInfoList")
    if not items:
        raise MappingError("order has no lines")
    lines = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise MappingError(f"line {n} is not an object")
        lines.append(build_line(
            sku_code=sku_code([item.get("outerSkuId")], [item.get("skuId")]),
            title=line_title(item.get("skuName"), None),
            qty=quantity(item.get("itemTotal"), field=f"line {n} itemTotal"),
            price_fen=optional_fen(item, "jdPrice"),
            platform_line_id=text(item, "skuId"),
            platform_item_id=text(item, "wareId"),
            platform_sku_id=text(item, "skuId"),
        ))
    consignee = as_dict(order.get("consigneeInfo"), field="consigneeInfo")
    return build_order(
        platform=PLATFORM,
        platform_order_id=oid,
        shop=shop,
        state=STATUS_MAP[state],
        platform_status=state,
        buyer_id=text(order, "pin"),
        receiver_name=text(consignee, "fullname"),  # masked as given
        receiver_phone=first_text(consignee, "mobile", "telephone"),
        receiver_province=text(consignee, "province"),
        receiver_city=text(consignee, "city"),
        receiver_district=text(consignee, "county"),
        receiver_address=text(consignee, "fullAddress"),
        buyer_remark=text(order, "orderRemark"),
        seller_memo=text(order, "venderRemark"),
        total_fen=optional_fen(order, "orderTotalPrice"),
        paid_fen=yuan_to_fen(order.get("orderPayment"), field="orderPayment"),
        discount_fen=optional_fen(order, "sellerDiscount"),
        post_fee_fen=optional_fen(order, "freightPrice"),
        created_at=parse_beijing(order.get("orderStartTime"), field="orderStartTime"),
        paid_at=optional_time(order, "paymentConfirmTime"),
        modified_at=optional_time(order, "modified"),
        lines=lines,
    )


def map_refund_apply(apply: Mapping[str, Any]) -> RefundNotice:
    """A refund application (退款审核单) → RefundNotice; MappingError when it cannot be mapped."""
    refund_id = order_id(apply.get("id"), field="id")
    status = text(apply, "status")
    modified = optional_time(apply, "checkTime") or optional_time(apply, "applyTime")
    amount = apply.get("applyRefundSum")
    try:
        amount_fen = int(str(amount).strip()) if amount not in (None, "") else 0  # fen *(unconfirmed)*
    except ValueError:
        amount_fen = optional_fen(apply, "applyRefundSum")  # a yuan text after all
    return RefundNotice(
        platform=PLATFORM, refund_id=refund_id, platform_order_id=order_id(apply.get("orderId"), field="orderId"),
        status=status, state=REFUND_STATE.get(status, RefundState.REQUESTED),
        reason=first_text(apply, *REFUND_REASON_FIELDS), amount_fen=max(0, amount_fen), modified_at=modified)


def _refund_or_malformed(raw: Any) -> RefundNotice | MalformedRecord:
    if not isinstance(raw, dict):
        return MalformedRecord(PLATFORM, None, "refund application is not an object", raw)
    try:
        return map_refund_apply(raw)
    except (MappingError, InvalidAmount) as exc:
        oid = raw.get("orderId")
        return MalformedRecord(PLATFORM, str(oid) if oid not in (None, "") else None, f"refund: {exc}", raw)


def _count(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def to_result(order: Any, shop: str = "") -> FetchResult:
    """map_order, or a MalformedRecord with the reason."""
    return mapped_or_malformed(PLATFORM, order, map_order, "orderId", shop)


def _classify_by(code: str, texts: str) -> type[PlatformError]:
    low = texts.lower()
    if code in RATE_LIMIT_CODES or any(w in low for w in RATE_LIMIT_WORDS):
        return PlatformRateLimited
    if code in SIGNATURE_CODES or any(w in low for w in SIGNATURE_WORDS):
        return PlatformSignatureError
    if code in AUTH_CODES or any(w in low for w in AUTH_WORDS):
        return PlatformAuthError
    return PlatformError


class JdClient(PlatformClient):
    platform = PLATFORM
    default_path = DEFAULT_PATH
    max_window = MAX_WINDOW
    max_page_size = MAX_PAGE_SIZE

    default_courier_codes = LOGISTICS_IDS

    def _request_params(self, api: str, biz: Mapping[str, Any]) -> dict[str, str]:
        params = as_str_params({
            "method": api, "app_key": self.shop.app_key, "access_token": self.shop.session.get_secret_value() or None,
            "timestamp": beijing_timestamp(self.clock()), "format": "json", "v": "2.0", "sign_method": "md5",
            "360buy_param_json": json.dumps(as_str_params(biz), ensure_ascii=False, separators=(",", ":")),
        })
        params["sign"] = jd_sign(params, self.shop.app_secret.get_secret_value())
        return params

    def _unwrap(self, api: str, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise self._error(PlatformResponseError, None, "response is not a JSON object", api=api)
        err = payload.get("error_response")
        if isinstance(err, dict):
            code = str(err.get("code", ""))
            detail = " / ".join(str(x) for x in (err.get("zh_desc"), err.get("en_desc")) if x)
            raise self._error(_classify_by(code, detail), code or None, detail, api=api)
        body = payload.get(response_key(api))
        if not isinstance(body, dict):
            raise self._error(PlatformResponseError, None, f"no {response_key(api)} in the response", api=api)
        code = str(body.get("code", "0"))
        if code != "0":
            detail = " / ".join(str(x) for x in (body.get("zh_desc"), body.get("en_desc")) if x)
            raise self._error(_classify_by(code, detail), code, detail, api=api)
        return body

    def _api_result(self, api: str, result: Any) -> dict[str, Any]:
        """The ``…_result`` object, raising when its ``apiResult.success`` is false."""
        if not isinstance(result, dict):
            raise self._error(PlatformResponseError, None, "no result object in the response", api=api)
        api_result = result.get("apiResult")
        if isinstance(api_result, dict) and api_result.get("success") not in (True, "true"):
            code = str(api_result.get("resultCode") or api_result.get("numberCode") or "")
            detail = str(api_result.get("resultDescribe") or api_result.get("chineseErrCode") or "request failed")
            raise self._error(_classify_by(code, detail), code or None, detail, api=api)
        return result

    # --- intake ------------------------------------------------------------------------------

    def _fetch_window(self, start: datetime, end: datetime) -> Iterator[FetchResult]:
        page, seen = 1, 0
        while True:
            self._paginate_guard(page, API_ORDER_SEARCH)
            body = self._call(API_ORDER_SEARCH, {
                "start_date": format_beijing(start), "end_date": format_beijing(end),
                "order_state": ",".join(ORDER_STATES), "page": page, "page_size": self.page_size,
                "optional_fields": ",".join(OPTIONAL_FIELDS), "dateType": DATE_TYPE_MODIFIED,
            })
            result = self._api_result(API_ORDER_SEARCH, body.get("searchorderinfo_result"))
            orders = result.get("orderInfoList") or []
            if not isinstance(orders, list):
                raise self._error(PlatformResponseError, None, "orderInfoList is not a list", api=API_ORDER_SEARCH)
            try:
                total = int(result.get("orderTotal") or 0)
            except (TypeError, ValueError):
                total = 0
            for order in orders:
                yield to_result(order, self.shop.name)
            seen += len(orders)
            if not orders or seen >= total:
                return
            page += 1

    # --- refunds and items ------------------------------------------------------------------

    def _refund_page(self, biz: Mapping[str, Any], number: int) -> Page:
        body = self._call(API_REFUND_APPLY, {**biz, "pageIndex": number, "pageSize": REFUND_PAGE_SIZE})
        result = body.get("queryResult")
        if not isinstance(result, dict):
            raise self._error(PlatformResponseError, None, "no queryResult in the response", api=API_REFUND_APPLY)
        if result.get("success") not in (True, "true"):
            code = str(result.get("resultCode") or "")
            detail = str(result.get("resultDescribe") or "request failed")
            raise self._error(_classify_by(code, detail), code or None, detail, api=API_REFUND_APPLY)
        rows = result.get("result")
        return (rows if isinstance(rows, list) else []), _count(result.get("totalCount"))

    def fetch_refunds(self, start: datetime, end: datetime, *,
                      open_refund_ids: Sequence[str] = ()) -> Iterator[RefundNotice | MalformedRecord]:
        seen: set[str] = set()
        queries: list[dict[str, Any]] = []
        for w_start, w_end in split_window(start, end, REFUND_MAX_WINDOW):
            span = (format_beijing(w_start), format_beijing(w_end))
            queries.append({"applyTimeStart": span[0], "applyTimeEnd": span[1]})
            queries.append({"checkTimeStart": span[0], "checkTimeEnd": span[1]})
        ids = [i for i in dict.fromkeys(open_refund_ids) if i]
        queries += [{"ids": ",".join(ids[n:n + REFUND_IDS_PER_CALL])} for n in range(0, len(ids), REFUND_IDS_PER_CALL)]
        for biz in queries:
            for raw in read_backwards(lambda number, biz=biz: self._refund_page(biz, number), REFUND_PAGE_SIZE,
                                      guard=lambda n: self._paginate_guard(n, API_REFUND_APPLY)):
                result = _refund_or_malformed(raw)
                key = result.refund_id if isinstance(result, RefundNotice) else None
                if key is not None and key in seen:
                    continue
                if key is not None:
                    seen.add(key)
                yield result

    def list_items(self) -> Iterator[ListedSku]:
        def page(number: int) -> Page:
            body = self._call(API_SKU_LIST, {"pageNo": number, "pageSize": SKU_PAGE_SIZE, "field": SKU_FIELDS})
            box = body.get("page")
            if not isinstance(box, dict):
                raise self._error(PlatformResponseError, None, "no page in the response", api=API_SKU_LIST)
            rows = box.get("data")
            return (rows if isinstance(rows, list) else []), _count(box.get("totalItem"))

        for sku in read_forwards(page, SKU_PAGE_SIZE, guard=lambda n: self._paginate_guard(n, API_SKU_LIST)):
            if isinstance(sku, dict) and text(sku, "skuId"):
                yield ListedSku(text(sku, "wareId"), text(sku, "skuId"), outer_sku_code=text(sku, "outerId"),
                                title=text(sku, "wareTitle"), spec=text(sku, "skuName"))

    # --- shipping ----------------------------------------------------------------------------

    def ship(self, platform_order_id: str, waybill: str, courier_code: str) -> None:
        company = self.courier_codes.get(courier_code) or (courier_code if courier_code.isdigit() else None)
        if company is None:
            raise self._error(PlatformError, None, f"no JD logistics company id configured for courier "
                                                   f"{courier_code!r}", api=API_ORDER_SHIPMENT)
        body = self._call(API_ORDER_SHIPMENT, {"orderId": platform_order_id, "logiCoprId": company,
                                               "logiNo": waybill}, idempotent=False)
        result = self._api_result(API_ORDER_SHIPMENT, body.get(SHIPMENT_RESULT_KEY))
        api_result = result.get("apiResult")
        ok = result.get("success") in (True, "true") or (
            isinstance(api_result, dict) and api_result.get("success") in (True, "true"))
        if not ok:
            raise self._error(PlatformError, None, f"ship notice for {platform_order_id} was not accepted",
                              api=API_ORDER_SHIPMENT)
