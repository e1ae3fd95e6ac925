"""A burst of alerts against a robot that allows 20 a minute (the simulator enforces it on its own clock):
the channel's pace keeps every message under the robot's limit, a robot that goes down mid-burst loses
nothing, and each alert arrives exactly once. Loopback only, a bounded number of messages."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from oms_tui.db import session_scope
from oms_tui.models import utcnow
from oms_tui.platforms.simulator import NotifyState, SimulatorState, run_simulator
from oms_tui.platforms.simulator.notify import DINGTALK
from oms_tui.scheduler import dispatch_outbox
from oms_tui.services.messaging import alerts, events
from tests.helpers.notify import channel, notify_settings

BURST = 45


def test_a_burst_is_paced_under_the_robots_limit_and_survives_an_outage(engine):
    clock = {"now": utcnow()}
    state = NotifyState(clock=lambda: clock["now"])
    state.add_dingtalk("burst-token", "SECburst")
    handle = run_simulator("127.0.0.1", 0, SimulatorState(), notify=state)
    try:
        with session_scope(engine) as s:
            for number in range(BURST):
                alerts.raise_alert(s, events.PRINTER_OFFLINE, f"printer P{number:02d} offline", roles=["warehouse_lead"])
        settings = notify_settings([channel(handle, "dingtalk")], {"warehouse_lead": ["钉钉群"]})
        now = utcnow()
        sent = []
        for minute in range(6):
            clock["now"] = at = now + timedelta(seconds=61 * minute)
            if minute == 1:
                state.go_down(DINGTALK)
            if minute == 2:
                state.go_down(DINGTALK, False)
            result = dispatch_outbox(engine, settings, kinds=["alert"], now=at)
            sent.append(result.sent)
            assert result.failed == 0
        assert sent[0] == 20 and sent[1] == 0 and sum(sent) == BURST
        assert state.refused == []  # never over the robot's 20 a minute
        titles = Counter(r.body["markdown"]["title"] for r in state.received_by(DINGTALK))
        assert len(titles) == BURST and set(titles.values()) == {1}  # each exactly once
        # The outage cost the waiting messages one attempt each, no more (the pace defers without counting).
        assert dispatch_outbox(engine, settings, kinds=["alert"], now=now + timedelta(hours=3)).sent == 0
    finally:
        handle.stop(timeout=5)
