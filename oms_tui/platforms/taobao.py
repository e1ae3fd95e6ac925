"""Taobao / Tmall (TOP API): changed trades, full trade detail, offline ship notice.

Flow of ``fetch_changed``: ``taobao.trades.sold.increment.get`` per window (same Beijing day,
≤ 1 day), its pages read from the last back to the first with ``total_results`` (the documented way
not to lose orders; ``use_has_next=true`` would leave the total out). The listing's ``fields`` ask for
every trade and line field the mapping reads, so each listed trade is mapped as it comes: no
``taobao.trade.fullinfo.get`` per trade (one HTTP round trip each, 25–40 trades/s). fullinfo.get
stays for one trade by tid (``fetch_one``: a pushed notification; a split ship notice's lines).
A per-trade business error from fullinfo (e.g. the trade vanished) becomes a MalformedRecord;
session, signature, permission, rate-limit-exhausted, transient (isp.*) and network errors stop the
sync, and its cursor stays where it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from oms_tui.config import ShopConfig
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
    first_text,
    format_beijing,
    line_title,
    optional_fen,
    optional_time,
    order_id,
    parse_beijing,
    platform_block,
    quantity,
    settle_state,
    sku_code,
    text,
    yuan_to_fen,
)
from oms_tui.models import RefundState
from oms_tui.platforms.paging import Page, first_of_each, page_of, read_backwards, read_forwards, refund_id_of
from oms_tui.platforms.signing import TOP_SIGN_METHODS, top_sign
from oms_tui.services.customers import withheld
from oms_tui.services.catalogue.sku_mapping import ListedSku
from oms_tui.services.orders.normalized import NormalizedOrder, PlatformState
from oms_tui.services.orders.refunds import RefundNotice

# ============================ Taobao constants (PROTOCOLS.md) ===============================
PLATFORM = "taobao"
DEFAULT_ENDPOINT = "https://eco.taobao.com/router/rest"
DEFAULT_PATH = "/router/rest"

API_INCREMENT = "taobao.trades.sold.increment.get"
API_FULLINFO = "taobao.trade.fullinfo.get"
API_OFFLINE_SEND = "taobao.logistics.offline.send"

MAX_WINDOW = timedelta(days=1)  # and the same (Beijing) day
MAX_PAGE_SIZE = 100
# *(unconfirmed)* not documented for Taobao (PDD documents 3 minutes): the window ends a minute behind
# now, so an order changing while the listing is read leaves the window (paging back then loses none).
LISTING_LAG = timedelta(minutes=1)

# Error codes. 7, 11, 25 and 27 are confirmed (PROTOCOLS.md, checked against the SDK and docs); 26
# (missing session) and 28 (missing app key) are *(unconfirmed)*.
ERR_RATE_LIMITED = 7  # flow control; sub_code accesscontrol.limited-by-…, "This ban will last for N more seconds"
ERR_INSUFFICIENT_PERMISSION = 11  # isv.permission-api-package-limit
ERR_REMOTE_SERVICE = 15  # with an isv.* sub_code a business refusal (the trade does not exist …)
ERR_INVALID_SIGNATURE = 25
ERR_MISSING_SESSION = 26  # (unconfirmed)
ERR_INVALID_SESSION = 27
ERR_MISSING_APP_KEY = 28  # (unconfirmed)
# The error table: code → our error class. Anything else is a PlatformError (about that call only:
# a refused detail becomes a MalformedRecord); an isp.* sub_code is the platform's own transient
# failure, whatever the code (TRANSIENT_SUB_CODE_PREFIX): retried, and it stops the sync if it lasts.
ERROR_CLASSES: dict[int, type[PlatformError]] = {
    ERR_RATE_LIMITED: PlatformRateLimited,
    ERR_INSUFFICIENT_PERMISSION: PlatformPermissionError,
    ERR_INVALID_SIGNATURE: PlatformSignatureError,
    ERR_MISSING_SESSION: PlatformAuthError,
    ERR_INVALID_SESSION: PlatformAuthError,
}
TRANSIENT_SUB_CODE_PREFIX = "isp."
# Code 7's message (msg or sub_msg): how long the ban lasts; the call's retry_after.
BAN_SECONDS = re.compile(r"ban will last for (\d+) more seconds?", re.IGNORECASE)

# Trade status → our platform state.
STATUS_MAP: dict[str, PlatformState] = {
    "TRADE_NO_CREATE_PAY": PlatformState.AWAITING_PAYMENT,
    "WAIT_BUYER_PAY": PlatformState.AWAITING_PAYMENT,
    "PAY_PENDING": PlatformState.AWAITING_PAYMENT,
    "WAIT_PRE_AUTH_CONFIRM": PlatformState.AWAITING_PAYMENT,  # 0元购合约中: not paid
    "WAIT_SELLER_SEND_GOODS": PlatformState.PAID,
    "PAID_FORBID_CONSIGN": PlatformState.PAID,  # paid, shipping forbidden: held (BLOCKED_STATUSES)
    "SELLER_CONSIGNED_PART": PlatformState.PAID,  # partly shipped: the lines still waiting are ours
    "WAIT_BUYER_CONFIRM_GOODS": PlatformState.SHIPPED,
    "TRADE_BUYER_SIGNED": PlatformState.FINISHED,
    "TRADE_FINISHED": PlatformState.FINISHED,
    "TRADE_CLOSED": PlatformState.CANCELLED,
    "TRADE_CLOSED_BY_TAOBAO": PlatformState.CANCELLED,
}
# Paid trades the platform forbids shipping for now (拼团中订单或者发货强管控的订单): the meaning shown.
BLOCKED_STATUSES: dict[str, str] = {"PAID_FORBID_CONSIGN": N_("paid, shipping forbidden")}
PARTLY_SHIPPED = "SELLER_CONSIGNED_PART"
# Line (order) statuses of a line that has left: in a partly shipped trade, the others still go out.
SHIPPED_LINE_STATUSES = frozenset({"WAIT_BUYER_CONFIRM_GOODS", "TRADE_BUYER_SIGNED", "TRADE_FINISHED"})

# Trade types asked for (`type`): without it the increment API returns only its default five
# (guarantee_trade, auto_delivery, ec, cod, step). Every type the documentation lists; a shop narrows
# it with ``trade_types`` in its config. guarantee_trade covers fixed (一口价) and auction (拍卖).
TRADE_TYPES = ("fixed", "auction", "guarantee_trade", "step", "independent_simple_trade", "independent_shop_trade",
               "auto_delivery", "ec", "cod", "fenxiao", "game_equipment", "shopex_trade", "netcn_trade",
               "external_trade", "o2o_offlinetrade", "nopaid", "pre_auth_type")

# Line refund_status values; SUCCESS on every line of a paid trade means cancelled.
REFUND_STATUSES = ("NO_REFUND", "WAIT_SELLER_AGREE", "WAIT_BUYER_RETURN_GOODS", "WAIT_SELLER_CONFIRM_GOODS",
                   "SELLER_REFUSE_BUYER", "CLOSED", "SUCCESS")
# A refund in progress on a line: the order should not ship until it settles (for the intake's holds).
REFUND_IN_PROGRESS = frozenset({"WAIT_SELLER_AGREE", "WAIT_BUYER_RETURN_GOODS", "WAIT_SELLER_CONFIRM_GOODS"})

TRADE_FIELDS = (
    "tid", "type", "status", "created", "pay_time", "modified", "payment", "total_fee", "post_fee", "discount_fee",
    "buyer_nick", "buyer_open_uid", "receiver_name", "receiver_mobile", "receiver_phone", "receiver_state",
    "receiver_city", "receiver_district", "receiver_town", "receiver_address", "receiver_zip", "buyer_message",
    "seller_memo", "oaid",
)
ORDER_FIELDS = ("oid", "num_iid", "sku_id", "outer_iid", "outer_sku_id", "title", "sku_properties_name", "num",
                "price", "payment", "discount_fee", "refund_status", "status", "consign_time")
FULLINFO_FIELDS = ",".join(TRADE_FIELDS + tuple(f"orders.{f}" for f in ORDER_FIELDS))
# The listing takes the same field names as fullinfo.get ("返回示例中能看到的所有字段", the Trade and its
# orders): asked for everything the mapping reads, it hands over whole trades.
INCREMENT_FIELDS = FULLINFO_FIELDS

# Our (Kuaidi100) courier code → Taobao logistics company_code. *(unconfirmed: not in PROTOCOLS.md;
# check against taobao.logistics.companies.get before production)*. Unknown codes are sent as given.
COMPANY_CODES: dict[str, str] = {
    "shunfeng": "SF",
    "zhongtong": "ZTO",
    "yuantong": "YTO",
    "yunda": "YUNDA",
    "shentong": "STO",
    "jtexpress": "JTSD",
    "ems": "EMS",
    "jd": "JD",
    "debangkuaidi": "DBKD",
}

# --- refunds and items (issue 12, items 9 and 10) --------------------------------------------
API_REFUNDS = "taobao.refunds.receive.get"  # 查询卖家收到的退款列表
API_ITEMS_ONSALE = "taobao.items.onsale.get"  # 出售中的商品 (no SKUs)
API_ITEM_SKUS = "taobao.item.skus.get"  # the SKUs of up to 40 items
REFUND_PAGE_SIZE = 100  # documented maximum (default 40)
ITEMS_PAGE_SIZE = 200  # documented maximum (default 40); page_no × page_size may not pass 20,000
ITEM_SKUS_MAX_IDS = 40  # documented: num_iids, at most 40
# *(unconfirmed)* the documentation states no longest window for refunds.receive.get; a day, as trades.
REFUND_MAX_WINDOW = timedelta(days=1)
REFUND_FIELDS = ("refund_id,tid,oid,title,buyer_nick,total_fee,status,created,refund_fee,good_status,"
                 "has_good_return,payment,reason,desc,modified,order_status,refund_phase")
ITEM_FIELDS = "num_iid,title,outer_id"
SKU_FIELDS = "sku_id,num_iid,outer_id,properties_name"
# Refund status → RefundState. The exchange statuses (换货) keep the order stopped, as any open request.
REFUND_STATE: dict[str, RefundState] = {
    "WAIT_SELLER_AGREE": RefundState.REQUESTED,
    "WAIT_BUYER_RETURN_GOODS": RefundState.REQUESTED,
    "WAIT_SELLER_CONFIRM_GOODS": RefundState.REQUESTED,
    "WAIT_BUYER_CONFIRM_EXCHANGE_SELLER_SEND_GOODS": RefundState.REQUESTED,
    "WAIT_SELLER_CONSIGN_GOODS": RefundState.REQUESTED,
    "EXCHANGE_TRANSFORM_TO_REFUND": RefundState.REQUESTED,
    "SELLER_REFUSE_BUYER": RefundState.CLOSED,
    "CLOSED": RefundState.CLOSED,
    "SUCCESS": RefundState.REFUNDED,
}
# ============================================================================================


def response_key(api: str) -> str:
    """``taobao.trade.fullinfo.get`` → ``trade_fullinfo_get_response``."""
    return api.removeprefix("taobao.").replace(".", "_") + "_response"


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")



def _refund_or_malformed(raw: Any) -> RefundNotice | MalformedRecord:
    return mapped_or_malformed(PLATFORM, raw, lambda record, _shop: map_refund(record), "tid", what="refund")


def map_trade(trade: Mapping[str, Any], shop: str = "") -> NormalizedOrder:
    """A fullinfo trade → NormalizedOrder; MappingError (the reason) when it cannot be mapped."""
    tid = order_id(trade.get("tid"), field="tid")
    status = text(trade, "status")
    if status not in STATUS_MAP:
        raise MappingError(f"unknown trade status {status!r}")
    raw_lines = as_list(as_dict(trade.get("orders"), field="orders").get("order"), field="orders.order")
    if not raw_lines:
        raise MappingError("trade has no lines")
    lines, refunds, shipped = [], [], []
    for n, o in enumerate(raw_lines, 1):
        if not isinstance(o, dict):
            raise MappingError(f"line {n} is not an object")
        line = build_line(
            sku_code=sku_code([o.get("outer_sku_id"), o.get("outer_iid")], [o.get("sku_id"), o.get("num_iid")]),
            title=line_title(o.get("title"), o.get("sku_properties_name")),
            qty=quantity(o.get("num"), field=f"line {n} num"),
            price_fen=optional_fen(o, "price"),
            platform_line_id=text(o, "oid"),
            platform_item_id=text(o, "num_iid"),
            platform_sku_id=text(o, "sku_id"),
        )
        line_status = text(o, "status")
        if status == PARTLY_SHIPPED and (line_status in SHIPPED_LINE_STATUSES
                                         or (not line_status and text(o, "consign_time"))):
            shipped.append(line)  # left already (consigned on the platform): not ours to send
            continue
        lines.append(line)
        refunds.append(text(o, "refund_status") or "NO_REFUND")
    state = STATUS_MAP[status]
    if not lines:  # "partly" shipped with nothing left to send: shipped
        lines, shipped, state = shipped, [], PlatformState.SHIPPED
    town = text(trade, "receiver_town")
    address = text(trade, "receiver_address")
    if town and not address.startswith(town):
        address = town + address
    return build_order(
        platform=PLATFORM,
        platform_order_id=tid,
        shop=shop,
        state=settle_state(state, refunds),
        platform_status=status,
        platform_block=platform_block("status", status, BLOCKED_STATUSES[status]) if status in BLOCKED_STATUSES else "",
        shipped_lines=shipped,
        buyer_id=first_text(trade, "buyer_open_uid", "buyer_nick"),
        receiver_name=text(trade, "receiver_name"),  # masked as given (张**)
        receiver_phone=first_text(trade, "receiver_mobile", "receiver_phone"),  # masked (138****5678)
        receiver_province=text(trade, "receiver_state"),
        receiver_city=text(trade, "receiver_city"),
        receiver_district=text(trade, "receiver_district"),
        receiver_address=address,
        receiver_opaque=withheld.seal(oaid=text(trade, "oaid")),  # for a waybill request only
        buyer_remark=text(trade, "buyer_message"),
        seller_memo=text(trade, "seller_memo"),
        total_fen=optional_fen(trade, "total_fee"),
        paid_fen=yuan_to_fen(trade.get("payment"), field="payment"),
        discount_fen=optional_fen(trade, "discount_fee"),
        post_fee_fen=optional_fen(trade, "post_fee"),
        created_at=parse_beijing(trade.get("created"), field="created"),
        paid_at=optional_time(trade, "pay_time"),
        modified_at=optional_time(trade, "modified"),
        lines=lines,
    )


def map_refund(refund: Mapping[str, Any]) -> RefundNotice:
    """A ``refunds.receive.get`` refund → RefundNotice; MappingError when it cannot be mapped. A status we
    do not know keeps the order stopped (REQUESTED): a person looks rather than a parcel leaving."""
    refund_id = order_id(refund.get("refund_id"), field="refund_id")
    status = text(refund, "status")
    reason = text(refund, "reason")
    desc = text(refund, "desc")
    return RefundNotice(
        platform=PLATFORM, refund_id=refund_id, platform_order_id=order_id(refund.get("tid"), field="tid"),
        status=status, state=REFUND_STATE.get(status, RefundState.REQUESTED),
        reason=f"{reason}: {desc}" if reason and desc else reason or desc,
        amount_fen=optional_fen(refund, "refund_fee"), modified_at=optional_time(refund, "modified"),
        platform_line_id=text(refund, "oid"))


def to_result(trade: Any, shop: str = "") -> FetchResult:
    """map_trade, or a MalformedRecord with the reason."""
    return mapped_or_malformed(PLATFORM, trade, map_trade, "tid", shop)


class TaobaoClient(PlatformClient):
    platform = PLATFORM
    default_path = DEFAULT_PATH
    max_window = MAX_WINDOW
    same_day_windows = True
    max_page_size = MAX_PAGE_SIZE
    listing_lag = LISTING_LAG

    default_courier_codes = COMPANY_CODES

    def __init__(self, shop: ShopConfig, *, sign_method: str = "md5", **kwargs: Any) -> None:
        if sign_method not in TOP_SIGN_METHODS:
            raise ValueError(f"sign_method must be one of {', '.join(TOP_SIGN_METHODS)}")
        super().__init__(shop, **kwargs)
        self.sign_method = sign_method
        self.trade_types = tuple(t.strip() for t in shop.trade_types if t.strip()) or TRADE_TYPES

    # --- requests ----------------------------------------------------------------------------

    def _request_params(self, api: str, biz: Mapping[str, Any]) -> dict[str, str]:
        params = as_str_params({
            "method": api, "app_key": self.shop.app_key, "session": self.access_token() or None,
            "timestamp": beijing_timestamp(self.clock()), "format": "json", "v": "2.0",
            "sign_method": self.sign_method, **biz,
        })
        params["sign"] = top_sign(params, self.shop.app_secret.get_secret_value())
        return params

    def _unwrap(self, api: str, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise self._error(PlatformResponseError, None, "response is not a JSON object", api=api)
        err = payload.get("error_response")
        if isinstance(err, dict):
            raise self._classify(err, api)
        body = payload.get(response_key(api))
        if not isinstance(body, dict):
            raise self._error(PlatformResponseError, None, f"no {response_key(api)} in the response", api=api)
        return body

    def _classify(self, err: Mapping[str, Any], api: str) -> PlatformError:
        raw_code = err.get("code")
        try:
            code: int | str | None = int(raw_code)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            code = raw_code
        detail = " / ".join(str(x) for x in (err.get("msg"), err.get("sub_msg")) if x)
        sub_code = str(err.get("sub_code") or "") or None
        cls = ERROR_CLASSES.get(code, PlatformError)  # type: ignore[arg-type]
        if cls is PlatformError and sub_code and sub_code.startswith(TRANSIENT_SUB_CODE_PREFIX):
            cls = PlatformUnavailable
        exc = self._error(cls, code, detail, sub_code=sub_code, request_id=err.get("request_id") or None, api=api)
        ban = BAN_SECONDS.search(detail) if cls is PlatformRateLimited else None
        if ban:
            exc.retry_after = float(ban.group(1))
        return exc

    # --- intake ------------------------------------------------------------------------------

    def _list_page(self, start: datetime, end: datetime, page: int) -> ListingPage:
        # No use_has_next: with it TOP leaves out total_results, and the total finds the last page.
        body = self._call(API_INCREMENT, {
            "start_modified": format_beijing(start), "end_modified": format_beijing(end),
            "page_no": page, "page_size": self.page_size, "fields": INCREMENT_FIELDS,
            "type": ",".join(self.trade_types),
        })
        trades_box = body.get("trades") or {}
        trades = trades_box.get("trade") if isinstance(trades_box, dict) else None
        return ListingPage(trades if isinstance(trades, list) else [], total=listing_total(body.get("total_results")),
                           has_next=_truthy(body["has_next"]) if "has_next" in body else None)

    def _fetch_window(self, start: datetime, end: datetime) -> Iterator[FetchResult]:
        for rows in self.listed_windows(start, end, self._list_page, API_INCREMENT):
            for tid, row in each_once(rows, lambda r: r.get("tid") if isinstance(r, dict) else None):
                if tid is None:
                    yield MalformedRecord(PLATFORM, None, "listed trade has no tid", row)
                else:  # listed with every field the mapping needs (INCREMENT_FIELDS): no detail call
                    yield to_result(row, self.shop.name)

    def fetch_one(self, platform_order_id: str) -> FetchResult:
        return self.fetch_trade(platform_order_id)

    def fetch_trade(self, tid: str, listed: Any = None) -> FetchResult:
        """One trade by tid (``taobao.trade.fullinfo.get``), mapped.

        Only a refusal about this trade (code 15 with an isv.* sub_code: it does not exist …) becomes a
        MalformedRecord. Session, signature, permission (11), rate limits and transient isp.* errors that
        outlast the retries stop the sync, so its window is read again next time.
        """
        try:
            body = self._call(API_FULLINFO, {"tid": tid, "fields": FULLINFO_FIELDS})
        except PlatformError as exc:
            if type(exc) is not PlatformError:  # session / signature / permission / rate limit / network: stop
                raise
            return MalformedRecord(PLATFORM, tid, f"trade detail refused: {exc}", listed)
        trade = body.get("trade")
        if not isinstance(trade, dict):
            return MalformedRecord(PLATFORM, tid, "trade detail came back empty", body)
        return to_result(trade, self.shop.name)

    # --- refunds and items ------------------------------------------------------------------

    def fetch_refunds(self, start: datetime, end: datetime, *,
                      open_refund_ids: Sequence[str] = ()) -> Iterator[RefundNotice | MalformedRecord]:
        def read_window(w_start: datetime, w_end: datetime) -> Iterator[Any]:
            def page(number: int) -> Page:
                body = self._call(API_REFUNDS, {
                    "fields": REFUND_FIELDS, "start_modified": format_beijing(w_start),
                    "end_modified": format_beijing(w_end), "page_no": number, "page_size": REFUND_PAGE_SIZE,
                })  # without use_has_next: the total is what reading backwards needs
                box = body.get("refunds") or {}
                rows = box.get("refund") if isinstance(box, dict) else None
                return page_of(rows, body.get("total_results"))

            return read_backwards(page, REFUND_PAGE_SIZE, guard=lambda n: self._paginate_guard(n, API_REFUNDS))

        raws = (raw for window in split_window(start, end, REFUND_MAX_WINDOW) for raw in read_window(*window))
        # Read backwards, a refund modified meanwhile may be read twice: each is told once.
        yield from first_of_each(map(_refund_or_malformed, raws), refund_id_of)

    def list_items(self) -> Iterator[ListedSku]:
        def page(number: int) -> Page:
            body = self._call(API_ITEMS_ONSALE, {"fields": ITEM_FIELDS, "page_no": number,
                                                 "page_size": ITEMS_PAGE_SIZE})
            box = body.get("items") or {}
            rows = box.get("item") if isinstance(box, dict) else None
            return page_of(rows, body.get("total_results"))

        items = [i for i in read_forwards(page, ITEMS_PAGE_SIZE, guard=lambda n: self._paginate_guard(
            n, API_ITEMS_ONSALE)) if isinstance(i, dict) and text(i, "num_iid")]
        for start in range(0, len(items), ITEM_SKUS_MAX_IDS):
            chunk = items[start:start + ITEM_SKUS_MAX_IDS]
            body = self._call(API_ITEM_SKUS, {"fields": SKU_FIELDS,
                                              "num_iids": ",".join(text(i, "num_iid") for i in chunk)})
            box = body.get("skus") or {}
            skus = box.get("sku") if isinstance(box, dict) else None
            by_item: dict[str, list[dict]] = {}
            for sku in skus if isinstance(skus, list) else []:
                if isinstance(sku, dict) and text(sku, "sku_id"):
                    by_item.setdefault(text(sku, "num_iid"), []).append(sku)
            for item in chunk:
                item_id, title, outer = text(item, "num_iid"), text(item, "title"), text(item, "outer_id")
                for sku in by_item.get(item_id) or [{}]:
                    yield ListedSku(item_id, text(sku, "sku_id"), outer_item_code=outer,
                                    outer_sku_code=text(sku, "outer_id"), title=title,
                                    spec=text(sku, "properties_name"))

    # --- shipping ----------------------------------------------------------------------------

    def ship(self, platform_order_id: str, waybill: str, courier_code: str) -> None:
        company = self.courier_codes.get(courier_code, courier_code)
        params = {"tid": platform_order_id, "out_sid": waybill, "company_code": company}
        try:
            body = self._call(API_OFFLINE_SEND, params, idempotent=False)
        except PlatformError as refused:
            # Refused outright (nothing was shipped): a trade the seller already partly shipped elsewhere
            # (SELLER_CONSIGNED_PART) takes a split notice naming the lines still waiting (is_split, sub_tid).
            waiting = self._lines_still_waiting(platform_order_id) if _business_refusal(refused) else None
            if not waiting:
                raise
            body = self._call(API_OFFLINE_SEND, {**params, "is_split": 1, "sub_tid": ",".join(waiting)},
                              idempotent=False)
        shipping = body.get("shipping")
        if not isinstance(shipping, dict) or not _truthy(shipping.get("is_success")):
            raise self._error(PlatformError, None, f"ship notice for {platform_order_id} was not accepted",
                              api=API_OFFLINE_SEND)

    def _lines_still_waiting(self, tid: str) -> list[str] | None:
        """The oids of a partly shipped trade's lines that have not left; None for any other trade."""
        try:
            trade = self._call(API_FULLINFO, {"tid": tid, "fields": "tid,status,orders.oid,orders.status"}).get("trade")
        except PlatformError:
            return None
        if not isinstance(trade, dict) or trade.get("status") != PARTLY_SHIPPED:
            return None
        lines = (trade.get("orders") or {}).get("order") if isinstance(trade.get("orders"), dict) else None
        return [text(line, "oid") for line in lines or [] if isinstance(line, dict) and text(line, "oid")
                and text(line, "status") not in SHIPPED_LINE_STATUSES]


def _business_refusal(exc: PlatformError) -> bool:
    """TOP's business refusal (code 15 with an ``isv.*`` sub_code): the call was understood and refused."""
    return exc.code == str(ERR_REMOTE_SERVICE) and bool(exc.sub_code) and exc.sub_code.startswith("isv.")
