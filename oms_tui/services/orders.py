"""Orders: intake from a normalized order, the status lifecycle, cancel, ship, and reading.

Lifecycle (DESIGN.md): new → (review | approval | short) → ready → picking → packed → shipped →
delivered, with cancelled from anything before shipped. Problems are holds, not statuses: while
an order has not been picked, ``settle_status`` derives review / approval / short / ready from
its open holds and its lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ..errors import IllegalTransition, NotFound, ValidationError
from ..models import Hold, HoldKind, Order, OrderLine, OrderStatus, Sku, Warehouse, utcnow
from . import after_sale, audit, customers, holds, inventory, review_rules
from .normalized import NormalizedOrder, PlatformState

S = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.NEW: frozenset({S.REVIEW, S.APPROVAL, S.SHORT, S.READY, S.CANCELLED}),
    S.REVIEW: frozenset({S.APPROVAL, S.SHORT, S.READY, S.CANCELLED}),
    S.APPROVAL: frozenset({S.REVIEW, S.SHORT, S.READY, S.CANCELLED}),
    S.SHORT: frozenset({S.REVIEW, S.APPROVAL, S.READY, S.CANCELLED}),
    S.READY: frozenset({S.REVIEW, S.APPROVAL, S.SHORT, S.PICKING, S.CANCELLED}),
    S.PICKING: frozenset({S.READY, S.REVIEW, S.PACKED, S.CANCELLED}),
    S.PACKED: frozenset({S.PICKING, S.REVIEW, S.SHIPPED, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset(),
    S.CANCELLED: frozenset(),
}
# Statuses settle_status may move between on its own (nothing has been picked yet).
PRE_PICK = frozenset({S.NEW, S.REVIEW, S.APPROVAL, S.SHORT, S.READY})


def transition(session: Session, order: Order, to: OrderStatus, *, user: str, reason: str = "") -> None:
    """Move the order to ``to``; a move the lifecycle does not allow is an IllegalTransition."""
    current = OrderStatus(order.status)
    if to == current:
        return
    if to not in TRANSITIONS[current]:
        raise IllegalTransition(f"order {order.platform_order_id}: cannot go from {current} to {to}")
    order.status = to
    order.updated_at = utcnow()
    session.add(order)
    audit.record(session, user, "order.status", "order", order.id, **{"from": str(current), "to": str(to)},
                 reason=reason)


def settle_status(session: Session, order: Order, *, user: str) -> OrderStatus:
    """Derive a not-yet-picked order's status from its open holds and its lock."""
    current = OrderStatus(order.status)
    if current not in PRE_PICK:
        return current
    open_kinds = {HoldKind(h.kind) for h in holds.open_holds(session, order.id) if h.blocking}
    if open_kinds & holds.APPROVAL_KINDS:
        target = S.APPROVAL
    elif open_kinds & holds.REVIEW_KINDS:
        target = S.REVIEW
    elif open_kinds & holds.ALLOCATION_KINDS or not _fully_locked(session, order):
        target = S.SHORT
    elif open_kinds:
        target = S.REVIEW  # a blocking kind with no queue of its own: a person decides
    else:
        target = S.READY
    transition(session, order, target, user=user, reason="holds and stock settled")
    return target


_UNLOCKED_LINES = (
    select(func.count()).select_from(OrderLine)
    .where(OrderLine.order_id == bindparam("order_id"), col(OrderLine.sku_id).is_not(None),
           col(OrderLine.locked_qty) < col(OrderLine.qty))
)


def _fully_locked(session: Session, order: Order) -> bool:
    return session.exec(_UNLOCKED_LINES, params={"order_id": order.id}).one() == 0


# --- intake ----------------------------------------------------------------------------------

@dataclass
class UpsertResult:
    order: Order | None
    created: bool
    changed: list[str]

    @property
    def outcome(self) -> str:
        """skipped (not ours: unpaid or closed unseen), new, updated or unchanged."""
        if self.order is None:
            return "skipped"
        return "new" if self.created else "updated" if self.changed else "unchanged"


_RECEIVER_FIELDS = ("receiver_name", "receiver_phone", "receiver_province", "receiver_city", "receiver_district",
                    "receiver_address")
