"""Sending the `notify` messages: each one channel's copy of an alert, through that channel's adapter.

Pace: a channel takes at most ``per_minute`` messages a minute (the robots allow about 20). The
sender counts what the channel was sent in the last minute (``prepare`` reads it once per run)
and defers the rest until their turn — ``outbox.Deferred``: not dropped, not a failed attempt.

Failures follow the adapter's verdict (channels.py): down or rate-limited by the service → tried
again with the outbox's back-off; refused → failed now. A message that fails for good opens a
``notify_failed`` hold on its order, through ``order_failed`` (the orders area is above this one,
so the scheduler hands the hold-opener in); for an alert without an order a `notify_failed` alert is
raised (its roles' channels, the Alerts screen), never for a `notify_failed` alert itself.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from oms_tui.config import Settings
from oms_tui.i18n import N_
from oms_tui.models import Outbox, OutboxStatus, utcnow
from oms_tui.phrases import english, phrase
from oms_tui.services.core import outbox
from oms_tui.services.messaging import alerts, events, templates
from oms_tui.services.messaging.channels import Notifier, NotifierFactory
from oms_tui.services.messaging.routing import RoutingTable

log = logging.getLogger(__name__)

MINUTE = timedelta(minutes=1)
# Called in the transaction that marks a message failed: (session, order id, reason as a stored phrase).
OrderFailed = Callable[[Session, int, str], None]
FAILED_REASON = N_("alert not delivered to {channel}: {error}")
NOT_DELIVERED = N_("not delivered to {channel}: {subject}")


class NotifySender(outbox.Sender):
    """Sends `notify` messages through each channel's adapter, one adapter per channel per run."""

    def __init__(self, settings: Settings, notifier_factory: NotifierFactory, *,
                 order_failed: OrderFailed | None = None, table: RoutingTable | None = None) -> None:
        self.settings = settings
        self.table = table or RoutingTable.from_settings(settings)
        self.notifier_factory = notifier_factory
        self.order_failed = order_failed
        self.notifiers: dict[str, Notifier] = {}
        self._now: datetime | None = None
        self._recent: dict[str, list[datetime]] = defaultdict(list)

    def prepare(self, session: Session, now: datetime | None) -> None:
        self._now = now
        since = (now or utcnow()) - MINUTE
        rows = session.exec(select(Outbox.channel, Outbox.sent_at).where(
            Outbox.kind == outbox.MessageKind.NOTIFY.value, Outbox.status == OutboxStatus.SENT.value,
            col(Outbox.sent_at) >= since))
        self._recent = defaultdict(list)
        for channel, sent_at in rows:
            self._recent[channel].append(sent_at)
        for times in self._recent.values():
            times.sort()

    def send(self, message: outbox.Claimed) -> None:
        channel = self.table.channels.get(message.channel)
        if channel is None:
            raise outbox.Undeliverable(N_("channel {channel!r} is no longer configured ([[notify.channels]])"),
                                       channel=message.channel)
        at = self._now or utcnow()
        window = [t for t in self._recent[channel.name] if t > at - MINUTE]
        if len(window) >= channel.pace:
            raise outbox.Deferred(N_("waiting its turn: {channel} takes {count} messages a minute"),
                                  until=window[0] + MINUTE, channel=channel.name, count=channel.pace)
        window.append(at)  # an attempt counts against the pace whether or not it gets through
        self._recent[channel.name] = window
        notice = templates.render(message.payload, message.subject,
                                  language=channel.language or self.table.language or self.settings.language,
                                  shop_name=self.settings.shop_name,
                                  mentions=tuple(channel.phones) if channel.kind in ("dingtalk", "wecom") else ())
        if channel.name not in self.notifiers:
            self.notifiers[channel.name] = self.notifier_factory(channel, self.settings)
        self.notifiers[channel.name].send(notice)

    def gave_up(self, session: Session, message: Outbox) -> None:
        log.warning("alert message %s to %s failed for good: %s", message.id, message.channel, message.last_error)
        reason = phrase(FAILED_REASON, channel=message.channel, error=message.last_error[:300])
        if message.order_id is not None and self.order_failed is not None:
            self.order_failed(session, message.order_id, reason)
            return
        original = outbox.parse_payload(outbox.MessageKind.NOTIFY, message.payload)
        if original.event == events.NOTIFY_FAILED:
            return  # a failure notice that failed is not announced again: no loop
        # No order to hold: the failure becomes an alert of its own, on the Alerts view and to its roles.
        alerts.raise_alert(session, events.NOTIFY_FAILED,
                           alerts.subject_phrase(NOT_DELIVERED, channel=message.channel,
                                                 subject=english(message.subject)[:80]),
                           shop=original.shop, platform=original.platform,
                           detail={"alert": str(message.alert_id), "error": message.last_error[:300]})

    def close(self) -> None:
        notifiers, self.notifiers = self.notifiers, {}
        for notifier in notifiers.values():
            notifier.close()
