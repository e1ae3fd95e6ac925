"""`oms demo` fills up by itself: the in-process simulator and scheduler bring new orders in."""

import time

from sqlalchemy import func
from sqlmodel import select

from oms_tui.config import default_data_dir, load_settings
from oms_tui.db import read_session, session_scope
from oms_tui.demo import data as demo
from oms_tui.demo import runtime as demo_runtime
from oms_tui.models import Order, ShopSync
from oms_tui.services.messaging import alerts


def test_demo_runtime_syncs_simulated_orders_into_the_database(sqlite_engine, sqlite_url, tmp_path):
    demo.load_demo(sqlite_engine, default_data_dir(), orders=20)
    with read_session(sqlite_engine) as s:
        before = s.exec(select(func.count()).select_from(Order)).one()
    settings = load_settings(database_url=sqlite_url)
    runtime, demo_settings = demo_runtime.start(sqlite_engine, settings, default_data_dir(),
                                                log_file=tmp_path / "demo.log")
    try:
        assert {s.name for s in demo_settings.shops} == set(demo.DEMO_SHOPS.values())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with read_session(sqlite_engine) as s:
                states = s.exec(select(ShopSync)).all()
                if len(states) == len(demo_settings.shops) and all(st.last_status == "ok" for st in states):
                    break
            time.sleep(0.2)
        # The demo's alerts go to the simulator's robots and SMS: one raised now arrives there.
        assert [c.kind for c in demo_settings.notify.channels] == ["dingtalk", "wecom", "sms"]
        with session_scope(sqlite_engine) as s:
            alerts.raise_alert(s, "sync_failing", "demo: 京东店 sync failing", roles=["cs_lead"])
        def arrived():
            return [r for r in runtime.simulator.notify.received_by("wecom") if "京东店" in str(r.body)]

        while time.monotonic() < deadline + 30 and not arrived():
            time.sleep(0.2)
        [got] = arrived()
        assert got.body["msgtype"] == "markdown"
    finally:
        runtime.stop()
    with read_session(sqlite_engine) as s:
        after = s.exec(select(func.count()).select_from(Order)).one()
        states = s.exec(select(ShopSync)).all()
    assert [st.last_status for st in states] == ["ok", "ok", "ok", "ok"]  # four channels, Douyin included
    assert after > before
    assert not runtime.simulator.running
