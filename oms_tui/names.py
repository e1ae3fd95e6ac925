"""What codes are called where people read them: order statuses, platforms, hold kinds, ledger moves.

Each table maps a stored code (the models' enums) to an ``N_()`` msgid, translated where it is
shown (``named``). Screens, commands, printed slips and the phrases services store
(oms_tui/phrases.py: a hold kind inside a stored reason is one of these msgids) share them.
"""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo

from oms_tui.i18n import N_, _
from oms_tui.models import (
    ApprovalStatus,
    HoldKind,
    MoveKind,
    OrderStatus,
    ProblemSource,
    PurchaseOrderStatus,
    ReservationPurpose,
    ReturnCondition,
    ScanOutcome,
    TrackState,
)

STATUS_NAMES: dict[str, str] = {
    OrderStatus.NEW: N_("new"),
    OrderStatus.REVIEW: N_("review"),
    OrderStatus.APPROVAL: N_("approval"),
    OrderStatus.SHORT: N_("short"),
    OrderStatus.READY: N_("ready"),
    OrderStatus.PICKING: N_("picking"),
    OrderStatus.PACKED: N_("packed"),
    OrderStatus.SHIPPED: N_("shipped"),
    OrderStatus.DELIVERED: N_("delivered"),
    OrderStatus.CANCELLED: N_("cancelled"),
}

# What a buyer is told (the portal): the warehouse's own steps before shipping are one "being prepared".
BUYER_STATUS_NAMES: dict[str, str] = {
    **{status: N_("being prepared") for status in (OrderStatus.NEW, OrderStatus.REVIEW, OrderStatus.APPROVAL,
                                                    OrderStatus.SHORT, OrderStatus.READY, OrderStatus.PICKING,
                                                    OrderStatus.PACKED)},
    OrderStatus.SHIPPED: N_("shipped"),
    OrderStatus.DELIVERED: N_("delivered"),
    OrderStatus.CANCELLED: N_("cancelled"),
}

PLATFORM_NAMES: dict[str, str] = {
    "taobao": N_("Taobao/Tmall"),
    "jd": N_("JD"),
    "pdd": N_("Pinduoduo"),
    "douyin": N_("Douyin Shop"),
}

HOLD_NAMES: dict[str, str] = {
    HoldKind.ADDRESS_INVALID: N_("address invalid"),
    HoldKind.BUYER_REMARK: N_("buyer remark"),
    HoldKind.COUPON_CHECK: N_("coupon check"),
    HoldKind.DUPLICATE_SUSPECT: N_("duplicate suspect"),
    HoldKind.LIMIT_EXCEEDED: N_("limit exceeded"),
    HoldKind.STOCK_SHORT: N_("stock short"),
    HoldKind.APPROVAL_PENDING: N_("approval pending"),
    HoldKind.APPROVAL_STALLED: N_("approval stalled"),
    HoldKind.LOCK_EXPIRED: N_("lock expired"),
    HoldKind.LOGISTICS_STALLED: N_("logistics stalled"),
    HoldKind.SCAN_MISMATCH: N_("scan mismatch"),
    HoldKind.SYNC_CONFLICT: N_("sync conflict"),
    HoldKind.PRINT_FAILED: N_("print failed"),
    HoldKind.NOTIFY_FAILED: N_("notify failed"),
    HoldKind.PLATFORM_BLOCKED: N_("platform blocked"),
    HoldKind.SKU_UNMAPPED: N_("SKU unmapped"),
    HoldKind.REFUND_REQUESTED: N_("refund requested"),
    HoldKind.SHIP_NOTICE_FAILED: N_("ship notice failed"),
    HoldKind.APPROVAL_REJECTED: N_("approval rejected"),
}

MOVE_NAMES: dict[str, str] = {
    MoveKind.PURCHASE: N_("purchase"),
    MoveKind.RECEIVE: N_("receive"),
    MoveKind.LOCK: N_("lock"),
    MoveKind.UNLOCK: N_("unlock"),
    MoveKind.SHIP: N_("ship"),
    MoveKind.RETURN: N_("return"),
    MoveKind.ADJUST: N_("adjust"),
    MoveKind.RESERVE: N_("reserve"),
    MoveKind.UNRESERVE: N_("unreserve"),
    MoveKind.RESERVE_DRAW: N_("VIP draw"),
    MoveKind.LOCK_EXPIRE: N_("lock expired"),
}

