"""Waves: ready orders picked together, the parcels they leave in, and the aggregated pick list.

A wave takes ready orders with no open blocking hold that are in no other wave (filtered by
region, platform and single- or multi-item), moves them to ``picking`` and groups them into
parcels: orders to the same receiver at the same address share one parcel, except those customer
service marked ``no_merge``, which always ship on their own.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import bindparam, case, func, literal
from sqlmodel import Session, col, select

from oms_tui.errors import NotFound, ValidationError
from oms_tui.i18n import N_
from oms_tui.limits import MAX_ID
from oms_tui.models import (
    Hold,
    Order,
    OrderLine,
    OrderStatus,
    Parcel,
    Sku,
    Warehouse,
    Wave,
    WaveStatus,
    utcnow,
)
from oms_tui.services.catalogue import couriers
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor, require
from oms_tui.services.customers import normalize
from oms_tui.services.floor.print_request import PrintOutcome, request_print
from oms_tui.services.orders import actions

ItemsFilter = Literal["single", "multi"] | None
MAX_WAVE_ORDERS = 1000
DONE_STATUSES = (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED)


@dataclass(frozen=True)
class WaveFilter:
    """Which ready orders a wave takes; empty fields do not filter."""

    province: str | None = None
    city: str | None = None
    platform: str | None = None
    items: ItemsFilter = None
    warehouse_id: int | None = None

    def __post_init__(self) -> None:
        if self.items not in (None, "single", "multi"):
            raise ValidationError(N_("items must be 'single', 'multi' or empty, got {items!r}"), items=self.items)

    def where(self, stmt):
        blocking = (
            select(Hold.id)
            .where(Hold.order_id == Order.id, col(Hold.resolved_at).is_(None), col(Hold.blocking).is_(True))
            .exists()
        )
        # 'ready' written into the statement, not bound: the planner then reads ix_order_wave_candidates
        # (a partial index on exactly these two terms) whatever plan it caches.
        ready = col(Order.status) == literal(OrderStatus.READY.value, literal_execute=True)
        stmt = stmt.where(ready, col(Order.wave_id).is_(None), ~blocking)
        if self.warehouse_id is not None:
            stmt = stmt.where(Order.warehouse_id == self.warehouse_id)
        province = normalize.normalize_province(self.province or "")
        if province:
            stmt = stmt.where(col(Order.receiver_province).startswith(province, autoescape=True))
        city = (self.city or "").strip().removesuffix("市")
        if city:
            stmt = stmt.where(col(Order.receiver_city).startswith(city, autoescape=True))
        if self.platform:
            stmt = stmt.where(Order.platform == self.platform)
        if self.items:
            units = (select(func.coalesce(func.sum(OrderLine.qty), 0)).where(OrderLine.order_id == Order.id)
                     .scalar_subquery())
            stmt = stmt.where(units == 1 if self.items == "single" else units > 1)
        return stmt

    def as_dict(self) -> dict:
        return {"province": self.province or None, "city": self.city or None, "platform": self.platform or None,
                "items": self.items}


def candidate_orders(session: Session, *, province: str | None = None, city: str | None = None,
                     platform: str | None = None, items: ItemsFilter = None, limit: int = 200,
                     warehouse_id: int | None = None, for_update: bool = False) -> list[Order]:
    """Ready orders a new wave would take, oldest paid first."""
    if limit <= 0:
        raise ValidationError(N_("limit must be positive"))
    flt = WaveFilter(province, city, platform, items, warehouse_id)
    stmt = flt.where(select(Order)).order_by(col(Order.paid_at), col(Order.id)).limit(limit)
    if for_update:
        # Two terminals building waves at once never take the same order (PostgreSQL; SQLite's
        # BEGIN IMMEDIATE already serializes writers).
        stmt = stmt.with_for_update(of=Order, skip_locked=True)
    return list(session.exec(stmt))


def count_candidates(session: Session, *, province: str | None = None, city: str | None = None,
                     platform: str | None = None, items: ItemsFilter = None,
                     warehouse_id: int | None = None, cap: int | None = None) -> int:
    """How many ready orders match (the preview before a wave is created); with ``cap``, counting stops
    past it (the answer is then ``cap + 1``): a backlog of 100k ready orders is "10,000+" at once."""
    flt = WaveFilter(province, city, platform, items, warehouse_id)
    if cap is None:
        return session.exec(flt.where(select(func.count()).select_from(Order))).one()
    matching = flt.where(select(Order.id)).limit(cap + 1).subquery()
    return session.exec(select(func.count()).select_from(matching)).one()


def _parcel_partners(session: Session, taken: list[Order]) -> list[Order]:
    """Ready orders that share a CS-formed parcel with one taken but did not match the filters:
    a parcel is picked and packed whole."""
    parcel_ids = {o.parcel_id for o in taken if o.parcel_id is not None}
    if not parcel_ids:
        return []
    have = {o.id for o in taken}
    partners = session.exec(select(Order).where(col(Order.parcel_id).in_(parcel_ids), Order.status == OrderStatus.READY,
                                                col(Order.wave_id).is_(None))).all()
    return [o for o in partners if o.id not in have]


def form_parcel(session: Session, members: list[Order], *, user: str) -> Parcel:
    """CS decided these orders go out as one parcel; the next wave that takes one takes them all."""
    parcel = Parcel(address_key=merge_key(members[0]))
    session.add(parcel)
    session.flush()
    for order in members:
        order.parcel_id = parcel.id
        order.no_merge = False
        session.add(order)
    audit.record(session, user, "parcel.form", "parcel", parcel.id, orders=[o.platform_order_id for o in members])
    return parcel


def merge_key(order: Order) -> str:
    """Orders with equal keys go to the same receiver at the same address and may share a parcel."""
    address = normalize.address_key(order.receiver_province, order.receiver_city, order.receiver_district,
                                    order.receiver_address)
    name = re.sub(r"\s", "", order.receiver_name or "")
    phone = normalize.normalize_mobile(order.receiver_phone) or re.sub(r"[\s\-]", "", order.receiver_phone or "")
    return f"{address}|{name}|{phone}"[:300]


def create_wave(session: Session, warehouse: Warehouse, *, courier: str, province: str | None = None,
                city: str | None = None, platform: str | None = None, items: ItemsFilter = None,
                max_orders: int = 200, actor: Actor) -> Wave:
    """Take up to ``max_orders`` matching ready orders into a new wave; they go to ``picking``.

    Each order gets the wave, its parcel and the courier. A ValidationError when nothing matches.
    """
    require(actor, "waves.create")
    user = actor.name
    couriers.get_courier(courier)
    if isinstance(max_orders, bool) or not isinstance(max_orders, int) or not 0 < max_orders <= MAX_WAVE_ORDERS:
        raise ValidationError(N_("a wave takes 1 to {max} orders, not {asked!r}"), max=MAX_WAVE_ORDERS,
                              asked=max_orders)
    flt = WaveFilter(province, city, platform, items, warehouse.id)
    taken = candidate_orders(session, province=province, city=city, platform=platform, items=items,
                             limit=max_orders, warehouse_id=warehouse.id, for_update=True)
    if not taken:
        raise ValidationError(N_("no ready orders match this choice"))
    taken += _parcel_partners(session, taken)
    wave = Wave(code=f"tmp-{uuid.uuid4().hex[:16]}", warehouse_id=warehouse.id, status=WaveStatus.PICKING,
                created_by=user, courier=courier, filters=json.dumps(flt.as_dict() | {"max_orders": max_orders},
                                                                ensure_ascii=False))
    session.add(wave)
    session.flush()
    wave.code = f"W{wave.created_at:%y%m%d}-{wave.id:05d}"
    session.add(wave)

    groups: dict[str | int, list[Order]] = {}
    for order in taken:
        # CS's decisions first: a parcel CS formed (merged duplicates, even masked ones the address
        # cannot match), or no_merge — this order ships alone; the others to that address still share.
        if order.parcel_id is not None:
            key: str | int = f"parcel:{order.parcel_id}"
        else:
            key = order.id if order.no_merge else merge_key(order)
        groups.setdefault(key, []).append(order)
    for members in groups.values():
        parcel = session.get(Parcel, members[0].parcel_id) if members[0].parcel_id is not None else None
        if parcel is None:
            parcel = Parcel(address_key=merge_key(members[0]))
        parcel.wave_id, parcel.courier = wave.id, courier
        session.add(parcel)
        session.flush()
        for order in members:
            actions.start_picking(session, order, user=user)
            order.wave_id = wave.id
            order.parcel_id = parcel.id
            order.courier = courier
            session.add(order)
            audit.record(session, user, "order.wave", "order", order.id, wave=wave.code, parcel=parcel.id,
                         courier=courier)
        audit.record(session, user, "parcel.create", "parcel", parcel.id, wave=wave.code,
                     orders=[o.platform_order_id for o in members])
    session.flush()
    audit.record(session, user, "wave.create", "wave", wave.code, warehouse=warehouse.code, courier=courier,
                 orders=len(taken), parcels=len(groups), **flt.as_dict())
    return wave


def get_wave(session: Session, ref: int | str) -> Wave:
    """A wave by id or code."""
    wave = None
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isascii() and ref.isdigit()):  # not '²' or '１'
        wave = session.get(Wave, int(ref)) if 0 < int(ref) <= MAX_ID else None
    if wave is None and isinstance(ref, str):
        wave = session.exec(select(Wave).where(Wave.code == ref.strip())).first()
    if wave is None:
        raise NotFound(N_("unknown wave {wave!r}"), wave=ref)
    return wave


def wave_courier(wave: Wave) -> str | None:
    return wave.courier


# Runs after every parcel shipped at the pack station: built once.
_ORDER_LEFT_IN_WAVE = (select(Order.id).where(Order.wave_id == bindparam("wave"),
                                              col(Order.status).not_in([str(s) for s in DONE_STATUSES])).limit(1))


def close_if_done(session: Session, wave_id: int, *, user: str) -> bool:
    """Close the wave once none of its orders is left to ship; True when it was closed now."""
    left = session.exec(_ORDER_LEFT_IN_WAVE, params={"wave": wave_id}).first()
    if left is not None:
        return False
    wave = session.get(Wave, wave_id)
    if wave is None or wave.status in (WaveStatus.DONE, WaveStatus.CANCELLED):
        return False
    wave.status = WaveStatus.DONE
    wave.closed_at = utcnow()
    session.add(wave)
    audit.record(session, user, "wave.done", "wave", wave.code)
    return True


# --- the pick list ---------------------------------------------------------------------------

def bin_sort_key(location: str) -> tuple:
    """Natural order of bin locations: A-2-10 after A-2-9, A-03-02 after A-3-1; no bin last."""
    text = (location or "").strip().upper()
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.findall(r"\d+|[^\d\-\s]+", text))
    return (not text, parts)


@dataclass(frozen=True)
class PickLine:
    bin: str
    sku: str
    name: str
    spec: str
    qty: int


@dataclass(frozen=True)
class PickOrder:
    ref: str  # the platform's order id: what the pick list's barcode encodes
    receiver: str
    items: int
    parcel_id: int | None
    platform: str
    status: str


@dataclass(frozen=True)
class PickList:
    wave: str
    warehouse: str
    courier: str | None
    created_at: datetime
    lines: list[PickLine] = field(default_factory=list)
    orders: list[PickOrder] = field(default_factory=list)

    @property
    def units(self) -> int:
        return sum(line.qty for line in self.lines)

    @property
    def parcels(self) -> int:
        return len({o.parcel_id for o in self.orders})

    def as_print_data(self) -> dict:
        """The ``pick_list`` document's data for the printing service."""
        return {
            "wave": self.wave, "warehouse": self.warehouse, "created_at": self.created_at.isoformat(),
            "lines": [{"bin": l.bin, "sku": l.sku, "name": l.name, "spec": l.spec, "qty": l.qty} for l in self.lines],
            "orders": [{"ref": o.ref, "receiver": o.receiver, "items": o.items} for o in self.orders],
        }


