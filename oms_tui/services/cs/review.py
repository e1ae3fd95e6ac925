"""The review queue: orders waiting for customer service, and what CS can do with them.

The queue is the orders in status ``review`` with their open holds, oldest first. Every action
is audited (``review.*`` on the order, besides the hold and status rows the order service
writes) and leaves the order where its holds say through ``actions.resolve_hold`` /
``lifecycle.settle_status`` / ``actions.cancel``:

- address: ``update_address`` (receiver fields, old → new in the audit; resolves
  ``address_invalid``), ``confirm_address`` (as it is);
- remark: ``accept_remark``;
- duplicates: ``merge_duplicates`` (one parcel: both keep ``no_merge=False`` so the wave merges
  them), ``keep_both`` (``no_merge=True`` on each), ``cancel_order`` on one of them (the other's
  hold is resolved when it has no other suspect left);
- any hold: ``release_hold``; the whole order: ``cancel_order``;
- ``request_approval`` (price change, gift): an ApprovalRequest row and an ``approval_pending``
  hold, so the order goes to ``approval`` until a lead decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, tuple_
from sqlmodel import Session, col, select

from oms_tui.errors import IllegalTransition, ValidationError
from oms_tui.i18n import N_
from oms_tui.models import ApprovalRequest, HoldKind, Order, OrderStatus, utcnow
from oms_tui.names import APPROVAL_KIND_NAMES, INTAKE_APPROVAL_KINDS
from oms_tui.phrases import phrase, render
from oms_tui.services.approvals import requests as approval_requests
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor, require
from oms_tui.services.customers import history, matching
from oms_tui.services.floor import waves
from oms_tui.services.orders import actions, holds, lifecycle, queries
from oms_tui.services.orders import intake_rules as review_rules

# What CS asks for by hand; the intake kinds an order raises by itself.
APPROVAL_REQUEST_KINDS = tuple(kind for kind in APPROVAL_KIND_NAMES if kind not in INTAKE_APPROVAL_KINDS)


# --- the queue ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueHold:
    id: int
    kind: str
    blocking: bool
    reason: str
    opened_at: datetime


@dataclass(frozen=True)
class QueueItem:
    order_id: int
    platform: str
    platform_order_id: str
    shop: str
    status: str
    created_at: datetime
    paid_at: datetime | None
    receiver_name: str
    region: str
    total_fen: int
    paid_fen: int
    holds: list[QueueHold]

    @property
    def waiting_since(self) -> datetime:
        return self.paid_at or self.created_at

    def age(self, now: datetime | None = None) -> float:
        """Hours in the queue (since payment)."""
        return ((now or utcnow()) - self.waiting_since).total_seconds() / 3600


_IN_REVIEW = Order.status == OrderStatus.REVIEW


def count_queue(session: Session, *, cap: int | None = None) -> int:
    """Orders in review; with ``cap``, counting stops past it (the answer is then ``cap + 1``)."""
    if cap is None:
        return session.exec(select(func.count()).select_from(Order).where(_IN_REVIEW)).one()
    matching = select(Order.id).where(_IN_REVIEW).limit(cap + 1).subquery()
    return session.exec(select(func.count()).select_from(matching)).one()


def list_queue(session: Session, *, limit: int = 50, offset: int = 0,
               after: tuple[datetime | None, datetime, int] | None = None) -> list[QueueItem]:
    """One page of orders in review, the longest waiting first, each with its open holds: ``offset``
    rows in, or (keyset) the orders after ``after``, the (paid_at, created_at, id) of the last order of
    the page before."""
    if limit <= 0 or offset < 0:
        raise ValidationError(N_("limit must be positive and offset zero or more"))
    stmt = select(Order).where(_IN_REVIEW)
    if after is not None:
        stmt = stmt.where(_after_in_queue(after, session.get_bind().dialect.name))
    stmt = stmt.order_by(col(Order.paid_at), col(Order.created_at), col(Order.id)).limit(limit)
    page = list(session.exec(stmt.offset(offset) if offset else stmt))
    open_ = queries.open_holds_of(session, [o.id for o in page])
    return [
        QueueItem(
            o.id, o.platform, o.platform_order_id, o.shop, o.status, o.created_at, o.paid_at,
            o.receiver_name, " ".join(p for p in (o.receiver_province, o.receiver_city) if p), o.total_fen,
            o.paid_fen, [QueueHold(h.id, h.kind, h.blocking, h.reason, h.opened_at) for h in open_[o.id]],
        )
        for o in page
    ]


def _after_in_queue(after: tuple[datetime | None, datetime, int], dialect: str):
    """The queue's rows after ``after`` in ORDER BY paid_at, created_at, id. An order not yet paid has
    no paid_at, which SQLite sorts first and PostgreSQL last: a row comparison alone would drop those."""
    paid_at, created_at, order_id = after
    same_paid_later = tuple_(col(Order.created_at), col(Order.id)) > tuple_(created_at, order_id)
    unpaid_first = dialect == "sqlite"
    if paid_at is None:
        among_unpaid = and_(col(Order.paid_at).is_(None), same_paid_later)
        return or_(among_unpaid, col(Order.paid_at).is_not(None)) if unpaid_first else among_unpaid
    later = or_(col(Order.paid_at) > paid_at, and_(col(Order.paid_at) == paid_at, same_paid_later))
    return later if unpaid_first else or_(later, col(Order.paid_at).is_(None))


# --- one order, as CS sees it -------------------------------------------------------------------

@dataclass(frozen=True)
class Partner:
    order_id: int
    platform: str
    platform_order_id: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class ReviewDetail:
    order_id: int
    platform: str
    platform_order_id: str
    status: str
    receiver_name: str
    receiver_phone: str
    province: str
    city: str
    district: str
    address: str
    buyer_id: str
    buyer_remark: str
    seller_memo: str
    total_fen: int
    paid_fen: int
    discount_fen: int
    post_fee_fen: int
    created_at: datetime
    no_merge: bool
    lines: list[tuple[str, str, int, int]]  # sku, title, qty, price_fen
    holds: list[QueueHold]
    identity: str  # what recognises this receiver (matching.identity_basis)
    partners: list[Partner]  # orders with an open duplicate hold naming this one, or named by it
    history: history.CustomerHistory | None
    credit: history.CreditSummary | None


def review_detail(session: Session, order_id: int) -> ReviewDetail:
    """The order with its lines, open holds, duplicate partners, customer history and credit."""
    o = queries.get_order(session, order_id)
    lines = [(line.sku_code, line.title, line.qty, line.price_fen) for line in queries.lines_of(session, [o.id])[o.id]]
    open_ = [QueueHold(h.id, h.kind, h.blocking, h.reason, h.opened_at) for h in holds.open_holds(session, o.id)]
    past = history.customer_history(session, o.customer_id, limit=20) if o.customer_id else None
    return ReviewDetail(
        o.id, o.platform, o.platform_order_id, o.status, o.receiver_name, o.receiver_phone, o.receiver_province,
        o.receiver_city, o.receiver_district, o.receiver_address, o.buyer_id, o.buyer_remark, o.seller_memo,
        o.total_fen, o.paid_fen, o.discount_fen, o.post_fee_fen, o.created_at, o.no_merge, lines, open_,
        matching.identity_basis(matching.order_identity(o)),
        [Partner(p.id, p.platform, p.platform_order_id, p.status, p.created_at)
         for p in duplicate_partners(session, o)],
        past, history.credit_summary(past) if past else None,
    )


duplicate_partners = review_rules.duplicate_partners
_open_duplicate_hold = review_rules.open_duplicate_hold


# --- actions ------------------------------------------------------------------------------------

def _editable(order: Order) -> None:
    if OrderStatus(order.status) not in lifecycle.PRE_PICK:
        raise IllegalTransition(N_("order {order} is {status}; only orders not yet picked can be changed here"),
                                order=order.platform_order_id, status=order.status)


def _with_note(template: str, note: str) -> str:
    """A resolution CS gave, with their note after it when they wrote one."""
    if note:
        return phrase(N_("{resolution}: {note}"), resolution=phrase(template), note=note)
    return phrase(template)


def _resolve_kind(session: Session, order: Order, kind: HoldKind, *, actor: Actor, resolution: str) -> int:
    resolved = 0
    for hold in holds.open_holds(session, order.id):
        if hold.kind == kind:
            actions.resolve_hold(session, hold.id, actor=actor, resolution=resolution)
            resolved += 1
    return resolved


_RECEIVER_FIELDS = {"receiver_name": "name", "receiver_phone": "phone", "receiver_province": "province",
                    "receiver_city": "city", "receiver_district": "district", "receiver_address": "address"}


def update_address(session: Session, order_id: int, *, actor: Actor, province: str, city: str, district: str,
                   address: str, name: str | None = None, phone: str | None = None, note: str = "") -> Order:
    """Correct the receiver (CS checked with the buyer): old → new in the audit, ``address_invalid`` resolved.

    Refused (ValidationError naming what is wrong) when the new address would fail the address rule.
    """
    require(actor, "review.decide")
    user = actor.name
    order = queries.get_order(session, order_id)
    _editable(order)
    new = {"receiver_province": province.strip(), "receiver_city": city.strip(),
           "receiver_district": district.strip(), "receiver_address": address.strip(),
           "receiver_name": order.receiver_name if name is None else name.strip(),
           "receiver_phone": order.receiver_phone if phone is None else phone.strip()}
    problems = review_rules.address_problems(
        province=new["receiver_province"], city=new["receiver_city"], address=new["receiver_address"],
        phone=new["receiver_phone"], min_chars=review_rules.current_config().min_address_chars)
    if problems:
        raise ValidationError(N_("the address cannot be shipped to: {problems}"),
                              problems="; ".join(render(problem) for problem in problems))
    changes = {field: [getattr(order, field), value] for field, value in new.items() if getattr(order, field) != value}
    for field, (_old, value) in changes.items():
        setattr(order, field, value)
    if changes:
        order.updated_at = utcnow()
        session.add(order)
        session.flush()
    audit.record(session, user, "review.address", "order", order.id,
                 changes={_RECEIVER_FIELDS[f]: {"old": old, "new": value} for f, (old, value) in changes.items()},
                 note=note)
    _resolve_kind(session, order, HoldKind.ADDRESS_INVALID, actor=actor,
                  resolution=_with_note(N_("address corrected by CS") if changes else N_("address confirmed by CS"),
                                        note))
    if changes and review_rules.current_config().duplicate_check:
        review_rules.check_duplicates(session, order, user=user)
    lifecycle.settle_status(session, order, user=user)
    return order


def confirm_address(session: Session, order_id: int, *, actor: Actor, note: str = "") -> Order:
    """The address is right as it stands (CS asked the buyer): resolve ``address_invalid``."""
    require(actor, "review.decide")
    user = actor.name
    order = queries.get_order(session, order_id)
    if not holds.has_open(session, order.id, HoldKind.ADDRESS_INVALID):
        raise ValidationError(N_("order {order} has no open address hold"), order=order.platform_order_id)
    audit.record(session, user, "review.address_confirmed", "order", order.id, note=note)
    _resolve_kind(session, order, HoldKind.ADDRESS_INVALID, actor=actor,
                  resolution=_with_note(N_("address confirmed as it is"), note))
    return order


def accept_remark(session: Session, order_id: int, *, actor: Actor, note: str = "") -> Order:
    """CS read the buyer's remark and will follow it: resolve ``buyer_remark``."""
    require(actor, "review.decide")
    user = actor.name
    order = queries.get_order(session, order_id)
    if not holds.has_open(session, order.id, HoldKind.BUYER_REMARK):
        raise ValidationError(N_("order {order} has no open remark hold"), order=order.platform_order_id)
    audit.record(session, user, "review.remark_accepted", "order", order.id, remark=order.buyer_remark, note=note)
    _resolve_kind(session, order, HoldKind.BUYER_REMARK, actor=actor,
                  resolution=_with_note(N_("remark accepted"), note))
    return order