_UPDATABLE_FIELDS = _RECEIVER_FIELDS + ("buyer_remark", "seller_memo", "platform_status", "total_fen", "paid_fen",
                                        "discount_fen", "post_fee_fen", "paid_at", "modified_at")


def find_order(session: Session, platform: str, platform_order_id: str) -> Order | None:
    return session.exec(
        select(Order).where(Order.platform == platform, Order.platform_order_id == platform_order_id)
    ).first()


def upsert_order(session: Session, data: NormalizedOrder, *, warehouse: Warehouse, user: str = "sync") -> UpsertResult:
    """Create the order, or update the one we already have (unique on platform + platform order id).

    A new paid order is locked at once (or gets ``stock_short``); a line whose SKU we do not know
    gets a ``sync_conflict`` hold. An update records each changed field in the audit trail; a
    cancellation before shipping releases the stock.
    """
    existing = find_order(session, data.platform, data.platform_order_id)
    if existing is None:
        if data.state != PlatformState.PAID:
            return UpsertResult(None, False, [])  # unpaid, or closed before we ever saw it paid
        try:
            with session.begin_nested():
                order = _create(session, data, warehouse=warehouse, user=user)
        except IntegrityError:
            # Another sync worker inserted it between our SELECT and INSERT: update theirs.
            existing = find_order(session, data.platform, data.platform_order_id)
            if existing is None:
                raise
            return _update(session, existing, data, user=user)
        return UpsertResult(order, True, [])
    return _update(session, existing, data, user=user)


def _create(session: Session, data: NormalizedOrder, *, warehouse: Warehouse, user: str) -> Order:
    customer = customers.identify(
        session, platform=data.platform, buyer_id=data.buyer_id, name=data.receiver_name, phone=data.receiver_phone,
        province=data.receiver_province, city=data.receiver_city, district=data.receiver_district,
        address=data.receiver_address,
    )
    fields = data.model_dump(exclude={"lines", "state"})
    order = Order(**fields, status=S.NEW, customer_id=customer.id, warehouse_id=warehouse.id)
    session.add(order)
    session.flush()
    codes = {line.sku_code for line in data.lines}
    sku_ids = dict(session.exec(select(Sku.code, Sku.id).where(col(Sku.code).in_(codes))).all())
    unknown = []
    for line in data.lines:
        sku_id = sku_ids.get(line.sku_code)
        if sku_id is None:
            unknown.append(line.sku_code)
        session.add(OrderLine(order_id=order.id, sku_id=sku_id, sku_code=line.sku_code, title=line.title,
                              qty=line.qty, price_fen=line.price_fen))
    session.flush()
    audit.record(session, user, "order.create", "order", order.id, platform=data.platform,
                 platform_order_id=data.platform_order_id, lines=len(data.lines), total_fen=data.total_fen)
    if unknown:
        holds.open_hold(session, order, HoldKind.SYNC_CONFLICT, user=user,
                        reason=f"unknown SKU code: {', '.join(sorted(unknown))}")
    review_rules.on_intake(session, order, data, created=True, changed=[], user=user)
    inventory.lock_order(session, order, user=user)
    settle_status(session, order, user=user)
    return order


def _update(session: Session, order: Order, data: NormalizedOrder, *, user: str) -> UpsertResult:
    changed = []
    for field in _UPDATABLE_FIELDS:
        new = getattr(data, field)
        old = getattr(order, field)
        if old != new:  # times are aware on both sides, so == compares instants
            changed.append(field)
            setattr(order, field, new)
    if changed:
        order.updated_at = utcnow()
        session.add(order)
        audit.record(session, user, "order.update", "order", order.id, fields=changed)
        if data.state != PlatformState.CANCELLED:
            moved = [f for f in changed if f in _RECEIVER_FIELDS]
            if moved and order.status in (S.PICKING, S.PACKED):
                # The parcel may already carry the old address: stop it until a person looks.
                holds.open_hold(session, order, HoldKind.SYNC_CONFLICT, user=user,
                                reason=f"receiver changed on the platform after picking began: {', '.join(moved)}")
                transition(session, order, S.REVIEW, user=user, reason="receiver changed during picking")
            review_rules.on_intake(session, order, data, created=False, changed=changed, user=user)
            settle_status(session, order, user=user)
    if data.state == PlatformState.CANCELLED:
        if order.status in (S.SHIPPED, S.DELIVERED):
            if after_sale.record_platform_refund(session, order, platform_status=data.platform_status, user=user):
                changed.append("after_sale")
        elif order.status != S.CANCELLED:
            cancel(session, order, user=user, reason=f"cancelled on the platform ({data.platform_status})")
            changed.append("status")
    return UpsertResult(order, False, changed)


