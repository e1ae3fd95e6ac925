"""Routing: each alert becomes one `notify` message per channel of the roles it is for.

Who hears of an alert: the roles it names, else ``[notify.events]``'s roles for its event, else the
built-in default (events.py). Where they hear it: ``[notify.routes]`` role → channel names (``"*"``:
every role without a route of its own), plus, for every alert, the legacy ``alert_recipients``
e-mail list. ``RoutingTable.from_settings`` checks the whole thing once and names a bad entry.

``route_alerts`` takes each pending alert in its own short transaction: a conditional update marks
it routed (``sent``; so of two routers one wins) and, in that same transaction, writes its channel
messages — unique per (alert, channel) in the database too — so every channel gets the alert
exactly once, however often routing runs or crashes. A channel that already had the same subject
within ``dedupe_minutes`` is left out: the same "stock short TW-001" twice in half an hour is one
message. No network here; the messages are sent by delivery.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from oms_tui.config import NotifyChannel, Settings
from oms_tui.db import read_session, session_scope
from oms_tui.errors import ConfigError
from oms_tui.i18n import N_
from oms_tui.models import Outbox, OutboxStatus, utcnow
from oms_tui.phrases import english, phrase
from oms_tui.services.core import outbox
from oms_tui.services.core.actor import ROLES
from oms_tui.services.messaging import events
from oms_tui.services.messaging.alerts import role_list

ANY_ROLE = "*"
LEGACY_EMAIL = "alert_recipients"  # the channel ``alert_recipients`` becomes (every alert, by e-mail)

NO_CHANNEL = N_("not sent: no channel is configured for {roles} ([notify.routes])")
DUPLICATE = N_("not sent again: the same subject went to {channels} within {minutes} minutes")


@dataclass(frozen=True)
class RoutingTable:
    channels: dict[str, NotifyChannel]
    routes: dict[str, tuple[str, ...]]
    events: dict[str, tuple[str, ...]]
    everything: tuple[str, ...] = ()  # channels every alert goes to (alert_recipients)
    dedupe: timedelta = timedelta(minutes=30)
    language: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> RoutingTable:
        """The table the settings describe; ConfigError naming the entry when a role is not one of ours."""
        notify = settings.notify
        known = set(ROLES)
        for role in notify.routes:
            if role != ANY_ROLE and role not in known:
                raise ConfigError(N_("[notify.routes] {role}: not a role (roles: {roles})"), role=role,
                                  roles=", ".join(ROLES))
        for event, roles in notify.events.items():
            unknown = [role for role in roles if role not in known]
            if unknown:
                raise ConfigError(N_("[notify.events] {event}: {role} is not a role (roles: {roles})"),
                                  event=event, role=unknown[0], roles=", ".join(ROLES))
        channels = {channel.name: channel for channel in notify.channels}
        everything: tuple[str, ...] = ()
        if settings.alert_recipients:
            name = LEGACY_EMAIL
            channels[name] = NotifyChannel(name=name, kind="email", recipients=settings.alert_recipients)
            everything = (name,)
        return cls(channels=channels, routes={role: tuple(names) for role, names in notify.routes.items()},
                   events={event: tuple(roles) for event, roles in notify.events.items()}, everything=everything,
                   dedupe=timedelta(minutes=notify.dedupe_minutes), language=settings.language)

    def roles_for(self, alert: outbox.Alert) -> tuple[str, ...]:
        if alert.roles:
            return tuple(alert.roles)
        if alert.event in self.events:
            return self.events[alert.event]
        return events.DEFAULT_ROLES.get(alert.event, events.FALLBACK_ROLES)

    def channels_for(self, roles: tuple[str, ...]) -> list[str]:
        names: list[str] = []
        for role in roles:
            names += self.routes.get(role, self.routes.get(ANY_ROLE, ()))
        return list(dict.fromkeys(names + list(self.everything)))


@dataclass
class RoutingResult:
    routed: int = 0  # alerts that became channel messages
    messages: int = 0  # channel messages written
    skipped: int = 0  # alerts with no channel, or only duplicates
    skipped_reasons: list[str] = field(default_factory=list)


def route_alerts(engine: Engine, table: RoutingTable, *, now: datetime | None = None, limit: int = 500) -> RoutingResult:
    """Route the pending alerts (oldest first), each in its own short transaction."""
    now = now or utcnow()
    result = RoutingResult()
    with read_session(engine) as session:
        ids = [m.id for m in outbox.due(session, outbox.MessageKind.ALERT, limit, now=now)]
    for alert_id in ids:
        with session_scope(engine) as session:
            _route_one(session, table, alert_id, now, result)
    return result


def _route_one(session: Session, table: RoutingTable, alert_id: int, now: datetime, result: RoutingResult) -> None:
    taken = session.execute(
        update(Outbox)
        .where(col(Outbox.id) == alert_id, col(Outbox.kind) == outbox.MessageKind.ALERT.value,
               col(Outbox.status).in_(outbox.OPEN_STATUSES))
        .values(status=OutboxStatus.SENT.value, sent_at=now, attempts=col(Outbox.attempts) + 1, last_error=""))
    if taken.rowcount != 1:
        return  # another router has it
    row = session.get(Outbox, alert_id)
    alert: outbox.Alert = outbox.parse_payload(outbox.MessageKind.ALERT, row.payload)
    roles = table.roles_for(alert)
    row.target = role_list(roles)
    names = table.channels_for(roles)
    if not names:
        _skip(row, phrase(NO_CHANNEL, roles=", ".join(roles)), result)
        session.add(row)
        return
    payload = alert.model_copy(update={"roles": list(roles)})
    duplicates = []
    for name in names:
        if table.dedupe and row.subject and _sent_lately(session, name, row.subject, now - table.dedupe):
            duplicates.append(name)
            continue
        message = outbox.enqueue(session, outbox.MessageKind.NOTIFY, channel=name, target=row.target,
                                 subject=row.subject, payload=payload, order_id=row.order_id, alert_id=row.id)
        message.created_at = message.next_attempt_at = now
        result.messages += 1
    if duplicates:
        reason = phrase(DUPLICATE, channels=", ".join(duplicates), minutes=f"{table.dedupe.total_seconds() / 60:g}")
        if len(duplicates) == len(names):
            _skip(row, reason, result)
            session.add(row)
            return
        row.last_error = reason
    result.routed += 1
    session.add(row)


def _skip(row: Outbox, reason: str, result: RoutingResult) -> None:
    row.status = OutboxStatus.SKIPPED
    row.last_error = reason[:500]
    result.skipped += 1
    result.skipped_reasons.append(f"alert {row.id}: {english(reason)}")


def _sent_lately(session: Session, channel: str, subject: str, since: datetime) -> bool:
    """Whether ``channel`` was given a message with ``subject`` since ``since``."""
    return session.exec(
        select(Outbox.id).where(Outbox.kind == outbox.MessageKind.NOTIFY.value, Outbox.channel == channel,
                                Outbox.subject == subject, col(Outbox.created_at) >= since).limit(1)
    ).first() is not None
