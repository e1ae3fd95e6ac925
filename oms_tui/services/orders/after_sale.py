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


def platform_records(session: Session, order_id: int) -> list[ReturnRecord]:
    """The order's after-sale records made from the platform (trade closed or refund requested after shipping)."""
    return list(session.exec(select(ReturnRecord).where(ReturnRecord.order_id == order_id,
                                                        col(ReturnRecord.reason).startswith(PLATFORM_REASON_PREFIX))
                             .order_by(col(ReturnRecord.id))))


def record_platform_after_sale(session: Session, order: Order, *, refund_id: str, reason: str, refund_fen: int,
                               refund_status: RefundStatus, user: str) -> ReturnRecord:
    """An after-sale record for one refund the buyer asked the platform for after shipping: the returns
    desk sees it (the goods may come back) and the refund owed follows the platform's decision."""
    text = f"{PLATFORM_REASON_PREFIX}{refund_id} {reason or '-'}"[:300]
    record = ReturnRecord(order_id=order.id, reason=text, refund_fen=max(0, refund_fen),
                          refund_status=refund_status, created_by=user)
    session.add(record)
    session.flush()
    audit.record(session, user, "order.after_sale", "order", order.id, refund=refund_id, return_id=record.id,
                 refund_fen=record.refund_fen, refund_status=str(refund_status))
    return record


def set_refund_status(session: Session, record: ReturnRecord, status: RefundStatus, *, user: str) -> None:
    """The platform decided the refund of an after-sale record (agreed, paid or refused)."""
    old = record.refund_status
    record.refund_status = status
    session.add(record)
    audit.record(session, user, "order.after_sale.status", "order", record.order_id, return_id=record.id,
                 **{"from": old, "to": str(status)})
