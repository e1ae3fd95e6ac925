"""Warehouses, suppliers and SKUs: finding them by code or scanned barcode, adding them."""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from oms_tui.errors import NotFound, ValidationError
from oms_tui.i18n import N_
from oms_tui.limits import require_fen, require_quantity
from oms_tui.models import Sku, SkuBarcode, StockLevel, Supplier, Warehouse
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor, require

MAX_LEAD_DAYS = 365  # a supplier that needs longer is ordered from by hand


def ean13_check_digit(first12: str) -> int:
    """Mod-10 check digit of an EAN-13: weights 1,3,1,3… from the left."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return (10 - total % 10) % 10


def is_valid_ean13(code: str) -> bool:
    # ASCII only: a gun types ASCII digits, and '²' or full-width '６' would pass str.isdigit
    return len(code) == 13 and code.isascii() and code.isdigit() and ean13_check_digit(code[:12]) == int(code[12])


def get_warehouse(session: Session, code: str) -> Warehouse:
    wh = session.exec(select(Warehouse).where(Warehouse.code == code)).first()
    if wh is None:
        known = ", ".join(session.exec(select(Warehouse.code).order_by(col(Warehouse.code)))) or "-"
        raise NotFound(N_("unknown warehouse {code!r}; known: {known}"), code=code, known=known)
    return wh


def default_warehouse(session: Session, code: str | None = None) -> Warehouse:
    """The configured warehouse, else the first one; a database without any is an error."""
    if code:
        wh = session.exec(select(Warehouse).where(Warehouse.code == code)).first()
        if wh is not None:
            return wh
    wh = session.exec(select(Warehouse).order_by(col(Warehouse.id))).first()
    if wh is None:
        raise NotFound(N_("no warehouse defined: run `oms init --demo` or add one"))
    return wh


def find_sku(session: Session, code_or_barcode: str) -> Sku | None:
    """A SKU by its code or any of its barcodes (what a gun types), or None."""
    text = code_or_barcode.strip()
    if not text:
        return None
    sku = session.exec(select(Sku).where(Sku.code == text)).first()
    if sku is not None:
        return sku
    return session.exec(
        select(Sku).join(SkuBarcode, col(SkuBarcode.sku_id) == col(Sku.id)).where(SkuBarcode.barcode == text)
    ).first()


def get_sku(session: Session, code_or_barcode: str) -> Sku:
    sku = find_sku(session, code_or_barcode)
    if sku is None:
        raise NotFound(N_("unknown SKU or barcode {code!r}"), code=code_or_barcode)
    return sku


def add_warehouse(session: Session, code: str, name: str, *, province: str | None = None, city: str | None = None,
                  user: str = "system") -> Warehouse:
    wh = Warehouse(code=code, name=name, province=province, city=city)
    session.add(wh)
    session.flush()
    audit.record(session, user, "warehouse.add", "warehouse", code, name=name)
    return wh


def _lead_days(days: int) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_LEAD_DAYS:
        raise ValidationError(N_("a supplier's lead time is 0 to {most} days, got {days}"), most=MAX_LEAD_DAYS,
                              days=days)
    return days


def _email(text: str) -> str:
    """A supplier's address as stored: one plain address, or "" for none."""
    text = (text or "").strip()
    if not text:
        return ""
    try:
        address = Address(addr_spec=text)
    except (ValueError, IndexError, TypeError):
        address = None
    if address is None or not address.username or "." not in address.domain or len(text) > 200:
        raise ValidationError(N_("not an e-mail address: {value!r}"), value=text[:80])
    return address.addr_spec


def add_supplier(session: Session, code: str, name: str, *, contact: str | None = None, phone: str | None = None,
                 lead_days: int = 7, email: str = "", user: str = "system") -> Supplier:
    supplier = Supplier(code=code, name=name, contact=contact, phone=phone, lead_days=_lead_days(lead_days),
                        email=_email(email))
    session.add(supplier)
    session.flush()
    audit.record(session, user, "supplier.add", "supplier", code, name=name)
    return supplier


