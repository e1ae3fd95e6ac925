"""Reading orders: by id or reference, filtered pages, lines and holds, palette hits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from oms_tui.errors import NotFound, ValidationError
from oms_tui.i18n import N_
from oms_tui.limits import MAX_ID
from oms_tui.models import (
    Hold,
    Order,
    OrderLine,
    OrderStatus,
    Platform,
)


def find_order(session: Session, platform: str, platform_order_id: str) -> Order | None:
    return session.exec(
        select(Order).where(Order.platform == platform, Order.platform_order_id == platform_order_id)
    ).first()


# --- reading ---------------------------------------------------------------------------------

def get_order(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(f"unknown order {order_id}")
    return order


def find_by_reference(session: Session, reference: str) -> Order:
    """An order by the platform's order id, its waybill or our id. The same number on two platforms
    is refused as ambiguous rather than answered with whichever row comes first."""
    text = reference.strip()
    found = list(session.exec(select(Order).where(Order.platform_order_id == text).order_by(col(Order.id)).limit(2)))
    if not found:
        found = list(session.exec(select(Order).where(Order.waybill == text).order_by(col(Order.id)).limit(2)))
    # Our id is ASCII digits in the key's range: '²' and full-width '１２' pass str.isdigit, and a longer
    # number would overflow the driver before it reached the table.
    if not found and text.isascii() and text.isdigit() and int(text) <= MAX_ID:
        order = session.get(Order, int(text))
        found = [order] if order is not None else []
    if not found:
        raise NotFound(f"no order {reference!r}")
    if len(found) > 1:
        where = ", ".join(f"{o.platform} #{o.id}" for o in found)
        raise ValidationError(f"{reference!r} matches several orders ({where}): give our order id instead")
    return found[0]


@dataclass
class OrderFilter:
    status: str | None = None
    platform: str | None = None
    since: datetime | None = None
    search: str | None = None

    def apply(self, stmt):
        if self.status:
            if self.status not in {s.value for s in OrderStatus}:
                raise ValidationError(f"unknown status {self.status!r}; one of: {', '.join(s.value for s in OrderStatus)}")
            stmt = stmt.where(Order.status == self.status)
        if self.platform:
            if self.platform not in {p.value for p in Platform}:
                raise ValidationError(N_("unknown platform {platform!r}; one of: {known}"), platform=self.platform,
                                      known=", ".join(p.value for p in Platform))
            stmt = stmt.where(Order.platform == self.platform)
        if self.since:
            stmt = stmt.where(col(Order.created_at) >= self.since)
        if self.search:
            text = self.search.strip()
            stmt = stmt.where((Order.platform_order_id == text) | (Order.waybill == text)
                              | col(Order.receiver_name).startswith(text, autoescape=True))
        return stmt


def list_orders(session: Session, flt: OrderFilter | None = None, *, limit: int = 50, offset: int = 0) -> list[Order]:
    """One page of orders, newest first."""
    if limit <= 0 or offset < 0:
        raise ValidationError("limit must be positive and offset zero or more")
    stmt = (flt or OrderFilter()).apply(select(Order))
    return list(session.exec(stmt.order_by(col(Order.created_at).desc(), col(Order.id).desc())
                             .limit(limit).offset(offset)))


def count_orders(session: Session, flt: OrderFilter | None = None) -> int:
    stmt = (flt or OrderFilter()).apply(select(func.count()).select_from(Order))
    return session.exec(stmt).one()


def lines_of(session: Session, order_ids: list[int]) -> dict[int, list[OrderLine]]:
    result: dict[int, list[OrderLine]] = {i: [] for i in order_ids}
    if order_ids:
        for line in session.exec(select(OrderLine).where(col(OrderLine.order_id).in_(order_ids))
                                 .order_by(col(OrderLine.id))):
            result[line.order_id].append(line)
    return result


def open_holds_of(session: Session, order_ids: list[int]) -> dict[int, list[Hold]]:
    result: dict[int, list[Hold]] = {i: [] for i in order_ids}
    if order_ids:
        for hold in session.exec(select(Hold).where(col(Hold.order_id).in_(order_ids),
                                                    col(Hold.resolved_at).is_(None)).order_by(col(Hold.id))):
            result[hold.order_id].append(hold)
    return result


def as_dicts(session: Session, orders: list[Order]) -> list[dict]:
    """Orders as plain dicts for `--format json`; lines and open holds fetched in two queries."""
    ids = [o.id for o in orders]
    lines = lines_of(session, ids)
    open_ = open_holds_of(session, ids)
    return [
        {
            "id": o.id, "platform": o.platform, "platform_order_id": o.platform_order_id, "shop": o.shop,
            "status": o.status, "total_fen": o.total_fen, "paid_fen": o.paid_fen,
            "created_at": o.created_at.isoformat(), "paid_at": o.paid_at.isoformat() if o.paid_at else None,
            "receiver_name": o.receiver_name, "receiver_province": o.receiver_province,
            "receiver_city": o.receiver_city, "waybill": o.waybill, "courier": o.courier,
            "holds": [{"id": h.id, "kind": h.kind, "blocking": h.blocking, "reason": h.reason} for h in open_[o.id]],
            "lines": [{"sku": line.sku_code, "title": line.title, "qty": line.qty, "price_fen": line.price_fen,
                       "locked_qty": line.locked_qty} for line in lines[o.id]],
        }
        for o in orders
    ]


def order_references(session: Session, order_ids: list[int]) -> dict[int, str]:
    """Order id → the platform's order id, for the ids on one page of ledger rows."""
    ids = sorted({i for i in order_ids if i is not None})
    if not ids:
        return {}
    return dict(session.exec(select(Order.id, Order.platform_order_id).where(col(Order.id).in_(ids))).all())


@dataclass(frozen=True)
class OrderHit:
    id: int
    platform: str
    platform_order_id: str
    status: str
    receiver_name: str


def find_orders(session: Session, text: str, *, limit: int = 8) -> list[OrderHit]:
    """Orders whose platform order id starts with ``text`` or whose waybill is ``text`` (palette jump)."""
    text = text.strip()
    if not text:
        return []
    stmt = (
        select(Order.id, Order.platform, Order.platform_order_id, Order.status, Order.receiver_name)
        .where(col(Order.platform_order_id).startswith(text, autoescape=True) | (Order.waybill == text))
        .order_by(col(Order.platform_order_id))
        .limit(limit)
    )
    return [OrderHit(*row) for row in session.exec(stmt)]
