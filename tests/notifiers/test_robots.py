"""The DingTalk and WeCom robot adapters against the simulator, which checks signatures and keys as the
real services do: a good message arrives as sent; a wrong secret, a stale timestamp or an unknown key is
refused for good; rate limited and down are worth another try; no secret in any error."""

from __future__ import annotations

import time

import pytest

from oms_tui.config import NotifyChannel
from oms_tui.notifiers.dingtalk import DingTalkRobot
from oms_tui.notifiers.wecom import WeComRobot
from oms_tui.platforms.simulator.notify import DINGTALK, WECOM
from oms_tui.services.messaging.channels import ChannelError, ChannelRateLimited, ChannelRefused, RenderedNotice
from tests.helpers.notify import channel
from tests.helpers.smtp import free_port

NOTICE = RenderedNotice(title="[测试旗舰店] 缺货：HG-001", text="缺货：HG-001\n\n事件: 缺货\n",
                        markdown="### 缺货：HG-001\n\n- **事件**: 缺货", mentions=("13800138000",))


def robot(sim, clock=time.time, **changes) -> DingTalkRobot:
    return DingTalkRobot(NotifyChannel(**channel(sim, "dingtalk", **changes)), clock=clock)


def test_dingtalk_markdown_and_text_arrive_with_their_mentions(sim):
    sender = robot(sim)
    try:
        sender.send(NOTICE)
    finally:
        sender.close()
    text_sender = robot(sim, markdown=False)
    try:
        text_sender.send(NOTICE)
    finally:
        text_sender.close()
    markdown, text = sim.notify.received_by(DINGTALK)
    assert markdown.body["msgtype"] == "markdown"
    assert markdown.body["markdown"] == {"title": NOTICE.title, "text": NOTICE.markdown}
    assert text.body["text"] == {"content": NOTICE.text}
    assert markdown.body["at"] == {"atMobiles": ["13800138000"], "isAtAll": False}
    raw = dict(pair.split("=", 1) for pair in markdown.query.split("&"))
    assert set(raw) == {"access_token", "timestamp", "sign"}
    assert raw["sign"].endswith("%3D") and not set("+/=") & set(raw["sign"])  # URL-encoded, as DingTalk requires


@pytest.mark.parametrize("changes, errmsg", [
    ({"secret": "SECsomebody-elses"}, "sign not match"),
    ({"token": "no-such-robot"}, "token is not exist"),
])
def test_dingtalk_refuses_a_wrong_secret_or_token_for_good(sim, changes, errmsg):
    sender = robot(sim, **changes)
    with pytest.raises(ChannelRefused) as refused:
        sender.send(NOTICE)
    sender.close()
    assert errmsg in str(refused.value) and sim.notify.received_by(DINGTALK) == []
    for secret in ("SECsomebody-elses", "SECsim-dingtalk-secret", "sim-dingtalk-token"):
        assert secret not in str(refused.value)


def test_dingtalk_refuses_a_timestamp_more_than_an_hour_off(sim):
    sender = robot(sim, clock=lambda: time.time() - 3700)
    with pytest.raises(ChannelRefused, match="310000"):
        sender.send(NOTICE)
    sender.close()
    assert sim.notify.received_by(DINGTALK) == []


def test_dingtalk_rate_limited_and_down_are_tried_again(sim):
    sender = robot(sim)
    sim.notify.inject_rate_limit(DINGTALK)
    with pytest.raises(ChannelRateLimited, match="130101"):
        sender.send(NOTICE)
    sim.notify.go_down(DINGTALK)
    with pytest.raises(ChannelError, match="HTTP 503") as down:
        sender.send(NOTICE)
    assert not isinstance(down.value, ChannelRefused)
    sim.notify.go_down(DINGTALK, False)
    sender.send(NOTICE)
    sender.close()
    assert len(sim.notify.received_by(DINGTALK)) == 1


def test_an_unreachable_robot_is_tried_again_and_its_token_is_not_in_the_error(sim):
    url = f"http://127.0.0.1:{free_port()}/robot/send"
    sender = robot(sim, url=url)
    with pytest.raises(ChannelError) as down:
        sender.send(NOTICE)
    sender.close()
    assert not isinstance(down.value, ChannelRefused) and "could not be reached" in str(down.value)
    assert "sim-dingtalk-token" not in str(down.value) and "SECsim" not in str(down.value)


def test_the_robots_keep_their_secrets_out_of_repr():
    config = NotifyChannel(name="群", kind="dingtalk", token="t0ken-x", secret="SECs3cret")
    assert "t0ken-x" not in repr(config) and "SECs3cret" not in repr(config)
    assert "t0ken-x" not in repr(DingTalkRobot(config)) and "SECs3cret" not in str(config.model_dump())


def test_wecom_text_and_markdown_arrive(sim):
    sender = WeComRobot(NotifyChannel(**channel(sim, "wecom")))
    sender.send(NOTICE)
    text_sender = WeComRobot(NotifyChannel(**channel(sim, "wecom", markdown=False)))
    text_sender.send(NOTICE)
    sender.close()
    text_sender.close()
    markdown, text = sim.notify.received_by(WECOM, "sim-wecom-key")
    assert markdown.body == {"msgtype": "markdown", "markdown": {"content": NOTICE.markdown}}
    assert text.body == {"msgtype": "text", "text": {"content": NOTICE.text, "mentioned_mobile_list": ["13800138000"]}}


def test_wecom_refuses_an_unknown_key_for_good_and_rate_limits_for_later(sim):
    wrong = WeComRobot(NotifyChannel(**channel(sim, "wecom", key="k3y-nobody-has")))
    with pytest.raises(ChannelRefused, match="93000") as refused:
        wrong.send(NOTICE)
    wrong.close()
    assert "k3y-nobody-has" not in str(refused.value)
    sender = WeComRobot(NotifyChannel(**channel(sim, "wecom")))
    sim.notify.inject_rate_limit(WECOM)
    with pytest.raises(ChannelRateLimited, match="45009"):
        sender.send(NOTICE)
    sim.notify.go_down(WECOM)
    with pytest.raises(ChannelError, match="503"):
        sender.send(NOTICE)
    sender.close()
    assert sim.notify.received_by(WECOM) == []


def test_no_token_key_or_sign_reaches_a_log_line(sim, caplog):
    import logging

    with caplog.at_level(logging.DEBUG):
        for sender in (robot(sim), WeComRobot(NotifyChannel(**channel(sim, "wecom")))):
            sender.send(NOTICE)
            sender.close()
    assert "HTTP Request: POST" in caplog.text  # httpx did log the requests …
    for secret in ("sim-dingtalk-token", "sim-wecom-key", "sign=", "SECsim"):
        assert secret not in caplog.text.replace("sign=***", "")  # … with the credentials masked