def pick_list(session: Session, wave: Wave) -> PickList:
    """The wave's SKUs summed and sorted by bin (the picker's walk), and its orders by parcel."""
    live = (Order.wave_id == wave.id, Order.status != OrderStatus.CANCELLED)
    rows = session.exec(
        select(Sku.bin_location, Sku.code, Sku.name, Sku.spec, func.sum(OrderLine.qty))
        .join(OrderLine, col(OrderLine.sku_id) == col(Sku.id))
        .join(Order, col(Order.id) == col(OrderLine.order_id))
        .where(*live)
        .group_by(Sku.id, Sku.bin_location, Sku.code, Sku.name, Sku.spec)
    ).all()
    lines = sorted((PickLine(b or "", code, name, spec, int(qty)) for b, code, name, spec, qty in rows),
                   key=lambda l: (bin_sort_key(l.bin), l.sku))
    units = (select(OrderLine.order_id, func.sum(OrderLine.qty).label("units"))
             .group_by(OrderLine.order_id).subquery())
    order_rows = session.exec(
        select(Order.platform_order_id, Order.receiver_name, units.c.units, Order.parcel_id, Order.platform,
               Order.status)
        .join(units, units.c.order_id == col(Order.id))
        .where(*live)
        .order_by(col(Order.parcel_id), col(Order.id))
    ).all()
    warehouse = session.get(Warehouse, wave.warehouse_id)
    return PickList(wave.code, warehouse.code if warehouse else "", wave_courier(wave), wave.created_at, lines,
                    [PickOrder(ref, receiver, int(n or 0), parcel, platform, status)
                     for ref, receiver, n, parcel, platform, status in order_rows])


