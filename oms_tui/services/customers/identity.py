"""The customer record: one person across platforms, found by mobile, else by buyer id; merging."""

from __future__ import annotations

from sqlmodel import Session, col, select

from oms_tui.errors import NotFound, ValidationError
from oms_tui.i18n import N_
from oms_tui.models import (
    Customer,
    Order,
)
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor, require
from oms_tui.services.customers.normalize import address_key, normalize_mobile, plain_text


def identify(session: Session, *, platform: str, buyer_id: str, name: str, phone: str, province: str, city: str,
             district: str, address: str) -> Customer:
    """The customer this order belongs to, created on first sight. Platform ciphertext in any field is
    neither matched on nor kept (each buyer's differs, and nobody can read it)."""
    name, buyer_id, address = (plain_text(v) for v in (name, buyer_id, address))
    mobile = normalize_mobile(plain_text(phone))
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


def set_vip(session: Session, customer: Customer, vip: bool, *, actor: Actor) -> None:
    """VIP customers are served first when stock arrives and may draw on VIP quota."""
    require(actor, "customers.vip")
    user = actor.name
    if customer.is_vip != vip:
        customer.is_vip = vip
        session.add(customer)
        audit.record(session, user, "customer.vip", "customer", customer.id, vip=vip)


# --- customer records: groups, merging, history -----------------------------------------------------

def get_customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(N_("unknown customer {customer}"), customer=customer_id)
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


def merge_customers(session: Session, keep_id: int, merge_id: int, *, actor: Actor) -> Customer:
    """Fold customer ``merge_id`` into ``keep_id``: its orders move over and it points at ``keep_id``.

    Refused for a customer merged into itself, one already merged, or a target that is itself
    merged (merge into the customer it lives on). The VIP mark carries over. Audited on both.
    """
    require(actor, "customers.merge")
    user = actor.name
    if keep_id == merge_id:
        raise ValidationError(N_("a customer cannot be merged into itself"))
    keep, merged = get_customer(session, keep_id), get_customer(session, merge_id)
    if merged.merged_into_id is not None:
        raise ValidationError(N_("customer {customer} is already merged into customer {into}"), customer=merge_id,
                              into=merged.merged_into_id)
    if keep.merged_into_id is not None:
        raise ValidationError(N_("customer {customer} is merged into customer {into}; merge into that one"),
                              customer=keep_id, into=keep.merged_into_id)
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
