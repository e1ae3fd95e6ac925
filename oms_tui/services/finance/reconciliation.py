"""Month-end reconciliation: per platform and month, what we sold and what it earned, and a line-by-line
comparison with the platform's own bill.

The month is a calendar month in the shop's time zone; an order belongs to the month it was paid in.

    orders        orders paid in the month (any status, cancelled ones too: their money came in)
    paid          the sum of their paid amounts
    refunds       the refunds the platforms report as paid back (PlatformRefund, state refunded) on them
    shipped       of them, shipped or delivered; unshipped: still open; cancelled: cancelled
    cost          cost of goods: units shipped less units returned, times the SKU's cost (its cost today:
                  the catalogue keeps no history of costs)
    gross profit  paid − refunds − cost

The diff compares our orders of the platform paid in the month with the latest imported bill for that
platform and month (settlement_import.py): *missing* — ours, not on the bill; *extra* — on the bill,
not ours in that month; *amount differs* — on both, but the paid amount or the refund is not the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from oms_tui.errors import NotFound, ValidationError
from oms_tui.i18n import N_
from oms_tui.models import (
    OPEN_STATUSES,
    Order,
    OrderLine,
    OrderStatus,
    Platform,
    PlatformRefund,
    RefundState,
    SettlementImport,
    SettlementLine,
    Sku,
)
from oms_tui.names import PLATFORM_NAMES
from oms_tui.services.core.actor import Actor, require

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
SHIPPED = (OrderStatus.SHIPPED.value, OrderStatus.DELIVERED.value)

MISSING, EXTRA, AMOUNT_DIFFERS = "missing", "extra", "amount_differs"
DIFF_NAMES = {MISSING: N_("missing from the bill"), EXTRA: N_("not ours in this month"),
              AMOUNT_DIFFERS: N_("amount differs")}


def month_range(month: str, timezone: str = "Asia/Shanghai") -> tuple[datetime, datetime]:
    """The first instant of ``month`` (YYYY-MM) and of the month after, in the shop's time zone."""
    match = _MONTH.match(month.strip()) if isinstance(month, str) else None
    if not match or not 1 <= int(match.group(2)) <= 12 or not 1970 <= int(match.group(1)) <= 9998:
        raise ValidationError(N_("a month is written YYYY-MM (e.g. 2026-10), got {month!r}"), month=month)
    year, number = int(match.group(1)), int(match.group(2))
    tz = ZoneInfo(timezone)
    start = datetime(year, number, 1, tzinfo=tz)
    end = datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=tz)
    return start, end


@dataclass(frozen=True)
class PlatformMonth:
    platform: str
    orders: int
    paid_fen: int
    refunds: int
    refund_fen: int
    shipped: int
    unshipped: int
    cancelled: int
    cost_fen: int

    @property
    def gross_profit_fen(self) -> int:
        return self.paid_fen - self.refund_fen - self.cost_fen

    def as_dict(self) -> dict:
        return {"platform": self.platform, "orders": self.orders, "paid_fen": self.paid_fen,
                "refunds": self.refunds, "refund_fen": self.refund_fen, "shipped": self.shipped,
                "unshipped": self.unshipped, "cancelled": self.cancelled, "cost_fen": self.cost_fen,
                "gross_profit_fen": self.gross_profit_fen}


def _in_month(start: datetime, end: datetime):
    return (col(Order.paid_at) >= start) & (col(Order.paid_at) < end)