def print_pick_list(session: Session, wave: Wave, *, actor: Actor, printer: str | None = None,
                    settings=None) -> PrintOutcome:
    """Queue the wave's pick list; without a printer the outcome says so and nothing else changes."""
    require(actor, "waves.print")
    user = actor.name
    outcome = request_print(session, "pick_list", ref=wave.code, data=pick_list(session, wave).as_print_data(),
                            printer=printer, user=user, settings=settings)
    if outcome.queued:
        audit.record(session, user, "wave.print", "wave", wave.code, job=outcome.job_id, printer=outcome.printer)
    return outcome


# --- listing ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class WaveSummary:
    id: int
    code: str
    status: str
    courier: str | None
    created_at: datetime
    created_by: str
    orders: int
    shipped: int


def list_waves(session: Session, *, warehouse_id: int | None = None, limit: int = 20) -> list[WaveSummary]:
    """The newest waves with how many of their orders have shipped."""
    stmt = select(Wave).order_by(col(Wave.id).desc()).limit(limit)
    if warehouse_id is not None:
        stmt = stmt.where(Wave.warehouse_id == warehouse_id)
    waves = list(session.exec(stmt))
    counts: dict[int, tuple[int, int]] = {}
    if waves:
        shipped = func.sum(case((col(Order.status).in_([OrderStatus.SHIPPED, OrderStatus.DELIVERED]), 1), else_=0))
        for wave_id, total, done in session.exec(
            select(Order.wave_id, func.count(), shipped)
            .where(col(Order.wave_id).in_([w.id for w in waves]), Order.status != OrderStatus.CANCELLED)
            .group_by(Order.wave_id)
        ):
            counts[wave_id] = (int(total), int(done or 0))
    return [WaveSummary(w.id, w.code, w.status, wave_courier(w), w.created_at, w.created_by,
                        *counts.get(w.id, (0, 0))) for w in waves]


