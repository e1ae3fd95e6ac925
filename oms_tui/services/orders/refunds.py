"""Buyers' refund requests from the platforms' refund APIs, applied to our orders.

The refund sync (``intake.refund_sync``) hands every refund it reads to ``apply_refund``; the
platform's trade status does not change while a refund waits for the seller, so this is what stops
an order in time:

- before shipping, an open request (or a refund already paid) puts a blocking ``refund_requested``
  hold on the order, its reason the buyer's as the platform gave it: the wave never takes the order,
  and one already being picked is refused at the pack station (``floor.packing``);
- closed or refused on the platform, with no other open request on the order, the hold is resolved
  and the order goes on (a full refund cancels the trade, which the order sync turns into a
  cancellation);
- after shipping, the request is an after-sale record the returns desk sees (``after_sale``), its
  refund status following the platform's;
- a refund for an order we have not taken in yet is kept, and applied when the order arrives.

Each refund is one ``PlatformRefund`` row (unique on platform + refund id), its last state kept; an
answer older than the one stored is ignored, so paging overlaps and re-reads change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from oms_tui.i18n import N_
from oms_tui.models import (
    HoldKind,
    Order,
    OrderStatus,
    PlatformRefund,
    RefundState,
    RefundStatus,
    ReturnRecord,
    utcnow,
)
from oms_tui.phrases import phrase
from oms_tui.services.core import audit
from oms_tui.services.orders import after_sale, holds
from oms_tui.services.orders.lifecycle import lock_for_change, settle_status
from oms_tui.services.orders.queries import find_order

SHIPPED = (OrderStatus.SHIPPED, OrderStatus.DELIVERED)
# States that keep an order from shipping: still undecided, or the money already went back.
STOPPING = (RefundState.REQUESTED, RefundState.REFUNDED)
# How an after-sale record's refund follows the platform's refund.
RETURN_STATUS = {RefundState.REQUESTED: RefundStatus.PENDING, RefundState.REFUNDED: RefundStatus.REFUNDED,
                 RefundState.CLOSED: RefundStatus.REFUSED}


@dataclass(frozen=True)
class RefundNotice:
    """One refund as a platform adapter hands it over (the platform's status mapped to a RefundState)."""

    platform: str
    refund_id: str
    platform_order_id: str
    status: str  # the platform's own status, as given
    state: RefundState
    reason: str = ""
    amount_fen: int = 0
    modified_at: datetime | None = None
    platform_line_id: str = ""


class Outcome:
    """What ``apply_refund`` did with one refund (the sync counts them)."""

    HELD = "held"  # the order is held (or stays held) before shipping
    RELEASED = "released"  # closed: the order's refund hold resolved
    AFTER_SALE = "after_sale"  # after shipping: an after-sale record made or brought up to date
    WAITING = "waiting"  # no such order yet: kept until it arrives
    UNCHANGED = "unchanged"  # nothing new, or nothing to do


def _store(session: Session, notice: RefundNotice, *, shop: str) -> tuple[PlatformRefund, bool]:
    """The refund's row brought up to date; False when the notice brought nothing newer."""
    row = session.exec(select(PlatformRefund).where(PlatformRefund.platform == notice.platform,
                                                    PlatformRefund.refund_id == notice.refund_id)
                       .with_for_update()).first()
    reason = (notice.reason or "").strip()[:500]
    if row is not None:
        if row.modified_at and notice.modified_at and notice.modified_at < row.modified_at:
            return row, False  # an older answer (an overlapping window read it before the change)
        if (row.status, row.state, row.reason, row.amount_fen) == (notice.status, notice.state, reason,
                                                                   notice.amount_fen):
            return row, False
    else:
        row = PlatformRefund(platform=notice.platform, refund_id=notice.refund_id[:64], shop=shop[:64],
                             platform_order_id=notice.platform_order_id[:64])
    row.platform_line_id = (notice.platform_line_id or "")[:64]
    row.status, row.state, row.reason = notice.status[:64], notice.state, reason
    row.amount_fen = notice.amount_fen
    row.modified_at = notice.modified_at or row.modified_at
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row, True


def apply_refund(session: Session, notice: RefundNotice, *, shop: str = "", user: str = "refund-sync") -> str:
    """Record one refund the platform reported and act on its order (see the module docstring)."""
    row, changed = _store(session, notice, shop=shop)
    order = find_order(session, notice.platform, notice.platform_order_id)
    if order is None:
        return Outcome.WAITING if changed else Outcome.UNCHANGED
    if not changed and row.order_id == order.id:
        return Outcome.UNCHANGED
    row.order_id = order.id
    session.add(row)
    audit.record(session, user, "order.refund", "order", order.id, refund=row.refund_id, status=row.status,
                 state=str(row.state), amount_fen=row.amount_fen)
    return _apply_to_order(session, order, user=user)


def waiting_for(session: Session, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (platform, platform order id) keys have refunds the refund sync saw before the order arrived."""
    if not keys:
        return set()
    found = set()
    for platform in sorted({p for p, _ref in keys}):
        refs = sorted({ref for p, ref in keys if p == platform})
        found.update((platform, ref) for ref in session.exec(select(PlatformRefund.platform_order_id).where(
            PlatformRefund.platform == platform, col(PlatformRefund.platform_order_id).in_(refs),
            col(PlatformRefund.order_id).is_(None))))
    return found


def hold_if_requested(session: Session, order: Order, *, user: str) -> str:
    """For an order just taken in: apply the refunds the refund sync saw before it arrived."""
    waiting = list(session.exec(select(PlatformRefund).where(PlatformRefund.platform == order.platform,
                                                             PlatformRefund.platform_order_id == order.platform_order_id,
                                                             col(PlatformRefund.order_id).is_(None))))
    if not waiting:
        return Outcome.UNCHANGED
    for row in waiting:
        row.order_id = order.id
        session.add(row)
    session.flush()
    return _apply_to_order(session, order, user=user)


def refunds_of(session: Session, order_id: int) -> list[PlatformRefund]:
    return list(session.exec(select(PlatformRefund).where(PlatformRefund.order_id == order_id)
                             .order_by(col(PlatformRefund.id))))


def refund_reason(session: Session, order_id: int) -> str | None:
    """The buyer's reason of the newest refund that stops the order (the pack station shows it)."""
    for row in reversed(refunds_of(session, order_id)):
        if row.state in STOPPING:
            return row.reason or row.refund_id
    return None


def _apply_to_order(session: Session, order: Order, *, user: str) -> str:
    # The order row first, as the pack station takes it: a refund meeting a ship waits, then sees which won.
    status = lock_for_change(session, order)
    if status == OrderStatus.CANCELLED:
        return Outcome.UNCHANGED
    rows = refunds_of(session, order.id)
    if status in SHIPPED:
        return _after_sale(session, order, rows, user=user)
    stopping = [r for r in rows if r.state in STOPPING]
    if stopping:
        reason = _hold_reason(stopping)
        hold = holds.open_hold(session, order, HoldKind.REFUND_REQUESTED, user=user, reason=reason)
        if hold.reason != reason[:500]:
            hold.reason = reason[:500]
            session.add(hold)
        settle_status(session, order, user=user)  # a not-yet-picked order leaves the ready queue
        return Outcome.HELD
    released = holds.resolve_open(session, order, HoldKind.REFUND_REQUESTED, user=user,
                                  resolution="refund closed on the platform")
    if released:
        settle_status(session, order, user=user)
        return Outcome.RELEASED
    return Outcome.UNCHANGED


def _hold_reason(stopping: list[PlatformRefund]) -> str:
    listed = "; ".join(f"{r.refund_id} {r.reason}".strip() for r in stopping)
    if any(r.state == RefundState.REFUNDED for r in stopping):
        return phrase(N_("refund paid on the platform: {refunds}; ship nothing it covers"), refunds=listed)
    return phrase(N_("the buyer asked the platform for a refund: {refunds}"), refunds=listed)


def _after_sale(session: Session, order: Order, rows: list[PlatformRefund], *, user: str) -> str:
    did = Outcome.UNCHANGED
    for row in rows:
        wanted = RETURN_STATUS[RefundState(row.state)]
        if row.return_id is None:
            if row.state == RefundState.CLOSED:
                continue  # closed before it became an after-sale: nothing is owed
            record = _unlinked_after_sale(session, order, rows)
            if record is None:
                record = after_sale.record_platform_after_sale(
                    session, order, refund_id=row.refund_id, reason=row.reason, refund_fen=row.amount_fen,
                    refund_status=wanted, user=user)
            row.return_id = record.id
            session.add(row)
            did = Outcome.AFTER_SALE
        record = session.get(ReturnRecord, row.return_id)
        if record is not None and record.refund_status != wanted:
            after_sale.set_refund_status(session, record, wanted, user=user)
            did = Outcome.AFTER_SALE
    session.flush()
    return did


def _unlinked_after_sale(session: Session, order: Order, rows: list[PlatformRefund]) -> ReturnRecord | None:
    """The after-sale record the trade's own status made (closed after shipping) that no refund claims yet:
    the refund takes it over rather than owing the money twice."""
    claimed = {r.return_id for r in rows if r.return_id is not None}
    for record in after_sale.platform_records(session, order.id):
        if record.id not in claimed:
            return record
    return None
