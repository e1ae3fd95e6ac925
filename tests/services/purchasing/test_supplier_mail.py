"""The weekly supplier e-mail: queued once per supplier and week by the scheduler's job, sent through the
outbox to a real SMTP server on loopback (aiosmtpd)."""

from datetime import timedelta

import pytest
from sqlmodel import select

from oms_tui.config import load_settings
from oms_tui.db import read_session, session_scope
from oms_tui.models import Outbox, OutboxStatus
from oms_tui.scheduler import JobKind, OmsScheduler, dispatch_outbox, job_specs
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.purchasing import purchase_orders, supplier_mail
from tests.helpers.purchasing import NOW, SYSTEM, seed_purchasing
from tests.helpers.smtp import SmtpServer


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def shop(sqlite_engine):
    seed_purchasing(sqlite_engine)
    with session_scope(sqlite_engine) as s:
        purchase_orders.create_purchase_order(s, SYSTEM, "SUP2", catalogue.get_warehouse(s, "WH1"), {"B1": 5})
    return sqlite_engine


def test_weekly_mail_reaches_each_supplier_once(shop, smtp_server):
    settings = load_settings(database_url="sqlite://", language="en", shop_name="测试旗舰店",
                             smtp=smtp_server.smtp_settings())
    assert next(spec for spec in job_specs(settings) if spec.kind == JobKind.SUPPLIER_MAIL).enabled
    scheduler = OmsScheduler(shop, settings)
    assert scheduler.run_supplier_mail(now=NOW) == {"supplier_mails": 2}
    assert scheduler.run_supplier_mail(now=NOW) == {"supplier_mails": 0}  # the same week: nothing more
    result = dispatch_outbox(shop, settings, kinds=["supplier_mail"], now=NOW)
    assert (result.sent, result.retrying, result.failed) == (2, 0, 0)

    mails = {tuple(rcpt): message for _sender, rcpt, message in smtp_server.inbox.messages}
    assert set(mails) == {("sales@sup1.example.cn",), ("b@sup2.example.cn",)}
    first = mails[("sales@sup1.example.cn",)]
    assert first["Subject"] == "测试旗舰店：2026-W51 采购计划"
    body = first.get_content()
    assert "宁波家居" in body and "A1  竹纤维毛巾  × 9 件" in body and "A2  婴儿湿巾  × 3 件" in body
    assert "在途" not in body
    second = mails[("b@sup2.example.cn",)].get_content()
    assert "B2  收纳盒  × 4 件" in second and "PO000001  B1  砧板  × 5" in second

    with read_session(shop) as s:
        rows = s.exec(select(Outbox).where(Outbox.kind == "supplier_mail")).all()
        assert sorted((r.target, r.subject, r.status) for r in rows) == [
            ("SUP1", "2026-W51", OutboxStatus.SENT), ("SUP2", "2026-W51", OutboxStatus.SENT)]
    # the next week brings the next mail
    with session_scope(shop) as s:
        assert supplier_mail.queue_weekly(s, catalogue.get_warehouse(s, "WH1"),
                                          now=NOW + timedelta(days=7)) == 2


def test_a_server_that_is_away_keeps_the_mail(shop):
    server = SmtpServer()  # never started
    settings = load_settings(database_url="sqlite://", language="en", smtp=server.smtp_settings())
    with session_scope(shop) as s:
        supplier_mail.queue_weekly(s, catalogue.get_warehouse(s, "WH1"), now=NOW)
    result = dispatch_outbox(shop, settings, kinds=["supplier_mail"], now=NOW)
    assert (result.sent, result.retrying) == (0, 2)
    no_smtp = load_settings(database_url="sqlite://", language="en")
    assert not next(spec for spec in job_specs(no_smtp) if spec.kind == JobKind.SUPPLIER_MAIL).enabled
