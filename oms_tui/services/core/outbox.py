"""The transactional outbox: a message is a row written in the same transaction as the change
it reports, so it exists exactly when the change does. Dispatchers send pending rows later,
with retries and back-off; nothing is lost while a channel is down.

Every message has a kind (``MessageKind``) and a payload model for that kind, checked when the
row is written. ``dispatch`` sends due rows through a sender per kind (the table is ``SENDERS`` in
oms_tui/scheduler.py, where the adapters are wired) in three steps, so no database transaction is
open while a platform or a mail server is talked to:

1. claim — a short transaction marks the row ``sending`` with a lease (``next_attempt_at`` is
   when the lease runs out), conditional on the row still being due, so a second dispatcher
   claims nothing;
2. send — outside any transaction;
3. record — another short transaction writes the outcome: sent, skipped (nothing to send it to;
   ``last_error`` says why), deferred (not now: the channel's own pace; not an attempt), retry with
   back-off, or failed (the sender's ``gave_up`` makes a person see it, in that transaction). A refusal
   the receiver says is final (``OmsError.permanent``) fails at once; ``last_error`` is stored as a phrase
   (oms_tui/phrases.py), read in the reader's language.

A dispatcher that dies between 2 and 3 leaves the row ``sending``; when the lease runs out the
row is due again and sent again (a possible duplicate is better than a lost message).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from oms_tui.db import read_session, session_scope
from oms_tui.errors import OmsError, ValidationError
from oms_tui.i18n import N_
from oms_tui.models import Outbox, OutboxStatus, utcnow
from oms_tui.phrases import english, from_error
from oms_tui.redaction import redact
from oms_tui.services.core.backoff import BackoffPolicy

log = logging.getLogger(__name__)


class MessageKind(StrEnum):
    """What a message is; each kind has one payload model and one sender."""

    PLATFORM_SHIP = "platform_ship"  # tell a platform a parcel shipped (services/floor/ship_notices.py)
    ALERT = "alert"  # tell people something needs them (services/messaging/alerts.py); routed, not sent:
    NOTIFY = "notify"  # one channel's copy of an alert (services/messaging/routing.py, delivery.py)
    BUYER_SMS = "buyer_sms"  # a text to the buyer (a stalled parcel: services/shipping/stalls.py, buyer_sms.py)
    SUPPLIER_MAIL = "supplier_mail"  # the weekly order e-mail to a supplier (services/purchasing/supplier_mail.py)


OPEN_STATUSES = (OutboxStatus.PENDING, OutboxStatus.SENDING)

# 30 s, 1 min, 2 min … at most an hour; ten failed attempts and the message fails.
BACKOFF = BackoffPolicy(base_seconds=30, cap_seconds=3600, max_attempts=10)
# Longer than any one send may take (a platform call with its own retries, an SMTP timeout).
LEASE_SECONDS = 300


class PlatformShip(BaseModel):
    """A parcel left: the platform is told the waybill and the courier."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    platform_order_id: str = Field(min_length=1)
    waybill: str = Field(min_length=1)
    courier: str = Field(min_length=1)  # our courier code; the adapter maps it to the platform's


class Alert(BaseModel):
    """Something people (purchasing, the warehouse lead, …) must hear about; also the payload of each
    channel's copy (``notify``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event: str = Field(min_length=1)  # stock_short, … (services/messaging/events.py)
    order: str = ""  # the platform order id it is about, if any
    platform: str = ""
    shop: str = ""
    skus: list[str] = Field(default_factory=list)
    detail: dict[str, str] = Field(default_factory=dict)  # anything else worth saying, shown as is
    roles: list[str] = Field(default_factory=list)  # who is told; empty: the event's roles from the config


class BuyerSms(BaseModel):
    """A text to the buyer through an SMS channel's approved template (its values are the template's)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    phone: str = Field(pattern=r"^1[3-9]\d{9}$")
    template_code: str = Field(min_length=1)
    values: dict[str, str] = Field(default_factory=dict)
    # A sign-in code (the buyer portal): its values are a secret that must not stay at rest once the message is
    # finished (sent, skipped or failed: ``forget_one_time``), and a text arriving after ``expires_at`` is useless.
    one_time: bool = False
    expires_at: datetime | None = None

    def __repr__(self) -> str:
        return f"BuyerSms({self.phone[:3]}****{self.phone[-4:]}, {self.template_code!r})"
class MailLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str = Field(min_length=1)
    name: str = ""
    unit: str = ""
    qty: int = Field(ge=1)
    po: str = ""  # the purchase order it is on, for units awaited


class SupplierMail(BaseModel):
    """A supplier's weekly mail: what we expect to order from them, and what we still wait for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    supplier: str = Field(min_length=1)
    supplier_name: str = ""
    to: str = Field(min_length=3)
    week: str = Field(min_length=1)  # ISO week, 2026-W48
    suggested: list[MailLine] = Field(default_factory=list)
    awaited: list[MailLine] = Field(default_factory=list)


PAYLOADS: dict[MessageKind, type[BaseModel]] = {
    MessageKind.PLATFORM_SHIP: PlatformShip,
    MessageKind.ALERT: Alert,
    MessageKind.NOTIFY: Alert,
    MessageKind.BUYER_SMS: BuyerSms,
    MessageKind.SUPPLIER_MAIL: SupplierMail,
}


def message_kind(kind: MessageKind | str) -> MessageKind:
    try:
        return MessageKind(kind)
    except ValueError:
        raise ValidationError(N_("unknown outbox message kind {kind!r}: use one of {kinds}"), kind=kind,
                              kinds=", ".join(k.value for k in MessageKind)) from None


def parse_payload(kind: MessageKind | str, payload: BaseModel | Mapping[str, Any] | str | None) -> BaseModel:
    """The payload as its kind's model; ValidationError (one line) when it does not fit."""
    kind = message_kind(kind)
    model = PAYLOADS[kind]
    if isinstance(payload, model):
        return payload
    try:
        if isinstance(payload, str):
            return model.model_validate_json(payload or "{}")
        if isinstance(payload, BaseModel):
            payload = payload.model_dump()
        return model.model_validate(dict(payload or {}))
    except pydantic.ValidationError as exc:
        raise _payload_error(kind, exc) from None


def _payload_error(kind: MessageKind, exc: pydantic.ValidationError) -> ValidationError:
    errors = exc.errors(include_input=False, include_url=False)
    missing = [str(e["loc"][-1]) for e in errors if e["type"] == "missing" and e["loc"]]
    if missing:
        return ValidationError(N_("payload lacks {fields}"), fields=", ".join(repr(name) for name in missing))
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "payload"
    return ValidationError(N_("bad {kind} payload: {where}: {problem}"), kind=kind.value, where=where,
                           problem=first["msg"])


def enqueue(session: Session, kind: MessageKind | str, *, channel: str = "", target: str = "", subject: str = "",
            payload: BaseModel | Mapping[str, Any] | None = None, order_id: int | None = None,
            alert_id: int | None = None) -> Outbox:
    """Add a message to the outbox inside the caller's transaction; its payload is checked now."""
    kind = message_kind(kind)
    model = parse_payload(kind, payload)
    message = Outbox(kind=kind.value, channel=channel, target=target[:200], subject=subject[:200], order_id=order_id,
                     alert_id=alert_id, payload=model.model_dump_json())
    session.add(message)
    return message


def due(session: Session, kind: MessageKind | str | list[MessageKind] | None = None, limit: int = 100, *,
        now: datetime | None = None) -> list[Outbox]:
    """Messages whose next attempt is due (pending, or claimed by a dispatcher whose lease ran out), oldest first."""
    stmt = select(Outbox).where(col(Outbox.status).in_(OPEN_STATUSES), col(Outbox.next_attempt_at) <= (now or utcnow()))
    if isinstance(kind, list):
        stmt = stmt.where(col(Outbox.kind).in_([message_kind(k).value for k in kind]))
    elif kind:
        stmt = stmt.where(Outbox.kind == message_kind(kind).value)
    return list(session.exec(stmt.order_by(col(Outbox.id)).limit(limit)))


def mark_sent(session: Session, message: Outbox) -> None:
    message.status = OutboxStatus.SENT
    message.sent_at = utcnow()
    message.attempts += 1
    message.last_error = ""
    session.add(message)