# What an approval request asks for (ApprovalRequest.kind) and where it stands.
# Kinds CS (or the warehouse) asks for by hand, and the two an order raises by itself on intake when an
# approval rule for them matches it (services/approvals/rules.py).
APPROVAL_KIND_NAMES: dict[str, str] = {
    "price_change": N_("price change"),
    "gift": N_("gift"),
    "transfer": N_("cross-warehouse transfer"),
    "presale_delay": N_("pre-sale delay"),
    "address_change": N_("address change after picking"),
    "large_order": N_("large order"),
    "custom_item": N_("custom item"),
}
INTAKE_APPROVAL_KINDS = ("large_order", "custom_item")

# The roles (services/core/actor.py holds what each may do), as people call them.
ROLE_NAMES: dict[str, str] = {
    "cs": N_("customer service"),
    "cs_lead": N_("CS lead"),
    "warehouse": N_("warehouse"),
    "warehouse_lead": N_("warehouse lead"),
    "purchasing": N_("purchasing"),
    "finance": N_("finance"),
    "manager": N_("manager"),
    "admin": N_("administrator"),
}

APPROVAL_STATUS_NAMES: dict[str, str] = {
    ApprovalStatus.PENDING: N_("waiting for a decision"),
    ApprovalStatus.APPROVED: N_("approved"),
    ApprovalStatus.REJECTED: N_("rejected"),
    ApprovalStatus.WITHDRAWN: N_("withdrawn"),
}

# Order fields as people call them (a platform update's changed fields, a receiver change).
ORDER_FIELD_NAMES: dict[str, str] = {
    "receiver_name": N_("receiver"), "receiver_phone": N_("phone"), "receiver_province": N_("province"),
    "receiver_city": N_("city"), "receiver_district": N_("district"), "receiver_address": N_("address"),
    "buyer_remark": N_("buyer remark"), "seller_memo": N_("seller memo"), "platform_status": N_("platform status"),
    "total_fen": N_("total"), "paid_fen": N_("paid amount"), "discount_fen": N_("discount"),
    "post_fee_fen": N_("postage"), "paid_at": N_("paid"), "modified_at": N_("modified"),
    "after_sale": N_("after-sale"), "status": N_("status"),
}
RECEIVER_FIELD_NAMES = {field: ORDER_FIELD_NAMES[field] for field in (
    "receiver_name", "receiver_phone", "receiver_province", "receiver_city", "receiver_district", "receiver_address")}

# What a pack-station scan was (ScanEvent.result, the station's recent scans).
SCAN_NAMES: dict[str, str] = {
    ScanOutcome.OK: N_("item ok"),
    ScanOutcome.ORDER: N_("order"),
    ScanOutcome.DOUBLE: N_("scanned again"),
    ScanOutcome.SHIPPED: N_("shipped"),
    ScanOutcome.WRONG: N_("wrong item"),
    ScanOutcome.EXTRA: N_("one too many"),
    ScanOutcome.UNKNOWN: N_("unknown code"),
    ScanOutcome.REFUSED: N_("refused"),
    ScanOutcome.WAYBILL_BAD: N_("bad waybill"),
    ScanOutcome.FAILED: N_("failed"),
    "error": N_("not recorded"),  # the station's own: the scan never reached the database
}

# What a customer look-up query was taken to be (services/cs/lookup.py LookupResult.kind).
LOOKUP_KIND_NAMES: dict[str, str] = {
    "mobile": N_("mobile number"), "masked_phone": N_("masked phone"), "order": N_("order number"),
    "waybill": N_("waybill"), "landline": N_("landline"), "buyer_id": N_("buyer id"), "none": N_("nothing found"),
    "order_id": N_("our order id"),
}

# Which intake path could not take a record in (SyncProblem.source).
PROBLEM_SOURCE_NAMES: dict[str, str] = {
    ProblemSource.SYNC: N_("sync"),
    ProblemSource.WEBHOOK: N_("push"),
    ProblemSource.IMPORT: N_("import"),
}

RESERVATION_PURPOSE_NAMES: dict[str, str] = {
    ReservationPurpose.VIP: N_("VIP customers"),
    ReservationPurpose.PROMOTION: N_("promotion"),
}

CONDITION_NAMES: dict[str, str] = {
    ReturnCondition.RESALEABLE: N_("resaleable"),
    ReturnCondition.DAMAGED: N_("damaged"),
}

