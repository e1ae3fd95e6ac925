"""The notification services' signing vectors of ../shared/PROTOCOLS.md — the adapters' signers and the
simulator's own are each checked against them, never against each other — and settings that route
alerts to the simulator's robots and SMS account."""

from __future__ import annotations

from typing import Any

from oms_tui.config import load_settings

# DingTalk custom robot
DINGTALK_TIMESTAMP = 1795990800000
DINGTALK_SECRET = "SECdingtalksecret"
DINGTALK_SIGN = "DqEdHUGoollqRKq12Jh4ARW+uRbk7F5vUv2t+ZfJj8M="
DINGTALK_SIGN_IN_URL = "DqEdHUGoollqRKq12Jh4ARW%2BuRbk7F5vUv2t%2BZfJj8M%3D"

# Aliyun SMS SendSms, RPC signature v1.0, GET
SMS_SECRET = "testsecret"
SMS_PARAMS = {
    "AccessKeyId": "testid", "Action": "SendSms", "Format": "JSON", "PhoneNumbers": "13800138000",
    "RegionId": "cn-hangzhou", "SignName": "家居旗舰店", "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466", "SignatureVersion": "1.0",
    "TemplateCode": "SMS_123456", "TemplateParam": '{"order":"T20261124001"}', "Timestamp": "2026-11-24T02:00:00Z",
    "Version": "2017-05-25",
}
SMS_SIGNATURE = "5tLshW9DX+jWvOOq4fXGL5VRADQ="


def channel(handle, kind: str, **changes: Any) -> dict[str, Any]:
    """The simulator's ``[[notify.channels]]`` table of ``kind`` with ``changes``."""
    table = next(t for t in handle.notify_channels() if t["kind"] == kind)
    return {**table, **changes}


def notify_settings(channels: list[dict[str, Any]], routes: dict[str, list[str]], *, language: str = "en",
                    events: dict[str, list[str]] | None = None, dedupe_minutes: float = 30, **more: Any):
    """Settings that send alerts through ``channels`` by ``routes`` (and nothing else)."""
    notify = {"channels": channels, "routes": routes, "dedupe_minutes": dedupe_minutes}
    if events:
        notify["events"] = events
    return load_settings(database_url="sqlite://", language=language, shop_name="测试旗舰店", notify=notify, **more)
