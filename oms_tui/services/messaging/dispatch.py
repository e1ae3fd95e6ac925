"""The dispatcher table: one sender per outbox message kind, and the run that sends them.

A new channel (DingTalk or WeCom robot, SMS) is a new ``MessageKind`` with its payload model in
``services/core/outbox.py`` and a line here naming the function that builds its sender from the
settings; the scheduler gets a job for it by itself (``outbox:<kind>``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import Engine

from oms_tui.config import Settings, ShopConfig
from oms_tui.services.core import outbox
from oms_tui.services.core.outbox import DispatchResult, MessageKind
from oms_tui.services.floor.ship_notices import PlatformShipSender
from oms_tui.services.messaging.alerts import AlertEmailSender

ClientFactory = Callable[[ShopConfig], object]
SenderFactory = Callable[[Settings, ClientFactory], outbox.Sender]

SENDERS: dict[MessageKind, SenderFactory] = {
    MessageKind.PLATFORM_SHIP: lambda settings, clients: PlatformShipSender(settings.shops, clients),
    MessageKind.ALERT: lambda settings, clients: AlertEmailSender(settings),
}


def dispatch(engine: Engine, settings: Settings, client_factory: ClientFactory, *,
             kinds: Iterable[MessageKind | str] | None = None, limit: int = 100,
             now: datetime | None = None) -> DispatchResult:
    """Send the due messages of ``kinds`` (None: every kind), each through its kind's sender."""
    chosen = [outbox.message_kind(kind) for kind in kinds] if kinds is not None else list(SENDERS)
    senders = {kind: SENDERS[kind](settings, client_factory) for kind in chosen}
    try:
        return outbox.dispatch(engine, senders, limit=limit, now=now)
    finally:
        for sender in senders.values():
            sender.close()
