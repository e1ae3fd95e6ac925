"""The transactional outbox: a message is a row written in the same transaction as the change
it reports, so it exists exactly when the change does. Dispatchers send pending rows later,
with retries and back-off; nothing is lost while a channel is down."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from oms_tui.models import Outbox, OutboxStatus, utcnow

MAX_ATTEMPTS = 10
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600


def enqueue(session: Session, kind: str, *, channel: str = "", target: str = "", subject: str = "",
            payload: dict[str, Any] | None = None, order_id: int | None = None) -> Outbox:
    """Add a message to the outbox inside the caller's transaction."""
    message = Outbox(kind=kind, channel=channel, target=target, subject=subject[:200], order_id=order_id,
                     payload=json.dumps(payload or {}, ensure_ascii=False, default=str))
    session.add(message)
    return message


def due(session: Session, kind: str | None = None, limit: int = 100) -> list[Outbox]:
    """Pending messages whose next attempt is due, oldest first."""
    stmt = select(Outbox).where(Outbox.status == OutboxStatus.PENDING, col(Outbox.next_attempt_at) <= utcnow())
    if kind:
        stmt = stmt.where(Outbox.kind == kind)
    return list(session.exec(stmt.order_by(col(Outbox.id)).limit(limit)))


def mark_sent(session: Session, message: Outbox) -> None:
    message.status = OutboxStatus.SENT
    message.sent_at = utcnow()
    message.attempts += 1
    session.add(message)


def mark_failed(session: Session, message: Outbox, error: str, *, permanent: bool = False) -> None:
    """Record a failed attempt; retry later with exponential back-off, or give up after MAX_ATTEMPTS."""
    message.attempts += 1
    message.last_error = error[:500]
    if permanent or message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxStatus.FAILED
    else:
        delay = min(BACKOFF_BASE_SECONDS * 2 ** (message.attempts - 1), BACKOFF_CAP_SECONDS)
        message.next_attempt_at = utcnow() + timedelta(seconds=delay)
    session.add(message)


def payload_of(message: Outbox) -> dict[str, Any]:
    return json.loads(message.payload or "{}")


def list_messages(session: Session, *, status: str | None = None, kind: str | None = None, limit: int = 50,
                  offset: int = 0) -> list[Outbox]:
    stmt = select(Outbox)
    if status:
        stmt = stmt.where(Outbox.status == status)
    if kind:
        stmt = stmt.where(Outbox.kind == kind)
    return list(session.exec(stmt.order_by(col(Outbox.id).desc()).limit(limit).offset(offset)))
