"""Customer look-up: a phone, a platform order number, a waybill or a buyer id → the customer(s) and
all their orders on every platform, newest first, with status and tracking.

What the query is decides where it looks:

- a mainland mobile (any spelling: ``+86 138-0013-8000``) → customers with that number, and orders
  whose receiver phone is that number or its Taobao/JD mask (``138****8000``; such a match rests on
  the mask only and says so);
- a masked phone (``138****5678``, PDD ``1*********5``) → orders showing that very mask, and
  customers whose number fits it — possible matches, never certain ones;
- anything else → a platform order number, then a waybill (the order's or its parcel's), then a
  platform buyer id.

Matched orders lead to their customers (with everyone merged into them), whose orders are listed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from oms_tui.errors import ValidationError
from oms_tui.i18n import N_
from oms_tui.models import Customer, Order
from oms_tui.names import PLATFORM_NAMES
from oms_tui.phrases import english, phrase
from oms_tui.services.customers import identity, normalize
from oms_tui.services.customers.normalize import PhoneKind
from oms_tui.services.orders import queries
from oms_tui.services.orders.queries import ReferenceBasis
from oms_tui.services.shipping import tracking

DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class LookupCustomer:
    id: int
    name: str
    phone: str | None
    platform: str | None
    buyer_id: str | None
    is_vip: bool
    merged_ids: list[int]  # customers merged into this one
    basis: str  # why this customer answers the query (a phrase: ``phrases.render`` shows it)


@dataclass(frozen=True)
class LookupOrder:
    id: int
    platform: str
    platform_order_id: str
    shop: str
    status: str
    created_at: datetime
    paid_fen: int
    receiver_name: str
    receiver_phone: str
    courier: str | None
    waybill: str | None
    customer_id: int | None
    matched: bool  # the query itself found this order (the others are the same customer's)
    tracking_state: str = ""  # a TrackState once the parcel is tracked
    last_event: str = ""  # the courier's newest event, as it wrote it


@dataclass(frozen=True)
class LookupResult:
    query: str
    kind: str  # mobile, masked_phone, order, waybill, order_id, landline, buyer_id, none
    basis: str  # a phrase
    customers: list[LookupCustomer] = field(default_factory=list)
    orders: list[LookupOrder] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.orders or self.customers)


_REFERENCE_KINDS = {ReferenceBasis.PLATFORM_ORDER_ID: "order", ReferenceBasis.WAYBILL: "waybill",
                    ReferenceBasis.ORDER_ID: "order_id"}
_REFERENCE_BASES = {ReferenceBasis.PLATFORM_ORDER_ID: N_("order number {text}"),
                    ReferenceBasis.WAYBILL: N_("waybill {text}"), ReferenceBasis.ORDER_ID: N_("our order #{text}")}


def _like_pattern(mask: str) -> str:
    """A masked phone as a SQL LIKE pattern: every '*' stands for one digit."""
    return mask.replace("*", "_")


def lookup(session: Session, query: str, *, limit: int = DEFAULT_LIMIT) -> LookupResult:
    """The customer(s) the query points at and all their orders, newest first (at most ``limit``)."""
    text = (query or "").strip()
    if not text:
        raise ValidationError(N_("type a phone number, a platform order number or a waybill"))
    phone = normalize.classify_phone(text)
    matched_orders: list[Order] = []
    matched_customers: dict[int, str] = {}  # customer id → basis
    if phone.kind == PhoneKind.MOBILE:
        kind, mobile = "mobile", phone.value
        mask = mobile[:3] + "****" + mobile[-4:]
        basis = phrase(N_("mobile {mobile}"), mobile=mobile)
        for customer_id in session.exec(select(Customer.id).where(Customer.phone_norm == mobile)):
            matched_customers[customer_id] = basis
        for order in session.exec(select(Order).where(col(Order.receiver_phone).in_([mobile, text, mask]))
                                  .limit(limit)):
            matched_orders.append(order)
            if order.customer_id is not None and order.customer_id not in matched_customers:
                masked = normalize.classify_phone(order.receiver_phone).kind == PhoneKind.MASKED
                matched_customers[order.customer_id] = (phrase(
                    N_("masked phone {mask} on {platform} {order} (mask only: possible)"), mask=mask,
                    platform=PLATFORM_NAMES.get(order.platform, order.platform), order=order.platform_order_id,
                    translated=("platform",)) if masked else basis)
    elif phone.kind == PhoneKind.MASKED:
        kind, basis = "masked_phone", phrase(N_("masked phone {phone} (possible matches: a mask cannot identify "
                                                "alone)"), phone=phone.value)
        for order in session.exec(select(Order).where(col(Order.receiver_phone).in_([text, phone.value])).limit(limit)):
            matched_orders.append(order)
            if order.customer_id is not None:
                matched_customers.setdefault(order.customer_id, phrase(N_("shows the mask {phone}"),
                                                                       phone=phone.value))
        if phone.mobile_pattern:
            for customer_id, number in session.exec(
                    select(Customer.id, Customer.phone_norm)
                    .where(col(Customer.phone_norm).like(_like_pattern(phone.mobile_pattern))).limit(limit)):
                matched_customers.setdefault(customer_id, phrase(N_("mobile {mobile} fits {phone}"), mobile=number,
                                                                 phone=phone.value))
    else:
        kind, basis = "none", phrase(N_("nothing found"))
        # The rule every order look-up shares; the same number on two platforms shows both here.
        named = queries.match_reference(session, text, limit=limit)
        if named is not None:
            matched_orders = named.orders
            kind, basis = _REFERENCE_KINDS[named.basis], phrase(_REFERENCE_BASES[named.basis], text=text)
        if not matched_orders and phone.kind == PhoneKind.LANDLINE:
            matched_orders = list(session.exec(select(Order).where(Order.receiver_phone == text).limit(limit)))
            if matched_orders:
                kind, basis = "landline", phrase(N_("landline {phone}"), phone=text)
        for order in matched_orders:
            if order.customer_id is not None:
                matched_customers.setdefault(order.customer_id, phrase(
                    N_("{basis} ({platform} {order})"), basis=basis, platform=PLATFORM_NAMES.get(
                        order.platform, order.platform), order=order.platform_order_id, translated=("platform",)))
        if not matched_orders:
            for customer_id, platform in session.exec(select(Customer.id, Customer.platform)
                                                      .where(Customer.buyer_id == text).limit(limit)):
                matched_customers[customer_id] = phrase(N_("{platform} buyer id {buyer}"), platform=PLATFORM_NAMES.get(
                    platform or "", platform or ""), buyer=text, translated=("platform",))
            if matched_customers:
                kind, basis = "buyer_id", phrase(N_("buyer id {buyer}"), buyer=text)
    return _assemble(session, text, kind, basis, matched_orders, matched_customers, limit)


def _assemble(session: Session, text: str, kind: str, basis: str, matched_orders: list[Order],
              matched_customers: dict[int, str], limit: int) -> LookupResult:
    roots: dict[int, tuple[Customer, list[int], str]] = {}
    for customer_id, why in matched_customers.items():
        root = identity.root_customer(session, customer_id)
        if root.id not in roots:
            roots[root.id] = (root, identity.customer_group(session, root.id), why)
    all_ids = sorted({i for _root, group, _why in roots.values() for i in group})
    direct = {o.id for o in matched_orders}
    found: dict[int, Order] = {o.id: o for o in matched_orders}
    if all_ids:
        for order in session.exec(select(Order).where(col(Order.customer_id).in_(all_ids))
                                  .order_by(col(Order.created_at).desc(), col(Order.id).desc()).limit(limit)):
            found.setdefault(order.id, order)
    ordered = sorted(found.values(), key=lambda o: (o.created_at, o.id), reverse=True)[:limit]
    return LookupResult(
        query=text, kind=kind, basis=basis,
        customers=[LookupCustomer(c.id, c.name, c.phone_norm, c.platform, c.buyer_id, c.is_vip,
                                  [i for i in group if i != c.id], why)
                   for c, group, why in sorted(roots.values(), key=lambda r: r[0].id)],
        orders=[_lookup_order(session, o, o.id in direct) for o in ordered],
    )


def _lookup_order(session: Session, o: Order, matched: bool) -> LookupOrder:
    state = last = ""
    if o.parcel_id is not None and o.waybill:
        followed = tracking.tracking_for_order(session, o, limit=1)
        if followed is not None:
            state = followed.state
            last = followed.events[0].context if followed.events else ""
    return LookupOrder(o.id, o.platform, o.platform_order_id, o.shop, o.status, o.created_at, o.paid_fen,
                       o.receiver_name, o.receiver_phone, o.courier, o.waybill, o.customer_id, matched, state, last)


def lookup_as_dict(session: Session, query: str, *, limit: int = DEFAULT_LIMIT) -> dict:
    """``lookup`` as plain JSON-ready values (``oms orders lookup QUERY --format json``)."""
    return result_as_dict(lookup(session, query, limit=limit))


def result_as_dict(result: LookupResult) -> dict:
    """A look-up's result as plain JSON-ready values, its texts in English."""
    data = asdict(result)
    data["basis"] = english(result.basis)  # scripts read one language
    for customer in data["customers"]:
        customer["basis"] = english(customer["basis"])
    for order in data["orders"]:
        order["created_at"] = order["created_at"].isoformat()
    data["found"] = result.found
    return data
