"""What the dashboard and the KPI report count, defined once, over a span of time ``[start, end)`` (UTC).

The rollup job (rollup.py) counts each shop-local day with these; the KPI report counts its days with
the same, so a figure read from the rollup and the same figure in a report cannot disagree. Every
function reads by an indexed time column (models: ``ix_order_shipped``, ``ix_hold_opened``,
``ix_scanevent_at`` …), so a day costs what that day holds, not what the database holds.

Definitions (README "Dashboard and KPI report" says the same for people):

* **order→ship time**: from payment (``paid_at``; the platform's creation time when no payment time is
  known) to ``shipped_at``, for orders shipped in the span.
* **scan errors**: pack-station scans whose result is one of ``models.SCAN_ERRORS`` (wrong or extra item,
  unknown code, refused, bad waybill, failed).
* **wrong shipment** (错发): an order whose after-sale — a return recorded at the returns desk or a refund
  request the platform reported — gives a reason naming a wrong item (``WRONG_ITEM_WORDS``), counted on
  the day the first such record came in, once per order and day.
* **missed shipment** (漏发): the same with a reason naming missing items (``MISSING_ITEM_WORDS``), plus
  orders whose stock lock expired unshipped (a ``lock_expired`` hold: the parcel missed its window).
* **duplicate shipment** (重复发货): two orders suspected to be one (a ``duplicate_suspect`` hold on one
  names the other) that both shipped, under different waybills; counted once per pair on the day the
  second one shipped.
* **approval turnaround**: ``requested_at`` → ``decided_at`` of requests decided in the span.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from oms_tui.models import (
    SCAN_ERRORS,
    ApprovalRequest,
    Hold,
    HoldKind,
    Order,
    PlatformRefund,
    ReturnRecord,
    ScanEvent,
)
from oms_tui.services.orders.intake_rules import partner_ids

# Words in an after-sale reason (the buyer's, as the platform gave it, or the returns desk's) that say
# what went wrong. Matched case-insensitively as substrings; Taobao's and JD's reason lists use these.
WRONG_ITEM_WORDS = ("发错", "错发", "发错货", "wrong item")
MISSING_ITEM_WORDS = ("漏发", "少发", "少件", "缺件", "missing item")


def percentile(sorted_values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile: the value at rank ⌈p/100 · n⌉ of the sorted values (None for none)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def ship_seconds(session: Session, start: datetime, end: datetime) -> list[tuple[str, int]]:
    """(platform, whole seconds from payment to shipping) of each order shipped in the span."""
    rows = session.exec(select(Order.platform, Order.paid_at, Order.created_at, Order.shipped_at)
                        .where(col(Order.shipped_at) >= start, col(Order.shipped_at) < end)).all()
    return [(platform, max(0, int((shipped - (paid or created)).total_seconds())))
            for platform, paid, created, shipped in rows]


def orders_created(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Platform → orders created on the platform in the span."""
    return dict(session.exec(select(Order.platform, func.count()).where(
        col(Order.created_at) >= start, col(Order.created_at) < end).group_by(Order.platform)).all())


