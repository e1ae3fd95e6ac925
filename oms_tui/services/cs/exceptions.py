"""Exceptions: the open holds of every kind with their age, resolving them, the exception ratio,
and the alerts waiting in the outbox.

Bulk resolving is allowed only for kinds whose resolution needs no decision about the order
(``BULK_SAFE_KINDS``): ``logistics_stalled``, ``notify_failed`` and ``print_failed`` (non-blocking:
somebody looked, the order is not held by them) and ``lock_expired`` (resolving re-allocates the
order's stock through ``actions.resolve_hold``, as resolving it one by one does). Every other kind —
address, remark, coupon, duplicate, limit, shortage, scan mismatches, sync conflicts, refused ship
notices — asks a person to decide for that order. Approval holds are not the desk's at all: only an
approval decision closes them (services/approvals), so the one who asked cannot let the order go.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, tuple_
from sqlmodel import Session, col, select

from oms_tui.errors import ValidationError
from oms_tui.i18n import N_
from oms_tui.models import Hold, HoldKind, Order, Outbox, utcnow
from oms_tui.names import HOLD_NAMES
from oms_tui.services.core import audit, outbox
from oms_tui.services.core.actor import Actor, require
from oms_tui.services.floor import ship_notices
from oms_tui.services.orders import actions, holds

BULK_SAFE_KINDS = frozenset({HoldKind.LOGISTICS_STALLED, HoldKind.NOTIFY_FAILED, HoldKind.PRINT_FAILED,
                             HoldKind.LOCK_EXPIRED})
BULK_LIMIT = 1000  # holds resolved in one go (one transaction)


@dataclass(frozen=True)
class ExceptionFilter:
    kind: str | None = None
    blocking: bool | None = None
    min_age_hours: float | None = None  # opened at least this long ago

    def apply(self, stmt, now: datetime | None = None):
        stmt = stmt.where(col(Hold.resolved_at).is_(None))
        if self.kind:
            if self.kind not in {k.value for k in HoldKind}:
                raise ValidationError(N_("unknown hold kind {kind!r}; one of: {kinds}"), kind=self.kind,
                                      kinds=", ".join(k.value for k in HoldKind))
            stmt = stmt.where(Hold.kind == self.kind)
        if self.blocking is not None:
            stmt = stmt.where(col(Hold.blocking).is_(self.blocking))
        if self.min_age_hours:
            if self.min_age_hours < 0:
                raise ValidationError(N_("the age must be zero or more hours"))
            stmt = stmt.where(col(Hold.opened_at) <= (now or utcnow()) - timedelta(hours=self.min_age_hours))
        return stmt


@dataclass(frozen=True)
class ExceptionRow:
    hold_id: int
    kind: str
    blocking: bool
    reason: str
    opened_at: datetime
    opened_by: str
    order_id: int
    platform: str
    platform_order_id: str
    order_status: str

    def age_hours(self, now: datetime | None = None) -> float:
        return ((now or utcnow()) - self.opened_at).total_seconds() / 3600


def count_open(session: Session, flt: ExceptionFilter | None = None, *, now: datetime | None = None,
               cap: int | None = None) -> int:
    """Open holds matching; with ``cap``, counting stops past it (the answer is then ``cap + 1``)."""
    if cap is None:
        return session.exec((flt or ExceptionFilter()).apply(select(func.count()).select_from(Hold), now)).one()
    matching = (flt or ExceptionFilter()).apply(select(Hold.id), now).limit(cap + 1).subquery()
    return session.exec(select(func.count()).select_from(matching)).one()


def list_open(session: Session, flt: ExceptionFilter | None = None, *, limit: int = 50, offset: int = 0,
              now: datetime | None = None, after: tuple[datetime, int] | None = None) -> list[ExceptionRow]:
    """One page of open holds, the oldest first, with their order: ``offset`` rows in, or (keyset) the
    holds after ``after``, the (opened_at, id) of the last hold of the page before."""
    if limit <= 0 or offset < 0:
        raise ValidationError(N_("limit must be positive and offset zero or more"))
    stmt = (flt or ExceptionFilter()).apply(
        select(Hold, Order.platform, Order.platform_order_id, Order.status)
        .join(Order, col(Order.id) == col(Hold.order_id)), now)
    if after is not None:
        stmt = stmt.where(tuple_(col(Hold.opened_at), col(Hold.id)) > tuple_(*after))
    stmt = stmt.order_by(col(Hold.opened_at), col(Hold.id)).limit(limit)
    rows = session.exec(stmt.offset(offset) if offset else stmt)
    return [ExceptionRow(h.id, h.kind, h.blocking, h.reason, h.opened_at, h.opened_by, h.order_id, platform,
                         poid, status) for h, platform, poid, status in rows]


@dataclass(frozen=True)
class KindCount:
    kind: str
    open: int
    oldest_opened_at: datetime | None

    @property
    def bulk_safe(self) -> bool:
        return self.kind in BULK_SAFE_KINDS


def counts_by_kind(session: Session) -> list[KindCount]:
    """Open holds per kind, the most first."""
    rows = session.exec(select(Hold.kind, func.count(), func.min(Hold.opened_at))
                        .where(col(Hold.resolved_at).is_(None)).group_by(Hold.kind))
    return sorted((KindCount(kind, count, oldest) for kind, count, oldest in rows),
                  key=lambda k: (-k.open, k.kind))


def resolvable_kind(session: Session, hold_id: int) -> str:
    """The hold's kind, when the desk may resolve it; an approval hold is refused, saying who decides it."""
    hold = holds.get_hold(session, hold_id)
    actions.refuse_approval_hold(session, hold)
    return hold.kind


