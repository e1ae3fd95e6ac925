"""Aliyun SendSms against the simulator, which checks the RPC signature, the timestamp and the nonce as
Aliyun does: a good SMS arrives with its template values; a wrong secret or an illegal number is refused
for good; the number's flow control and a service that is down are worth another try."""

from __future__ import annotations

from datetime import timedelta

import pytest

from oms_tui.clock import utcnow
from oms_tui.config import NotifyChannel
from oms_tui.notifiers.aliyun_sms import AliyunSms
from oms_tui.platforms.simulator.notify import SMS
from oms_tui.services.messaging.channels import ChannelError, ChannelRateLimited, ChannelRefused, RenderedNotice
from tests.helpers.notify import channel

NOTICE = RenderedNotice(title="[测试旗舰店] 缺货：HG-001", text="缺货：HG-001\n", markdown="",
                        sms={"event": "缺货", "subject": "缺货：HG-001 急*~"})


def sms(sim, **changes) -> AliyunSms:
    return AliyunSms(NotifyChannel(**channel(sim, "sms", **changes)))


def test_an_sms_arrives_signed_with_its_template_values(sim):
    sender = sms(sim)
    sender.send(NOTICE)
    sender.close()
    [got] = sim.notify.received_by(SMS, "13800138000")
    assert got.body["TemplateParam"] == '{"event":"缺货","subject":"缺货：HG-001 急*~"}'
    assert (got.body["Action"], got.body["SignName"], got.body["TemplateCode"]) == ("SendSms", "家居旗舰店",
                                                                                    "SMS_100001")


def test_a_wrong_secret_is_refused_for_good_and_not_quoted(sim):
    sender = sms(sim, secret="s3cret-nobody-has")
    with pytest.raises(ChannelRefused, match="SignatureDoesNotMatch") as refused:
        sender.send(NOTICE)
    sender.close()
    assert "s3cret-nobody-has" not in str(refused.value) and sim.notify.received_by(SMS) == []


def test_an_illegal_number_is_refused_for_good(sim):
    # The settings never let such a number through; one that got in anyway is Aliyun's to refuse.
    config = NotifyChannel(**channel(sim, "sms")).model_copy(update={"phones": ["10086"]})
    sender = AliyunSms(config)
    with pytest.raises(ChannelRefused, match="isv.MOBILE_NUMBER_ILLEGAL"):
        sender.send(NOTICE)
    sender.close()


def test_the_numbers_flow_control_and_a_service_that_is_down_are_tried_again(sim):
    sender = sms(sim)
    sender.send(NOTICE)
    with pytest.raises(ChannelRateLimited, match="isv.BUSINESS_LIMIT_CONTROL") as limited:
        sender.send(NOTICE)  # the same number twice in a minute
    assert not isinstance(limited.value, ChannelRefused)
    sim.notify.go_down(SMS)
    with pytest.raises(ChannelError, match="503"):
        sender.send(NOTICE)
    sender.close()
    assert len(sim.notify.received_by(SMS)) == 1


def test_a_clock_off_by_more_than_fifteen_minutes_is_refused(sim):
    sender = AliyunSms(NotifyChannel(**channel(sim, "sms")), clock=lambda: utcnow() - timedelta(minutes=20))
    with pytest.raises(ChannelError, match="InvalidTimeStamp.Expired"):
        sender.send(NOTICE)
    sender.close()
    assert sim.notify.received_by(SMS) == []
