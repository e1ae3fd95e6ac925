"""Alerts through every channel against the simulator, which checks signatures as the real services do:
a good send; a refusal fails at once and opens `notify_failed` on the order (or shows failed on the
Alerts view); rate limited and down are retried with back-off and delivered exactly once when the
channel is back; a channel's pace defers without counting attempts; nothing is sent inside a transaction."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.models import Hold, HoldKind, Outbox, utcnow
from oms_tui.phrases import english
from oms_tui.platforms.simulator.notify import DINGTALK, SMS, WECOM
from oms_tui.scheduler import Adapters, OmsScheduler, default_notifier_factory, dispatch_outbox
from oms_tui.services.core import outbox
from oms_tui.services.core.actor import Actor
from oms_tui.services.messaging import alert_view, alerts, events
from tests.helpers.notify import channel, notify_settings
from tests.helpers.shop import ingest
from tests.no_transaction import assert_no_transaction_open

MANAGER = Actor("boss", {"manager"})


def settings_for(sim, *, dingtalk=None, wecom=None, sms=None, **more):
    channels = [channel(sim, "dingtalk", language="zh_CN", **(dingtalk or {})),
                channel(sim, "wecom", language="en", markdown=False, **(wecom or {})),
                channel(sim, "sms", **(sms or {}))]
    routes = {"purchasing": ["钉钉群"], "warehouse_lead": ["企业微信群"], "manager": ["短信"]}
    return notify_settings(channels, routes, **more)


def notify_rows(engine, channel_name: str | None = None) -> list[Outbox]:
    stmt = select(Outbox).where(Outbox.kind == "notify").order_by(Outbox.id)
    if channel_name:
        stmt = stmt.where(Outbox.channel == channel_name)
    with read_session(engine) as s:
        return s.exec(stmt).all()


def open_holds(engine, kind: str) -> list[Hold]:
    with read_session(engine) as s:
        return s.exec(select(Hold).where(Hold.kind == kind, Hold.resolved_at.is_(None))).all()


def raise_(engine, event: str, subject: str, **kw) -> int:
    with session_scope(engine) as s:
        return alerts.raise_alert(s, event, subject, **kw).id


def test_a_shortage_reaches_each_channel_in_its_language_with_no_transaction_open(seeded, sim):
    ingest(seeded, "TB-SHORT-1", {"HG-001": 2})
    raise_(seeded, events.SYNC_FAILING, "jd shop: session expired", roles=["manager"], shop="京东店")
    checked = []

    def factory(config, settings):
        real = default_notifier_factory(config, settings)

        class Checked:
            def send(self, notice):
                assert_no_transaction_open(seeded)
                checked.append(config.name)
                real.send(notice)

            def close(self):
                real.close()
        return Checked()

    result = dispatch_outbox(seeded, settings_for(sim), Adapters(notifier_factory=factory), kinds=["alert"])
    assert (result.sent, result.retrying, result.failed, result.errors) == (3, 0, 0, [])
    assert sorted(checked) == sorted(["钉钉群", "企业微信群", "短信"])
    [ding] = sim.notify.received_by(DINGTALK)
    assert ding.body["markdown"]["title"] == "[测试旗舰店] 缺货：HG-001"
    assert "- **事件**: 缺货" in ding.body["markdown"]["text"] and "TB-SHORT-1 (taobao)" in ding.body["markdown"]["text"]
    [wecom] = sim.notify.received_by(WECOM)
    assert wecom.body["text"]["content"].startswith("stock short: HG-001\n\nEvent: Stock short\n")
    [sms] = sim.notify.received_by(SMS)
    assert json.loads(sms.body["TemplateParam"]) == {"event": "Order sync failing",
                                                     "subject": "jd shop: session expired"}
    assert {row.status for row in notify_rows(seeded)} == {"sent"}
    assert dispatch_outbox(seeded, settings_for(sim), kinds=["alert"]).sent == 0  # each once


def test_a_robot_that_refuses_the_signature_fails_at_once_and_holds_the_order(seeded, sim):
    order = ingest(seeded, "TB-SHORT-1", {"HG-001": 2})
    settings = settings_for(sim, dingtalk={"secret": "SECnot-the-robots"})
    result = dispatch_outbox(seeded, settings, kinds=["alert"])
    assert (result.sent, result.failed, result.retrying) == (1, 1, 0)  # WeCom took it, DingTalk refused
    [row] = notify_rows(seeded, "钉钉群")
    assert (row.status, row.attempts) == ("failed", 1) and "310000" in row.last_error
    assert "SECnot-the-robots" not in row.last_error
    [hold] = open_holds(seeded, HoldKind.NOTIFY_FAILED)
    assert hold.order_id == order.id and not hold.blocking
    assert english(hold.reason).startswith("alert not delivered to 钉钉群: 钉钉群: DingTalk refused the message")
    [entry] = _entries(seeded)
    assert entry.status == alert_view.FAILED
    assert {d.channel: d.status for d in entry.deliveries} == {"钉钉群": "failed", "企业微信群": "sent"}
    later = utcnow() + timedelta(days=1)
    assert dispatch_outbox(seeded, settings, kinds=["alert"], now=later).sent == 0  # never retried
    assert sim.notify.received_by(DINGTALK) == []


def _entries(engine) -> list[alert_view.AlertEntry]:
    with read_session(engine) as s:
        return alert_view.list_alerts(s, MANAGER)


def test_an_alert_about_no_order_that_fails_stays_failed_on_the_alerts_view(seeded, sim):
    raise_(seeded, events.SYNC_FAILING, "jd shop: session expired", roles=["manager"])
    settings = settings_for(sim, sms={"secret": "wrong-sms-secret"})
    result = dispatch_outbox(seeded, settings, kinds=["alert"])
    assert result.failed == 1 and "SignatureDoesNotMatch" in result.errors[0]
    assert open_holds(seeded, HoldKind.NOTIFY_FAILED) == []
    notice, entry = _entries(seeded)  # newest first: the failure notice, raised as the message failed
    assert entry.status == alert_view.FAILED and entry.roles == ("manager",)
    assert (notice.event, notice.status) == (events.NOTIFY_FAILED, alert_view.WAITING)
    with read_session(seeded) as s:
        assert alert_view.count_failed(s) == 1
    # … and the failure is an alert of its own for the manager, which fails on the same channel: no loop.
    later = utcnow() + timedelta(minutes=1)
    assert dispatch_outbox(seeded, settings, kinds=["alert"], now=later).failed == 1
    notice, failed = _entries(seeded)
    assert (notice.event, notice.status, notice.roles) == (events.NOTIFY_FAILED, alert_view.FAILED, ("manager",))
    assert english(notice.subject) == "not delivered to 短信: jd shop: session expired"
    assert dispatch_outbox(seeded, settings, kinds=["alert"], now=later + timedelta(hours=1)).failed == 0
    assert len(_entries(seeded)) == 2


def test_a_failure_notice_reaches_the_manager_on_another_channel(seeded, sim):
    raise_(seeded, events.AUTHORIZATION_EXPIRING, "pdd shop: authorization expires in 3 days", roles=["purchasing"])
    settings = settings_for(sim, dingtalk={"token": "no-such-robot"})  # purchasing's robot is gone
    dispatch_outbox(seeded, settings, kinds=["alert"])
    dispatch_outbox(seeded, settings, kinds=["alert"], now=utcnow() + timedelta(seconds=1))
    [sms] = sim.notify.received_by(SMS)  # the manager's channel
    assert json.loads(sms.body["TemplateParam"]) == {"event": "Notification failed",
                                                     "subject": "not delivered to 钉钉群: pdd shop: authorization"[:35]}


def test_a_rate_limited_robot_gets_the_message_later(seeded, sim):
    ingest(seeded, "TB-SHORT-1", {"HG-001": 2})
    sim.notify.inject_rate_limit(WECOM)
    now = utcnow()
    result = dispatch_outbox(seeded, settings_for(sim), kinds=["alert"], now=now)
    assert (result.sent, result.retrying) == (1, 1)
    [row] = notify_rows(seeded, "企业微信群")
    assert row.status == "pending" and "45009" in row.last_error and row.next_attempt_at > now
    later = now + timedelta(seconds=outbox.BACKOFF.base_seconds)
    assert dispatch_outbox(seeded, settings_for(sim), kinds=["alert"], now=later).sent == 1
    assert len(sim.notify.received_by(WECOM)) == 1


def test_a_channel_that_is_down_loses_nothing_and_delivers_exactly_once_when_back(seeded, sim):
    ingest(seeded, "TB-SHORT-1", {"HG-001": 2})
    sim.notify.go_down(DINGTALK)
    settings = settings_for(sim)
    now = utcnow()
    assert dispatch_outbox(seeded, settings, kinds=["alert"], now=now).retrying == 1
    assert dispatch_outbox(seeded, settings, kinds=["alert"], now=now + timedelta(seconds=10)).sent == 0  # backing off
    sim.notify.go_down(DINGTALK, False)
    back = now + timedelta(seconds=outbox.BACKOFF.base_seconds)
    assert dispatch_outbox(seeded, settings, kinds=["alert"], now=back).sent == 1
    for hours in (1, 2, 24):
        assert dispatch_outbox(seeded, settings, kinds=["alert"], now=back + timedelta(hours=hours)).sent == 0
    assert len(sim.notify.received_by(DINGTALK)) == 1
    [row] = notify_rows(seeded, "钉钉群")
    assert (row.status, row.attempts) == ("sent", 2)


def test_a_channel_down_for_good_gives_up_after_the_last_try_with_a_hold(seeded, sim):
    order = ingest(seeded, "TB-SHORT-1", {"HG-001": 2})
    sim.notify.go_down(DINGTALK)
    settings = settings_for(sim)
    at = utcnow()
    for _attempt in range(outbox.BACKOFF.max_attempts):
        dispatch_outbox(seeded, settings, kinds=["alert"], now=at)
        at += timedelta(hours=2)  # past any back-off
    [row] = notify_rows(seeded, "钉钉群")
    assert (row.status, row.attempts) == ("failed", outbox.BACKOFF.max_attempts)
    assert [h.order_id for h in open_holds(seeded, HoldKind.NOTIFY_FAILED)] == [order.id]


def test_a_channels_pace_defers_the_rest_without_counting_attempts(seeded, sim):
    for number in range(5):
        raise_(seeded, events.STOCK_SHORT, f"stock short: SKU-{number}", roles=["purchasing"])
    settings = settings_for(sim, dingtalk={"per_minute": 2})
    now = utcnow()
    result = dispatch_outbox(seeded, settings, kinds=["alert"], now=now)
    assert (result.sent, result.deferred, result.retrying, result.failed) == (2, 3, 0, 0)
    waiting = [row for row in notify_rows(seeded) if row.status == "pending"]
    assert len(waiting) == 3 and {row.attempts for row in waiting} == {0}
    assert all(row.next_attempt_at == now + timedelta(minutes=1) for row in waiting)
    assert "2 messages a minute" in waiting[0].last_error
    assert dispatch_outbox(seeded, settings, kinds=["alert"], now=now + timedelta(seconds=30)).sent == 0
    assert dispatch_outbox(seeded, settings, kinds=["alert"], now=now + timedelta(seconds=61)).sent == 2
    assert dispatch_outbox(seeded, settings, kinds=["alert"], now=now + timedelta(seconds=122)).sent == 1
    assert len(sim.notify.received_by(DINGTALK)) == 5 and sim.notify.refused == []


def test_a_channel_taken_out_of_the_config_fails_its_waiting_messages(seeded, sim):
    raise_(seeded, events.PRINTER_OFFLINE, "打包台 offline", roles=["purchasing"])
    sim.notify.go_down(DINGTALK)
    now = utcnow()
    dispatch_outbox(seeded, settings_for(sim), kinds=["alert"], now=now)
    without = notify_settings([channel(sim, "wecom")], {"warehouse_lead": ["企业微信群"]})
    result = dispatch_outbox(seeded, without, kinds=["alert"], now=now + timedelta(hours=1))
    assert result.failed == 1 and "no longer configured" in result.errors[0]


def test_the_scheduler_job_routes_and_sends_alerts(seeded, sim):
    ingest(seeded, "TB-SHORT-1", {"HG-001": 2})
    scheduler = OmsScheduler(seeded, settings_for(sim))
    try:
        result = scheduler.run_outbox("alert")
    finally:
        scheduler.pool.shutdown(wait=False)
    assert (result.sent, result.failed) == (2, 0)
    assert len(sim.notify.received_by(DINGTALK)) == 1 and len(sim.notify.received_by(WECOM)) == 1