def _duplicate_group(session: Session, order_id: int) -> tuple[Order, list[Order]]:
    order = queries.get_order(session, order_id)
    partners = duplicate_partners(session, order)
    if _open_duplicate_hold(session, order.id) is None or not partners:
        raise ValidationError(N_("order {order} has no open duplicate suspicion"), order=order.platform_order_id)
    return order, partners


def merge_duplicates(session: Session, order_id: int, *, actor: Actor, note: str = "") -> list[Order]:
    """One purchase after all: ship together — the holds go and the orders form one parcel now, so the
    wave keeps them together even when masked receiver data would not match.

    Returns the orders of the group.
    """
    require(actor, "review.decide")
    user = actor.name
    order, partners = _duplicate_group(session, order_id)
    group = [order, *partners]
    refs = ", ".join(f"{o.platform} {o.platform_order_id}" for o in group)
    parcel = waves.form_parcel(session, group, user=user)
    for member in group:
        audit.record(session, user, "review.duplicate", "order", member.id, decision="merge",
                     orders=[o.id for o in group], parcel=parcel.id, note=note or "ship in one parcel")
        _resolve_kind(session, member, HoldKind.DUPLICATE_SUSPECT, actor=actor,
                      resolution=phrase(N_("duplicate confirmed, one parcel: {orders}"), orders=refs))
    return group


