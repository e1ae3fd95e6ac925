"""Adapters for the channels people are told things through, each behind the ``Notifier`` protocol of
services/messaging/channels.py: DingTalk custom robots (dingtalk.py), WeCom group robots (wecom.py),
Aliyun SMS (aliyun_sms.py), e-mail over SMTP (email.py, smtp.py); ``registry.notifier_for`` picks one
by the channel's kind. The only HTTP besides the platform adapters."""
