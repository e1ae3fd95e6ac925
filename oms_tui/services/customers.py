"""Customers: one person across platforms, found by mobile number, else by the platform buyer id."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from ..models import Customer
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
    while customer is not None and customer.merged_into_id is not None:
        customer = session.get(Customer, customer.merged_into_id)
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
