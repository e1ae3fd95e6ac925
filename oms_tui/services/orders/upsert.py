"""Intake of one normalized order: create it or update the one we have."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import tuple_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from oms_tui.models import (
    HoldKind,
    Order,
    OrderLine,
    OrderStatus,
    Sku,
    Warehouse,
    utcnow,
)
from oms_tui.i18n import N_
from oms_tui.names import RECEIVER_FIELD_NAMES
from oms_tui.phrases import phrase
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor
from oms_tui.services.customers import identity
from oms_tui.services.orders import after_sale, allocation, holds
from oms_tui.services.orders import intake_rules as review_rules
from oms_tui.services.orders.actions import cancel
from oms_tui.services.orders.lifecycle import lock_for_change, settle_status, transition
from oms_tui.services.orders.normalized import NormalizedOrder, PlatformState
from oms_tui.services.orders.queries import find_order

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


def _field_names(fields: list[str]) -> list[str]:
    """Receiver fields as stored phrases (each translated where the hold reason is read)."""
    return [phrase(RECEIVER_FIELD_NAMES[f]) for f in fields]


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


def lock_existing(session: Session, records: list[NormalizedOrder]) -> None:
    """Take the rows of the orders these records will update, in id order, before any stock row.

    A batch of many orders then holds order rows before stock rows as a single action does, and two
    transactions wanting the same orders queue instead of deadlocking. SQLite needs nothing: its
    writing transaction (BEGIN IMMEDIATE) already has the database alone.
    """
    if not records or session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({(r.platform, r.platform_order_id) for r in records})
    session.exec(select(Order.id).where(tuple_(Order.platform, Order.platform_order_id).in_(keys))
                 .order_by(col(Order.id)).with_for_update()).all()


def _create(session: Session, data: NormalizedOrder, *, warehouse: Warehouse, user: str) -> Order:
    customer = identity.identify(
        session, platform=data.platform, buyer_id=data.buyer_id, name=data.receiver_name, phone=data.receiver_phone,
        province=data.receiver_province, city=data.receiver_city, district=data.receiver_district,
        address=data.receiver_address,
    )
    fields = data.model_dump(exclude={"lines", "state"})
    order = Order(**fields, status=OrderStatus.NEW, customer_id=customer.id, warehouse_id=warehouse.id)
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
                        reason=phrase(N_("unknown SKU code: {skus}"), skus=", ".join(sorted(unknown))))
    review_rules.on_intake(session, order, data, created=True, changed=[], user=user)
    allocation.lock_order(session, order, user=user)
    settle_status(session, order, user=user)
    return order


def _update(session: Session, order: Order, data: NormalizedOrder, *, user: str) -> UpsertResult:
    # The order row first, as every status change takes it: a platform cancel arriving while the pack
    # station ships waits for the station and then sees the parcel gone (an after-sale, not a cancel).
    lock_for_change(session, order)
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
            if moved and order.status in (OrderStatus.PICKING, OrderStatus.PACKED):
                # The parcel may already carry the old address: stop it until a person looks.
                holds.open_hold(session, order, HoldKind.SYNC_CONFLICT, user=user, reason=phrase(
                    N_("receiver changed on the platform after picking began: {fields}"), fields=_field_names(moved)))
                transition(session, order, OrderStatus.REVIEW, user=user,
                           reason=phrase(N_("receiver changed during picking")))
            elif moved and order.status == OrderStatus.READY:
                # Ready means a wave may take it any moment, its slip perhaps printed with the old
                # address: CS checks the new receiver before it goes on (settle_status puts it in review).
                holds.open_hold(session, order, HoldKind.SYNC_CONFLICT, user=user, reason=phrase(
                    N_("receiver changed on the platform after the order was ready: {fields}"),
                    fields=_field_names(moved)))
            review_rules.on_intake(session, order, data, created=False, changed=changed, user=user)
            settle_status(session, order, user=user)
    if data.state == PlatformState.CANCELLED:
        if order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            if after_sale.record_platform_refund(session, order, platform_status=data.platform_status, user=user):
                changed.append("after_sale")
        elif order.status != OrderStatus.CANCELLED:
            cancel(session, order, actor=Actor.system(user),
                   reason=phrase(N_("cancelled on the platform ({status})"), status=data.platform_status))
            changed.append("status")
    return UpsertResult(order, False, changed)