def month_summary(session: Session, actor: Actor, month: str, *, timezone: str = "Asia/Shanghai") -> list[PlatformMonth]:
    """One row per platform (every platform, zeros where nothing sold), then the total (platform "")."""
    require(actor, "finance.view")
    start, end = month_range(month, timezone)
    in_month = _in_month(start, end)
    counts = {row[0]: row[1:] for row in session.exec(
        select(Order.platform, func.count(), func.coalesce(func.sum(Order.paid_fen), 0),
               func.sum(case((col(Order.status).in_(SHIPPED), 1), else_=0)),
               func.sum(case((col(Order.status).in_([s.value for s in OPEN_STATUSES]), 1), else_=0)),
               func.sum(case((Order.status == OrderStatus.CANCELLED.value, 1), else_=0)))
        .where(in_month).group_by(Order.platform)).all()}
    refunds = {row[0]: row[1:] for row in session.exec(
        select(Order.platform, func.count(), func.coalesce(func.sum(PlatformRefund.amount_fen), 0))
        .join(PlatformRefund, col(PlatformRefund.order_id) == col(Order.id))
        .where(in_month, PlatformRefund.state == RefundState.REFUNDED.value).group_by(Order.platform)).all()}
    costs = dict(session.exec(
        select(Order.platform, func.coalesce(func.sum((OrderLine.qty - OrderLine.returned_qty) * Sku.cost_fen), 0))
        .join(OrderLine, col(OrderLine.order_id) == col(Order.id)).join(Sku, col(Sku.id) == col(OrderLine.sku_id))
        .where(in_month, col(Order.status).in_(SHIPPED)).group_by(Order.platform)).all())
    rows = []
    platforms = [p.value for p in Platform] + sorted(set(counts) - {p.value for p in Platform})
    for platform in platforms:
        orders, paid, shipped, unshipped, cancelled = counts.get(platform, (0, 0, 0, 0, 0))
        refund_count, refund_fen = refunds.get(platform, (0, 0))
        rows.append(PlatformMonth(platform, int(orders), int(paid), int(refund_count), int(refund_fen),
                                  int(shipped or 0), int(unshipped or 0), int(cancelled or 0),
                                  int(costs.get(platform, 0))))
    rows.append(PlatformMonth("", *(sum(getattr(r, f) for r in rows) for f in (
        "orders", "paid_fen", "refunds", "refund_fen", "shipped", "unshipped", "cancelled", "cost_fen"))))
    return rows


@dataclass(frozen=True)
class DiffLine:
    kind: str  # MISSING, EXTRA, AMOUNT_DIFFERS
    platform_order_id: str
    our_amount_fen: int | None
    bill_amount_fen: int | None
    our_refund_fen: int | None
    bill_refund_fen: int | None

    def as_dict(self) -> dict:
        return {"kind": self.kind, "order": self.platform_order_id, "our_amount_fen": self.our_amount_fen,
                "bill_amount_fen": self.bill_amount_fen, "our_refund_fen": self.our_refund_fen,
                "bill_refund_fen": self.bill_refund_fen}


@dataclass(frozen=True)
class BillDiff:
    platform: str
    month: str
    import_id: int
    filename: str
    imported_at: datetime
    matched: int  # orders on both with the same amounts
    lines: tuple[DiffLine, ...]

    def count(self, kind: str) -> int:
        return sum(1 for line in self.lines if line.kind == kind)


def latest_import(session: Session, platform: str, month: str) -> SettlementImport | None:
    return session.exec(select(SettlementImport).where(SettlementImport.platform == platform,
                                                       SettlementImport.month == month)
                        .order_by(col(SettlementImport.id).desc())).first()


def bill_diff(session: Session, actor: Actor, platform: str, month: str, *,
              timezone: str = "Asia/Shanghai") -> BillDiff:
    """Our orders of ``platform`` paid in ``month`` against its latest imported bill, line by line."""
    require(actor, "finance.view")
    start, end = month_range(month, timezone)
    record = latest_import(session, platform, month)
    if record is None:
        raise NotFound(N_("no {platform} bill imported for {month}: import one first"),
                       platform=PLATFORM_NAMES.get(platform, platform), month=month, translated=("platform",))
    ours = {pid: (paid, 0) for pid, paid in session.exec(
        select(Order.platform_order_id, Order.paid_fen).where(Order.platform == platform, _in_month(start, end)))}
    for pid, refunded in session.exec(
            select(Order.platform_order_id, func.sum(PlatformRefund.amount_fen))
            .join(PlatformRefund, col(PlatformRefund.order_id) == col(Order.id))
            .where(Order.platform == platform, _in_month(start, end),
                   PlatformRefund.state == RefundState.REFUNDED.value).group_by(Order.platform_order_id)):
        ours[pid] = (ours[pid][0], int(refunded))
    theirs = {line.platform_order_id: (line.amount_fen, line.refund_fen) for line in session.exec(
        select(SettlementLine).where(SettlementLine.import_id == record.id))}
    lines, matched = [], 0
    for pid in sorted(set(ours) | set(theirs)):
        mine, bill = ours.get(pid), theirs.get(pid)
        if bill is None:
            lines.append(DiffLine(MISSING, pid, mine[0], None, mine[1], None))
        elif mine is None:
            lines.append(DiffLine(EXTRA, pid, None, bill[0], None, bill[1]))
        elif mine != bill:
            lines.append(DiffLine(AMOUNT_DIFFERS, pid, mine[0], bill[0], mine[1], bill[1]))
        else:
            matched += 1
    return BillDiff(platform, month, record.id, record.filename, record.imported_at, matched, tuple(lines))