def resolve(session: Session, hold_id: int, *, actor: Actor, resolution: str, resend: bool = True) -> Order:
    """Resolve one hold (a person decided); the order's status follows its remaining holds.

    A ``ship_notice_failed`` hold is resolved once CS has put the order right on the platform: the ship
    notice then goes again (``resend``), unless they told the platform by hand (``resend=False``).
    """
    require(actor, "exceptions.resolve")
    if not resolution.strip():
        raise ValidationError(N_("say how the exception was resolved"))
    kind = resolvable_kind(session, hold_id)
    order = actions.resolve_hold(session, hold_id, actor=actor, resolution=resolution.strip())
    if kind == HoldKind.SHIP_NOTICE_FAILED and resend:
        ship_notices.resend(session, order, user=actor.name)
    return order


def bulk_resolve(session: Session, kind: str, *, actor: Actor, resolution: str, min_age_hours: float | None = None,
                 hold_ids: list[int] | None = None) -> int:
    """Resolve every open hold of one bulk-safe ``kind`` (optionally only these ids, or older ones).

    Refused for kinds that need a decision per order. Returns how many were resolved (at most
    BULK_LIMIT; run again for more).
    """
    require(actor, "exceptions.bulk_resolve")
    user = actor.name
    if kind in holds.APPROVAL_KINDS:
        raise ValidationError(N_("{kind} holds wait for an approval decision (oms approvals): they are not resolved "
                                 "here"), kind=HOLD_NAMES.get(kind, kind), translated=("kind",))
    if kind not in BULK_SAFE_KINDS:
        safe = ", ".join(sorted(BULK_SAFE_KINDS))
        raise ValidationError(N_("{kind} holds need a decision per order; only these resolve in bulk: {safe}"),
                              kind=kind, safe=safe)
    if not resolution.strip():
        raise ValidationError(N_("say how the exceptions were resolved"))
    stmt = ExceptionFilter(kind=kind, min_age_hours=min_age_hours).apply(select(Hold.id))
    if hold_ids is not None:
        if not hold_ids:
            return 0
        stmt = stmt.where(col(Hold.id).in_(hold_ids))
    ids = list(session.exec(stmt.order_by(col(Hold.id)).limit(BULK_LIMIT)))
    for hold_id in ids:
        actions.resolve_hold(session, hold_id, actor=actor, resolution=resolution.strip())
    if ids:
        audit.record(session, user, "exceptions.bulk_resolve", "hold", kind, holds=ids, resolution=resolution)
    return len(ids)


@dataclass(frozen=True)
class ExceptionRatio:
    since: datetime
    until: datetime
    orders: int  # orders created in the period
    with_holds: int  # of those, orders with any hold opened in the period

    @property
    def percent(self) -> float:
        return 100.0 * self.with_holds / self.orders if self.orders else 0.0


def exception_ratio(session: Session, *, since: datetime, until: datetime | None = None) -> ExceptionRatio:
    """Orders created in [since, until) that had any hold opened in it ÷ all orders created in it."""
    until = until or utcnow()
    if until <= since:
        raise ValidationError(N_("the period must end after it starts"))
    in_period = (col(Order.created_at) >= since) & (col(Order.created_at) < until)
    total = session.exec(select(func.count()).select_from(Order).where(in_period)).one()
    held = select(Hold.id).where(Hold.order_id == Order.id, col(Hold.opened_at) >= since,
                                 col(Hold.opened_at) < until).exists()
    with_holds = session.exec(select(func.count()).select_from(Order).where(in_period, held)).one()
    return ExceptionRatio(since, until, total, with_holds)


@dataclass(frozen=True)
class AlertRow:
    id: int
    created_at: datetime
    subject: str
    target: str
    channel: str
    status: str
    attempts: int
    last_error: str
    order_id: int | None
    platform_order_id: str | None


# An alert waits until it is routed, then each channel's copy (`notify`) until that channel has it.
_PENDING_ALERTS = (col(Outbox.kind).in_([outbox.MessageKind.ALERT.value, outbox.MessageKind.NOTIFY.value]),
                   col(Outbox.status).in_(outbox.OPEN_STATUSES))


def count_alerts(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Outbox).where(*_PENDING_ALERTS)).one()


def pending_alerts(session: Session, *, limit: int = 50, offset: int = 0) -> list[AlertRow]:
    """Alerts not routed yet and channel messages not delivered yet, the newest first (``subject`` is a stored
    phrase: render it)."""
    rows = session.exec(
        select(Outbox, Order.platform_order_id).outerjoin(Order, col(Order.id) == col(Outbox.order_id))
        .where(*_PENDING_ALERTS).order_by(col(Outbox.id).desc()).limit(limit).offset(offset))
    return [AlertRow(m.id, m.created_at, m.subject, m.target, m.channel, m.status, m.attempts, m.last_error,
                     m.order_id, poid) for m, poid in rows]


@dataclass(frozen=True)
class DeskSummary:
    """The exceptions desk's header and alert list: the ratio since a time, the open holds, the alerts waiting."""

    ratio: ExceptionRatio
    open_holds: int
    alerts: int
    pending: list[AlertRow]


def desk_summary(session: Session, *, since: datetime, alert_limit: int = 20,
                 open_cap: int | None = None) -> DeskSummary:
    """Everything the desk shows beside its table, in one read; the open holds counted up to ``open_cap``
    (``count_open``'s cap)."""
    return DeskSummary(exception_ratio(session, since=since), count_open(session, cap=open_cap), count_alerts(session),
                       pending_alerts(session, limit=alert_limit))
