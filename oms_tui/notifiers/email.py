"""Alerts by e-mail: a channel's notice through the SMTP server of ``[smtp]`` (smtp.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from oms_tui.config import NotifyChannel, SmtpConfig
from oms_tui.notifiers.smtp import SmtpMailer
from oms_tui.services.messaging.channels import RenderedNotice

log = logging.getLogger(__name__)


class EmailNotifier:
    """Mails each notice to the channel's recipients; a server that is away or refuses it raises
    MailError (tried again), one without ``[smtp] host`` a ConfigError (waits until it is set)."""

    def __init__(self, channel: NotifyChannel, smtp: SmtpConfig,
                 mailer_factory: Callable[[SmtpConfig], SmtpMailer] = SmtpMailer) -> None:
        self.channel = channel
        self.smtp = smtp
        self.mailer_factory = mailer_factory

    def __repr__(self) -> str:
        return f"EmailNotifier({self.channel.name!r})"

    def send(self, notice: RenderedNotice) -> None:
        mailer = self.mailer_factory(self.smtp)
        refused = mailer.send(self.channel.recipients, notice.title, notice.text)
        if refused:  # the others have it; sending again would repeat it to them
            log.warning("channel %s: the mail server refused %s", self.channel.name, ", ".join(refused))

    def close(self) -> None:
        pass
