"""What people and the floor do to an order: cancel, pick, pack, ship, resolve a hold."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from oms_tui.errors import IllegalTransition, ValidationError
from oms_tui.i18n import N_
from oms_tui.models import (
    ApprovalRequest,
    ApprovalStatus,
    Hold,
    HoldKind,
    Order,
    OrderStatus,
    utcnow,
)
from oms_tui.names import HOLD_NAMES, PLATFORM_NAMES
from oms_tui.phrases import phrase
from oms_tui.services.core.actor import Actor, require
from oms_tui.services.orders import allocation, holds
from oms_tui.services.orders import intake_rules as review_rules
from oms_tui.services.orders.lifecycle import (
    PRE_PICK,
    fully_locked,
    lock_for_change,
    settle_status,
    take_order,
    transition,
)
from oms_tui.services.orders.lines import unresolved_lines as not_resolved
from oms_tui.services.stock import ledger

# --- lifecycle actions -----------------------------------------------------------------------

def cancel(session: Session, order: Order, *, actor: Actor, reason: str) -> None:
    """Cancel an order that has not shipped; its stock goes back and short orders may take it."""
    require(actor, "orders.cancel")
    user = actor.name
    if not reason.strip():
        raise ValidationError(N_("a cancellation needs a reason"))
    # The order row first: a ship (or another cancel) at the same moment waits, then sees this one.
    status = lock_for_change(session, order)
    if status == OrderStatus.CANCELLED:
        raise IllegalTransition(N_("Order {order} is already cancelled"), order=order.platform_order_id)
    if status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        raise IllegalTransition(N_("Order {order} has already shipped ({waybill}): it cannot be cancelled"),
            order=order.platform_order_id, waybill=order.waybill or "")
    partners = review_rules.duplicate_partners(session, order)  # read while this order's hold is open
    transition(session, order, OrderStatus.CANCELLED, user=user, reason=reason)
    released = allocation.unlock_order(session, order, user=user, reason=phrase(N_("cancelled: {reason}"),
                                                                                 reason=reason))
    for hold in holds.open_holds(session, order.id):
        holds.resolve(session, hold, user=user, resolution=phrase(N_("order cancelled")))
    for request in session.exec(select(ApprovalRequest).where(ApprovalRequest.order_id == order.id,
                                                              ApprovalRequest.status == ApprovalStatus.PENDING)):
        request.status = ApprovalStatus.WITHDRAWN  # nothing left to decide
        session.add(request)
    # However it was cancelled (CS, the CLI, the buyer on the platform), a duplicate partner left with
    # no other suspect may ship.
    for partner in partners:
        if not review_rules.duplicate_partners(session, partner):
            for hold in holds.open_holds(session, partner.id):
                if hold.kind == HoldKind.DUPLICATE_SUSPECT:
                    resolve_hold(session, hold.id, actor=actor, resolution=phrase(
                        N_("the duplicate {platform} {order} was cancelled"), platform=PLATFORM_NAMES.get(
                            order.platform, order.platform), order=order.platform_order_id, translated=("platform",)))
    allocation.allocate_short_orders(session, order.warehouse_id, released, user=user)


def start_picking(session: Session, order: Order, *, user: str) -> None:
    if lock_for_change(session, order) != OrderStatus.READY:
        blocking = [h.kind for h in holds.open_holds(session, order.id) if h.blocking]
        if blocking:
            raise IllegalTransition(N_("order {order} has open holds: {holds}"), order=order.platform_order_id,
                                    holds=", ".join(blocking))
        raise IllegalTransition(N_("order {order} is {status}, not ready to pick"), order=order.platform_order_id,
                                status=order.status)
    # No blocking hold is checked in the UPDATE itself: one opened a moment ago by another terminal counts too.
    transition(session, order, OrderStatus.PICKING, user=user, unblocked=True)


def mark_packed(session: Session, order: Order, *, user: str) -> None:
    lock_for_change(session, order)
    transition(session, order, OrderStatus.PACKED, user=user)


def ship(session: Session, order: Order, *, waybill: str, courier: str, user: str,
         shipped_at: datetime | None = None) -> None:
    """The packed parcel leaves: stock deducted, waybill recorded, status shipped — one transaction.

    ``shipped_at`` records a parcel that left earlier than it is entered (defaults to now).
    """
    if not waybill.strip():
        raise ValidationError(N_("a shipment needs a waybill number"))
    # The order row before its stock rows, as cancel takes them: two actions on one order never deadlock,
    # and a second ship waits for the first and then sees the order shipped.
    status = lock_for_change(session, order)
    if status != OrderStatus.PACKED:
        raise IllegalTransition(N_("Order {order} is {status}; only packed orders ship"),
            order=order.platform_order_id, status=status)
    ledger.ship_order_stock(session, order, user=user)
    transition(session, order, OrderStatus.SHIPPED, user=user, reason=f"{courier} {waybill}",
               values={"waybill": waybill.strip(), "courier": courier, "shipped_at": shipped_at or utcnow()})


def refuse_approval_hold(session: Session, hold: Hold) -> None:
    """An approval hold is closed by an approval decision (services/approvals), never resolved with a text:
    else the one who asked could let the order go themselves."""
    if hold.kind not in holds.APPROVAL_KINDS:
        return
    request = session.exec(select(ApprovalRequest).where(
        ApprovalRequest.order_id == hold.order_id, ApprovalRequest.status == ApprovalStatus.PENDING)
        .order_by(col(ApprovalRequest.id))).first()
    raise ValidationError(
        N_("{kind} waits for an approval decision: a lead other than {requester} approves or rejects request "
           "{request} (oms approvals approve {request} / oms approvals reject {request})"),
        kind=HOLD_NAMES[hold.kind], requester=request.requested_by if request else "?",
        request=request.id if request else "?", translated=("kind",))


def resolve_hold(session: Session, hold_id: int, *, actor: Actor, resolution: str) -> Order:
    """Resolve a hold; a released allocation hold sends the order back to allocation."""
    require(actor, "orders.resolve_hold")
    user = actor.name
    hold = holds.get_hold(session, hold_id)
    refuse_approval_hold(session, hold)
    order = take_order(session, hold.order_id)
    session.refresh(hold)  # someone may have resolved it while we waited for the order
    if hold.kind == HoldKind.SKU_UNMAPPED and hold.resolved_at is None and not_resolved(session, order.id):
        # Released by hand, the order would reach the floor with lines nobody can pick or pack.
        raise ValidationError(N_("order {order} still has platform SKUs we cannot resolve: map them on the SKU "
                                 "mapping screen"), order=order.platform_order_id)
    pre_pick = OrderStatus(order.status) in PRE_PICK
    if hold.kind == HoldKind.STOCK_SHORT and pre_pick and not fully_locked(session, order):
        # Releasing a shortage means shipping from stock now: lock it, or refuse with nothing changed
        # (no released-then-reopened hold, no second purchasing alert).
        with session.begin_nested():
            holds.resolve(session, hold, user=user, resolution=resolution)
            allocation.lock_now(session, order, user=user)
    else:
        holds.resolve(session, hold, user=user, resolution=resolution)
        if pre_pick and hold.kind in holds.ALLOCATION_KINDS and not fully_locked(session, order):
            allocation.lock_order(session, order, user=user)
    if pre_pick:
        settle_status(session, order, user=user)
    return order
