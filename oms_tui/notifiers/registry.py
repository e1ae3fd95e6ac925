"""The adapter for a channel's kind (``[[notify.channels]] kind``)."""

from __future__ import annotations

from oms_tui.config import NotifyChannel, Settings
from oms_tui.errors import ConfigError
from oms_tui.i18n import N_
from oms_tui.services.messaging.channels import Notifier


def notifier_for(channel: NotifyChannel, settings: Settings) -> Notifier:
    if channel.kind == "dingtalk":
        from oms_tui.notifiers.dingtalk import DingTalkRobot

        return DingTalkRobot(channel)
    if channel.kind == "wecom":
        from oms_tui.notifiers.wecom import WeComRobot

        return WeComRobot(channel)
    if channel.kind == "sms":
        from oms_tui.notifiers.aliyun_sms import AliyunSms

        return AliyunSms(channel)
    if channel.kind == "email":
        from oms_tui.notifiers.email import EmailNotifier

        return EmailNotifier(channel, settings.smtp)
    raise ConfigError(N_("channel {channel!r}: unknown kind {kind!r}"), channel=channel.name, kind=channel.kind)