# --- lifecycle actions -----------------------------------------------------------------------

def cancel(session: Session, order: Order, *, user: str, reason: str) -> None:
    """Cancel an order that has not shipped; its stock goes back and short orders may take it."""
    if not reason.strip():
        raise ValidationError("a cancellation needs a reason")
    if order.status == S.CANCELLED:
        raise IllegalTransition(f"order {order.platform_order_id} is already cancelled")
    partners = review_rules.duplicate_partners(session, order)  # read while this order's hold is open
    transition(session, order, S.CANCELLED, user=user, reason=reason)
    released = inventory.unlock_order(session, order, user=user, reason=f"cancelled: {reason}")
    for hold in holds.open_holds(session, order.id):
        holds.resolve(session, hold, user=user, resolution="order cancelled")
    # However it was cancelled (CS, the CLI, the buyer on the platform), a duplicate partner left with
    # no other suspect may ship.
    for partner in partners:
        if not review_rules.duplicate_partners(session, partner):
            for hold in holds.open_holds(session, partner.id):
                if hold.kind == HoldKind.DUPLICATE_SUSPECT:
                    resolve_hold(session, hold.id, user=user, resolution=f"the duplicate {order.platform} "
                                 f"{order.platform_order_id} was cancelled")
    inventory.allocate_short_orders(session, order.warehouse_id, released, user=user)


def start_picking(session: Session, order: Order, *, user: str) -> None:
    blocking = [h.kind for h in holds.open_holds(session, order.id) if h.blocking]
    if blocking:
        raise IllegalTransition(f"order {order.platform_order_id} has open holds: {', '.join(blocking)}")
    if order.status != S.READY:
        raise IllegalTransition(f"order {order.platform_order_id} is {order.status}, not ready to pick")
    transition(session, order, S.PICKING, user=user)


def mark_packed(session: Session, order: Order, *, user: str) -> None:
    transition(session, order, S.PACKED, user=user)


def ship(session: Session, order: Order, *, waybill: str, courier: str, user: str,
         shipped_at: datetime | None = None) -> None:
    """The packed parcel leaves: stock deducted, waybill recorded, status shipped — one transaction.

    ``shipped_at`` records a parcel that left earlier than it is entered (defaults to now).
    """
    if not waybill.strip():
        raise ValidationError("a shipment needs a waybill number")
    if order.status != S.PACKED:
        raise IllegalTransition(f"order {order.platform_order_id} is {order.status}; only packed orders ship")
    inventory.ship_order_stock(session, order, user=user)
    order.waybill = waybill.strip()
    order.courier = courier
    order.shipped_at = shipped_at or utcnow()
    transition(session, order, S.SHIPPED, user=user, reason=f"{courier} {waybill}")


def resolve_hold(session: Session, hold_id: int, *, user: str, resolution: str) -> Order:
    """Resolve a hold; a released allocation hold sends the order back to allocation."""
    hold = holds.get_hold(session, hold_id)
    holds.resolve(session, hold, user=user, resolution=resolution)
    order = get_order(session, hold.order_id)
    if OrderStatus(order.status) in PRE_PICK:
        if hold.kind in holds.ALLOCATION_KINDS and not _fully_locked(session, order):
            inventory.lock_order(session, order, user=user)
        settle_status(session, order, user=user)
    return order


# --- reading ---------------------------------------------------------------------------------

