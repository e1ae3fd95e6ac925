"""The DingTalk and Aliyun SMS signers reproduce PROTOCOLS.md's vectors exactly, and agree with the public
SDKs where those install (alibabacloud-openapi-util, DingtalkChatbot: the test extra; skipped without)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from oms_tui.notifiers import aliyun_sms, dingtalk, wecom
from tests.helpers.notify import (
    DINGTALK_SECRET,
    DINGTALK_SIGN,
    DINGTALK_SIGN_IN_URL,
    DINGTALK_TIMESTAMP,
    SMS_PARAMS,
    SMS_SECRET,
    SMS_SIGNATURE,
)


def test_dingtalk_sign_matches_the_vector():
    assert dingtalk.sign(DINGTALK_TIMESTAMP, DINGTALK_SECRET) == DINGTALK_SIGN


def test_dingtalk_url_carries_the_token_timestamp_and_the_url_encoded_sign():
    url = dingtalk.signed_url("https://oapi.dingtalk.com/robot/send", "tok-1", DINGTALK_SECRET, DINGTALK_TIMESTAMP)
    assert url == ("https://oapi.dingtalk.com/robot/send?access_token=tok-1"
                   f"&timestamp={DINGTALK_TIMESTAMP}&sign={DINGTALK_SIGN_IN_URL}")
    assert parse_qs(urlsplit(url).query)["sign"] == [DINGTALK_SIGN]  # decodes back to the base64, '+' intact


def test_an_unsigned_dingtalk_robot_gets_no_timestamp_or_sign():
    assert dingtalk.signed_url("http://h/robot/send", "t", "", DINGTALK_TIMESTAMP) == "http://h/robot/send?access_token=t"


def test_wecom_url_carries_the_key():
    assert wecom.webhook_url("http://h/cgi-bin/webhook/send", "k/1") == "http://h/cgi-bin/webhook/send?key=k%2F1"


def test_aliyun_signature_matches_the_vector():
    assert aliyun_sms.signature("GET", SMS_PARAMS, SMS_SECRET) == SMS_SIGNATURE
    assert aliyun_sms.signature("GET", {**SMS_PARAMS, "Signature": "ignored"}, SMS_SECRET) == SMS_SIGNATURE
    assert aliyun_sms.signature("POST", SMS_PARAMS, SMS_SECRET) != SMS_SIGNATURE  # the method is signed


def test_aliyun_percent_encoding_is_rfc_3986():
    assert aliyun_sms.percent_encode("a b*c~d-_.") == "a%20b%2Ac~d-_."
    assert aliyun_sms.percent_encode("家") == "%E5%AE%B6"
    assert aliyun_sms.percent_encode('{"a":"1"}') == "%7B%22a%22%3A%221%22%7D"
    assert aliyun_sms.string_to_sign("GET", {"A": "1 2", "B": "x"}) == "GET&%2F&A%3D1%25202%26B%3Dx"


def test_send_sms_params_are_the_documented_ones():
    from datetime import datetime, timezone

    params = aliyun_sms.send_sms_params(access_key_id="testid", phones=["13800138000"], sign_name="家居旗舰店",
                                        template_code="SMS_123456", template_param={"order": "T20261124001"},
                                        timestamp=datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc),
                                        nonce="45e25e9b-0a6f-4070-8c85-2956eda1b466")
    assert params == SMS_PARAMS
    assert aliyun_sms.signature("GET", params, SMS_SECRET) == SMS_SIGNATURE


def test_aliyun_signer_agrees_with_alibabacloud_openapi_util():
    util = pytest.importorskip("alibabacloud_openapi_util.client")
    for params in (SMS_PARAMS, {**SMS_PARAMS, "TemplateParam": '{"event":"缺货 急*","subject":"a~b c/d"}'}):
        for method in ("GET", "POST"):
            assert aliyun_sms.signature(method, params, SMS_SECRET) == util.Client.get_rpcsignature(
                dict(params), method, SMS_SECRET)


def test_dingtalk_signer_agrees_with_dingtalkchatbot(monkeypatch):
    chatbot = pytest.importorskip("dingtalkchatbot.chatbot")
    bot = chatbot.DingtalkChatbot("https://oapi.dingtalk.com/robot/send?access_token=t", secret=DINGTALK_SECRET)
    for timestamp in (DINGTALK_TIMESTAMP, 1700000000123):
        bot.webhook = "https://oapi.dingtalk.com/robot/send?access_token=t"
        bot.start_time = timestamp / 1000
        bot.update_webhook()
        assert bot.webhook == dingtalk.signed_url("https://oapi.dingtalk.com/robot/send", "t", DINGTALK_SECRET, timestamp)