ONE_TIME_BLANK = "******"


def forget_one_time(message: Outbox) -> None:
    """Blank a finished one-time message's values (a sign-in code) in its stored payload; others stay as they are."""
    if message.kind != MessageKind.BUYER_SMS.value or message.status in (s.value for s in OPEN_STATUSES):
        return
    try:
        payload = BuyerSms.model_validate_json(message.payload or "{}")
    except pydantic.ValidationError:
        return
    if payload.one_time:
        blank = payload.model_copy(update={"values": {k: ONE_TIME_BLANK for k in payload.values}})
        message.payload = blank.model_dump_json()


def mark_skipped(session: Session, message: Outbox, reason: str) -> None:
    """The message needs no sending (``reason`` says why); it is not retried."""
    message.status = OutboxStatus.SKIPPED
    message.attempts += 1
    message.last_error = reason[:500]
    session.add(message)


def mark_deferred(session: Session, message: Outbox, until: datetime, reason: str) -> None:
    """Back in the queue until ``until``; not a failed attempt (the channel's own pace, ``Deferred``)."""
    message.status = OutboxStatus.PENDING
    message.next_attempt_at = until
    message.last_error = reason[:500]
    session.add(message)


def mark_failed(session: Session, message: Outbox, error: str, *, permanent: bool = False,
                now: datetime | None = None) -> None:
    """Record a failed attempt; retry later with back-off, or give up when permanent or out of attempts."""
    message.attempts += 1
    message.last_error = error[:500]
    if permanent or BACKOFF.gives_up(message.attempts):
        message.status = OutboxStatus.FAILED
    else:
        message.status = OutboxStatus.PENDING
        message.next_attempt_at = BACKOFF.next_attempt(message.attempts, now or utcnow())
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


# --- dispatching -------------------------------------------------------------------------------

class Undeliverable(OmsError):
    """A sender's verdict: this message can never be sent as written. It fails now, without retries."""


class NotNeeded(OmsError):
    """A sender's verdict: there is nobody to send this message to. It is marked skipped, with this reason."""


class Deferred(OmsError):
    """A sender's verdict: not yet — its channel has had its share for now (a robot's messages a minute).
    The message waits until ``until`` without counting as a failed attempt; this says why."""

    def __init__(self, template: str = "", /, *, until: datetime, **params: Any) -> None:
        self.until = until
        super().__init__(template, **params)


@dataclass(frozen=True)
class Claimed:
    """A message a dispatcher holds the lease on, with its payload parsed."""

    id: int
    kind: MessageKind
    channel: str
    target: str
    subject: str
    payload: Any  # the kind's payload model
    order_id: int | None
    attempts: int  # failed attempts before this one


class Sender:
    """Sends the messages of one kind. ``send`` returns when the message went out; it raises
    ``Undeliverable``, ``NotNeeded`` or ``Deferred`` for the verdicts above, and anything else to be retried."""

    def prepare(self, session: Session, now: datetime | None) -> None:
        """Called once per dispatch run, in a read transaction, before the first ``send`` (to see what
        went out lately); ``now`` is the run's fixed time, None for the clock."""

    def send(self, message: Claimed) -> None:
        raise NotImplementedError

    def gave_up(self, session: Session, message: Outbox) -> None:
        """Called in the transaction that marks ``message`` failed, to make a person see it."""

    def close(self) -> None:
        """Let go of connections kept between messages."""


@dataclass
class DispatchResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    deferred: int = 0  # waiting for their channel's turn (not attempts)

    def as_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "retrying": self.retrying, "failed": self.failed, "skipped": self.skipped,
                "deferred": self.deferred, "errors": self.errors}

    def __str__(self) -> str:
        text = f"sent {self.sent}, retrying {self.retrying}, failed {self.failed}, skipped {self.skipped}"
        return text + (f", deferred {self.deferred}" if self.deferred else "")


@dataclass(frozen=True)
class _Lease:
    row: Outbox
    until: datetime