def keep_both(session: Session, order_id: int, *, actor: Actor, note: str = "") -> list[Order]:
    """Two real purchases: the holds go and each order ships on its own (``no_merge``)."""
    require(actor, "review.decide")
    user = actor.name
    order, partners = _duplicate_group(session, order_id)
    group = [order, *partners]
    refs = ", ".join(f"{o.platform} {o.platform_order_id}" for o in group)
    for member in group:
        member.no_merge = True
        session.add(member)
        audit.record(session, user, "review.duplicate", "order", member.id, decision="keep_both",
                     orders=[o.id for o in group], note=note)
        _resolve_kind(session, member, HoldKind.DUPLICATE_SUSPECT, actor=actor,
                      resolution=phrase(N_("not a duplicate, each ships on its own: {orders}"), orders=refs))
    return group


def cancel_order(session: Session, order_id: int, *, actor: Actor, reason: str) -> Order:
    """Cancel the order (stock goes back); ``actions.cancel`` releases a duplicate partner left alone."""
    require(actor, "review.decide")
    user = actor.name
    if not reason.strip():
        raise ValidationError(N_("a cancellation needs a reason"))
    order = queries.get_order(session, order_id)
    audit.record(session, user, "review.cancel", "order", order.id, reason=reason,
                 duplicate_of=[p.id for p in duplicate_partners(session, order)])
    actions.cancel(session, order, actor=actor, reason=reason)
    return order


