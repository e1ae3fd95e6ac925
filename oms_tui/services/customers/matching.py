"""Whether two orders are one customer's, and on what basis."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression
from sqlmodel import Session, col, select

from oms_tui.i18n import N_
from oms_tui.models import (
    Customer,
    Order,
    OrderLine,
)
from oms_tui.names import PLATFORM_NAMES
from oms_tui.phrases import phrase
from oms_tui.services.customers.identity import customer_group
from oms_tui.services.customers.normalize import (
    PhoneInfo,
    PhoneKind,
    address_key,
    classify_phone,
    plain_text,
)


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
    address_id: str = ""  # the platform's opaque address id (Douyin open_address_id); compared within a platform

    @property
    def masked(self) -> bool:
        return self.phone.kind in (PhoneKind.MASKED, PhoneKind.ENCRYPTED)


def order_identity(order) -> Identity:  # noqa: ANN001 - an Order or a NormalizedOrder
    """The identity of an order's receiver (works on a stored Order and on a NormalizedOrder). Ciphertext
    counts for nothing: an encrypted phone is ``ENCRYPTED``, an encrypted name or detail line is left out."""
    return Identity(
        platform=order.platform, buyer_id=plain_text(order.buyer_id).strip(), phone=classify_phone(order.receiver_phone),
        name=plain_text(order.receiver_name).strip(),
        address_key=address_key(order.receiver_province, order.receiver_city, order.receiver_district,
                                plain_text(order.receiver_address)),
        customer_id=getattr(order, "customer_id", None),
        address_id=(getattr(order, "receiver_address_id", "") or "").strip(),
    )


class BasisKind(StrEnum):
    MOBILE = "mobile"  # the same full mobile number
    BUYER_ID = "buyer_id"  # the same platform buyer id
    CUSTOMER = "customer"  # the same customer record (merged by CS, or identified earlier)
    MASKED = "masked"  # compatible masked phones + the same address key (+ compatible name masks)


@dataclass(frozen=True)
class MatchBasis:
    """Why two orders are taken to be one customer's, in words a person can check (``text``: a stored phrase)."""

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
            return MatchBasis(BasisKind.MOBILE, phrase(N_("same mobile {mobile}"), mobile=pa.value))
        if not same_customer:
            return None
    same_address_id = bool(a.address_id) and a.platform == b.platform and a.address_id == b.address_id
    same_address = same_address_id or (a.address_key == b.address_key and address_usable(a.address_key))
    if a.buyer_id and a.platform == b.platform and a.buyer_id == b.buyer_id:
        text = phrase(N_("same {platform} buyer id {buyer}"), platform=PLATFORM_NAMES.get(a.platform, a.platform),
                      buyer=a.buyer_id, translated=("platform",))
        if same_address_id:
            text = phrase(N_("{basis} + same open address id"), basis=text)
        elif same_address:
            text = phrase(N_("{basis} + address key {key}"), basis=text, key=a.address_key)
        if a.masked or b.masked:
            text = phrase(N_("{basis} (phone masked)"), basis=text)
        return MatchBasis(BasisKind.BUYER_ID, text)
    if same_customer:
        return MatchBasis(BasisKind.CUSTOMER, phrase(N_("same customer #{customer}"), customer=a.customer_id)
                          if a.customer_id == b.customer_id else
                          phrase(N_("merged customers #{first} and #{second}"), first=a.customer_id,
                                 second=b.customer_id))
    if (PhoneKind.MASKED in (pa.kind, pb.kind) and phones_compatible(pa, pb) and same_address
            and names_compatible(a.name, b.name)):
        text = (phrase(N_("masked phone {phone} ≈ {other} + same open address id"), phone=pa.value, other=pb.value)
                if same_address_id else
                phrase(N_("masked phone {phone} ≈ {other} + address key {key}"), phone=pa.value, other=pb.value,
                       key=a.address_key))
        if a.name and b.name:
            text = phrase(N_("{basis} + name {name} ≈ {other}"), basis=text, name=a.name, other=b.name)
        return MatchBasis(BasisKind.MASKED, text)
    return None


def identity_basis(identity: Identity) -> str:
    """What this receiver can be recognised by, and how far that goes (for the review screen), as a phrase."""
    phone = identity.phone
    if phone.kind == PhoneKind.MOBILE:
        return phrase(N_("mobile {mobile}"), mobile=phone.value)
    parts = []
    if identity.buyer_id:
        parts.append(phrase(N_("{platform} buyer id {buyer}"), platform=PLATFORM_NAMES.get(
            identity.platform or "", identity.platform or ""), buyer=identity.buyer_id, translated=("platform",)))
    if phone.kind == PhoneKind.MASKED:
        parts.append(phrase(N_("masked phone {phone}"), phone=phone.value))
    elif phone.kind == PhoneKind.ENCRYPTED:
        parts.append(phrase(N_("encrypted phone")))
    elif phone.kind == PhoneKind.LANDLINE:
        parts.append(phrase(N_("landline {phone}"), phone=phone.value))
    if address_usable(identity.address_key):
        parts.append(phrase(N_("address key {key}"), key=identity.address_key))
    if identity.address_id:
        parts.append(phrase(N_("open address id")))
    if identity.name:
        parts.append(phrase(N_("name {name}"), name=identity.name))
    if not parts:
        return phrase(N_("nothing to recognise the receiver by"))
    text = parts[0]
    for part in parts[1:]:
        text = phrase(N_("{basis} + {more}"), basis=text, more=part)
    if phone.kind == PhoneKind.MASKED and not identity.buyer_id:
        text = phrase(N_("{basis} (a masked phone cannot identify alone)"), basis=text)
    return text


def window_terms(session: Session, since: datetime, until: datetime, statuses: Iterable[str] | None = None) -> list:
    """The conditions "created in [since, until]" (and "in one of ``statuses``") on candidate orders that are
    found through their customers' index (``order.customer_id``).

    On SQLite each column is written ``+column``, SQLite's documented way to keep a term from choosing the
    index: otherwise it walks ``(status, created_at)`` over every open order of the window — on a Double 11
    day a hundred thousand orders per batch, growing with the day's orders, where the customers at the
    batch's addresses have a few. PostgreSQL weighs the two with its statistics."""
    created, status = col(Order.created_at), col(Order.status)
    if session.get_bind().dialect.name == "sqlite":
        created = UnaryExpression(created, operator=operators.custom_op("+"), type_=created.type)
        status = UnaryExpression(status, operator=operators.custom_op("+"), type_=status.type)
    terms = [created >= since, created <= until]
    if statuses is not None:
        terms.append(status.in_([str(s) for s in statuses]))
    return terms


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
    if mine.address_id:  # masked receivers at one address on one platform (the index ix_order_receiver_address_id)
        ids.update(i for i in session.exec(select(Order.customer_id).where(
            Order.platform == order.platform, Order.receiver_address_id == mine.address_id)) if i is not None)
    if not ids:
        return []
    stmt = select(Order).where(col(Order.customer_id).in_(sorted(ids)), Order.id != order.id,
                               *window_terms(session, since, until, statuses))
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