def claim(engine: Engine, message_id: int, *, now: datetime | None = None,
          lease_seconds: float = LEASE_SECONDS) -> _Lease | None:
    """Take the lease on a due message in a short transaction; None when it is not due or someone else has it."""
    now = now or utcnow()
    until = now + timedelta(seconds=lease_seconds)
    with session_scope(engine) as session:
        # Conditional on the row still being due: of two dispatchers, the second updates nothing
        # (PostgreSQL re-checks the condition after waiting for the first one's row lock).
        taken = session.execute(
            update(Outbox)
            .where(col(Outbox.id) == message_id, col(Outbox.status).in_(OPEN_STATUSES),
                   col(Outbox.next_attempt_at) <= now)
            .values(status=OutboxStatus.SENDING.value, next_attempt_at=until)
        )
        if taken.rowcount != 1:
            return None
        return _Lease(session.get(Outbox, message_id), until)


def dispatch(engine: Engine, senders: Mapping[MessageKind, Sender], *, limit: int = 100,
             now: datetime | None = None, lease_seconds: float = LEASE_SECONDS) -> DispatchResult:
    """Send the due messages of the kinds ``senders`` covers: claim, send, record (see the module docstring)."""
    result = DispatchResult()
    if not senders:
        return result
    with read_session(engine) as session:
        due_ids = [m.id for m in due(session, list(senders), limit, now=now)]
        if due_ids:
            for sender in senders.values():
                sender.prepare(session, now)
    for message_id in due_ids:
        at = now or utcnow()
        lease = claim(engine, message_id, now=at, lease_seconds=lease_seconds)
        if lease is None:
            continue
        row = lease.row
        kind = MessageKind(row.kind)
        sender = senders[kind]
        outcome, error, until = OutboxStatus.SENT, "", None
        try:
            payload = parse_payload(kind, row.payload)
            sender.send(Claimed(row.id, kind, row.channel, row.target, row.subject, payload, row.order_id,
                                row.attempts))
        except NotNeeded as exc:
            outcome, error = OutboxStatus.SKIPPED, from_error(exc)
        except Deferred as exc:  # the channel's pace, not a failure: back in the queue until its turn
            outcome, error, until = OutboxStatus.PENDING, str(exc), exc.until
        except (Undeliverable, ValidationError) as exc:  # a row written wrong never gets better
            outcome, error = OutboxStatus.FAILED, from_error(exc)
        except OmsError as exc:  # the channel refused for good, or is down / busy: try again later
            outcome, error = (OutboxStatus.FAILED if exc.permanent else OutboxStatus.PENDING), from_error(exc)
        except Exception as exc:  # noqa: BLE001 - a network error or a bug: retried, never the end of the run
            log.exception("sending outbox message %s (%s) failed", message_id, kind.value)
            outcome, error = OutboxStatus.PENDING, redact(f"{type(exc).__name__}: {exc}")  # may quote a URL with a token
        _record(engine, lease, sender, outcome, error, at, result, deferred_until=until)
    return result


def _record(engine: Engine, lease: _Lease, sender: Sender, outcome: OutboxStatus, error: str, now: datetime,
            result: DispatchResult, *, deferred_until: datetime | None = None) -> None:
    with session_scope(engine) as session:
        message = session.get(Outbox, lease.row.id)
        if message is None or message.status != OutboxStatus.SENDING or message.next_attempt_at != lease.until:
            # Our lease ran out and another dispatcher took the message over: its outcome stands.
            log.warning("outbox message %s: lease lost before the outcome (%s) was recorded", lease.row.id, outcome)
            return
        if outcome == OutboxStatus.SENT:
            mark_sent(session, message)
            forget_one_time(message)
            result.sent += 1
            return
        if deferred_until is not None:
            mark_deferred(session, message, deferred_until, error)
            result.deferred += 1
            return
        if outcome == OutboxStatus.SKIPPED:
            mark_skipped(session, message, error)
            forget_one_time(message)
            result.skipped += 1
            log.info("outbox message %s not sent: %s", message.id, english(error))
            return
        mark_failed(session, message, error, permanent=outcome == OutboxStatus.FAILED, now=now)
        result.errors.append(f"{message.kind} {message.id}: {english(error)}")
        if message.status == OutboxStatus.FAILED:
            forget_one_time(message)
            result.failed += 1
            sender.gave_up(session, message)
        else:
            result.retrying += 1
