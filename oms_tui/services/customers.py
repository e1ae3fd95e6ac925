"""Customers: one person across platforms, found by mobile number, else by the platform buyer id.

Beyond the record itself: what a receiver phone field holds (``classify_phone``), whether two
orders are one customer's and on what basis (``order_identity`` / ``match_basis``), merging two
customer records, and a customer's history across platforms with a credit summary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import Session, col, select

from ..errors import NotFound, ValidationError
from ..models import Customer, Order, OrderLine, OrderStatus, ReturnLine, ReturnRecord
from . import audit

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "特别行政区", "省", "市")


def normalize_mobile(raw: str | None) -> str | None:
    """An 11-digit mainland mobile number from '+86 138-0013-8000' and the like; None if masked or not one."""
    if not raw:
        return None
    digits = re.sub(r"[\s\-()]", "", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if _MOBILE.match(digits) else None


def normalize_province(name: str) -> str:
    """'浙江省' and '浙江' compare equal; so do '上海市' and '上海'."""
    name = (name or "").strip()
    for suffix in _PROVINCE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def address_key(province: str, city: str, district: str, address: str) -> str:
    """A comparable key for one delivery address: suffix-free province, no spaces or punctuation."""
    detail = re.sub(r"[\s,，.。#\-]", "", address or "")
    return "|".join([normalize_province(province), (city or "").strip(), (district or "").strip(), detail])[:200]


def identify(session: Session, *, platform: str, buyer_id: str, name: str, phone: str, province: str, city: str,
             district: str, address: str) -> Customer:
    """The customer this order belongs to, created on first sight."""
    mobile = normalize_mobile(phone)
    customer = None
    if mobile:
        customer = session.exec(select(Customer).where(Customer.phone_norm == mobile)).first()
    if customer is None and buyer_id:
        customer = session.exec(
            select(Customer).where(Customer.platform == platform, Customer.buyer_id == buyer_id)
        ).first()
    if customer is not None:
        customer = root_customer(session, customer.id)
    if customer is None:
        customer = Customer(name=name, phone_norm=mobile, platform=platform, buyer_id=buyer_id or None,
                            province=province, city=city, district=district, address=address,
                            address_key=address_key(province, city, district, address))
        session.add(customer)
        session.flush()
    return customer


def add_customer(session: Session, *, name: str, phone: str | None = None, platform: str | None = None,
                 buyer_id: str | None = None, province: str = "", city: str = "", district: str = "",
                 address: str = "", is_vip: bool = False, user: str = "system") -> Customer:
    """Register a customer by hand (a VIP list, a wholesale buyer) before their first order."""
    customer = Customer(name=name, phone_norm=normalize_mobile(phone), platform=platform, buyer_id=buyer_id or None,
                        province=province, city=city, district=district, address=address,
                        address_key=address_key(province, city, district, address), is_vip=is_vip)
    session.add(customer)
    session.flush()
    audit.record(session, user, "customer.add", "customer", customer.id, name=name, vip=is_vip)
    return customer


def set_vip(session: Session, customer: Customer, vip: bool, *, user: str) -> None:
    """VIP customers are served first when stock arrives and may draw on VIP quota."""
    if customer.is_vip != vip:
        customer.is_vip = vip
        session.add(customer)
        audit.record(session, user, "customer.vip", "customer", customer.id, vip=vip)


# --- receiver data as the platforms hand it: full, masked or encrypted -----------------------------
#
# Platforms now mask receiver data (Taobao/JD ``138****5678``, ``张**``; PDD ``1*********5``,
# ``林*坤``) or encrypt it (PDD ``~AgAAAA…~0~~``). A masked phone narrows a person down but never
# identifies one: only together with the address key (and the name mask, when both sides have a
# name) do two masked receivers count as the same customer, and every match says what it rests on.

class PhoneKind(StrEnum):
    MOBILE = "mobile"  # a full mainland mobile number
    MASKED = "masked"  # digits and '*': 138****5678, 1*********5, 0571-****6666
    LANDLINE = "landline"  # area code + number (+ extension), or a 400/800 service number
    ENCRYPTED = "encrypted"  # platform ciphertext: present, but nothing to compare
    MISSING = "missing"
    INVALID = "invalid"


@dataclass(frozen=True)
class PhoneInfo:
    kind: PhoneKind
    value: str  # the normalized mobile, the mask pattern, the landline digits, or the text as given

    @property
    def usable(self) -> bool:
        """Good enough to deliver to (or the platform has the real one behind the mask/cipher)."""
        return self.kind not in (PhoneKind.MISSING, PhoneKind.INVALID)

    @property
    def mobile_pattern(self) -> str | None:
        """11 characters of digits and '*' for a mobile or a masked mobile; None otherwise."""
        if self.kind in (PhoneKind.MOBILE, PhoneKind.MASKED) and len(self.value) == 11 and self.value[0] == "1":
            return self.value
        return None


_SPACES_PARENS = re.compile(r"[\s()（）]")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(?:[-#转]\d{1,6})?$")
_SERVICE_NUMBER = re.compile(r"^[48]00-?\d{3}-?\d{4}$")


def looks_encrypted(value: str) -> bool:
    """PDD-style ciphertext (``~AgAAAA…~0~~``, ``$Y/YK…$0$$``); same test as platforms.mapping."""
    return len(value) > 4 and value[0] in "~$#" and value[-1] == value[0]


def classify_phone(raw: str | None) -> PhoneInfo:
    """What a receiver phone field holds: a mobile, a masked number, a landline, ciphertext, or junk."""
    text = (raw or "").strip()
    if not text:
        return PhoneInfo(PhoneKind.MISSING, "")
    if looks_encrypted(text):
        return PhoneInfo(PhoneKind.ENCRYPTED, text)
    mobile = normalize_mobile(text)
    if mobile:
        return PhoneInfo(PhoneKind.MOBILE, mobile)
    compact = _SPACES_PARENS.sub("", text).replace("＊", "*")
    if compact.startswith("+86"):
        compact = compact[3:]
    if "*" in compact:
        bare = compact.replace("-", "")
        if bare.startswith("86") and len(bare) == 13:
            bare = bare[2:]
        digits = sum(ch.isdigit() for ch in bare)
        if re.fullmatch(r"[\d*]+", bare) and digits >= 2 and 7 <= len(bare) <= 13:
            return PhoneInfo(PhoneKind.MASKED, bare)
        return PhoneInfo(PhoneKind.INVALID, text)
    if _LANDLINE.match(compact) or _SERVICE_NUMBER.match(compact):
        return PhoneInfo(PhoneKind.LANDLINE, re.sub(r"\D", "", compact))
    return PhoneInfo(PhoneKind.INVALID, text)


def phones_compatible(a: PhoneInfo, b: PhoneInfo) -> bool:
    """Two mobile numbers or masks that could be the same number (every known digit agrees)."""
    pa, pb = a.mobile_pattern, b.mobile_pattern
    if pa is None or pb is None:
        return False
    return all(x == y or "*" in (x, y) for x, y in zip(pa, pb))


def names_compatible(a: str, b: str) -> bool:
    """Receiver names that could be one person: equal, or equal wherever both masks show a character.

    Taobao keeps the first character and always adds ``**`` (whatever the length); PDD keeps the
    first and last (``林*坤``). An empty name says nothing either way.
    """
    a, b = re.sub(r"\s", "", a or ""), re.sub(r"\s", "", b or "")
    if not a or not b:
        return True
    if "*" not in a and "*" not in b:
        return a == b
    if a[0] != "*" and b[0] != "*" and a[0] != b[0]:
        return False
    if len(a) == len(b):
        return all(x == y or "*" in (x, y) for x, y in zip(a, b))
    return True


def address_usable(key: str) -> bool:
    """An address key with a detail line that is more than mask characters."""
    detail = key.rsplit("|", 1)[-1] if key else ""
    return bool(detail.replace("*", ""))


@dataclass(frozen=True)
class Identity:
    """What an order says about who it is for, as the comparisons need it."""

    platform: str
    buyer_id: str
    phone: PhoneInfo
    name: str
    address_key: str
    customer_id: int | None = None

    @property
    def masked(self) -> bool:
        return self.phone.kind in (PhoneKind.MASKED, PhoneKind.ENCRYPTED)


def order_identity(order) -> Identity:  # noqa: ANN001 - an Order or a NormalizedOrder
    """The identity of an order's receiver (works on a stored Order and on a NormalizedOrder)."""
    return Identity(
        platform=order.platform, buyer_id=(order.buyer_id or "").strip(), phone=classify_phone(order.receiver_phone),
        name=(order.receiver_name or "").strip(),
        address_key=address_key(order.receiver_province, order.receiver_city, order.receiver_district,
                                order.receiver_address),
        customer_id=getattr(order, "customer_id", None),
    )


