"""Escalation on a controlled clock: no decision within the rule's time → the request climbs a role, the
order shows "approval stalled", and the roles hear of it — through a channel that may be down."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.models import ApprovalRequest, AuditEvent, Order, Outbox, utcnow
from oms_tui.phrases import english
from oms_tui.platforms.simulator.notify import DINGTALK
from oms_tui.scheduler import dispatch_outbox, job_specs
from oms_tui.services.approvals import decisions, escalation
from oms_tui.services.core import outbox
from oms_tui.services.core.actor import Actor
from oms_tui.services.cs import review
from oms_tui.services.orders import holds
from tests.helpers.notify import channel, notify_settings
from tests.helpers.shop import ingest, stock_up

CS1 = Actor("cs1", {"cs"})
BOSS = Actor("manager", {"manager"})


def _asked(engine, at):
    stock_up(engine, "HG-001", 5)
    order = ingest(engine, "E1", {"HG-001": 1})
    with session_scope(engine) as s:
        return order.id, review.request_approval(s, order.id, kind="price_change", reason="老客户 9 折", actor=CS1,
                                                 now=at).id


def _escalate(engine, now):
    with session_scope(engine) as s:
        return escalation.escalate_due(s, now=now)


def _look(engine, order_id, request_id):
    with read_session(engine) as s:
        request, order = s.get(ApprovalRequest, request_id), s.get(Order, order_id)
        return (order.status, sorted(h.kind for h in holds.open_holds(s, order_id)), request.escalations,
                request.waiting_for)


def _stall_alerts(engine):
    with read_session(engine) as s:
        return [json.loads(m.payload) for m in s.exec(select(Outbox).where(Outbox.kind == "alert").order_by(Outbox.id))
                if json.loads(m.payload)["event"] == "approval_stalled"]


def test_two_hours_without_a_decision_climb_to_the_manager_and_the_order_shows_it(seeded):
    t0 = utcnow()
    order_id, request_id = _asked(seeded, t0)
    assert _escalate(seeded, t0 + timedelta(hours=1, minutes=59)).escalated == []
    assert _look(seeded, order_id, request_id) == ("approval", ["approval_pending"], 0, ",cs_lead,")
    run = _escalate(seeded, t0 + timedelta(hours=2))
    assert run.escalated == [request_id]
    assert _look(seeded, order_id, request_id) == ("approval", ["approval_pending", "approval_stalled"], 1,
                                                   ",cs_lead,manager,")
    with read_session(seeded) as s:
        [stalled] = [h for h in holds.open_holds(s, order_id) if h.kind == "approval_stalled"]
        audit = s.exec(select(AuditEvent).where(AuditEvent.action == "approval.escalate")).one()
    assert english(stalled.reason) == f"price change (request #{request_id}) has waited 120 minutes without a decision"
    assert audit.user == "approvals" and '"waiting_for": "cs_lead,manager"' in audit.detail
    [alert] = _stall_alerts(seeded)
    assert alert["roles"] == ["cs_lead", "manager"] and alert["order"] == "E1"
    # the manager has nobody above: the next due time leaves it stalled, once
    assert _escalate(seeded, t0 + timedelta(hours=3)).escalated == []
    assert _escalate(seeded, t0 + timedelta(hours=4)).stalled_at_top == [request_id]
    assert _escalate(seeded, t0 + timedelta(hours=9)).stalled_at_top == []
    assert len(_stall_alerts(seeded)) == 2
    with session_scope(seeded) as s:
        decisions.decide(s, request_id, actor=BOSS, approve=True, comment="同意", now=t0 + timedelta(hours=5))
    assert _look(seeded, order_id, request_id) == ("ready", [], 1, "")


def test_a_decision_in_time_never_escalates_and_a_rules_own_time_applies(seeded):
    from oms_tui.config import ApprovalsConfig
    from oms_tui.services.approvals import requests

    t0 = utcnow()
    fast = ApprovalsConfig(rules=[{"name": "fast-price", "kinds": ["price_change"], "steps": ["cs_lead"],
                                   "escalate_after_hours": 0.25}])
    with requests.configured(fast):
        order_id, request_id = _asked(seeded, t0)
        assert _escalate(seeded, t0 + timedelta(minutes=15)).escalated == [request_id]
    order2 = ingest(seeded, "E2", {"HG-001": 1})
    with session_scope(seeded) as s:
        second = review.request_approval(s, order2.id, kind="price_change", reason="x", actor=CS1, now=t0).id
    with session_scope(seeded) as s:
        decisions.decide(s, second, actor=Actor("cslead", {"cs_lead"}), approve=True, now=t0 + timedelta(minutes=30))
    assert _escalate(seeded, t0 + timedelta(hours=6)).escalated == []
    assert _look(seeded, order2.id, second)[:2] == ("ready", [])


def test_the_stall_message_waits_out_a_channel_that_is_down_and_arrives_once(seeded, sim):
    t0 = utcnow()
    _asked(seeded, t0)
    _escalate(seeded, t0 + timedelta(hours=2))
    settings = notify_settings([channel(sim, "dingtalk", language="zh_CN")], {"manager": ["钉钉群"]})
    sim.notify.go_down(DINGTALK)
    now = t0 + timedelta(hours=2, minutes=1)
    assert dispatch_outbox(seeded, settings, kinds=["alert"], now=now).retrying == 1
    sim.notify.go_down(DINGTALK, False)
    later = now + timedelta(seconds=outbox.BACKOFF.base_seconds)
    assert dispatch_outbox(seeded, settings, kinds=["alert"], now=later).sent == 1
    assert dispatch_outbox(seeded, settings, kinds=["alert"], now=later + timedelta(hours=1)).sent == 0
    [message] = sim.notify.received_by(DINGTALK)
    assert "审批超时" in json.dumps(message.body, ensure_ascii=False)


def test_the_scheduler_runs_escalation_every_minute():
    from oms_tui.config import load_settings

    [spec] = [s for s in job_specs(load_settings(database_url="sqlite://")) if s.name == "approval-escalation"]
    assert spec.interval_seconds == 60 and spec.enabled
