"""`oms portal` refuses to start without a way to text the sign-in code, in one line, before it listens."""

from __future__ import annotations


def test_portal_needs_an_sms_channel_and_template(oms, monkeypatch, tmp_path):
    monkeypatch.setenv("OMS_DATABASE_URL", f"sqlite:///{tmp_path / 'portal.db'}")
    monkeypatch.delenv("OMS_CONFIG", raising=False)
    code, _out, err = oms("portal", "--port", "0")
    assert code == 1 and "sms_channel" in err and "Traceback" not in err
    monkeypatch.setenv("OMS_PORTAL__SMS_CHANNEL", "短信")
    monkeypatch.setenv("OMS_PORTAL__CODE_TEMPLATE", "SMS_1")
    code, _out, err = oms("portal", "--port", "0")
    assert code == 1 and "not a [[notify.channels]] channel" in err
