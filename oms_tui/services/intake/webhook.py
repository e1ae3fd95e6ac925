"""Pushed order notifications: verify, remember once, queue the fetch of the full order.

Signature (ours, shared with whoever pushes — a TMC relay, a platform's message service
bridge): ``X-OMS-Timestamp`` is Unix seconds, ``X-OMS-Signature`` is
hex(HMAC-SHA256(key=shop app_secret, f"{timestamp}\\n{raw body}")). A timestamp more than
``WINDOW`` away from our clock is refused (a captured request cannot be replayed later); a
message id seen before *from the same shop* is answered "duplicate" and changes nothing
(platforms re-deliver); two shops — two platforms — may well use the same id for different
messages, so each is queued.

The answer is fast because nothing is fetched while the pusher waits: the event row *is* the
queue, worked off by ``process_pending`` (claim with a lease, fetch outside any transaction, record).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from oms_tui.db import read_session, session_scope
from oms_tui.errors import OmsError
from oms_tui.i18n import N_
from oms_tui.models import ProblemSource, WebhookEvent, utcnow
from oms_tui.redaction import redact
from oms_tui.services.core.backoff import BackoffPolicy
from oms_tui.services.intake import sync

log = logging.getLogger(__name__)

WINDOW = timedelta(minutes=5)
DEDUPE_KEY_MAX = 128  # WebhookEvent.message_id's length
# A failed fetch (often a platform's rate limit) waits 5 s, 10 s … at most 10 minutes, each wait
# jittered so the events of one burst do not all come back together; after 8 failures it stays unfetched.
BACKOFF = BackoffPolicy(base_seconds=5, cap_seconds=600, max_attempts=8, jitter=0.2)
LEASE_SECONDS = 120  # longer than one fetch may take

# Where each platform's pushed message names the order (Taobao TMC: tid; PDD: order_sn).
# JD is not here: its documented API has no single-order call, so JD orders come by sync only.
ORDER_ID_KEYS = ("tid", "order_sn", "platform_order_id")
TOPICS = {
    "taobao": ("taobao_trade_TradeCreate", "taobao_trade_TradeBuyerPay", "taobao_trade_TradeClose",
               "taobao_trade_TradeChanged"),
    "pdd": ("pdd_trade_TradeConfirmed", "pdd_trade_TradeClose", "pdd_trade_TradeModified"),
}


class WebhookRefused(OmsError):
    """A push refused with an HTTP ``status``; its English text is the reply body (the pusher is a program)."""

    def __init__(self, template: str, /, *, status: int, **params: object) -> None:
        super().__init__(template, **params)
        self.status = status


@dataclass
class Accepted:
    status: str  # "queued" or "duplicate"
    message_id: str
    platform_order_id: str


def dedupe_key(shop: str, message_id: str) -> str:
    """What ``WebhookEvent.message_id`` holds (and is unique on): the pusher's id within its shop.

    ``shop/id`` while it fits the column, else a digest of it — never a cut, which would make two
    long ids sharing a prefix one message. A shop name is one URL path segment (``/push/{shop}``),
    so it holds no '/' and the key is unambiguous. Keeping the key in the existing column keeps
    its unique constraint as it is: no migration.
    """
    key = f"{shop}/{message_id}"
    if len(key) <= DEDUPE_KEY_MAX:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str | None, signature: str | None, body: bytes, *, now_ts: float) -> None:
    """Refuse a missing, stale or wrong signature; return quietly when it is good."""
    if not timestamp or not signature:
        raise WebhookRefused(N_("missing X-OMS-Timestamp or X-OMS-Signature"), status=401)
    try:
        sent = int(timestamp)
    except ValueError:
        raise WebhookRefused(N_("X-OMS-Timestamp is not Unix seconds"), status=401) from None
    if abs(now_ts - sent) > WINDOW.total_seconds():
        raise WebhookRefused(N_("timestamp outside the accepted window (replay or clock skew)"), status=401)
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.lower()):
        raise WebhookRefused(N_("bad signature"), status=401)


def accept(session: Session, *, shop: str, platform: str, body: bytes) -> Accepted:
    """Parse a verified body and queue it once; a repeated message id is a harmless duplicate."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise WebhookRefused(N_("body is not JSON"), status=400) from None
    if not isinstance(payload, dict):
        raise WebhookRefused(N_("body must be a JSON object"), status=400)
    topic = str(payload.get("topic", ""))
    if topic not in TOPICS.get(platform, ()):
        raise WebhookRefused(N_("unknown topic {topic!r} for {platform}"), status=400, topic=topic, platform=platform)
    order_id = next((str(payload[k]) for k in ORDER_ID_KEYS if payload.get(k) not in (None, "")), "")
    message_id = str(payload.get("message_id", "")).strip()
    if not order_id or not message_id:
        raise WebhookRefused(N_("message_id and the order id are required"), status=400)
    key = dedupe_key(shop, message_id)
    if session.exec(select(WebhookEvent.id).where(WebhookEvent.message_id == key)).first():
        return Accepted("duplicate", message_id, order_id)
    try:
        with session.begin_nested():
            session.add(WebhookEvent(message_id=key, shop=shop, platform=platform, topic=topic,
                                     platform_order_id=order_id[:64]))
    except IntegrityError:  # the same message delivered twice at once
        return Accepted("duplicate", message_id, order_id)
    return Accepted("queued", message_id, order_id)


