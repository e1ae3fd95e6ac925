"""JD (JOS): changed orders through ``jingdong.pop.order.search``, ship notice.

Every business parameter travels as one JSON string, ``360buy_param_json``; the response key is
spelled ``…_responce`` (sic). ``pop.order.search`` already returns whole orders, so there is no
per-order detail call. Pagination: page 1 for ``orderTotal``, then from the last page back to the
first (``base.list_window``), windows of an hour halved while they have many pages.

Receivers (PROTOCOLS.md): ``consigneeInfo``'s ``fullname``, ``telephone``, ``mobile`` and ``fullAddress``
come TDE-encrypted, ``desen_mobile`` / ``desen_telephone`` masked. Ciphertext is recognised as JD's TDE SDK
recognises it (``normalize.looks_like_jd_tde``) and kept only in ``receiver_opaque`` (with an ``oaid`` when
JD gives one) for a waybill request; what is shown and matched on is the masked phone, the plain province /
city / county and the town with its detail withheld (``华侨路街道****``), and no name. A field that comes
plain or masked (older apps, unencrypted shops) is used as it comes.

Decrypt hook: a shop with ``decrypt_url`` (a service it runs beside JD's TDE SDK, which needs the app and a
live access token to fetch its keys) gets the real receiver shown instead. Our seam, not a JD API:
``POST decrypt_url`` JSON ``{"app_key", "access_token", "ciphertexts": [...]}`` → ``{"plaintexts": [text or
null, ...]}`` in the same order, once per page's worth of orders. When it fails the orders come in masked (logged).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx

from oms_tui.i18n import N_
from oms_tui.platforms.base import (
    FetchResult,
    ListingPage,
    MalformedRecord,
    PlatformClient,
    as_str_params,
    beijing_timestamp,
    each_once,
    listing_total,
    mapped_or_malformed,
    split_window,
)
from oms_tui.platforms.errors import (
    PlatformAuthError,
    PlatformClockError,
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
    platform_block,
    quantity,
    sku_code,
    text,
    yuan_to_fen,
)
from oms_tui.models import RefundState
from oms_tui.platforms.paging import Page, first_of_each, page_of, read_backwards, read_forwards, refund_id_of
from oms_tui.platforms.signing import jd_sign
from oms_tui.redaction import redact
from oms_tui.services.customers import withheld
from oms_tui.services.customers.normalize import PhoneKind, classify_phone, looks_encrypted
from oms_tui.services.catalogue.sku_mapping import ListedSku
from oms_tui.services.orders.normalized import NormalizedOrder, PlatformState
from oms_tui.services.orders.refunds import RefundNotice

log = logging.getLogger(__name__)

# ============================== JD constants (PROTOCOLS.md) =================================
PLATFORM = "jd"
DEFAULT_ENDPOINT = "https://api.jd.com/routerjson"
DEFAULT_PATH = "/routerjson"

API_ORDER_SEARCH = "jingdong.pop.order.search"
# Ship notice: *(unconfirmed — not in PROTOCOLS.md)*: method name, its parameters (orderId,
# logiCoprId, logiNo) and the result key ``sopjosshipment_result`` are our best reading of JOS.
API_ORDER_SHIPMENT = "jingdong.pop.order.shipment"
SHIPMENT_RESULT_KEY = "sopjosshipment_result"  # (unconfirmed)

# PROTOCOLS.md: "short time windows, few pages". *(unconfirmed)* no maximum window is documented:
# an hour, and a window of more than SPLIT_AFTER_PAGES pages is halved (base.list_window).
MAX_WINDOW = timedelta(hours=1)
MAX_PAGE_SIZE = 100
# *(unconfirmed)* the sort order of the search is not documented; read from the last page back with
# the window ending a minute behind now, an order changing mid-listing costs no other in either order.
LISTING_LAG = timedelta(minutes=1)
# *(unconfirmed)* the dateType value that queries by modified time (PROTOCOLS.md names the
# parameter but not the value).
DATE_TYPE_MODIFIED = "0"

STATUS_MAP: dict[str, PlatformState] = {
    "WAIT_SELLER_STOCK_OUT": PlatformState.PAID,
    "WAIT_GOODS_RECEIVE_CONFIRM": PlatformState.SHIPPED,
    "FINISHED_L": PlatformState.FINISHED,
    "TRADE_CANCELED": PlatformState.CANCELLED,
    # Still ours, but held on JD's side (after-sale / paused): mapped PAID with a platform_block, so
    # intake holds the order until JD lets it go (HOLD_STATES).
    "LOCKED": PlatformState.PAID,
    "POP_ORDER_PAUSE": PlatformState.PAID,
}
# Still ours but not to ship while JD holds them: the meaning the platform_blocked hold shows.
HOLD_STATES: dict[str, str] = {"LOCKED": N_("locked by an after-sale"), "POP_ORDER_PAUSE": N_("paused on the platform")}
ORDER_STATES = tuple(STATUS_MAP)  # asked for in every search

OPTIONAL_FIELDS = (
    "orderId", "orderState", "orderStartTime", "paymentConfirmTime", "modified", "orderTotalPrice",
    "orderSellerPrice", "orderPayment", "freightPrice", "sellerDiscount", "orderRemark", "venderRemark",
    "consigneeInfo", "itemInfoList", "pin",
)

# The error table: error_response codes (PROTOCOLS.md, checked against JD's SDK and documentation) →
# our error classes. 14 is a missing method (our bug, not a bad signature): a plain PlatformError.
# A gateway in front may also answer HTTP 429 (base.py). Only a code not in the table is classified
# by its text (ERROR_WORDS), for codes JD adds later.
ERR_CALL_LIMITED = "2"  # "App Call Limited": rate or quota
ERR_INVALID_TIMESTAMP = "8"  # more than ±6 minutes off JD's clock
ERR_INVALID_SIGNATURE = "12"
ERR_MISSING_METHOD = "14"
ERR_INVALID_TOKEN = "19"
ERROR_CLASSES: dict[str, type[PlatformError]] = {
    ERR_CALL_LIMITED: PlatformRateLimited,
    ERR_INVALID_TIMESTAMP: PlatformClockError,
    ERR_INVALID_SIGNATURE: PlatformSignatureError,
    ERR_MISSING_METHOD: PlatformError,
    ERR_INVALID_TOKEN: PlatformAuthError,
}
ERROR_WORDS: tuple[tuple[tuple[str, ...], type[PlatformError]], ...] = (
    (("频繁", "限流", "rate limit", "call limit"), PlatformRateLimited),
    (("签名", "signature", "invalid sign", "sign invalid"), PlatformSignatureError),
    (("access_token", "授权"), PlatformAuthError),
)

# consigneeInfo: TDE-encrypted fields and the masked phones beside them (PROTOCOLS.md); ``oaid`` is in JD's
# SDK's consignee model (not in PROTOCOLS.md): kept when it comes.
ENCRYPTED_FIELDS = {"fullname": "name", "mobile": "mobile", "telephone": "telephone", "fullAddress": "address"}
# Where a phone that may be shown is looked for, in order: the masked copies, else mobile / telephone when they
# come plain or masked (a real payload had them masked and a hex token in desen_mobile: never shown).
SHOWN_PHONE_FIELDS = ("desen_mobile", "mobile", "desen_telephone", "telephone")
WITHHELD_DETAIL = "****"  # stands for the detail line only the ciphertext holds
SHOWABLE_PHONES = frozenset({PhoneKind.MOBILE, PhoneKind.MASKED, PhoneKind.LANDLINE})

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
    receiver = consignee_receiver(consignee)
    return build_order(
        platform=PLATFORM,
        platform_order_id=oid,
        shop=shop,
        state=STATUS_MAP[state],
        platform_status=state,
        platform_block=platform_block("orderState", state, HOLD_STATES[state]) if state in HOLD_STATES else "",
        buyer_id=_plain(text(order, "pin")),
        receiver_province=text(consignee, "province"),
        receiver_city=text(consignee, "city"),
        receiver_district=text(consignee, "county"),
        **receiver,
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


def _plain(value: str) -> str:
    """``value`` unless it is ciphertext (never shown, never matched on)."""
    return "" if looks_encrypted(value) else value


def _shown_phone(consignee: Mapping[str, Any]) -> str:
    """The first phone that can be shown: a masked copy, else a plain or masked mobile / telephone."""
    for key in SHOWN_PHONE_FIELDS:
        value = text(consignee, key)
        if value and classify_phone(value).kind in SHOWABLE_PHONES:
            return value
    return ""


def consignee_receiver(consignee: Mapping[str, Any]) -> dict[str, str]:
    """The receiver fields of a NormalizedOrder from ``consigneeInfo``: shown values and the withheld rest."""
    sealed = {ours: text(consignee, theirs) for theirs, ours in ENCRYPTED_FIELDS.items()
              if looks_encrypted(text(consignee, theirs))}
    address = text(consignee, "fullAddress")
    if looks_encrypted(address):
        address = text(consignee, "town") + WITHHELD_DETAIL
    return {
        "receiver_name": _plain(text(consignee, "fullname")),
        "receiver_phone": _shown_phone(consignee),
        "receiver_address": address,
        "receiver_opaque": withheld.seal(oaid=text(consignee, "oaid"), **sealed),
    }


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
    return mapped_or_malformed(PLATFORM, raw, lambda record, _shop: map_refund_apply(record), "orderId", what="refund")



def to_result(order: Any, shop: str = "") -> FetchResult:
    """map_order, or a MalformedRecord with the reason."""
    return mapped_or_malformed(PLATFORM, order, map_order, "orderId", shop)


def _classify_by(code: str, texts: str) -> type[PlatformError]:
    """The error class of a JD code (ERROR_CLASSES); a code not in the table by its text."""
    if code in ERROR_CLASSES:
        return ERROR_CLASSES[code]
    low = texts.lower()
    return next((cls for words, cls in ERROR_WORDS if any(w in low for w in words)), PlatformError)


class JdClient(PlatformClient):
    platform = PLATFORM
    default_path = DEFAULT_PATH
    max_window = MAX_WINDOW
    max_page_size = MAX_PAGE_SIZE
    listing_lag = LISTING_LAG

    default_courier_codes = LOGISTICS_IDS

    def _request_params(self, api: str, biz: Mapping[str, Any]) -> dict[str, str]:
        params = as_str_params({
            "method": api, "app_key": self.shop.app_key, "access_token": self.access_token() or None,
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

    def _list_page(self, start: datetime, end: datetime, page: int) -> ListingPage:
        body = self._call(API_ORDER_SEARCH, {
            "start_date": format_beijing(start), "end_date": format_beijing(end),
            "order_state": ",".join(ORDER_STATES), "page": page, "page_size": self.page_size,
            "optional_fields": ",".join(OPTIONAL_FIELDS), "dateType": DATE_TYPE_MODIFIED,
        })
        result = self._api_result(API_ORDER_SEARCH, body.get("searchorderinfo_result"))
        orders = result.get("orderInfoList") or []
        if not isinstance(orders, list):
            raise self._error(PlatformResponseError, None, "orderInfoList is not a list", api=API_ORDER_SEARCH)
        # Without orderTotal the pages are counted by walking them (a full page suggests another).
        return ListingPage(orders, total=listing_total(result.get("orderTotal")))

    def _fetch_window(self, start: datetime, end: datetime) -> Iterator[FetchResult]:
        # Whole orders come with the listing: the last one read of each order (newest data) is kept.
        for rows in self.listed_windows(start, end, self._list_page, API_ORDER_SEARCH):
            results = [to_result(order, self.shop.name)
                       for _oid, order in each_once(rows, lambda o: o.get("orderId") if isinstance(o, dict) else None)]
            for first in range(0, len(results), self.page_size):  # one decrypt call per page's worth of orders
                yield from self._decrypted(results[first:first + self.page_size])

    # --- the decrypt hook --------------------------------------------------------------------

    def _decrypted(self, results: list[FetchResult]) -> list[FetchResult]:
        """``results`` with their receivers decrypted by the shop's ``decrypt_url``, when it has one."""
        if not self.shop.decrypt_url:
            return results
        wanted = sorted({value for r in results if isinstance(r, NormalizedOrder)
                         for name, value in withheld.unseal(r.receiver_opaque).items() if name != "oaid"})
        if not wanted:
            return results
        plain = self._decrypt(wanted)
        if not plain:
            return results
        out: list[FetchResult] = []
        for result in results:
            parts = withheld.unseal(result.receiver_opaque) if isinstance(result, NormalizedOrder) else {}
            found = {name: plain[value] for name, value in parts.items() if plain.get(value)}
            if not found:
                out.append(result)
                continue
            update = {}
            if found.get("name"):
                update["receiver_name"] = found["name"]
            if found.get("mobile") or found.get("telephone"):
                update["receiver_phone"] = found.get("mobile") or found["telephone"]
            if found.get("address"):
                update["receiver_address"] = found["address"]
            out.append(result.model_copy(update=update))
        return out

    def _decrypt(self, ciphertexts: list[str]) -> dict[str, str]:
        """ciphertext → plaintext from the shop's decrypt service; {} (logged) when it cannot help."""
        token = self.access_token()
        try:
            response = self._http.post(self.shop.decrypt_url, json={
                "app_key": self.shop.app_key, "access_token": token, "ciphertexts": ciphertexts})
            response.raise_for_status()
            texts = response.json().get("plaintexts")
            if not isinstance(texts, list) or len(texts) != len(ciphertexts):
                raise ValueError("the answer has no plaintexts for the ciphertexts sent")
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            log.warning("jd shop %s: receivers stay masked, the decrypt service failed: %s", self.shop.name,
                        redact(str(exc), self._secrets()))
            return {}
        return {c: t for c, t in zip(ciphertexts, texts) if isinstance(t, str) and t and not looks_encrypted(t)}

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
        return page_of(rows, result.get("totalCount"))

    def fetch_refunds(self, start: datetime, end: datetime, *,
                      open_refund_ids: Sequence[str] = ()) -> Iterator[RefundNotice | MalformedRecord]:
        queries: list[dict[str, Any]] = []
        for w_start, w_end in split_window(start, end, REFUND_MAX_WINDOW):
            span = (format_beijing(w_start), format_beijing(w_end))
            queries.append({"applyTimeStart": span[0], "applyTimeEnd": span[1]})
            queries.append({"checkTimeStart": span[0], "checkTimeEnd": span[1]})
        ids = [i for i in dict.fromkeys(open_refund_ids) if i]
        queries += [{"ids": ",".join(ids[n:n + REFUND_IDS_PER_CALL])} for n in range(0, len(ids), REFUND_IDS_PER_CALL)]
        guard = lambda n: self._paginate_guard(n, API_REFUND_APPLY)  # noqa: E731
        raws = (raw for biz in queries
                for raw in read_backwards(lambda number, biz=biz: self._refund_page(biz, number), REFUND_PAGE_SIZE,
                                          guard=guard))
        # A refund stands in both its apply-time and its check-time query: each is told once.
        yield from first_of_each(map(_refund_or_malformed, raws), refund_id_of)

    def list_items(self) -> Iterator[ListedSku]:
        def page(number: int) -> Page:
            body = self._call(API_SKU_LIST, {"pageNo": number, "pageSize": SKU_PAGE_SIZE, "field": SKU_FIELDS})
            box = body.get("page")
            if not isinstance(box, dict):
                raise self._error(PlatformResponseError, None, "no page in the response", api=API_SKU_LIST)
            rows = box.get("data")
            return page_of(rows, box.get("totalItem"))

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
