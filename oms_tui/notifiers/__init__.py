"""Adapters for the channels people are told things through: SMTP e-mail now; DingTalk and WeCom
robots and SMS slot in beside it, each behind an outbox sender (services/messaging/)."""
