"""A customer's history across platforms and the credit summary computed from it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from oms_tui.models import (
    Order,
    OrderLine,
    OrderStatus,
    PlatformRefund,
    RefundState,
    RefundStatus,
    ReturnLine,
    ReturnRecord,
)
from oms_tui.services.customers.identity import customer_group, root_customer


@dataclass(frozen=True)
class HistoryOrder:
    id: int
    platform: str
    platform_order_id: str
    status: str
    created_at: datetime
    paid_fen: int
    courier: str | None
    waybill: str | None
    customer_id: int | None


@dataclass(frozen=True)
class HistoryReturn:
    id: int
    order_id: int
    platform_order_id: str
    created_at: datetime
    units: int
    refund_fen: int
    refund_status: str
    reason: str


@dataclass(frozen=True)
class CustomerHistory:
    """One customer (with everyone merged into them) across platforms: figures and the recent rows."""

    customer_id: int  # the root
    customer_ids: list[int]
    name: str
    phone: str | None
    is_vip: bool
    order_count: int
    paid_fen: int  # paid on orders not cancelled
    cancelled_count: int
    shipped_count: int  # shipped or delivered
    shipped_units: int
    returned_units: int
    refund_fen: int
    platforms: dict[str, int]
    first_order_at: datetime | None
    last_order_at: datetime | None
    orders: list[HistoryOrder]  # newest first, at most ``limit``
    returns: list[HistoryReturn]  # newest first
    # The platforms' refund and after-sale requests (PlatformRefund): those that paid money back, and the
    # disputes — an after-sale request on a shipped order that the seller or the platform closed unpaid.
    platform_refunds: int = 0
    disputes: int = 0

    def as_dict(self) -> dict:
        data = asdict(self)
        for key in ("first_order_at", "last_order_at"):
            data[key] = data[key].isoformat() if data[key] else None
        for row in data["orders"] + data["returns"]:
            row["created_at"] = row["created_at"].isoformat()
        return data


_SHIPPED = (OrderStatus.SHIPPED, OrderStatus.DELIVERED)


def customer_history(session: Session, customer_id: int, *, limit: int = 100) -> CustomerHistory:
    """Orders, returns, cancellations and amounts of a customer and everyone merged into them."""
    root = root_customer(session, customer_id)
    group = customer_group(session, root.id)
    in_group = col(Order.customer_id).in_(group)
    by_status = dict(session.exec(
        select(Order.status, func.count()).where(in_group).group_by(Order.status)).all())
    paid = session.exec(select(func.coalesce(func.sum(Order.paid_fen), 0))
                        .where(in_group, Order.status != OrderStatus.CANCELLED)).one()
    platforms = dict(session.exec(select(Order.platform, func.count()).where(in_group).group_by(Order.platform)).all())
    first, last = session.exec(select(func.min(Order.created_at), func.max(Order.created_at)).where(in_group)).one()
    shipped_units = session.exec(
        select(func.coalesce(func.sum(OrderLine.qty), 0)).join(Order, col(Order.id) == col(OrderLine.order_id))
        .where(in_group, col(Order.status).in_(_SHIPPED))).one()
    rows = session.exec(
        select(Order).where(in_group).order_by(col(Order.created_at).desc(), col(Order.id).desc()).limit(limit))
    orders = [HistoryOrder(o.id, o.platform, o.platform_order_id, o.status, o.created_at, o.paid_fen,
                           o.courier, o.waybill, o.customer_id) for o in rows]
    units = (select(ReturnLine.return_id, func.sum(ReturnLine.qty).label("units"))
             .group_by(ReturnLine.return_id).subquery())
    returns = [
        HistoryReturn(r.id, r.order_id, poid, r.created_at, int(u or 0), r.refund_fen, r.refund_status,
                      r.reason)
        for r, poid, u in session.exec(
            select(ReturnRecord, Order.platform_order_id, units.c.units)
            .join(Order, col(Order.id) == col(ReturnRecord.order_id))
            .outerjoin(units, units.c.return_id == col(ReturnRecord.id))
            .where(in_group).order_by(col(ReturnRecord.created_at).desc(), col(ReturnRecord.id).desc()))
    ]
    refund_states = session.exec(
        select(PlatformRefund.state, Order.status, func.count())
        .join(Order, col(Order.id) == col(PlatformRefund.order_id)).where(in_group)
        .group_by(PlatformRefund.state, Order.status)).all()
    platform_refunds = sum(n for state, _status, n in refund_states if state == RefundState.REFUNDED)
    disputes = sum(n for state, status, n in refund_states if state == RefundState.CLOSED and status in _SHIPPED)
    return CustomerHistory(
        platform_refunds=platform_refunds, disputes=disputes,
        customer_id=root.id, customer_ids=group, name=root.name, phone=root.phone_norm, is_vip=root.is_vip,
        order_count=sum(by_status.values()), paid_fen=int(paid), cancelled_count=by_status.get(OrderStatus.CANCELLED, 0),
        shipped_count=sum(by_status.get(s, 0) for s in _SHIPPED), shipped_units=int(shipped_units),
        returned_units=sum(r.units for r in returns),
        refund_fen=sum(r.refund_fen for r in returns if r.refund_status != RefundStatus.REFUSED),
        platforms=platforms, first_order_at=first, last_order_at=last, orders=orders,
        returns=returns,
    )


@dataclass(frozen=True)
class CreditSummary:
    score: int  # 0–100
    level: str  # "good", "normal", "watch"
    cancel_percent: int
    return_percent: int


def credit_summary(history: CustomerHistory) -> CreditSummary:
    """A 0–100 score from the history, for CS and approvers to weigh a request.

    score = 60 + 3 × shipped orders (at most +30) + 10 if VIP
            − 40 × cancelled ÷ orders − 40 × returned units ÷ shipped units
            − 5 × platform refunds paid (at most −20) − 10 × disputes (at most −30), kept within 0–100;
    80 and above is "good", below 50 "watch". A new customer starts at 60 ("normal"). The README's
    *Approvals* section gives the same formula for the leads who read the score.
    """
    cancel_percent = history.cancelled_count * 100 // history.order_count if history.order_count else 0
    return_percent = min(100, history.returned_units * 100 // history.shipped_units) if history.shipped_units else 0
    score = 60 + min(30, 3 * history.shipped_count) + (10 if history.is_vip else 0)
    score -= (40 * cancel_percent) // 100 + (40 * return_percent) // 100
    score -= min(20, 5 * history.platform_refunds) + min(30, 10 * history.disputes)
    score = max(0, min(100, score))
    level = "good" if score >= 80 else "normal" if score >= 50 else "watch"
    return CreditSummary(score, level, cancel_percent, return_percent)