class BasisKind(StrEnum):
    MOBILE = "mobile"  # the same full mobile number
    BUYER_ID = "buyer_id"  # the same platform buyer id
    CUSTOMER = "customer"  # the same customer record (merged by CS, or identified earlier)
    MASKED = "masked"  # compatible masked phones + the same address key (+ compatible name masks)


@dataclass(frozen=True)
class MatchBasis:
    """Why two orders are taken to be one customer's, in words a person can check."""

    kind: BasisKind
    text: str

    @property
    def strong(self) -> bool:
        """False when it rests on masked data (a likely match, not a certain one)."""
        return self.kind != BasisKind.MASKED


def match_basis(a: Identity, b: Identity, *, same_customer: bool = False) -> MatchBasis | None:
    """Whether two receivers are one customer, and on what basis; None when nothing says so.

    Order of evidence: the same full mobile; the same buyer id on the same platform; the same
    customer record (``same_customer``: merged by CS, or found by number/buyer id on intake);
    last, masked phones that agree on every shown digit plus the same address key (and names
    that agree where both show a character). Two different full mobiles are two people unless
    CS merged their customers.
    """
    pa, pb = a.phone, b.phone
    if pa.kind == PhoneKind.MOBILE and pb.kind == PhoneKind.MOBILE:
        if pa.value == pb.value:
            return MatchBasis(BasisKind.MOBILE, f"same mobile {pa.value}")
        if not same_customer:
            return None
    same_address = a.address_key == b.address_key and address_usable(a.address_key)
    if a.buyer_id and a.platform == b.platform and a.buyer_id == b.buyer_id:
        text = f"same {a.platform} buyer id {a.buyer_id}"
        if same_address:
            text += f" + address key {a.address_key}"
        if a.masked or b.masked:
            text += " (phone masked)"
        return MatchBasis(BasisKind.BUYER_ID, text)
    if same_customer:
        return MatchBasis(BasisKind.CUSTOMER, f"same customer #{a.customer_id}" if a.customer_id == b.customer_id
                          else f"merged customers #{a.customer_id} and #{b.customer_id}")
    if (PhoneKind.MASKED in (pa.kind, pb.kind) and phones_compatible(pa, pb) and same_address
            and names_compatible(a.name, b.name)):
        text = f"masked phone {pa.value} ≈ {pb.value} + address key {a.address_key}"
        if a.name and b.name:
            text += f" + name {a.name} ≈ {b.name}"
        return MatchBasis(BasisKind.MASKED, text)
    return None


