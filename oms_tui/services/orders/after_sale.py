"""After-sales the platform reports for orders that have already left: a refund or closure after
shipping cannot cancel anything, so it becomes a return/refund record for a person to follow up
(the goods may come back; the returns screen receives them against this record)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from oms_tui.models import Order, RefundStatus, ReturnRecord
from oms_tui.services.core import audit

PLATFORM_REASON_PREFIX = "platform after-sale: "


def record_platform_refund(session: Session, order: Order, *, platform_status: str, user: str) -> ReturnRecord | None:
    """One refund record per order for the platform's after-sale, however its status moves on
    (refunding → TRADE_CLOSED must not owe the money twice); None if it exists already."""
    reason = f"{PLATFORM_REASON_PREFIX}{platform_status or 'refunded after shipping'}"[:300]
    existing = session.exec(
        select(ReturnRecord).where(ReturnRecord.order_id == order.id,
                                   col(ReturnRecord.reason).startswith(PLATFORM_REASON_PREFIX))
    ).first()
    if existing is not None:
        return None
    record = ReturnRecord(order_id=order.id, reason=reason, refund_fen=order.paid_fen,
                          refund_status=RefundStatus.PENDING, created_by=user)
    session.add(record)
    session.flush()
    audit.record(session, user, "order.after_sale", "order", order.id, platform_status=platform_status,
                 return_id=record.id, refund_fen=order.paid_fen)
    return record
