"""E-mail over SMTP with the standard library (smtplib, email).

One connection per ``SmtpMailer.send``; the password is used for the login and nowhere else —
an error names the server and what it answered, never the password (scrubbed in case a server
echoes it back).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from oms_tui.config import SmtpConfig
from oms_tui.errors import ConfigError, OmsError
from oms_tui.i18n import N_


class MailError(OmsError):
    """The mail server could not be reached or refused the message; worth trying again later."""


def build_message(sender: str, recipients: Sequence[str], subject: str, body: str) -> EmailMessage:
    """A plain-text UTF-8 message (Chinese subjects are encoded for the header by the email package)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body)
    return message


class SmtpMailer:
    def __init__(self, config: SmtpConfig) -> None:
        if not config.host:
            raise ConfigError(N_("no SMTP server is configured: set [smtp] host (OMS_SMTP__HOST)"))
        if not config.sender:
            raise ConfigError(N_("no sender address: set [smtp] from (OMS_SMTP__FROM) or user"))
        self.config = config

    def __repr__(self) -> str:
        return f"SmtpMailer({self.where()})"

    def where(self) -> str:
        return f"{self.config.host}:{self.config.port}"

    def send(self, recipients: Sequence[str], subject: str, body: str) -> list[str]:
        """Send one message to ``recipients``; returns those the server refused while taking it for the
        others. MailError when the server is away or refuses the message."""
        config = self.config
        message = build_message(config.sender, recipients, subject, body)
        try:
            if config.security == "ssl":
                smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout,
                                        context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
            with smtp:
                if config.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if config.user:
                    smtp.login(config.user, config.password.get_secret_value())
                refused = smtp.send_message(message, from_addr=config.sender, to_addrs=list(recipients))
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(self._scrub(f"SMTP {self.where()}: {_describe(exc)}")) from None
        return sorted(refused)

    def _scrub(self, text: str) -> str:
        secret = self.config.password.get_secret_value()
        return text.replace(secret, "***") if secret else text


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "every recipient refused: " + ", ".join(sorted(exc.recipients))
    return str(exc) or type(exc).__name__
