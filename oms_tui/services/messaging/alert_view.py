"""The Alerts view's read model: each alert, the roles it was for, and what became of it on each channel.

A user sees the alerts for the roles they hold; a manager (and an administrator) sees every role's.
An alert's status: *waiting* (not routed yet, or a channel still to deliver), *sent* (every channel
took it), *failed* (a channel gave up on it: a person must act), *not sent* (no channel for its
roles, or the same subject was just sent). Newest first, a page at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from oms_tui.i18n import N_
from oms_tui.models import Outbox, OutboxStatus
from oms_tui.services.core import outbox
from oms_tui.services.core.actor import ALL_POWERFUL, MANAGER, Actor, require
from oms_tui.services.messaging import events
from oms_tui.services.messaging.alerts import role_list, roles_of

SENT, WAITING, FAILED, NOT_SENT = "sent", "waiting", "failed", "not_sent"
STATUS_NAMES = {SENT: N_("sent"), WAITING: N_("waiting"), FAILED: N_("failed"), NOT_SENT: N_("not sent")}
SEES_EVERY_ROLE = frozenset({MANAGER}) | ALL_POWERFUL


@dataclass(frozen=True)
class Delivery:
    """One channel's copy of an alert."""

    channel: str
    status: str  # SENT, WAITING or FAILED
    attempts: int
    note: str  # the last error, or why it waits (English, as the channel or the dispatcher said it)
    sent_at: datetime | None
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class AlertEntry:
    id: int
    created_at: datetime
    event: str
    title: str  # the event's msgid (events.title)
    subject: str  # stored phrase or text: render it for the reader
    order: str  # platform order id, if any
    shop: str
    roles: tuple[str, ...]
    status: str
    note: str  # stored phrase (not sent: why) or ""
    deliveries: tuple[Delivery, ...]


def visible_roles(actor: Actor) -> tuple[str, ...] | None:
    """The roles whose alerts ``actor`` may see; None: every role's."""
    if actor.roles & SEES_EVERY_ROLE:
        return None
    return tuple(sorted(actor.roles))


def _filters(actor: Actor, role: str | None) -> list:
    require(actor, "alerts.view")
    visible = visible_roles(actor)
    if role is not None:
        if visible is not None and role not in visible:
            return [col(Outbox.id) < 0]  # someone else's role: nothing
        visible = (role,)
    where = [Outbox.kind == outbox.MessageKind.ALERT.value]
    if visible is not None:
        if not visible:
            return [col(Outbox.id) < 0]
        where.append(or_(*(col(Outbox.target).contains(role_list([r]), autoescape=True) for r in visible)))
    return where


def count_alerts(session: Session, actor: Actor, *, role: str | None = None) -> int:
    return session.exec(select(func.count()).select_from(Outbox).where(*_filters(actor, role))).one()


def list_alerts(session: Session, actor: Actor, *, role: str | None = None, limit: int = 50,
                offset: int = 0) -> list[AlertEntry]:
    """The alerts ``actor`` may see (of ``role`` only, when given), newest first, with their deliveries."""
    rows = list(session.exec(select(Outbox).where(*_filters(actor, role)).order_by(col(Outbox.id).desc())
                             .limit(limit).offset(offset)))
    children: dict[int, list[Outbox]] = {}
    if rows:
        for child in session.exec(select(Outbox).where(col(Outbox.alert_id).in_([r.id for r in rows]))
                                  .order_by(col(Outbox.id))):
            children.setdefault(child.alert_id, []).append(child)
    return [_entry(row, children.get(row.id, [])) for row in rows]


def _entry(row: Outbox, children: list[Outbox]) -> AlertEntry:
    try:
        alert: outbox.Alert = outbox.parse_payload(outbox.MessageKind.ALERT, row.payload)
        event, order, shop = alert.event, alert.order, alert.shop
    except Exception:  # noqa: BLE001 - a row written by hand or by an older version: still listed
        event, order, shop = "", "", ""
    deliveries = tuple(Delivery(c.channel, _delivery_status(c.status), c.attempts, c.last_error, c.sent_at,
                                c.next_attempt_at if c.status in outbox.OPEN_STATUSES else None) for c in children)
    return AlertEntry(row.id, row.created_at, event, events.title(event), row.subject, order, shop,
                      tuple(roles_of(row.target)), _alert_status(row, deliveries), row.last_error, deliveries)


def _delivery_status(status: str) -> str:
    if status == OutboxStatus.SENT:
        return SENT
    if status in (OutboxStatus.FAILED, OutboxStatus.SKIPPED):
        return FAILED
    return WAITING


def _alert_status(row: Outbox, deliveries: tuple[Delivery, ...]) -> str:
    if row.status == OutboxStatus.SKIPPED:
        return NOT_SENT
    if row.status in outbox.OPEN_STATUSES:
        return WAITING
    if any(d.status == FAILED for d in deliveries):
        return FAILED
    if any(d.status == WAITING for d in deliveries):
        return WAITING
    return SENT if deliveries else NOT_SENT


def count_failed(session: Session) -> int:
    """Channel messages that gave up (the exceptions desk shows the count: each needs a person)."""
    return session.exec(select(func.count()).select_from(Outbox).where(
        Outbox.kind == outbox.MessageKind.NOTIFY.value, Outbox.status == OutboxStatus.FAILED.value)).one()
