"""How values look on screen: shop-local times, yuan from fen, translated status and kind names."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.text import Text

from oms_tui.money import yuan  # noqa: F401  (screens import it from here)

from oms_tui.names import (  # noqa: F401  (screens import these from here too)
    HOLD_NAMES,
    MOVE_NAMES,
    PLATFORM_NAMES,
    PROBLEM_SOURCE_NAMES,
    SCAN_NAMES,
    STATUS_NAMES,
    TRACK_STATE_NAMES,
    named,
    platform_status_name,
)
from oms_tui.services.reports.tally import CountKind, RowCount


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


def format_count(count: RowCount) -> str:
    """A row count as the screens write it: "1,234", "~712,000" (an estimate) or "10,000+"."""
    if count.kind is CountKind.ABOUT:
        return f"~{count.rows:,}"
    if count.kind is CountKind.AT_LEAST:
        return f"{count.rows:,}+"
    return f"{count.rows:,}"


def plain(value: object) -> Text:
    """User data (names, addresses, remarks) as text, so a '[' in it is never taken as markup."""
    return Text("" if value is None else str(value))