def identity_basis(identity: Identity) -> str:
    """What this receiver can be recognised by, and how far that goes (for the review screen)."""
    phone = identity.phone
    if phone.kind == PhoneKind.MOBILE:
        return f"mobile {phone.value}"
    parts = []
    if identity.buyer_id:
        parts.append(f"{identity.platform} buyer id {identity.buyer_id}")
    if phone.kind == PhoneKind.MASKED:
        parts.append(f"masked phone {phone.value}")
    elif phone.kind == PhoneKind.ENCRYPTED:
        parts.append("encrypted phone")
    elif phone.kind == PhoneKind.LANDLINE:
        parts.append(f"landline {phone.value}")
    if address_usable(identity.address_key):
        parts.append(f"address key {identity.address_key}")
    if identity.name:
        parts.append(f"name {identity.name}")
    text = " + ".join(parts) or "nothing to recognise the receiver by"
    if phone.kind == PhoneKind.MASKED and not identity.buyer_id:
        text += " (a masked phone cannot identify alone)"
    return text


def related_orders(session: Session, order: Order, *, since: datetime, until: datetime,
                   statuses: Iterable[str] | None = None, sku_codes: Iterable[str] | None = None,
                   other_platforms_only: bool = False, limit: int = 200) -> list[tuple[Order, MatchBasis]]:
    """Other orders created in [since, until] that belong to the same customer, with the basis of each.

    Candidates come through indexes only: the orders of the customer's group, and of every customer
    recorded at the same address key (that is where masked receivers meet: each masked order's
    customer carries the address it came with); ``match_basis`` then decides each candidate.
    A customer known under another address key is found through the group only.
    """
    group = set(customer_group(session, order.customer_id)) if order.customer_id else set()
    ids = set(group)
    mine = order_identity(order)
    if address_usable(mine.address_key):
        ids.update(session.exec(select(Customer.id).where(Customer.address_key == mine.address_key)))
    if not ids:
        return []
    stmt = select(Order).where(col(Order.customer_id).in_(sorted(ids)), Order.id != order.id,
                               col(Order.created_at) >= _utc(since), col(Order.created_at) <= _utc(until))
    if statuses is not None:
        stmt = stmt.where(col(Order.status).in_([str(s) for s in statuses]))
    if other_platforms_only:
        stmt = stmt.where(Order.platform != order.platform)
    if sku_codes is not None:
        codes = sorted(set(sku_codes))
        if not codes:
            return []
        stmt = stmt.where(select(OrderLine.id).where(OrderLine.order_id == Order.id,
                                                     col(OrderLine.sku_code).in_(codes)).exists())
    found = []
    for other in session.exec(stmt.order_by(col(Order.created_at), col(Order.id)).limit(limit)):
        basis = match_basis(mine, order_identity(other), same_customer=other.customer_id in group)
        if basis is not None:
            found.append((other, basis))
    return found


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