# The platforms' own order statuses (Order.platform_status), as PROTOCOLS.md lists them.
PLATFORM_STATUS_NAMES: dict[str, dict[str, str]] = {
    "taobao": {
        "TRADE_NO_CREATE_PAY": N_("no payment created"),
        "WAIT_BUYER_PAY": N_("waiting for payment"),
        "PAY_PENDING": N_("payment pending"),
        "WAIT_PRE_AUTH_CONFIRM": N_("waiting for pre-authorisation"),
        "WAIT_SELLER_SEND_GOODS": N_("paid, to ship"),
        "PAID_FORBID_CONSIGN": N_("paid, shipping forbidden"),
        "SELLER_CONSIGNED_PART": N_("partly shipped"),
        "WAIT_BUYER_CONFIRM_GOODS": N_("shipped, awaiting receipt"),
        "TRADE_BUYER_SIGNED": N_("signed for"),
        "TRADE_FINISHED": N_("finished"),
        "TRADE_CLOSED": N_("closed after payment"),
        "TRADE_CLOSED_BY_TAOBAO": N_("closed before payment"),
    },
    "jd": {
        "WAIT_SELLER_STOCK_OUT": N_("paid, to ship"),
        "WAIT_GOODS_RECEIVE_CONFIRM": N_("shipped, awaiting receipt"),
        "FINISHED_L": N_("finished"),
        "TRADE_CANCELED": N_("cancelled"),
        "LOCKED": N_("locked by an after-sale"),
        "POP_ORDER_PAUSE": N_("paused"),
    },
    # Douyin Shop's order_status numbers (its order.searchList documentation).
    "douyin": {
        "1": N_("waiting for payment"),
        "105": N_("paid, to ship"),
        "2": N_("paid, to ship"),
        "101": N_("partly shipped"),
        "3": N_("shipped, awaiting receipt"),
        "4": N_("cancelled"),
        "5": N_("finished"),
    },
}
# Pinduoduo's platform_status is "order_status=N refund_status=M": each number named on its own.
PDD_STATUS_NAMES: dict[str, dict[str, str]] = {
    "order_status": {"1": N_("to ship"), "2": N_("shipped, awaiting receipt"), "3": N_("received")},
    "refund_status": {"1": N_("no refund"), "2": N_("in after-sale"), "3": N_("refunding"), "4": N_("refunded")},
}


def platform_status_name(platform: str, status: str | None) -> str:
    """A platform's order status as people say it; a status we do not know is shown as it came."""
    if not status:
        return ""
    if platform == "pdd" and "=" in status:
        parts = []
        for part in status.split():
            key, _sep, value = part.partition("=")
            name = PDD_STATUS_NAMES.get(key, {}).get(value)
            parts.append(_(name) if name else part)
        return " · ".join(parts)
    return named(PLATFORM_STATUS_NAMES.get(platform, {}), status)


TRACK_STATE_NAMES: dict[str, str] = {
    TrackState.PENDING: N_("no event yet"),
    TrackState.COLLECTED: N_("collected"),
    TrackState.IN_TRANSIT: N_("in transit"),
    TrackState.OUT_FOR_DELIVERY: N_("out for delivery"),
    TrackState.DELIVERED: N_("delivered"),
    TrackState.PROBLEM: N_("problem"),
    TrackState.RETURNING: N_("returning to sender"),
    TrackState.RETURNED: N_("returned to sender"),
}

PO_STATUS_NAMES: dict[str, str] = {
    PurchaseOrderStatus.OPEN: N_("ordered"),
    PurchaseOrderStatus.PARTIAL: N_("partly received"),
    PurchaseOrderStatus.RECEIVED: N_("received"),
}


def named(table: dict[str, str], value: str | None) -> str:
    """The translated name of a status / kind / platform; unknown values are shown as they are."""
    if value is None:
        return ""
    return _(table[value]) if value in table else value


def rate_limited_until(paused_until: datetime, zone: tzinfo, now: datetime | None = None) -> str:
    """"rate-limited until 14:32" in the reader's language and the shop's time: the date too when not today."""
    until = (paused_until if paused_until.tzinfo else paused_until.replace(tzinfo=timezone.utc)).astimezone(zone)
    today = (now or datetime.now(timezone.utc)).astimezone(zone).date()
    return _("rate-limited until {time}").format(time=until.strftime("%H:%M" if until.date() == today
                                                                      else "%Y-%m-%d %H:%M"))
