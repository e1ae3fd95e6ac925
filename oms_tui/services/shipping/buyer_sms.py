"""Sending the `buyer_sms` outbox messages: one approved-template text to one buyer through an SMS channel.

The channel is a ``[[notify.channels]]`` of kind ``sms``; its adapter's ``send_template`` sends to the
buyer's number with the message's template and values (not the alert template the channel has).
"""

from __future__ import annotations

from sqlmodel import Session

from oms_tui.config import Settings
from oms_tui.i18n import N_
from oms_tui.models import Outbox, utcnow
from oms_tui.services.core import outbox
from oms_tui.services.messaging.channels import NotifierFactory


class BuyerSmsSender(outbox.Sender):
    def __init__(self, settings: Settings, notifier_factory: NotifierFactory) -> None:
        self.settings = settings
        self.notifier_factory = notifier_factory
        self.notifiers: dict[str, object] = {}

    def send(self, message: outbox.Claimed) -> None:
        channel = next((c for c in self.settings.notify.channels if c.name == message.channel), None)
        if channel is None or channel.kind != "sms":
            raise outbox.Undeliverable(N_("SMS channel {channel!r} is not configured ([[notify.channels]], kind sms)"),
                                       channel=message.channel)
        if channel.name not in self.notifiers:
            self.notifiers[channel.name] = self.notifier_factory(channel, self.settings)
        notifier = self.notifiers[channel.name]
        send_template = getattr(notifier, "send_template", None)
        if send_template is None:
            raise outbox.Undeliverable(N_("channel {channel!r} cannot send a text to a buyer"), channel=channel.name)
        payload: outbox.BuyerSms = message.payload
        if payload.expires_at is not None and payload.expires_at <= utcnow():
            raise outbox.NotNeeded(N_("the text expired before it could be sent"))
        send_template([payload.phone], payload.template_code, payload.values)

    def gave_up(self, session: Session, message: Outbox) -> None:
        """The buyer was not told; the stall's hold is already on the Exceptions screen for CS."""

    def close(self) -> None:
        notifiers, self.notifiers = self.notifiers, {}
        for notifier in notifiers.values():
            close = getattr(notifier, "close", None)
            if close:
                close()
