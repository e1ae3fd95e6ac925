"""Messaging: the outbox senders that tell people things (alerts by e-mail; DingTalk, WeCom and SMS later)."""
