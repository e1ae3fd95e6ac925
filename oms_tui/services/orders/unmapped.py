"""Orders held for platform SKUs we cannot resolve, and what happens when CS maps one.

``unmapped_skus`` lists the platform SKUs behind open ``sku_unmapped`` holds (what the SKU mapping
screen shows). ``map_platform_sku`` saves CS's mapping (``catalogue.sku_mapping``) and, in the same
transaction, re-runs every held order with that platform SKU: its lines are resolved (a bundle expanded
into its components), the hold resolved once no line is left unknown, stock locked if available, the
status settled — so the order is ready at once, or short, or still held for its other reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from oms_tui.models import Hold, HoldKind, Order, OrderLine, OrderStatus
from oms_tui.services.catalogue import sku_mapping
from oms_tui.services.core.actor import Actor, require
from oms_tui.services.orders import allocation, holds
from oms_tui.services.orders import lines as order_lines
from oms_tui.services.orders.lifecycle import PRE_PICK, fully_locked, lock_for_change, settle_status

# How many held orders one mapping re-runs in its transaction (the rest are re-run by the next save of
# the same mapping or by ``rerun_held``; a shop with more held orders than this for one SKU is rare).
MAX_RERUN = 2000


@dataclass(frozen=True)
class UnmappedSku:
    """A platform SKU that holds orders: what the platform said and how much waits for it."""

    shop: str
    platform: str
    platform_item_id: str
    platform_sku_id: str
    code: str  # the merchant's outer code, or the platform's id behind a marker when it had none
    title: str
    orders: int
    units: int
    oldest: datetime

    @property
    def key(self) -> str:
        return "\t".join((self.shop, self.platform_item_id, self.platform_sku_id, self.code))


_HELD = (select(Hold.order_id).where(Hold.kind == HoldKind.SKU_UNMAPPED, col(Hold.resolved_at).is_(None)))


def unmapped_skus(session: Session, *, shop: str | None = None, limit: int = 200) -> list[UnmappedSku]:
    """The platform SKUs behind open ``sku_unmapped`` holds, the one holding most orders first. Lines are
    one platform SKU when they share its ids (the outer code may differ between orders); lines without
    ids (an imported file) are one when they share the code."""
    stmt = (select(Order.shop, Order.platform, OrderLine.platform_item_id, OrderLine.platform_sku_id,
                   OrderLine.sku_code, OrderLine.title, Order.id, OrderLine.qty, Order.created_at)
            .join(OrderLine, col(OrderLine.order_id) == col(Order.id))
            .where(col(OrderLine.sku_id).is_(None), col(Order.id).in_(_HELD),
                   col(Order.status).in_([str(s) for s in PRE_PICK]))
            .order_by(col(Order.id), col(OrderLine.id)))
    if shop:
        stmt = stmt.where(Order.shop == shop)
    groups: dict[tuple, dict] = {}
    for shop_, platform, item, sku, code, title, order_id, qty, created in session.exec(stmt):
        key = (shop_, item, sku) if (item or sku) else (shop_, "", "", code)
        group = groups.setdefault(key, {"row": (shop_, platform, item, sku, code, title), "orders": set(),
                                        "units": 0, "oldest": created})
        if not group["row"][5] and title:
            group["row"] = (*group["row"][:5], title)
        group["orders"].add(order_id)
        group["units"] += qty
        group["oldest"] = min(group["oldest"], created)
    rows = [UnmappedSku(*g["row"], len(g["orders"]), g["units"], g["oldest"]) for g in groups.values()]
    return sorted(rows, key=lambda r: (-r.orders, r.oldest, r.key))[:limit]


def _held_orders(session: Session, *, shop: str, platform_item_id: str, platform_sku_id: str,
                 code: str = "") -> list[Order]:
    line = select(OrderLine.order_id).where(col(OrderLine.sku_id).is_(None))
    if platform_sku_id:
        line = line.where(OrderLine.platform_sku_id == platform_sku_id)
    elif platform_item_id:
        line = line.where(OrderLine.platform_item_id == platform_item_id, OrderLine.platform_sku_id == "")
    else:
        line = line.where(OrderLine.sku_code == code, OrderLine.platform_item_id == "",
                          OrderLine.platform_sku_id == "")
    return list(session.exec(select(Order).where(Order.shop == shop, col(Order.id).in_(line),
                                                 col(Order.id).in_(_HELD))
                             .order_by(col(Order.paid_at), col(Order.id)).limit(MAX_RERUN)))


@dataclass
class RerunResult:
    orders: list[str] = field(default_factory=list)  # platform order ids whose lines were resolved now
    released: list[str] = field(default_factory=list)  # of those, no line left unknown: hold resolved
    ready: list[str] = field(default_factory=list)  # of those, ready to pick (stock locked, nothing else open)
    short: list[str] = field(default_factory=list)  # of those, waiting for stock


def rerun_order(session: Session, order: Order, *, user: str, resolver: sku_mapping.Resolver | None = None,
                result: RerunResult | None = None) -> RerunResult:
    """Resolve a held order's unknown lines with today's mappings and let it go on as far as it can."""
    result = result or RerunResult()
    if lock_for_change(session, order) not in PRE_PICK:
        return result  # cancelled or on the floor meanwhile
    if not order_lines.resolve_lines(session, order, resolver=resolver):
        return result
    result.orders.append(order.platform_order_id)
    left = order_lines.still_unresolved(session, order)
    if left:
        order_lines.hold_unresolved(session, order, left, user=user)  # the reason names what is left
    else:
        holds.resolve_open(session, order, HoldKind.SKU_UNMAPPED, user=user, resolution="platform SKU mapped")
        result.released.append(order.platform_order_id)
    if not fully_locked(session, order):
        allocation.lock_order(session, order, user=user)
    status = settle_status(session, order, user=user)
    if status == OrderStatus.READY:
        result.ready.append(order.platform_order_id)
    elif status == OrderStatus.SHORT:
        result.short.append(order.platform_order_id)
    return result


def rerun_held(session: Session, *, shop: str, platform_item_id: str = "", platform_sku_id: str = "",
               code: str = "", user: str) -> RerunResult:
    """Re-run every order held for this platform SKU (see ``rerun_order``), oldest paid first."""
    result = RerunResult()
    resolver = sku_mapping.Resolver(session)
    for order in _held_orders(session, shop=shop, platform_item_id=platform_item_id.strip(),
                              platform_sku_id=platform_sku_id.strip(), code=code.strip()):
        rerun_order(session, order, user=user, resolver=resolver, result=result)
    return result


@dataclass(frozen=True)
class MapOutcome:
    mapping_id: int
    components: str  # as typed back: TW-001*3, MB-001
    rerun: RerunResult


def map_platform_sku(session: Session, *, shop: str, platform: str, platform_item_id: str = "",
                     platform_sku_id: str = "", components: Sequence[tuple[str, int]], title: str = "",
                     outer_code: str = "", actor: Actor) -> MapOutcome:
    """Map a platform SKU to our SKU or bundle, once, and release every order held for it at once."""
    require(actor, "skus.map")
    item, sku = platform_item_id.strip(), platform_sku_id.strip()
    mapping = sku_mapping.save_mapping(session, shop=shop, platform=platform, platform_item_id=item,
                                       platform_sku_id=sku, components=components, title=title,
                                       outer_code=outer_code, actor=actor)
    rerun = rerun_held(session, shop=shop, platform_item_id=item, platform_sku_id=sku, code=outer_code,
                       user=actor.name)
    parts = sku_mapping.parts_of(session, mapping.id)
    return MapOutcome(mapping.id, ", ".join(p.code if p.qty == 1 else f"{p.code}*{p.qty}" for p in parts), rerun)