def get_order(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(f"unknown order {order_id}")
    return order


def find_by_reference(session: Session, reference: str) -> Order:
    """An order by the platform's order id, its waybill or our id. The same number on two platforms
    is refused as ambiguous rather than answered with whichever row comes first."""
    text = reference.strip()
    found = list(session.exec(select(Order).where(Order.platform_order_id == text).order_by(col(Order.id)).limit(2)))
    if not found:
        found = list(session.exec(select(Order).where(Order.waybill == text).order_by(col(Order.id)).limit(2)))
    if not found and text.isdigit():
        order = session.get(Order, int(text))
        found = [order] if order is not None else []
    if not found:
        raise NotFound(f"no order {reference!r}")
    if len(found) > 1:
        where = ", ".join(f"{o.platform} #{o.id}" for o in found)
        raise ValidationError(f"{reference!r} matches several orders ({where}): give our order id instead")
    return found[0]


@dataclass
class OrderFilter:
    status: str | None = None
    platform: str | None = None
    since: datetime | None = None
    search: str | None = None

    def apply(self, stmt):
        if self.status:
            if self.status not in {s.value for s in OrderStatus}:
                raise ValidationError(f"unknown status {self.status!r}; one of: {', '.join(s.value for s in S)}")
            stmt = stmt.where(Order.status == self.status)
        if self.platform:
            stmt = stmt.where(Order.platform == self.platform)
        if self.since:
            stmt = stmt.where(col(Order.created_at) >= self.since)
        if self.search:
            text = self.search.strip()
            stmt = stmt.where((Order.platform_order_id == text) | (Order.waybill == text)
                              | col(Order.receiver_name).startswith(text))
        return stmt


def list_orders(session: Session, flt: OrderFilter | None = None, *, limit: int = 50, offset: int = 0) -> list[Order]:
    """One page of orders, newest first."""
    if limit <= 0 or offset < 0:
        raise ValidationError("limit must be positive and offset zero or more")
    stmt = (flt or OrderFilter()).apply(select(Order))
    return list(session.exec(stmt.order_by(col(Order.created_at).desc(), col(Order.id).desc())
                             .limit(limit).offset(offset)))


def count_orders(session: Session, flt: OrderFilter | None = None) -> int:
    stmt = (flt or OrderFilter()).apply(select(func.count()).select_from(Order))
    return session.exec(stmt).one()


def lines_of(session: Session, order_ids: list[int]) -> dict[int, list[OrderLine]]:
    result: dict[int, list[OrderLine]] = {i: [] for i in order_ids}
    if order_ids:
        for line in session.exec(select(OrderLine).where(col(OrderLine.order_id).in_(order_ids))
                                 .order_by(col(OrderLine.id))):
            result[line.order_id].append(line)
    return result


def open_holds_of(session: Session, order_ids: list[int]) -> dict[int, list[Hold]]:
    result: dict[int, list[Hold]] = {i: [] for i in order_ids}
    if order_ids:
        for hold in session.exec(select(Hold).where(col(Hold.order_id).in_(order_ids),
                                                    col(Hold.resolved_at).is_(None)).order_by(col(Hold.id))):
            result[hold.order_id].append(hold)
    return result


def as_dicts(session: Session, orders: list[Order]) -> list[dict]:
    """Orders as plain dicts for `--format json`; lines and open holds fetched in two queries."""
    ids = [o.id for o in orders]
    lines = lines_of(session, ids)
    open_ = open_holds_of(session, ids)
    return [
        {
            "id": o.id, "platform": o.platform, "platform_order_id": o.platform_order_id, "shop": o.shop,
            "status": o.status, "total_fen": o.total_fen, "paid_fen": o.paid_fen,
            "created_at": o.created_at.isoformat(), "paid_at": o.paid_at.isoformat() if o.paid_at else None,
            "receiver_name": o.receiver_name, "receiver_province": o.receiver_province,
            "receiver_city": o.receiver_city, "waybill": o.waybill, "courier": o.courier,
            "holds": [{"id": h.id, "kind": h.kind, "blocking": h.blocking, "reason": h.reason} for h in open_[o.id]],
            "lines": [{"sku": line.sku_code, "title": line.title, "qty": line.qty, "price_fen": line.price_fen,
                       "locked_qty": line.locked_qty} for line in lines[o.id]],
        }
        for o in orders
    ]