def add_sku(
    session: Session,
    code: str,
    name: str,
    *,
    barcodes: list[str] = (),  # type: ignore[assignment]
    spec: str = "",
    unit: str = "件",
    category: str = "",
    tags: list[str] = (),  # type: ignore[assignment]
    supplier_code: str | None = None,
    bin_location: str = "",
    cost_fen: int = 0,
    price_fen: int = 0,
    safety_stock: int = 0,
    user: str = "system",
) -> Sku:
    """Add a SKU with its barcodes and an empty stock level in every warehouse."""
    if not code.strip() or not name.strip():
        raise ValidationError(N_("a SKU needs a code and a name"))
    require_fen(cost_fen, N_("cost"))
    require_fen(price_fen, N_("price"))
    require_quantity(safety_stock, N_("safety stock"), allow_zero=True)
    for barcode in barcodes:
        if barcode.isdigit() and len(barcode) == 13 and not is_valid_ean13(barcode):
            raise ValidationError(N_("barcode {barcode} has a wrong EAN-13 check digit"), barcode=barcode)
    supplier_id = get_supplier(session, supplier_code).id if supplier_code else None
    sku = Sku(code=code.strip(), name=name.strip(), spec=spec, unit=unit, category=category, tags=",".join(tags),
              supplier_id=supplier_id, bin_location=bin_location, cost_fen=cost_fen, price_fen=price_fen,
              safety_stock=safety_stock)
    session.add(sku)
    session.flush()
    for barcode in barcodes:
        session.add(SkuBarcode(barcode=barcode, sku_id=sku.id))
    for wh_id in session.exec(select(Warehouse.id)):
        session.add(StockLevel(warehouse_id=wh_id, sku_id=sku.id))
    audit.record(session, user, "sku.add", "sku", sku.code, name=name, barcodes=list(barcodes))
    return sku


def get_supplier(session: Session, code: str) -> Supplier:
    supplier = session.exec(select(Supplier).where(Supplier.code == code)).first()
    if supplier is None:
        known = ", ".join(session.exec(select(Supplier.code).order_by(col(Supplier.code)))) or "-"
        raise NotFound(N_("unknown supplier {code!r}; known: {known}"), code=code, known=known)
    return supplier


def set_supplier(session: Session, actor: Actor, code: str, *, lead_days: int | None = None,
                 email: str | None = None) -> Supplier:
    """Change a supplier's lead time (purchase suggestions) or e-mail address (the weekly mail; "" for none)."""
    require(actor, "stock.purchase")
    supplier = get_supplier(session, code)
    changes = {}
    if lead_days is not None:
        supplier.lead_days = changes["lead_days"] = _lead_days(lead_days)
    if email is not None:
        supplier.email = changes["email"] = _email(email)
    if changes:
        session.add(supplier)
        audit.record(session, actor.name, "supplier.change", "supplier", supplier.code, **changes)
    return supplier


def set_sku_purchasing(session: Session, actor: Actor, code: str, *, safety_stock: int | None = None,
                       supplier_code: str | None = None) -> Sku:
    """Change a SKU's safety stock or supplier (what the purchase suggestions use)."""
    require(actor, "stock.purchase")
    sku = get_sku(session, code)
    changes: dict = {}
    if safety_stock is not None:
        sku.safety_stock = changes["safety_stock"] = require_quantity(safety_stock, N_("safety stock"),
                                                                      allow_zero=True)
    if supplier_code is not None:
        sku.supplier_id = get_supplier(session, supplier_code).id
        changes["supplier"] = supplier_code
    if changes:
        session.add(sku)
        audit.record(session, actor.name, "sku.purchasing", "sku", sku.code, **changes)
    return sku


def search_skus_clause(text: str):
    """WHERE clause matching a SKU by code prefix, name or spec substring, or exact barcode.
    '%' and '_' in ``text`` are themselves, not LIKE wildcards."""
    barcode_match = select(SkuBarcode.sku_id).where(SkuBarcode.barcode == text)
    return or_(
        col(Sku.code).startswith(text, autoescape=True),
        col(Sku.name).contains(text, autoescape=True),
        col(Sku.spec).contains(text, autoescape=True),
        col(Sku.id).in_(barcode_match),
    )


def count_skus(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Sku)).one()


@dataclass(frozen=True)
class SkuHit:
    code: str
    name: str
    spec: str


def find_skus(session: Session, text: str, *, limit: int = 8) -> list[SkuHit]:
    """SKUs by code prefix, name or spec, or exact barcode (palette jump)."""
    text = text.strip()
    if not text:
        return []
    stmt = select(Sku.code, Sku.name, Sku.spec).where(search_skus_clause(text)).order_by(col(Sku.code)).limit(limit)
    return [SkuHit(*row) for row in session.exec(stmt)]
