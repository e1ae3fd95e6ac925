"""Alerts by e-mail through a real SMTP server (aiosmtpd on loopback), outside any transaction: the
legacy ``alert_recipients`` list and an ``email`` channel; no channel means "not sent" once, not
forever; the SMTP password shows up nowhere."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlmodel import select

from oms_tui.config import load_settings
from oms_tui.db import read_session
from oms_tui.models import Outbox, utcnow
from oms_tui.phrases import english
from oms_tui.scheduler import DISPATCH_JOBS, ROUTED, SENDERS, dispatch_outbox
from oms_tui.services.core import outbox
from oms_tui.services.messaging import routing
from tests.helpers.shop import ingest
from tests.helpers.smtp import PASSWORD, SmtpServer
from tests.no_transaction import assert_no_transaction_open

# The test server takes a login over plain text on loopback; aiosmtpd warns about exactly that.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

RECIPIENTS = ["caigou@example.cn", "yunying@example.cn"]


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def settings_for(server: SmtpServer, *, recipients=RECIPIENTS, password=PASSWORD, language="en", **more):
    return load_settings(database_url="sqlite://", language=language, shop_name="测试旗舰店",
                         alert_recipients=recipients, smtp=server.smtp_settings(password), **more)


def short_order(engine) -> int:
    """An order the warehouse cannot fill: allocation writes a `stock_short` alert in its transaction."""
    return ingest(engine, "TB-SHORT-1", {"HG-001": 2}).id


def rows(engine, kind: str) -> list[Outbox]:
    with read_session(engine) as s:
        return s.exec(select(Outbox).where(Outbox.kind == kind).order_by(Outbox.id)).all()


def test_a_stock_shortage_is_mailed_to_the_alert_recipients_with_no_transaction_open(seeded, smtp_server):
    short_order(seeded)
    smtp_server.inbox.during_send = lambda: assert_no_transaction_open(seeded)
    result = dispatch_outbox(seeded, settings_for(smtp_server), kinds=["alert"])
    assert (result.sent, result.errors) == (1, [])
    assert smtp_server.inbox.check_failures == []
    [(sender, recipients, mail)] = smtp_server.inbox.messages
    assert (sender, recipients) == ("oms@example.cn", RECIPIENTS)
    assert mail["Subject"] == "[测试旗舰店] stock short: HG-001"
    assert mail["To"] == ", ".join(RECIPIENTS)
    body = mail.get_content()
    assert "Event: Stock short" in body and "Order: TB-SHORT-1 (taobao)" in body and "SKUs: HG-001" in body
    [alert] = rows(seeded, "alert")
    [message] = rows(seeded, "notify")
    assert (alert.status, alert.target) == ("sent", ",purchasing,warehouse_lead,")  # routed to the event's roles
    assert (message.status, message.attempts, message.last_error, message.alert_id, message.channel) == (
        "sent", 1, "", alert.id, routing.LEGACY_EMAIL)
    assert dispatch_outbox(seeded, settings_for(smtp_server), kinds=["alert"]).sent == 0  # once


def test_an_email_channel_mails_its_own_recipients_in_its_own_language(seeded, smtp_server):
    short_order(seeded)
    settings = settings_for(smtp_server, recipients=[], language="en", notify={
        "channels": [{"name": "采购邮件", "kind": "email", "recipients": ["cg@example.cn"], "language": "zh_CN"}],
        "routes": {"purchasing": ["采购邮件"]}})
    assert dispatch_outbox(seeded, settings, kinds=["alert"]).sent == 1
    [(_sender, recipients, mail)] = smtp_server.inbox.messages
    assert recipients == ["cg@example.cn"]
    assert mail["Subject"] == "[测试旗舰店] 缺货：HG-001"
    assert "事件: 缺货" in mail.get_content() and "订单: TB-SHORT-1 (taobao)" in mail.get_content()


def test_the_mail_is_written_in_the_configured_language(seeded, smtp_server):
    short_order(seeded)
    dispatch_outbox(seeded, settings_for(smtp_server, language="zh_CN"), kinds=["alert"])
    [(_sender, _recipients, mail)] = smtp_server.inbox.messages
    assert "事件: 缺货" in mail.get_content()


def test_no_channel_marks_the_alert_not_sent_once_and_never_retries(seeded, smtp_server, caplog):
    short_order(seeded)
    settings = settings_for(smtp_server, recipients=[])
    with caplog.at_level(logging.INFO):
        result = dispatch_outbox(seeded, settings, kinds=["alert"])
    assert (result.sent, result.skipped, result.retrying, result.failed) == (0, 1, 0, 0)
    [row] = rows(seeded, "alert")
    assert row.status == "skipped"
    assert english(row.last_error) == ("not sent: no channel is configured for purchasing, warehouse_lead "
                                       "([notify.routes])")
    assert "no channel is configured" in caplog.text
    later = utcnow() + timedelta(days=30)
    assert dispatch_outbox(seeded, settings, kinds=["alert"], now=later).skipped == 0
    assert smtp_server.inbox.messages == [] and rows(seeded, "notify") == []


def test_a_mail_server_that_is_down_keeps_the_alert_until_it_is_back(seeded):
    short_order(seeded)
    server = SmtpServer()  # not started yet
    settings = settings_for(server)
    now = utcnow()
    result = dispatch_outbox(seeded, settings, kinds=["alert"], now=now)
    assert (result.sent, result.retrying) == (0, 1)
    [row] = rows(seeded, "notify")
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
    settings = settings_for(smtp_server, password=wrong)
    assert PASSWORD not in repr(settings) and PASSWORD not in str(settings) and wrong not in repr(settings.smtp)
    assert wrong not in settings.model_dump_json()
    with caplog.at_level(logging.DEBUG):
        result = dispatch_outbox(seeded, settings, kinds=["alert"])
    assert result.retrying == 1 and smtp_server.inbox.messages == []
    [row] = rows(seeded, "notify")
    assert "535" in row.last_error  # the server's "authentication failed" reached the row …
    for text in (row.last_error, caplog.text, *result.errors):
        assert wrong not in text  # … and the password did not
    assert dispatch_outbox(seeded, settings_for(smtp_server), kinds=["alert"],
                           now=utcnow() + timedelta(minutes=5)).sent == 1


def test_every_message_kind_is_sent_or_routed_and_has_a_job():
    assert set(SENDERS) | set(ROUTED) == set(outbox.MessageKind) == set(outbox.PAYLOADS)
    assert set(ROUTED.values()) <= set(SENDERS)
    assert [kind.value for kind in DISPATCH_JOBS] == ["platform_ship", "alert", "buyer_sms", "supplier_mail"]


def test_a_bad_setting_is_one_line_without_the_secret():
    from oms_tui.errors import ConfigError

    with pytest.raises(ConfigError) as refused:
        load_settings(smtp={"host": "mail", "password": ["p4ssw0rd-in-a-list"]})
    assert "p4ssw0rd" not in str(refused.value) and "smtp.password" in str(refused.value)
    with pytest.raises(ConfigError, match="alert_recipients: .*not an e-mail address: 'caigou'"):
        load_settings(alert_recipients=["caigou"])
    assert load_settings(smtp={"password": 123456}).smtp.password.get_secret_value() == "123456"


def test_the_readme_documents_every_mail_and_notify_setting():
    from pathlib import Path

    from oms_tui.config import NotifyChannel, NotifyConfig, SmtpConfig

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    names = [f"smtp.{field.alias or name}" for name, field in SmtpConfig.model_fields.items()]
    names += [f"notify.{name}" for name in NotifyConfig.model_fields if name != "channels"]
    names += [f"notify.channels.{name}" for name in NotifyChannel.model_fields]
    assert [name for name in names + ["alert_recipients"] if f"`{name}`" not in readme] == []