def pending(session: Session, limit: int = 100, *, now: datetime | None = None) -> list[WebhookEvent]:
    """Events still to fetch whose next attempt is due, oldest first."""
    return list(session.exec(
        select(WebhookEvent).where(col(WebhookEvent.processed_at).is_(None),
                                   col(WebhookEvent.attempts) < BACKOFF.max_attempts,
                                   col(WebhookEvent.next_attempt_at) <= (now or utcnow()))
        .order_by(col(WebhookEvent.id)).limit(limit)
    ))


def claim(engine: Engine, event_id: int, *, now: datetime | None = None) -> WebhookEvent | None:
    """Take the lease on a due event in a short transaction; None when it is not due or someone else has it."""
    now = now or utcnow()
    with session_scope(engine) as session:
        taken = session.execute(
            update(WebhookEvent)
            .where(col(WebhookEvent.id) == event_id, col(WebhookEvent.processed_at).is_(None),
                   col(WebhookEvent.next_attempt_at) <= now)
            .values(next_attempt_at=now + timedelta(seconds=LEASE_SECONDS))
        )
        if taken.rowcount != 1:
            return None
        return session.get(WebhookEvent, event_id)


def process_pending(engine: Engine, fetch_order: Callable[[str, str], object], *, warehouse_code: str | None = None,
                    limit: int = 100, now: datetime | None = None) -> sync.SyncSummary:
    """Fetch the full order for each due event and take it in; a failed fetch waits with back-off.

    ``fetch_order(shop, platform_order_id)`` goes through the shop's platform adapter. It is called
    outside any database transaction: the event is claimed (a lease) in one, recorded in another.
    """
    summary = sync.SyncSummary(shop="webhook", platform="*")
    with read_session(engine) as session:
        due_ids = [event.id for event in pending(session, limit, now=now)]
    for event_id in due_ids:
        at = now or utcnow()
        event = claim(engine, event_id, now=at)
        if event is None:
            continue
        try:
            record = fetch_order(event.shop, event.platform_order_id)
        except Exception as exc:  # noqa: BLE001 - a platform error or a bug: counted, retried with back-off
            if not isinstance(exc, OmsError):
                log.exception("fetching %s %s for webhook event %s failed", event.shop, event.platform_order_id,
                              event.id)
            error = redact(str(exc) if isinstance(exc, OmsError) else f"{type(exc).__name__}: {exc}")  # may quote a URL
            with session_scope(engine) as session:
                row = session.get(WebhookEvent, event.id)
                row.attempts += 1
                row.last_error = error[:500]
                row.next_attempt_at = BACKOFF.next_attempt(row.attempts, at)
                session.add(row)
            summary.error = error
            continue
        sync.ingest_batch(engine, event.shop, event.platform, [record], summary, warehouse_code=warehouse_code,
                          user="webhook", source=ProblemSource.WEBHOOK)
        with session_scope(engine) as session:
            row = session.get(WebhookEvent, event.id)
            row.attempts += 1
            row.processed_at = utcnow()
            session.add(row)
    return summary
