"""`oms notify channels | test | alerts`: the channels without their secrets, a test message through one
(refusals one line, no secret), and the alerts sent to the caller's roles."""

from __future__ import annotations

import json

import pytest

from oms_tui.db import make_engine, session_scope
from oms_tui.platforms.simulator.notify import DINGTALK, WECOM
from oms_tui.services.messaging import alerts, events
from tests.helpers.notify import channel


def write_config(path, sim, **dingtalk) -> None:
    tables = [channel(sim, "dingtalk", **dingtalk), channel(sim, "wecom", language="en")]
    text = ""
    for table in tables:
        text += "[[notify.channels]]\n" + "".join(f"{k} = {json.dumps(v, ensure_ascii=False)}\n"
                                                   for k, v in table.items()) + "\n"
    text += '[notify.routes]\npurchasing = ["钉钉群"]\ncs_lead = ["企业微信群"]\n'
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def configured(monkeypatch, tmp_path, sqlite_url, sim):
    path = tmp_path / "oms.toml"
    write_config(path, sim)
    monkeypatch.setenv("OMS_CONFIG", str(path))
    monkeypatch.setenv("OMS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("OMS_LANGUAGE", "en")
    return path


def test_channels_lists_kinds_roles_and_no_secret(oms, configured):
    code, out, _err = oms("notify", "channels", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [(r["name"], r["kind"], r["roles"], r["per_minute"]) for r in rows] == [
        ("钉钉群", "dingtalk", ["purchasing"], 20), ("企业微信群", "wecom", ["cs_lead"], 20)]
    assert "SECsim-dingtalk-secret" not in out and "sim-dingtalk-token" not in out and "sim-wecom-key" not in out


def test_test_sends_through_the_channel_now(oms, configured, sim):
    code, out, err = oms("notify", "test", "企业微信群")
    assert (code, err) == (0, "") and "sent to 企业微信群 (wecom)" in out
    [got] = sim.notify.received_by(WECOM)
    assert "Test message" in got.body["markdown"]["content"]
    code, _out, err = oms("notify", "test", "nope")
    assert code == 1 and "no channel named 'nope'" in err


def test_a_refused_test_is_one_line_without_the_secret(oms, configured, sim):
    write_config(configured, sim, secret="SECwrong-one")
    code, _out, err = oms("notify", "test", "钉钉群")
    assert code == 1 and "310000" in err and len(err.strip().splitlines()) == 1
    assert "SECwrong-one" not in err and "sim-dingtalk-token" not in err
    assert sim.notify.received_by(DINGTALK) == []


def test_alerts_lists_what_was_sent_to_each_role(oms, configured, sqlite_url):
    engine = make_engine(sqlite_url)
    with session_scope(engine) as s:
        alerts.raise_alert(s, events.PRINTER_OFFLINE, "打包台 offline", roles=["purchasing"])
    engine.dispose()
    from oms_tui.config import get_settings
    from oms_tui.scheduler import dispatch_outbox

    get_settings.cache_clear()
    engine = make_engine(sqlite_url)
    assert dispatch_outbox(engine, get_settings(), kinds=["alert"]).sent == 1
    engine.dispose()
    code, out, _err = oms("notify", "alerts", "--format", "json")
    assert code == 0
    [row] = json.loads(out)
    assert (row["event"], row["subject"], row["roles"], row["status"]) == (
        "printer_offline", "打包台 offline", ["purchasing"], "sent")
    assert row["deliveries"][0]["channel"] == "钉钉群"
    code, out, _err = oms("notify", "alerts", "--role", "cs_lead", "--format", "json")
    assert json.loads(out) == []
