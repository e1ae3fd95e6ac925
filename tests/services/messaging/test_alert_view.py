"""The Alerts view's read model: a user sees the alerts of the roles they hold (a manager every role's),
each with its status per channel — sent, waiting, failed, not sent — newest first."""

from __future__ import annotations

import pytest

from oms_tui.config import load_settings
from oms_tui.db import read_session, session_scope
from oms_tui.errors import PermissionDenied
from oms_tui.models import Outbox
from oms_tui.services.core import outbox
from oms_tui.services.core.actor import Actor
from oms_tui.services.messaging import alert_view, alerts, events, routing

CHANNELS = [{"name": "客服群", "kind": "wecom", "key": "k1"}, {"name": "主管群", "kind": "wecom", "key": "k2"}]


def seed(engine) -> None:
    with session_scope(engine) as s:
        alerts.raise_alert(s, events.LOGISTICS_STALLED, "YT123 stalled", roles=["cs"])
        alerts.raise_alert(s, events.SHIP_NOTICE_FAILED, "TB1 refused", roles=["cs_lead"])
        alerts.raise_alert(s, events.STOCK_SHORT, "short HG-001", roles=["purchasing"])  # no channel for it
    settings = load_settings(database_url="sqlite://", notify={"channels": CHANNELS,
                                                              "routes": {"cs": ["客服群"], "cs_lead": ["主管群", "客服群"]}})
    routing.route_alerts(engine, routing.RoutingTable.from_settings(settings), now=None)
    with session_scope(engine) as s:
        for message in s.query(Outbox).filter(Outbox.kind == "notify"):
            if message.channel == "主管群":
                outbox.mark_failed(s, message, "主管群: WeCom refused the message: errcode 93000", permanent=True)
            elif message.subject == "YT123 stalled":
                outbox.mark_sent(s, message)


def entries(engine, actor, role=None):
    with read_session(engine) as s:
        return alert_view.list_alerts(s, actor, role=role), alert_view.count_alerts(s, actor, role=role)


def test_each_role_sees_its_own_alerts_and_cs_is_not_cs_lead(seeded):
    seed(seeded)
    seen, count = entries(seeded, Actor("zhang", {"cs"}))
    assert [(e.subject, e.status) for e in seen] == [("YT123 stalled", alert_view.SENT)] and count == 1
    seen, _count = entries(seeded, Actor("wang", {"cs_lead"}))
    [entry] = seen
    assert entry.status == alert_view.FAILED
    assert [(d.channel, d.status) for d in entry.deliveries] == [("主管群", "failed"), ("客服群", "waiting")]
    assert "93000" in entry.deliveries[0].note


def test_a_manager_sees_every_role_newest_first_and_may_pick_one(seeded):
    seed(seeded)
    seen, count = entries(seeded, Actor("boss", {"manager"}))
    assert [e.event for e in seen] == ["stock_short", "ship_notice_failed", "logistics_stalled"] and count == 3
    assert seen[0].status == alert_view.NOT_SENT and seen[0].deliveries == ()
    seen, count = entries(seeded, Actor("boss", {"manager"}), role="purchasing")
    assert [e.subject for e in seen] == ["short HG-001"] and count == 1


def test_nobody_sees_another_roles_alerts_by_asking_for_them(seeded):
    seed(seeded)
    assert entries(seeded, Actor("zhang", {"cs"}), role="cs_lead") == ([], 0)
    with pytest.raises(PermissionDenied):
        entries(seeded, Actor("ghost", set()))
