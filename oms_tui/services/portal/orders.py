"""A signed-in buyer's own orders, on every platform, with masked receiver data, status and tracking.

Whose orders these are, for a mobile number M the buyer proved with a code:

- orders whose receiver phone *is* M (any spelling of it);
- orders whose receiver phone is masked or encrypted (the platform hid it) and that belong to a customer we
  hold M for in full — or to a customer merged into such a customer by CS.

Never an order matched on a mask alone (``138****8000`` fits thousands of numbers), and never an order whose
receiver phone is another full number, whoever it is filed under: that order is someone else's to see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, or_, select

from oms_tui.models import Customer, Order, OrderLine
from oms_tui.services.customers import identity
from oms_tui.services.customers.normalize import normalize_mobile, plain_text
from oms_tui.services.shipping import tracking as shipping_tracking
from oms_tui.services.shipping.tracking import Tracking

DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class BuyerLine:
    title: str
    qty: int


@dataclass(frozen=True)
class BuyerOrder:
    id: int
    platform: str
    platform_order_id: str
    shop: str
    status: str  # our OrderStatus (names.BUYER_STATUS_NAMES says it the buyer's way)
    created_at: datetime
    paid_fen: int
    receiver_name: str  # masked
    receiver_phone: str  # masked
    receiver_region: str  # province city district; the street address is never shown
    lines: tuple[BuyerLine, ...]
    courier: str | None
    waybill: str | None
    tracking: Tracking | None


def _held_customer_ids(session: Session, phone: str) -> list[int]:
    ids: set[int] = set()
    for customer_id in session.exec(select(Customer.id).where(Customer.phone_norm == phone)):
        ids.update(identity.customer_group(session, customer_id))
    return sorted(ids)


def _is_theirs(order: Order, phone: str, customer_ids: set[int]) -> bool:
    receiver = normalize_mobile(plain_text(order.receiver_phone))
    if receiver is not None:
        return receiver == phone  # a full number decides alone
    return order.customer_id is not None and order.customer_id in customer_ids


def _candidates(session: Session, phone: str, customer_ids: list[int], limit: int) -> list[Order]:
    spellings = {phone, f"+86{phone}", f"+86 {phone}", f"86{phone}", f"{phone[:3]}-{phone[3:7]}-{phone[7:]}",
                 f"{phone[:3]} {phone[3:7]} {phone[7:]}"}
    where = col(Order.receiver_phone).in_(sorted(spellings))
    if customer_ids:
        where = or_(where, col(Order.customer_id).in_(customer_ids))
    return list(session.exec(select(Order).where(where)
                             .order_by(col(Order.created_at).desc(), col(Order.id).desc()).limit(limit * 2)))


def holds_orders_for(session: Session, phone: str) -> bool:
    """Whether the buyer with this full mobile has any order we would show them."""
    customer_ids = _held_customer_ids(session, phone)
    return any(_is_theirs(o, phone, set(customer_ids)) for o in _candidates(session, phone, customer_ids, 5))


def mask_name(name: str) -> str:
    name = plain_text(name).strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, min(len(name) - 1, 2))


def mask_phone(phone: str) -> str:
    mobile = normalize_mobile(plain_text(phone))
    if mobile:
        return f"{mobile[:3]}****{mobile[-4:]}"
    if "*" in phone and not plain_text(phone) == "":
        return phone  # the platform's own mask
    return "***"


def buyer_orders(session: Session, phone: str, *, limit: int = DEFAULT_LIMIT, timeline: int = 30) -> list[BuyerOrder]:
    """The buyer's orders, newest first (at most ``limit``), each with its parcel's timeline (``timeline`` events)."""
    customer_ids = _held_customer_ids(session, phone)
    mine = [o for o in _candidates(session, phone, customer_ids, limit) if _is_theirs(o, phone, set(customer_ids))]
    mine = mine[:limit]
    lines: dict[int, list[BuyerLine]] = {}
    if mine:
        for line in session.exec(select(OrderLine).where(col(OrderLine.order_id).in_([o.id for o in mine]))
                                 .order_by(col(OrderLine.id))):
            lines.setdefault(line.order_id, []).append(BuyerLine(line.title or line.sku_code, line.qty))
    result = []
    for o in mine:
        followed = shipping_tracking.tracking_for_order(session, o, limit=timeline) if o.waybill else None
        region = " ".join(plain_text(p) for p in (o.receiver_province, o.receiver_city, o.receiver_district) if p)
        result.append(BuyerOrder(o.id, o.platform, o.platform_order_id, o.shop, o.status, o.created_at, o.paid_fen,
                                 mask_name(o.receiver_name), mask_phone(o.receiver_phone), region,
                                 tuple(lines.get(o.id, ())), o.courier, o.waybill, followed))
    return result
