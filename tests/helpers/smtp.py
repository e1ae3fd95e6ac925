"""A real SMTP server on loopback (aiosmtpd) that keeps every message it is sent, for the alert tests."""

from __future__ import annotations

import email
import email.policy
import socket

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "oms-robot", "pw-7f3c9e1d"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """The SMTP server's handler: keeps every message, and runs a check while a client is talking to it."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.during_send = lambda: None
        self.check_failures: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        try:
            self.during_send()
        except AssertionError as exc:
            self.check_failures.append(str(exc))
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK"


def _authenticate(server, session, envelope, mechanism, auth_data):
    good = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(), PASSWORD.encode())
    return AuthResult(success=good, handled=False)  # handled=False: the server answers 535 itself


class SmtpServer:
    """Takes a login (USER, PASSWORD) over plain text on a free loopback port; ``start`` / ``stop``."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, authenticator=_authenticate,
                                     auth_required=True, auth_require_tls=False)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def smtp_settings(self, password: str = PASSWORD) -> dict:
        """The ``[smtp]`` table that reaches this server."""
        return {"host": "127.0.0.1", "port": self.port, "security": "none", "user": USER, "password": password,
                "from": "oms@example.cn", "timeout": 5}
