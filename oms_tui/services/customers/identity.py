"""The customer record: one person across platforms, found by mobile, else by buyer id; merging."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert
from sqlmodel import Session, col, select

from oms_tui.errors import NotFound, ValidationError
from oms_tui.i18n import N_
from oms_tui.models import (
    Customer,
    Order,
    utcnow,
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


@dataclass(frozen=True)
class Buyer:
    """What an order says about its buyer, as ``identify`` reads it."""

    platform: str
    buyer_id: str
    name: str
    phone: str
    province: str
    city: str
    district: str
    address: str


def identify_many(session: Session, buyers: Sequence[Buyer]) -> list[int]:
    """The customer id of each buyer, as ``identify`` one after another would find or create them, in a few
    queries: the customers by mobile, by buyer id and the customers they are merged into, then the new ones
    in one multi-row INSERT (a buyer met twice in ``buyers`` is created once)."""
    keys = []
    for b in buyers:
        name, buyer_id, address = (plain_text(v) for v in (b.name, b.buyer_id, b.address))
        keys.append((normalize_mobile(plain_text(b.phone)), buyer_id, name, address))
    mobiles = sorted({mobile for mobile, *_rest in keys if mobile})
    buyer_ids = sorted({(b.platform, k[1]) for b, k in zip(buyers, keys) if k[1]})
    by_mobile: dict[str, int] = {}
    by_buyer: dict[tuple[str, str], int] = {}
    merged: dict[int, int | None] = {}
    c = Customer.__table__.c
    if mobiles:
        for cid, mobile, into in session.execute(select(c.id, c.phone_norm, c.merged_into_id)
                                                 .where(c.phone_norm.in_(mobiles)).order_by(c.id)):
            by_mobile.setdefault(mobile, cid)
            merged[cid] = into
    for platform in sorted({p for p, _b in buyer_ids}):
        wanted = [b for p, b in buyer_ids if p == platform]
        for cid, buyer_id, into in session.execute(select(c.id, c.buyer_id, c.merged_into_id)
                                                   .where(c.platform == platform, c.buyer_id.in_(wanted))
                                                   .order_by(c.id)):
            by_buyer.setdefault((platform, buyer_id), cid)
            merged[cid] = into
    pending = {into for into in merged.values() if into is not None and into not in merged}
    while pending:  # the customers merged ones live on (chains are short: merging points at the one kept)
        for cid, into in session.execute(select(c.id, c.merged_into_id).where(c.id.in_(sorted(pending)))):
            merged[cid] = into
        pending = {into for into in merged.values() if into is not None and into not in merged}

    def root(cid: int) -> int:
        seen = {cid}
        while merged.get(cid) is not None and merged[cid] not in seen:
            cid = merged[cid]
            seen.add(cid)
        return cid

    found: list[int | tuple[str, int]] = []
    new_rows: list[dict] = []
    for b, (mobile, buyer_id, name, address) in zip(buyers, keys):
        hit = by_mobile.get(mobile) if mobile else None
        if hit is None and buyer_id:
            hit = by_buyer.get((b.platform, buyer_id))
        if hit is not None:
            found.append(root(hit) if isinstance(hit, int) else hit)
            continue
        placeholder = ("new", len(new_rows))
        new_rows.append(dict(name=name, phone_norm=mobile, platform=b.platform, buyer_id=buyer_id or None,
                             province=b.province, city=b.city, district=b.district, address=address,
                             address_key=address_key(b.province, b.city, b.district, address), is_vip=False,
                             merged_into_id=None, created_at=utcnow()))
        if mobile:
            by_mobile[mobile] = placeholder
        if buyer_id:
            by_buyer[(b.platform, buyer_id)] = placeholder
        found.append(placeholder)
    new_ids: list[int] = []
    if new_rows:
        # One multi-row INSERT; its rows come back matched by what they hold (asking the driver for the
        # parameters' order makes SQLite insert one row at a time). Two rows that hold the same are two
        # customers nobody can tell apart, so either id fits either.
        shown = ("name", "phone_norm", "platform", "buyer_id", "province", "city", "district", "address")
        ids_by_row: dict[tuple, list[int]] = {}
        for cid, *values in session.execute(insert(Customer.__table__).returning(c.id, *(c[k] for k in shown)),
                                            new_rows):
            ids_by_row.setdefault(tuple(values), []).append(cid)
        for ids in ids_by_row.values():
            ids.sort(reverse=True)
        new_ids = [ids_by_row[tuple(row[k] for k in shown)].pop() for row in new_rows]
    return [new_ids[f[1]] if isinstance(f, tuple) else f for f in found]


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