def holds_opened(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Hold kind → holds opened in the span."""
    return dict(session.exec(select(Hold.kind, func.count()).where(
        col(Hold.opened_at) >= start, col(Hold.opened_at) < end).group_by(Hold.kind)).all())


@dataclass(frozen=True)
class ScanCounts:
    scans: int = 0
    errors: int = 0


def scan_counts(session: Session, start: datetime, end: datetime) -> ScanCounts:
    """Pack-station scans in the span, and how many of them were errors."""
    by_result = dict(session.exec(select(ScanEvent.result, func.count()).where(
        col(ScanEvent.at) >= start, col(ScanEvent.at) < end).group_by(ScanEvent.result)).all())
    return ScanCounts(sum(by_result.values()), sum(n for result, n in by_result.items() if result in SCAN_ERRORS))


def _naming(column, words: Iterable[str]):  # noqa: ANN001, ANN202 - a SQL condition
    return or_(*(func.lower(column).contains(word.lower(), autoescape=True) for word in words))


def _after_sale_orders(session: Session, start: datetime, end: datetime, words: Iterable[str]) -> set[int]:
    words = tuple(words)
    returned = session.exec(select(ReturnRecord.order_id).where(
        col(ReturnRecord.created_at) >= start, col(ReturnRecord.created_at) < end,
        _naming(ReturnRecord.reason, words))).all()
    refunded = session.exec(select(PlatformRefund.order_id).where(
        col(PlatformRefund.first_seen_at) >= start, col(PlatformRefund.first_seen_at) < end,
        col(PlatformRefund.order_id).is_not(None), _naming(PlatformRefund.reason, words))).all()
    return {order_id for order_id in (*returned, *refunded) if order_id is not None}


def wrong_shipments(session: Session, start: datetime, end: datetime) -> int:
    """Orders whose after-sale reason, first given in the span, names a wrong item."""
    return len(_after_sale_orders(session, start, end, WRONG_ITEM_WORDS))


def missed_shipments(session: Session, start: datetime, end: datetime) -> int:
    """Orders with an after-sale reason naming missing items, or whose lock expired unshipped, in the span."""
    expired = session.exec(select(Hold.order_id).where(
        Hold.kind == HoldKind.LOCK_EXPIRED, col(Hold.opened_at) >= start, col(Hold.opened_at) < end)).all()
    return len(_after_sale_orders(session, start, end, MISSING_ITEM_WORDS) | set(expired))


def duplicate_shipments(session: Session, start: datetime, end: datetime) -> int:
    """Pairs of suspected duplicates that both shipped under different waybills, the second in the span."""
    shipped_now = session.exec(
        select(Order.id, Order.shipped_at, Order.waybill, Hold.reason)
        .join(Hold, col(Hold.order_id) == col(Order.id))
        .where(col(Order.shipped_at) >= start, col(Order.shipped_at) < end,
               Hold.kind == HoldKind.DUPLICATE_SUSPECT)).all()
    partners: dict[int, set[int]] = {}
    this: dict[int, tuple[datetime, str | None]] = {}
    for order_id, shipped_at, waybill, reason in shipped_now:
        partners.setdefault(order_id, set()).update(partner_ids(reason))
        this[order_id] = (shipped_at, waybill)
    # Holds on the partner naming this order count too (the hold names the other side).
    if this:
        for order_id, reason in session.exec(select(Hold.order_id, Hold.reason).where(
                Hold.kind == HoldKind.DUPLICATE_SUSPECT, col(Hold.order_id).not_in(list(this)))).all():
            for named in partner_ids(reason):
                if named in partners:
                    partners[named].add(order_id)
    for order_id, named in list(partners.items()):  # either side's hold makes them a pair
        for partner in named:
            if partner in partners:
                partners[partner].add(order_id)
    wanted = sorted({p for ps in partners.values() for p in ps})
    others = {row[0]: (row[1], row[2]) for row in session.exec(
        select(Order.id, Order.shipped_at, Order.waybill).where(col(Order.id).in_(wanted),
                                                                col(Order.shipped_at).is_not(None))).all()}
    pairs: set[tuple[int, int]] = set()
    for order_id, named in partners.items():
        shipped_at, waybill = this[order_id]
        for partner in named - {order_id}:
            if partner not in others:
                continue
            partner_at, partner_waybill = others[partner]
            if waybill is not None and waybill == partner_waybill:
                continue  # merged into one parcel: one shipment
            # The pair belongs to the span in which its second order shipped (ties: the higher id).
            if (partner_at, partner) < (shipped_at, order_id):
                pairs.add((min(order_id, partner), max(order_id, partner)))
    return len(pairs)


def approval_seconds(session: Session, start: datetime, end: datetime) -> list[int]:
    """Whole seconds from request to decision of the approvals decided in the span."""
    rows = session.exec(select(ApprovalRequest.requested_at, ApprovalRequest.decided_at).where(
        col(ApprovalRequest.decided_at) >= start, col(ApprovalRequest.decided_at) < end)).all()
    return [max(0, int((decided - requested).total_seconds())) for requested, decided in rows]