# --- the pick-list screen: one call per key, in the shop's warehouse ----------------------------
# ``warehouse_code`` is the configured one; like intake, an unknown or empty code means the first.

def count_candidates_in(session: Session, warehouse_code: str | None, *, province: str | None = None,
                        city: str | None = None, platform: str | None = None, items: ItemsFilter = None,
                        cap: int | None = None) -> int:
    """``count_candidates`` in the warehouse ``warehouse_code`` names (the preview of a new wave)."""
    warehouse = catalogue.default_warehouse(session, warehouse_code)
    return count_candidates(session, province=province, city=city, platform=platform, items=items,
                            warehouse_id=warehouse.id, cap=cap)


def waves_in(session: Session, warehouse_code: str | None, *, limit: int = 20) -> list[WaveSummary]:
    """``list_waves`` of the warehouse ``warehouse_code`` names."""
    warehouse = catalogue.default_warehouse(session, warehouse_code)
    return list_waves(session, warehouse_id=warehouse.id, limit=limit)


def create_wave_in(session: Session, warehouse_code: str | None, *, courier: str, province: str | None = None,
                   city: str | None = None, platform: str | None = None, items: ItemsFilter = None,
                   max_orders: int = 200, actor: Actor) -> int:
    """``create_wave`` in the warehouse ``warehouse_code`` names; the new wave's id."""
    warehouse = catalogue.default_warehouse(session, warehouse_code)
    return create_wave(session, warehouse, courier=courier, province=province, city=city, platform=platform,
                       items=items, max_orders=max_orders, actor=actor).id


def pick_list_of(session: Session, wave_id: int) -> PickList:
    """The pick list of the wave with this id (NotFound for an unknown one)."""
    return pick_list(session, get_wave(session, wave_id))


@dataclass(frozen=True)
class PrintedPickList:
    picks: PickList
    outcome: PrintOutcome


def print_and_show(session: Session, wave_id: int, *, actor: Actor, printer: str | None = None,
                   settings=None) -> PrintedPickList:  # noqa: ANN001 - the app's Settings, or None
    """Queue the wave's pick list (``print_pick_list``) and return it for the screen; called in its own
    transaction after the wave's, so a printer problem never undoes the wave."""
    wave = get_wave(session, wave_id)
    outcome = print_pick_list(session, wave, actor=actor, printer=printer, settings=settings)
    return PrintedPickList(pick_list(session, wave), outcome)
