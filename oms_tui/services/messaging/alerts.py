"""Alerts by e-mail: each `alert` row of the outbox goes to every address in ``alert_recipients``
over the configured SMTP server. No recipients configured → the alert is marked ``skipped`` with
that reason (it is not retried: nobody would ever receive it); no SMTP server, or one that is
down → it waits with back-off like any other message."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from oms_tui import phrases
from oms_tui.config import Settings, SmtpConfig
from oms_tui.i18n import N_, translator
from oms_tui.services.core import outbox

log = logging.getLogger(__name__)

NO_RECIPIENTS = N_("not sent: no alert recipients are configured (alert_recipients)")

EVENTS = {
    "stock_short": N_("Stock short"),
}
LABELS = {
    "event": N_("Event"),
    "order": N_("Order"),
    "platform": N_("Platform"),
    "skus": N_("SKUs"),
}


class Mailer(Protocol):
    """An e-mail adapter (oms_tui/notifiers/smtp.py): sends one message, returns the recipients the
    server refused while taking it for the others; raises an OmsError when it could not send it."""

    def send(self, recipients: Sequence[str], subject: str, body: str) -> list[str]: ...


MailerFactory = Callable[[SmtpConfig], Mailer]


class AlertEmailSender(outbox.Sender):
    def __init__(self, settings: Settings, mailer_factory: MailerFactory) -> None:
        self.settings = settings
        self.mailer_factory = mailer_factory

    def send(self, message: outbox.Claimed) -> None:
        recipients = self.settings.alert_recipients
        if not recipients:
            raise outbox.NotNeeded(NO_RECIPIENTS)
        subject, body = render(message, self.settings)
        mailer = self.mailer_factory(self.settings.smtp)  # ConfigError without a server: waits for one
        refused = mailer.send(recipients, subject, body)
        if refused:  # the others have it; sending again would repeat it to them
            log.warning("alert %s: the mail server refused %s", message.id, ", ".join(refused))


def render(message: outbox.Claimed, settings: Settings) -> tuple[str, str]:
    """The e-mail's subject and body, in the configured language."""
    _ = translator(settings.language)
    alert: outbox.Alert = message.payload
    event = _(EVENTS[alert.event]) if alert.event in EVENTS else alert.event
    headline = phrases.render(message.subject, _) or event  # a stored phrase: in the recipients' language
    subject = f"[{settings.shop_name}] {headline}"
    lines = [headline, "", f"{_(LABELS['event'])}: {event}"]
    if alert.order:
        order = f"{alert.order} ({alert.platform})" if alert.platform else alert.order
        lines.append(f"{_(LABELS['order'])}: {order}")
    elif alert.platform:
        lines.append(f"{_(LABELS['platform'])}: {alert.platform}")
    if alert.skus:
        lines.append(f"{_(LABELS['skus'])}: {', '.join(alert.skus)}")
    lines.extend(f"{key}: {value}" for key, value in alert.detail.items())
    lines += ["", f"— {settings.shop_name} OMS"]
    return subject, "\n".join(lines) + "\n"
