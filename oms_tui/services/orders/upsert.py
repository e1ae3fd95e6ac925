"""Intake of one normalized order: create it or update the one we have."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from oms_tui.i18n import N_
from oms_tui.models import (
    OPEN_STATUSES,
    HoldKind,
    Order,
    OrderStatus,
    Warehouse,
    utcnow,
)
from oms_tui.names import RECEIVER_FIELD_NAMES
from oms_tui.phrases import phrase
from oms_tui.services.catalogue.sku_mapping import Resolver
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor
from oms_tui.services.customers import identity
from oms_tui.services.customers.normalize import looks_encrypted
from oms_tui.services.orders import after_sale, allocation, holds, refunds
from oms_tui.services.orders import intake_rules as review_rules
from oms_tui.services.orders import lines as order_lines
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
        """skipped (not ours: unpaid or closed before payment), new, updated or unchanged."""
        if self.order is None:
            return "skipped"
        return "new" if self.created else "updated" if self.changed else "unchanged"


_RECEIVER_FIELDS = ("receiver_name", "receiver_phone", "receiver_province", "receiver_city", "receiver_district",
                    "receiver_address")
_UPDATABLE_FIELDS = _RECEIVER_FIELDS + ("receiver_opaque", "receiver_address_id", "buyer_remark", "seller_memo", "platform_status",
                                        "total_fen", "paid_fen", "discount_fen", "post_fee_fen", "paid_at",
                                        "modified_at")


def _field_names(fields: list[str]) -> list[str]:
    """Receiver fields as stored phrases (each translated where the hold reason is read)."""
    return [phrase(RECEIVER_FIELD_NAMES[f]) for f in fields]


def upsert_order(session: Session, data: NormalizedOrder, *, warehouse: Warehouse, user: str = "sync",
                 resolver: Resolver | None = None) -> UpsertResult:
    """Create the order, or update the one we already have (unique on platform + platform order id).

    A new paid order is locked at once (or gets ``stock_short``); its lines are resolved through the SKU
    mapping (``orders.lines``) and a platform SKU we cannot resolve gets a ``sku_unmapped`` hold. One
    closed after payment before we saw it comes in cancelled. An update records each changed field in the
    audit trail; a cancellation before shipping releases the stock. ``resolver`` lets a batch share its
    look-ups of the mapping.
    """
    existing = find_order(session, data.platform, data.platform_order_id)
    if existing is None:
        # Closed or refunded after payment before any sync saw it: taken in cancelled (nothing locked,
        # no holds), so customer history and month-end reconciliation see the sale. Never paid: not ours.
        closed_unseen = data.state == PlatformState.CANCELLED and data.paid_at is not None
        if data.state != PlatformState.PAID and not closed_unseen:
            return UpsertResult(None, False, [])  # unpaid, closed before payment, or shipped elsewhere
        try:
            with session.begin_nested():
                order = (_create_closed(session, data, warehouse=warehouse, user=user, resolver=resolver)
                         if closed_unseen else _create(session, data, warehouse=warehouse, user=user, resolver=resolver))
        except IntegrityError:
            # Another sync worker inserted it between our SELECT and INSERT: update theirs.
            existing = find_order(session, data.platform, data.platform_order_id)
            if existing is None:
                raise
            return _update(session, existing, data, user=user)
        return UpsertResult(order, True, [])
    return _update(session, existing, data, user=user)


def lock_existing(session: Session, records: list[NormalizedOrder]) -> set[tuple[str, str]]:
    """The (platform, platform order id) of the records we already have, their rows taken in id order
    before any stock row, in one query.

    A batch of many orders then holds order rows before stock rows as a single action does, and two
    transactions wanting the same orders queue instead of deadlocking. SQLite needs no row locks: its
    writing transaction (BEGIN IMMEDIATE) already has the database alone.
    """
    if not records:
        return set()
    keys = {(r.platform, r.platform_order_id) for r in records}
    # By the platform order id alone (ix_order_platform_order_id): SQLite reads a (platform, id) row-value IN
    # by scanning every order. Another platform's order of the same number is left out below.
    stmt = (select(Order.id, Order.platform, Order.platform_order_id)
            .where(col(Order.platform_order_id).in_(sorted({ref for _p, ref in keys})),
                   col(Order.platform).in_(sorted({p for p, _ref in keys}))).order_by(col(Order.id)))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return {(platform, ref) for _id, platform, ref in session.exec(stmt).all()} & keys


def _insert(session: Session, data: NormalizedOrder, *, warehouse: Warehouse, user: str,
            status: OrderStatus, resolver: Resolver | None = None) -> tuple[Order, list[str]]:
    """The order row, its customer and its lines; the platform SKUs we cannot resolve."""
    customer = identity.identify(
        session, platform=data.platform, buyer_id=data.buyer_id, name=data.receiver_name, phone=data.receiver_phone,
        province=data.receiver_province, city=data.receiver_city, district=data.receiver_district,
        address=data.receiver_address,
    )
    fields = data.model_dump(exclude={"lines", "state", "platform_block", "shipped_lines"})
    order = Order(**fields, status=status, customer_id=customer.id, warehouse_id=warehouse.id)
    session.add(order)
    session.flush()
    unknown = order_lines.add_lines(session, order, data.lines, resolver=resolver)
    audit.record(session, user, "order.create", "order", order.id, platform=data.platform,
                 platform_order_id=data.platform_order_id, lines=len(data.lines), total_fen=data.total_fen,
                 status=str(status))
    return order, unknown


def _create_closed(session: Session, data: NormalizedOrder, *, warehouse: Warehouse, user: str,
                   resolver: Resolver | None = None) -> Order:
    """An order the platform closed before we saw it: on the books as cancelled, never allocated."""
    order, _unknown = _insert(session, data, warehouse=warehouse, user=user, status=OrderStatus.CANCELLED,
                              resolver=resolver)
    audit.record(session, user, "order.cancel", "order", order.id,
                 reason=f"closed on the platform before it was taken in ({data.platform_status})")
    return order


def _create(session: Session, data: NormalizedOrder, *, warehouse: Warehouse, user: str,
            resolver: Resolver | None = None) -> Order:
    order, unknown = _insert(session, data, warehouse=warehouse, user=user, status=OrderStatus.NEW, resolver=resolver)
    if unknown:
        order_lines.hold_unresolved(session, order, unknown, user=user)
    _follow_platform_block(session, order, data, user=user)
    refunds.hold_if_requested(session, order, user=user)  # a refund the refund sync saw before the order
    review_rules.on_intake(session, order, data, created=True, changed=[], user=user)
    allocation.lock_order(session, order, user=user)
    settle_status(session, order, user=user)
    return order


def _update(session: Session, order: Order, data: NormalizedOrder, *, user: str) -> UpsertResult:
    # The order row first, as every status change takes it: a platform cancel arriving while the pack
    # station ships waits for the station and then sees the parcel gone (an after-sale, not a cancel).
    lock_for_change(session, order)
    changed = []
    unsealed = []  # receiver fields that held platform ciphertext (stored before it was recognised): not a move
    for field in _UPDATABLE_FIELDS:
        new = getattr(data, field)
        old = getattr(order, field)
        if old != new:  # times are aware on both sides, so == compares instants
            changed.append(field)
            if field in _RECEIVER_FIELDS and looks_encrypted(old or ""):
                unsealed.append(field)
            setattr(order, field, new)
    # Whether the platform still forbids shipping is read on every update: PDD's blocking fields are not
    # among the fields compared above.
    blocked_changed = data.state != PlatformState.CANCELLED and _follow_platform_block(session, order, data, user=user)
    if changed:
        order.updated_at = utcnow()
        session.add(order)
        audit.record(session, user, "order.update", "order", order.id, fields=changed)
        if data.state != PlatformState.CANCELLED:
            moved = [f for f in changed if f in _RECEIVER_FIELDS and f not in unsealed]
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
            if data.shipped_lines and "platform_status" in changed and order.status in OPEN_STATUSES:
                _stop_for_lines_shipped_elsewhere(session, order, data, user=user)
            review_rules.on_intake(session, order, data, created=False, changed=changed, user=user)
            settle_status(session, order, user=user)
    elif blocked_changed:
        settle_status(session, order, user=user)
    if blocked_changed:
        changed.append("platform_block")
    if data.state == PlatformState.CANCELLED:
        if order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            if after_sale.record_platform_refund(session, order, platform_status=data.platform_status, user=user):
                changed.append("after_sale")
        elif order.status != OrderStatus.CANCELLED:
            cancel(session, order, actor=Actor.system(user),
                   reason=phrase(N_("cancelled on the platform ({status})"), status=data.platform_status))
            changed.append("status")
    return UpsertResult(order, False, changed)


def _follow_platform_block(session: Session, order: Order, data: NormalizedOrder, *, user: str) -> bool:
    """Keep a ``platform_blocked`` hold open exactly while the platform forbids shipping; True if it changed.

    Opened (a parcel already being picked or packed goes back to review), its reason kept current,
    and resolved by the sync itself once the platform lets the order go.
    """
    if order.status not in OPEN_STATUSES:
        return False
    hold = next((h for h in holds.open_holds(session, order.id) if h.kind == HoldKind.PLATFORM_BLOCKED), None)
    if data.platform_block:
        if hold is None:
            holds.open_hold(session, order, HoldKind.PLATFORM_BLOCKED, user=user, reason=data.platform_block)
            if order.status in (OrderStatus.PICKING, OrderStatus.PACKED):
                transition(session, order, OrderStatus.REVIEW, user=user, reason="the platform forbids shipping")
            return True
        if hold.reason != data.platform_block:
            audit.record(session, user, "hold.reason", "order", order.id, kind=str(hold.kind), hold=hold.id,
                         old=hold.reason, new=data.platform_block)
            hold.reason = data.platform_block
            session.add(hold)
        return False
    if hold is None:
        return False
    holds.resolve(session, hold, user=user, resolution=phrase(N_("the platform allows shipping again ({status})"),
                                                              status=data.platform_status))
    return True


def _stop_for_lines_shipped_elsewhere(session: Session, order: Order, data: NormalizedOrder, *, user: str) -> None:
    """The seller shipped part of an order we hold from the platform's own back office: a person decides
    what still leaves here (our lines were taken in whole)."""
    shipped = ", ".join(f"{line.sku_code} ×{line.qty}" for line in data.shipped_lines)
    holds.open_hold(session, order, HoldKind.SYNC_CONFLICT, user=user, reason=phrase(
        N_("part of the order was shipped outside the OMS on the platform: {lines}; only the rest may leave here"),
        lines=shipped))
    if order.status in (OrderStatus.PICKING, OrderStatus.PACKED):
        transition(session, order, OrderStatus.REVIEW, user=user, reason="lines shipped elsewhere")
