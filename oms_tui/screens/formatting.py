"""How values look on screen: shop-local times, yuan from fen, translated status and kind names."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.text import Text

from oms_tui.i18n import N_, _
from oms_tui.models import HoldKind, MoveKind, OrderStatus
from oms_tui.money import yuan  # noqa: F401  (screens import it from here)

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

PLATFORM_NAMES: dict[str, str] = {
    "taobao": N_("Taobao/Tmall"),
    "jd": N_("JD"),
    "pdd": N_("Pinduoduo"),
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


def named(table: dict[str, str], value: str | None) -> str:
    """The translated name of a status / kind / platform; unknown values are shown as they are."""
    if value is None:
        return ""
    return _(table[value]) if value in table else value


def shop_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def local_time(value: datetime | None, zone: ZoneInfo, *, seconds: bool = False) -> str:
    """A stored UTC time as the shop reads it ("2026-11-11 09:30")."""
    if value is None:
        return ""
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def start_of_day_utc(day: date, zone: ZoneInfo) -> datetime:
    """Midnight of ``day`` in the shop's zone, as the UTC instant filters compare against."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(timezone.utc)


def money(fen: int | None) -> Text:
    """Yuan for a table cell, right-aligned."""
    return Text(yuan(fen), justify="right")


def delta(value: int) -> Text:
    """A ledger delta: blank for zero, signed, green up / red down."""
    if not value:
        return Text("")
    return Text(f"{value:+,}", style="green" if value > 0 else "red", justify="right")


def num(value: int, *, style: str = "") -> Text:
    return Text(f"{value:,}", style=style, justify="right")


def plain(value: object) -> Text:
    """User data (names, addresses, remarks) as text, so a '[' in it is never taken as markup."""
    return Text("" if value is None else str(value))
