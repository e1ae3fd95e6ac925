"""What an alert channel adapter (oms_tui/notifiers/) offers the senders, and how it says it failed.

A ``Notifier`` sends one ``RenderedNotice`` — the alert already written in the channel's language —
and returns when the service took it. Its failures come in three kinds, which decide what the
outbox does next:

- ``ChannelError``: down, timed out, a 5xx, an answer we cannot read — tried again with back-off;
- ``ChannelRateLimited``: the service said too many messages — tried again later, with back-off;
- ``ChannelRefused``: the service refused the message or the channel's settings (a wrong key or
  signature, an illegal phone number) — trying again cannot help: it fails now and a person hears of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from oms_tui.config import NotifyChannel, Settings
from oms_tui.errors import OmsError
from oms_tui.services.core import outbox


@dataclass(frozen=True)
class RenderedNotice:
    """One alert written for one channel, in its language."""

    title: str  # one line: the e-mail's subject, the markdown message's title
    text: str  # plain text: a text robot message, the e-mail's body
    markdown: str  # the same as markdown (DingTalk, WeCom)
    sms: dict[str, str] = field(default_factory=dict)  # short values for an SMS template: event, subject
    mentions: tuple[str, ...] = ()  # mobiles a robot @-mentions


class Notifier(Protocol):
    """A channel adapter: ``send`` returns when the service took the notice, else raises a ChannelError
    (or ChannelRefused)."""

    def send(self, notice: RenderedNotice) -> None: ...

    def close(self) -> None: ...


NotifierFactory = Callable[[NotifyChannel, Settings], Notifier]


class ChannelError(OmsError):
    """The channel could not take the message now (down, timed out, a 5xx): tried again with back-off."""


class ChannelRateLimited(ChannelError):
    """The service said we send too much; tried again later."""


class ChannelRefused(outbox.Undeliverable):
    """The service refused the message or the channel's settings; sending it again cannot help."""