def release_hold(session: Session, hold_id: int, *, actor: Actor, note: str = "") -> Order:
    """Let the order go on despite this hold (CS looked and it is fine). Approval holds are the approver's."""
    require(actor, "review.decide")
    user = actor.name
    hold = holds.get_hold(session, hold_id)
    actions.refuse_approval_hold(session, hold)  # decided by an approver, never released with a note
    if hold.kind == HoldKind.PLATFORM_BLOCKED:  # the platform would refuse the ship notice anyway
        raise ValidationError(N_("the platform forbids shipping this order: the sync releases it when the "
                                 "platform does"))
    if hold.resolved_at is not None:
        raise ValidationError(N_("hold {hold} ({kind}) is already resolved"), hold=hold.id, kind=hold.kind)
    audit.record(session, user, "review.release", "order", hold.order_id, hold=hold.id, kind=hold.kind, note=note)
    return actions.resolve_hold(session, hold.id, actor=actor, resolution=_with_note(N_("released by CS"), note))


def request_approval(session: Session, order_id: int, *, kind: str, reason: str, actor: Actor,
                     detail: dict[str, Any] | None = None, now: datetime | None = None) -> ApprovalRequest:
    """Ask for approval of a change (price change, gift, transfer, pre-sale delay …); the order waits in
    ``approval`` on the path the rules give (services/approvals). An address change is asked for once
    the order is being picked or packed — the pack station then refuses it until the decision."""
    require(actor, "approvals.request")
    order = queries.get_order(session, order_id)
    if kind == "address_change":
        if order.status not in (OrderStatus.PICKING, OrderStatus.PACKED):
            raise IllegalTransition(N_("order {order} is {status}: before picking CS changes the address itself"),
                                    order=order.platform_order_id, status=order.status)
    elif kind in INTAKE_APPROVAL_KINDS:
        raise ValidationError(N_("{kind} is asked for by the order itself on intake"),
                              kind=APPROVAL_KIND_NAMES[kind], translated=("kind",))
    else:
        _editable(order)
    return approval_requests.open_request(session, order, kind=kind, reason=reason, user=actor.name, detail=detail,
                                          now=now)

