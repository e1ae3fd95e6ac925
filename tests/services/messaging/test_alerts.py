"""Alerts go out by e-mail through a real SMTP server (aiosmtpd on loopback), outside any transaction;
no recipients means "not sent" once, not forever; the SMTP password shows up nowhere."""

from __future__ import annotations

import email
import email.policy
import logging
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlmodel import select

from oms_tui.config import load_settings
from oms_tui.db import read_session
from oms_tui.models import Outbox, utcnow
from oms_tui.phrases import english
from oms_tui.scheduler import SENDERS, dispatch_outbox
from oms_tui.services.core import outbox
from oms_tui.services.messaging import alerts
from tests.helpers.shop import ingest
from tests.no_transaction import assert_no_transaction_open

# The test server takes a login over plain text on loopback; aiosmtpd warns about exactly that.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

USER, PASSWORD = "oms-robot", "pw-7f3c9e1d"
RECIPIENTS = ["caigou@example.cn", "yunying@example.cn"]


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


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def settings_for(port: int, *, recipients=RECIPIENTS, password=PASSWORD, language="en"):
    return load_settings(database_url="sqlite://", language=language, shop_name="测试旗舰店",
                         alert_recipients=recipients,
                         smtp={"host": "127.0.0.1", "port": port, "security": "none", "user": USER,
                               "password": password, "from": "oms@example.cn", "timeout": 5})


def short_order(engine) -> int:
    """An order the warehouse cannot fill: allocation writes a `stock_short` alert in its transaction."""
    return ingest(engine, "TB-SHORT-1", {"HG-001": 2}).id


def alert_rows(engine) -> list[Outbox]:
    with read_session(engine) as s:
        return s.exec(select(Outbox).where(Outbox.kind == "alert")).all()


def test_a_stock_shortage_is_mailed_to_the_alert_recipients_with_no_transaction_open(seeded, smtp_server):
    short_order(seeded)
    smtp_server.inbox.during_send = lambda: assert_no_transaction_open(seeded)
    result = dispatch_outbox(seeded, settings_for(smtp_server.port), kinds=["alert"])
    assert (result.sent, result.errors) == (1, [])
    assert smtp_server.inbox.check_failures == []
    [(sender, recipients, mail)] = smtp_server.inbox.messages
    assert (sender, recipients) == ("oms@example.cn", RECIPIENTS)
    assert mail["Subject"] == "[测试旗舰店] stock short: HG-001"
    assert mail["To"] == ", ".join(RECIPIENTS)
    body = mail.get_content()
    assert "Event: Stock short" in body and "Order: TB-SHORT-1 (taobao)" in body and "SKUs: HG-001" in body
    [row] = alert_rows(seeded)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")
    assert dispatch_outbox(seeded, settings_for(smtp_server.port), kinds=["alert"]).sent == 0  # once


def test_the_mail_is_written_in_the_configured_language(seeded, smtp_server):
    short_order(seeded)
    dispatch_outbox(seeded, settings_for(smtp_server.port, language="zh_CN"), kinds=["alert"])
    [(_sender, _recipients, mail)] = smtp_server.inbox.messages
    assert "事件: 缺货" in mail.get_content()


def test_no_recipients_marks_the_alert_not_sent_once_and_never_retries(seeded, smtp_server, caplog):
    short_order(seeded)
    settings = settings_for(smtp_server.port, recipients=[])
    with caplog.at_level(logging.INFO):
        result = dispatch_outbox(seeded, settings, kinds=["alert"])
    assert (result.sent, result.skipped, result.retrying, result.failed) == (0, 1, 0, 0)
    [row] = alert_rows(seeded)
    assert row.status == "skipped" and english(row.last_error) == alerts.NO_RECIPIENTS
    assert "no alert recipients are configured" in caplog.text
    later = utcnow() + timedelta(days=30)
    assert dispatch_outbox(seeded, settings, kinds=["alert"], now=later).skipped == 0
    assert smtp_server.inbox.messages == []


def test_a_mail_server_that_is_down_keeps_the_alert_until_it_is_back(seeded):
    short_order(seeded)
    server = SmtpServer()  # not started yet
    settings = settings_for(server.port)
    now = utcnow()
    result = dispatch_outbox(seeded, settings, kinds=["alert"], now=now)
    assert (result.sent, result.retrying) == (0, 1)
    [row] = alert_rows(seeded)
    assert row.status == "pending" and f"SMTP 127.0.0.1:{server.port}" in row.last_error
    server.start()
    try:
        assert dispatch_outbox(seeded, settings, kinds=["alert"], now=now).sent == 0  # backing off
        later = now + timedelta(seconds=outbox.BACKOFF.base_seconds)
        assert dispatch_outbox(seeded, settings, kinds=["alert"], now=later).sent == 1
    finally:
        server.stop()
    assert len(server.inbox.messages) == 1


def test_the_smtp_password_is_in_no_repr_log_or_error(seeded, smtp_server, caplog):
    short_order(seeded)
    wrong = "wrong-" + PASSWORD
    settings = settings_for(smtp_server.port, password=wrong)
    assert PASSWORD not in repr(settings) and PASSWORD not in str(settings) and wrong not in repr(settings.smtp)
    assert wrong not in settings.model_dump_json()
    with caplog.at_level(logging.DEBUG):
        result = dispatch_outbox(seeded, settings, kinds=["alert"])
    assert result.retrying == 1 and smtp_server.inbox.messages == []
    [row] = alert_rows(seeded)
    assert "535" in row.last_error  # the server's "authentication failed" reached the row …
    for text in (row.last_error, caplog.text, *result.errors):
        assert wrong not in text  # … and the password did not
    assert dispatch_outbox(seeded, settings_for(smtp_server.port), kinds=["alert"],
                             now=utcnow() + timedelta(minutes=5)).sent == 1


def test_every_message_kind_has_a_sender():
    assert set(SENDERS) == set(outbox.MessageKind) == set(outbox.PAYLOADS)


def test_a_bad_setting_is_one_line_without_the_secret():
    from oms_tui.errors import ConfigError

    with pytest.raises(ConfigError) as refused:
        load_settings(smtp={"host": "mail", "password": ["p4ssw0rd-in-a-list"]})
    assert "p4ssw0rd" not in str(refused.value) and "smtp.password" in str(refused.value)
    with pytest.raises(ConfigError, match="alert_recipients: .*not an e-mail address: 'caigou'"):
        load_settings(alert_recipients=["caigou"])
    assert load_settings(smtp={"password": 123456}).smtp.password.get_secret_value() == "123456"


def test_the_readme_documents_every_mail_setting():
    from pathlib import Path

    from oms_tui.config import SmtpConfig

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    names = [f"smtp.{field.alias or name}" for name, field in SmtpConfig.model_fields.items()]
    assert [name for name in names + ["alert_recipients"] if f"`{name}`" not in readme] == []
