"""The simulator's DingTalk, WeCom and Aliyun SMS endpoints: its own signers reproduce PROTOCOLS.md's
vectors, and it refuses what the real services refuse (checked with raw HTTP, not with our adapters)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timezone
from urllib.parse import quote

import httpx
import pytest

from oms_tui.platforms.simulator import NotifyState, SimulatorState, run_simulator
from oms_tui.platforms.simulator.notify import DINGTALK, SMS, WECOM, dingtalk_sign, sms_signature
from tests.helpers.notify import (
    DINGTALK_SECRET,
    DINGTALK_SIGN,
    DINGTALK_TIMESTAMP,
    SMS_PARAMS,
    SMS_SECRET,
    SMS_SIGNATURE,
)

VECTOR_NOW = datetime(2026, 11, 24, 2, 0, 30, tzinfo=timezone.utc)  # SMS_PARAMS' Timestamp + 30 s
TEXT = {"msgtype": "text", "text": {"content": "缺货：HG-001"}}


@pytest.fixture
def notify_state() -> NotifyState:
    state = NotifyState(clock=lambda: VECTOR_NOW, per_minute=3)
    state.add_dingtalk("signed", DINGTALK_SECRET)
    state.add_dingtalk("open")
    state.add_dingtalk("keyword", keywords=("OMS",))
    state.add_wecom("wk")
    state.add_sms("testid", SMS_SECRET, sign_names=("家居旗舰店",))
    return state


@pytest.fixture
def served(notify_state):
    handle = run_simulator("127.0.0.1", 0, SimulatorState(), notify=notify_state)
    with httpx.Client(base_url=handle.base_url, timeout=5) as client:
        yield handle, client
    handle.stop(timeout=5)


def test_the_simulators_signers_reproduce_the_vectors():
    assert dingtalk_sign(str(DINGTALK_TIMESTAMP), DINGTALK_SECRET) == DINGTALK_SIGN
    assert sms_signature("GET", SMS_PARAMS, SMS_SECRET) == SMS_SIGNATURE


def dingtalk_url(token: str, timestamp: int, sign: str) -> str:
    return f"/robot/send?access_token={token}&timestamp={timestamp}&sign={quote(sign, safe='')}"


def test_a_signed_robot_takes_the_vector_sign_within_the_hour(served, notify_state):
    handle, client = served
    stamp = int(VECTOR_NOW.timestamp() * 1000) - 3_500_000  # 58 minutes ago
    good = dingtalk_sign(str(stamp), DINGTALK_SECRET)
    assert client.post(dingtalk_url("signed", stamp, good), json=TEXT).json() == {"errcode": 0, "errmsg": "ok"}
    # The vector's timestamp is hours before the simulator's clock: refused even with its right sign.
    stale = client.post(dingtalk_url("signed", DINGTALK_TIMESTAMP, DINGTALK_SIGN), json=TEXT).json()
    assert stale["errcode"] == 310000
    wrong = client.post(dingtalk_url("signed", stamp, good[:-2] + "x="), json=TEXT).json()
    assert wrong == {"errcode": 310000, "errmsg": "sign not match"}
    # A sign sent without URL-encoding loses its '+' to the query parser, as on the real service.
    raw = client.post(f"/robot/send?access_token=signed&timestamp={stamp}&sign={good}", json=TEXT).json()
    assert raw["errcode"] == (0 if "+" not in good else 310000)
    assert [r.body for r in notify_state.received_by(DINGTALK, "signed")][0] == TEXT


def test_dingtalk_tokens_keywords_bodies_and_the_per_minute_limit(served, notify_state):
    _handle, client = served
    assert client.post("/robot/send?access_token=nobody", json=TEXT).json()["errcode"] == 300001
    assert client.post("/robot/send?access_token=keyword", json=TEXT).json()["errcode"] == 310000
    with_keyword = {"msgtype": "markdown", "markdown": {"title": "OMS 缺货", "text": "- HG-001"}}
    assert client.post("/robot/send?access_token=keyword", json=with_keyword).json()["errcode"] == 0
    assert client.post("/robot/send?access_token=open", json={"msgtype": "text"}).json()["errcode"] == 40035
    codes = [client.post("/robot/send?access_token=open", json=TEXT).json()["errcode"] for _ in range(4)]
    assert codes == [0, 0, 0, 130101]  # per_minute=3 in this state
    notify_state.go_down(DINGTALK)
    assert client.post("/robot/send?access_token=open", json=TEXT).status_code == 503
    assert len(notify_state.received_by(DINGTALK, "open")) == 3


def test_wecom_checks_the_key_the_body_and_rate_limits(served, notify_state):
    _handle, client = served
    assert client.post("/cgi-bin/webhook/send?key=nobody", json=TEXT).json()["errcode"] == 93000
    assert client.post("/cgi-bin/webhook/send?key=wk", json={"msgtype": "image"}).json()["errcode"] == 40008
    notify_state.inject_rate_limit(WECOM)
    assert client.post("/cgi-bin/webhook/send?key=wk", json=TEXT).json()["errcode"] == 45009
    assert client.post("/cgi-bin/webhook/send?key=wk", json=TEXT).json() == {"errcode": 0, "errmsg": "ok"}
    assert [r.body for r in notify_state.received_by(WECOM, "wk")] == [TEXT]


def test_sendsms_takes_the_vector_request_once_and_refuses_its_replay(served, notify_state):
    _handle, client = served
    signed = {**SMS_PARAMS, "Signature": SMS_SIGNATURE}
    answer = client.get("/", params=signed).json()
    assert answer["Code"] == "OK" and answer["BizId"]
    replay = client.get("/", params=signed)
    assert replay.json()["Code"] == "SignatureNonceUsed" and replay.status_code == 400
    [got] = notify_state.received_by(SMS, "13800138000")
    assert got.body["TemplateParam"] == '{"order":"T20261124001"}'


@pytest.mark.parametrize("change, code", [
    ({"PhoneNumbers": "13900139000"}, "SignatureDoesNotMatch"),  # a parameter changed after signing
    ({"Timestamp": "2026-11-24T01:40:00Z"}, "InvalidTimeStamp.Expired"),
    ({"AccessKeyId": "nobody"}, "InvalidAccessKeyId.NotFound"),
    ({"Signature": ""}, "MissingParameter"),
])
def test_sendsms_refuses_what_aliyun_refuses(served, change, code):
    _handle, client = served
    params = {**SMS_PARAMS, "Signature": SMS_SIGNATURE, **change}
    if "Timestamp" in change:  # re-signed: only the time is wrong
        params["Signature"] = sms_signature("GET", params, SMS_SECRET)
    assert client.get("/", params=params).json()["Code"] == code


def test_sendsms_business_rules_after_a_good_signature(served, notify_state):
    _handle, client = served

    def send(nonce: str, method: str = "POST", **change: str) -> dict:
        params = {**SMS_PARAMS, "SignatureNonce": nonce, **change}
        params["Signature"] = sms_signature(method, params, SMS_SECRET)
        if method == "POST":
            return client.post("/", data=params).json()
        return client.get("/", params=params).json()

    assert send("n1", PhoneNumbers="12345")["Code"] == "isv.MOBILE_NUMBER_ILLEGAL"
    assert send("n2", SignName="别人的签名")["Code"] == "isv.SMS_SIGNATURE_ILLEGAL"
    assert send("n3", TemplateParam="not json")["Code"] == "isv.INVALID_JSON_PARAM"
    assert send("n4")["Code"] == "OK"  # POST signs "POST&…"
    assert send("n5")["Code"] == "isv.BUSINESS_LIMIT_CONTROL"  # the same number within the minute
    # a GET request signed as POST does not pass
    params = {**SMS_PARAMS, "SignatureNonce": "n6"}
    params["Signature"] = sms_signature("POST", params, SMS_SECRET)
    assert client.get("/", params=params).json()["Code"] == "SignatureDoesNotMatch"


def test_the_demo_channels_are_tables_for_the_config():
    from oms_tui.config import NotifyConfig

    state = NotifyState.with_demo_channels()
    tables = state.channel_configs("http://127.0.0.1:8700/")
    assert [t["kind"] for t in tables] == ["dingtalk", "wecom", "sms"]
    assert tables[0]["url"] == "http://127.0.0.1:8700/robot/send"
    NotifyConfig(channels=tables)  # valid as they are


def _independent_sign(timestamp: str, secret: str) -> str:
    """PROTOCOLS.md's formula once more, inline, so the simulator's function is not its own witness."""
    return base64.b64encode(hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()).decode()


def test_the_simulator_formula_is_the_documented_one_for_other_inputs():
    for stamp, secret in (("1700000000000", "SECa"), ("1795990800001", "SEC家")):
        assert dingtalk_sign(stamp, secret) == _independent_sign(stamp, secret)