# --- customer records: groups, merging, history -----------------------------------------------------

def get_customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"unknown customer {customer_id}")
    return customer


def root_customer(session: Session, customer_id: int) -> Customer:
    """The customer a (possibly merged) customer now lives on."""
    customer = get_customer(session, customer_id)
    seen = {customer.id}
    while customer.merged_into_id is not None and customer.merged_into_id not in seen:
        seen.add(customer.merged_into_id)
        customer = get_customer(session, customer.merged_into_id)
    return customer


def customer_group(session: Session, customer_id: int) -> list[int]:
    """The root of ``customer_id`` and every customer merged into it (directly or through others)."""
    root = root_customer(session, customer_id)
    group = [root.id]
    frontier = [root.id]
    while frontier:
        children = list(session.exec(select(Customer.id).where(col(Customer.merged_into_id).in_(frontier))))
        children = [c for c in children if c not in group]
        group.extend(children)
        frontier = children
    return group


def merge_customers(session: Session, keep_id: int, merge_id: int, *, user: str) -> Customer:
    """Fold customer ``merge_id`` into ``keep_id``: its orders move over and it points at ``keep_id``.

    Refused for a customer merged into itself, one already merged, or a target that is itself
    merged (merge into the customer it lives on). The VIP mark carries over. Audited on both.
    """
    if keep_id == merge_id:
        raise ValidationError("a customer cannot be merged into itself")
    keep, merged = get_customer(session, keep_id), get_customer(session, merge_id)
    if merged.merged_into_id is not None:
        raise ValidationError(f"customer {merge_id} is already merged into customer {merged.merged_into_id}")
    if keep.merged_into_id is not None:
        raise ValidationError(f"customer {keep_id} is merged into customer {keep.merged_into_id}; merge into that one")
    moved = list(session.exec(select(Order).where(Order.customer_id == merged.id)))
    for order in moved:
        order.customer_id = keep.id
        session.add(order)
    # Customers merged into the one going away now point straight at the one kept.
    for child in session.exec(select(Customer).where(Customer.merged_into_id == merged.id)):
        child.merged_into_id = keep.id
        session.add(child)
    merged.merged_into_id = keep.id
    session.add(merged)
    if merged.is_vip and not keep.is_vip:
        keep.is_vip = True
        session.add(keep)
    session.flush()
    audit.record(session, user, "customer.merge", "customer", keep.id, merged=merged.id,
                 orders=[o.id for o in moved], vip=keep.is_vip)
    audit.record(session, user, "customer.merged_into", "customer", merged.id, into=keep.id, orders=len(moved))
    return keep


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
    orders = [HistoryOrder(o.id, o.platform, o.platform_order_id, o.status, _aware(o.created_at), o.paid_fen,
                           o.courier, o.waybill, o.customer_id) for o in rows]
    units = (select(ReturnLine.return_id, func.sum(ReturnLine.qty).label("units"))
             .group_by(ReturnLine.return_id).subquery())
    returns = [
        HistoryReturn(r.id, r.order_id, poid, _aware(r.created_at), int(u or 0), r.refund_fen, r.refund_status,
                      r.reason)
        for r, poid, u in session.exec(
            select(ReturnRecord, Order.platform_order_id, units.c.units)
            .join(Order, col(Order.id) == col(ReturnRecord.order_id))
            .outerjoin(units, units.c.return_id == col(ReturnRecord.id))
            .where(in_group).order_by(col(ReturnRecord.created_at).desc(), col(ReturnRecord.id).desc()))
    ]
    return CustomerHistory(
        customer_id=root.id, customer_ids=group, name=root.name, phone=root.phone_norm, is_vip=root.is_vip,
        order_count=sum(by_status.values()), paid_fen=int(paid), cancelled_count=by_status.get(OrderStatus.CANCELLED, 0),
        shipped_count=sum(by_status.get(s, 0) for s in _SHIPPED), shipped_units=int(shipped_units),
        returned_units=sum(r.units for r in returns),
        refund_fen=sum(r.refund_fen for r in returns if r.refund_status != "refused"),
        platforms=platforms, first_order_at=_aware(first), last_order_at=_aware(last), orders=orders,
        returns=returns,
    )


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands times back without their zone; they are stored UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


@dataclass(frozen=True)
class CreditSummary:
    score: int  # 0–100
    level: str  # "good", "normal", "watch"
    cancel_percent: int
    return_percent: int


def credit_summary(history: CustomerHistory) -> CreditSummary:
    """A 0–100 score from the history, for CS and approvers to weigh a request.

    score = 60 + 3 × shipped orders (at most +30) + 10 if VIP
            − 40 × cancelled ÷ orders − 40 × returned units ÷ shipped units, kept within 0–100;
    80 and above is "good", below 50 "watch". A new customer starts at 60 ("normal").
    """
    cancel_percent = history.cancelled_count * 100 // history.order_count if history.order_count else 0
    return_percent = min(100, history.returned_units * 100 // history.shipped_units) if history.shipped_units else 0
    score = 60 + min(30, 3 * history.shipped_count) + (10 if history.is_vip else 0)
    score -= (40 * cancel_percent) // 100 + (40 * return_percent) // 100
    score = max(0, min(100, score))
    level = "good" if score >= 80 else "normal" if score >= 50 else "watch"
    return CreditSummary(score, level, cancel_percent, return_percent)
