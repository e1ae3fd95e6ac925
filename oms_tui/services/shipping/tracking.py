"""Tracking shipped parcels: Kuaidi100's pushes (subscription) and the real-time query as the fallback.

A ``Shipment`` row is written when a parcel ships (``register``). Its timeline is the ``TrackingEvent``
rows, each event stored once however often it is read (a digest of its time and text). Kuaidi100's
``state`` is mapped onto ``TrackState`` (``STATES``); delivered moves the parcel's orders to
``delivered``; new events after a stall end the stall (stalls.py).

Polling (``poll_due``): each shipment is looked up again after an interval that grows with the parcel's
age (``poll_interval``) — a push pushes the next poll back; a failed look-up is recorded on the shipment
(errors in a row, the last error) and retried with back-off, never the end of the run; a refusal that
would refuse every look-up (bad key, out of quota) stops the run. At most ``limit`` queries a run keep us
within the API's rate. ``nightly_batch`` looks every undelivered shipment up once (02:00 shop time).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from oms_tui.db import read_session, session_scope
from oms_tui.errors import OmsError
from oms_tui.i18n import N_
from oms_tui.models import (
    Order,
    OrderStatus,
    Parcel,
    Shipment,
    TrackingEvent,
    TrackState,
    utcnow,
)
from oms_tui.services.core import audit
from oms_tui.services.core.backoff import BackoffPolicy
from oms_tui.services.orders import lifecycle
from oms_tui.services.shipping import stalls
from oms_tui.services.shipping.services import CarrierBusy, CarrierRefused, QueryAnswer, TrackingService

BEIJING = timezone(timedelta(hours=8))
# Kuaidi100 `state` → ours (PROTOCOLS.md). 7 (transferred to another courier) and 8 (customs) are still
# on their way; 14 (refused by the receiver) is a problem for a person.
STATES: dict[str, TrackState] = {
    "0": TrackState.IN_TRANSIT, "1": TrackState.COLLECTED, "2": TrackState.PROBLEM, "3": TrackState.DELIVERED,
    "4": TrackState.RETURNED, "5": TrackState.OUT_FOR_DELIVERY, "6": TrackState.RETURNING,
    "7": TrackState.IN_TRANSIT, "8": TrackState.IN_TRANSIT, "14": TrackState.PROBLEM,
}
FINISHED = frozenset({TrackState.DELIVERED, TrackState.RETURNED})
# Failed look-ups of one shipment: 10 min, 20 min … at most its normal interval.
ERROR_BACKOFF = BackoffPolicy(base_seconds=600, cap_seconds=6 * 3600)
PUSH_DEFERS_POLL = timedelta(hours=12)  # a subscribed shipment that is pushed to needs no poll that soon


def map_state(code: str | None) -> TrackState | None:
    """Our state for a Kuaidi100 ``state``; resultv2's finer sub-states (``101``, ``1401``) *(unconfirmed)* by
    their leading main state."""
    if code is None or code == "":
        return None
    code = str(code).strip()
    if code in STATES:
        return STATES[code]
    for cut in (2, 1):
        if len(code) > cut and code[:-cut] in STATES:
            return STATES[code[:-cut]]
    return None


def poll_interval(age: timedelta) -> timedelta:
    """How long until a shipment of this age is looked up again: often while it is fresh, rarely when old."""
    if age < timedelta(days=2):
        return timedelta(hours=2)
    if age < timedelta(days=5):
        return timedelta(hours=6)
    if age < timedelta(days=10):
        return timedelta(hours=12)
    return timedelta(hours=24)


def parse_time(text: str) -> datetime | None:
    """A Kuaidi100 ``YYYY-MM-DD HH:MM:SS`` (Beijing time) as aware UTC; None when it is not one."""
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING).astimezone(timezone.utc)
    except (ValueError, AttributeError):
        return None


def _digest(at: datetime, context: str) -> str:
    return hashlib.sha1(f"{at.isoformat()}|{context}".encode("utf-8")).hexdigest()


def register(session: Session, parcel: Parcel, orders: list[Order], *, now: datetime | None = None) -> Shipment:
    """The parcel shipped: follow it (called in the pack station's ship transaction)."""
    now = now or utcnow()
    existing = session.exec(select(Shipment).where(Shipment.parcel_id == parcel.id)).first()
    if existing is not None:
        return existing
    digits = "".join(ch for ch in (orders[0].receiver_phone if orders else "") if ch.isdigit())
    shipment = Shipment(parcel_id=parcel.id, courier=parcel.courier or "", waybill=parcel.waybill or "",
                        phone_tail=digits[-4:] if len(digits) >= 4 else "", shipped_at=now,
                        next_poll_at=now + poll_interval(timedelta(0)))
    session.add(shipment)
    session.flush()
    return shipment


@dataclass
class Applied:
    new_events: int = 0
    state: str = ""
    delivered_orders: list[str] = field(default_factory=list)
    resumed: bool = False


def apply_answer(session: Session, shipment: Shipment, answer: QueryAnswer, *, now: datetime,
                 user: str = "tracking") -> Applied:
    """Store the answer's new events and state on ``shipment``; delivered → its orders ``delivered``."""
    result = Applied(state=shipment.state)
    known = set(session.exec(select(TrackingEvent.digest).where(TrackingEvent.shipment_id == shipment.id)).all())
    newest: datetime | None = None
    for event in answer.events:
        at = parse_time(event.time)
        if at is None:
            continue
        digest = _digest(at, event.context)
        newest = at if newest is None or at > newest else newest
        if digest in known:
            continue
        known.add(digest)
        mapped = map_state(event.state)
        session.add(TrackingEvent(shipment_id=shipment.id, at=at, context=event.context[:500],
                                  location=event.location[:200], state=mapped.value if mapped else "",
                                  digest=digest))
        result.new_events += 1
    if newest is not None and (shipment.last_event_at is None or newest > shipment.last_event_at):
        shipment.last_event_at = newest
    state = map_state(answer.state)
    if answer.signed and state is None:
        state = TrackState.DELIVERED
    if state is not None:
        shipment.state = state
    elif result.new_events and shipment.state == TrackState.PENDING:
        shipment.state = TrackState.IN_TRANSIT
    shipment.last_checked_at = now
    shipment.errors = 0
    shipment.last_error = ""
    if TrackState(shipment.state) in FINISHED:
        shipment.finished = True
    session.add(shipment)
    session.flush()
    if result.new_events and shipment.stalled_at is not None:
        stalls.resume(session, shipment, user=user)
        result.resumed = True
    if shipment.state == TrackState.DELIVERED:
        result.delivered_orders = _deliver_orders(session, shipment, user)
    result.state = shipment.state
    return result


def _deliver_orders(session: Session, shipment: Shipment, user: str) -> list[str]:
    done = []
    for order in session.exec(select(Order).where(Order.parcel_id == shipment.parcel_id).order_by(col(Order.id))):
        if lifecycle.lock_for_change(session, order) != OrderStatus.SHIPPED:
            continue
        lifecycle.transition(session, order, OrderStatus.DELIVERED, user=user,
                             reason=f"delivered ({shipment.courier} {shipment.waybill})")
        done.append(order.platform_order_id)
    return done


# --- polling ---------------------------------------------------------------------------------------

@dataclass
class PollRun:
    checked: int = 0
    new_events: int = 0
    delivered: int = 0
    errors: int = 0
    stopped: str = ""  # why the run stopped early (a refusal every look-up would meet)

    def as_dict(self) -> dict[str, Any]:
        return {"checked": self.checked, "new_events": self.new_events, "delivered": self.delivered,
                "errors": self.errors, **({"stopped": self.stopped} if self.stopped else {})}


@dataclass(frozen=True)
class _Due:
    id: int
    courier: str
    waybill: str
    phone_tail: str


def due_shipments(session: Session, *, now: datetime, limit: int) -> list[_Due]:
    rows = session.exec(select(Shipment).where(col(Shipment.finished).is_(False), col(Shipment.next_poll_at) <= now)
                        .order_by(col(Shipment.next_poll_at), col(Shipment.id)).limit(limit))
    return [_Due(s.id, s.courier, s.waybill, s.phone_tail) for s in rows]


def _unchecked_since(session: Session, *, since: datetime, limit: int) -> list[_Due]:
    stmt = (select(Shipment).where(col(Shipment.finished).is_(False),
                                   (col(Shipment.last_checked_at).is_(None)) | (col(Shipment.last_checked_at) < since))
            .order_by(col(Shipment.id)).limit(limit))
    return [_Due(s.id, s.courier, s.waybill, s.phone_tail) for s in session.exec(stmt)]


def poll_due(engine: Engine, service: TrackingService, *, now: datetime | None = None, limit: int = 60,
             give_up_days: float = 45.0) -> PollRun:
    """Look up the shipments whose next poll is due (at most ``limit``); see the module docstring."""
    now = now or utcnow()
    with read_session(engine) as session:
        due = due_shipments(session, now=now, limit=limit)
    return _look_up(engine, service, due, now=now, give_up_days=give_up_days)


def nightly_batch(engine: Engine, service: TrackingService, *, now: datetime | None = None, limit: int = 5000,
                  give_up_days: float = 45.0) -> PollRun:
    """Every undelivered shipment not looked up in the last 12 hours, once."""
    now = now or utcnow()
    with read_session(engine) as session:
        due = _unchecked_since(session, since=now - timedelta(hours=12), limit=limit)
    return _look_up(engine, service, due, now=now, give_up_days=give_up_days)


def _look_up(engine: Engine, service: TrackingService, due: list[_Due], *, now: datetime,
             give_up_days: float) -> PollRun:
    run = PollRun()
    for item in due:
        try:
            answer = service.query(item.courier, item.waybill, item.phone_tail)
        except OmsError as exc:  # CarrierError and its kinds
            run.errors += 1
            _record_error(engine, item.id, str(exc), now)
            if isinstance(exc, CarrierRefused) and not isinstance(exc, CarrierBusy):
                run.stopped = str(exc)[:200]
                break
            continue
        run.checked += 1
        with session_scope(engine) as session:
            shipment = session.get(Shipment, item.id, with_for_update=True)
            shipment.polls += 1
            applied = apply_answer(session, shipment, answer, now=now)
            run.new_events += applied.new_events
            run.delivered += len(applied.delivered_orders)
            if not shipment.finished:
                age = now - shipment.shipped_at
                if age > timedelta(days=give_up_days):
                    shipment.finished = True
                    shipment.last_error = f"not delivered after {give_up_days:g} days: no longer polled"
                shipment.next_poll_at = now + poll_interval(age)
            session.add(shipment)
    return run


def _record_error(engine: Engine, shipment_id: int, error: str, now: datetime) -> None:
    with session_scope(engine) as session:
        shipment = session.get(Shipment, shipment_id, with_for_update=True)
        shipment.errors += 1
        shipment.last_error = error[:500]
        shipment.last_checked_at = now
        interval = poll_interval(now - shipment.shipped_at)
        shipment.next_poll_at = min(ERROR_BACKOFF.next_attempt(shipment.errors, now), now + interval)
        session.add(shipment)


def next_nightly(now: datetime, zone: str, hour: int) -> datetime:
    """The next ``hour``:00 in the shop's time zone after ``now``, as UTC."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    at = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if at <= local:
        at = (local + timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return at.astimezone(timezone.utc)


def in_nightly_window(now: datetime, zone: str, hour: int) -> bool:
    """Whether ``now`` is in the nightly batch's hour, shop time."""
    return now.astimezone(ZoneInfo(zone)).hour == hour


# --- subscription and pushes -------------------------------------------------------------------------

def subscribe_pending(engine: Engine, service: TrackingService, *, now: datetime | None = None,
                      limit: int = 60) -> dict[str, int]:
    """Subscribe the shipments not subscribed yet; a refusal is recorded and not tried again (polls cover it)."""
    now = now or utcnow()
    with read_session(engine) as session:
        rows = [_Due(s.id, s.courier, s.waybill, s.phone_tail) for s in session.exec(
            select(Shipment).where(col(Shipment.subscribed_at).is_(None), col(Shipment.finished).is_(False))
            .order_by(col(Shipment.id)).limit(limit))]
    done = refused = later = 0
    for item in rows:
        error = ""
        try:
            service.subscribe(item.courier, item.waybill, item.phone_tail)
            done += 1
        except CarrierBusy:
            later += 1
            continue
        except OmsError as exc:
            refused += 1
            error = f"subscription refused: {exc}"[:500]
        with session_scope(engine) as session:
            shipment = session.get(Shipment, item.id)
            shipment.subscribed_at = now
            if error:
                shipment.last_error = error
            session.add(shipment)
    return {"subscribed": done, "refused": refused, "later": later}


class PushRefused(OmsError):
    """A push we do not take: not signed with our salt, or not a tracking result."""

    status = 400


@dataclass(frozen=True)
class PushOutcome:
    waybill: str
    known: bool
    new_events: int = 0
    state: str = ""


def verify_push(param: str, sign: str, salt: str) -> None:
    """``sign`` must be ``hex(MD5(param + salt)).upper()`` *(unconfirmed)*; PushRefused otherwise."""
    if not salt:
        raise PushRefused(N_("pushes are refused: no Kuaidi100 salt is configured"))
    expected = hashlib.md5((param + salt).encode("utf-8")).hexdigest().upper()
    if not sign or not hmac.compare_digest(sign.strip().upper().encode("utf-8"), expected.encode("utf-8")):
        raise PushRefused(N_("push refused: its sign does not match"))


def accept_push(engine: Engine, param: str, sign: str, *, salt: str,
                parse: Callable[[Any], QueryAnswer], now: datetime | None = None) -> PushOutcome:
    """Take one Kuaidi100 push (form fields ``param`` and ``sign``): checked, then applied like a query answer.

    ``parse`` reads the tracking result (the adapter's ``parse_query_answer``). A push about a number we do
    not follow is acknowledged and ignored (Kuaidi100 would otherwise push it again)."""
    verify_push(param, sign, salt)
    now = now or utcnow()
    try:
        body = json.loads(param)
    except ValueError:
        raise PushRefused(N_("push refused: param is not JSON")) from None
    if not isinstance(body, dict):
        raise PushRefused(N_("push refused: param is not JSON"))
    result = body.get("lastResult", body)  # Kuaidi100 wraps the result with the subscription's status
    if not isinstance(result, dict) or not result.get("nu"):
        raise PushRefused(N_("push refused: no tracking result in it"))
    waybill = str(result["nu"])
    try:
        answer = parse(result)
    except OmsError as exc:
        raise PushRefused(N_("push refused: {reason}"), reason=str(exc)) from None
    with session_scope(engine) as session:
        stmt = select(Shipment).where(Shipment.waybill == waybill)
        if result.get("com"):
            stmt = stmt.where(Shipment.courier == str(result["com"]))
        shipment = session.exec(stmt.order_by(col(Shipment.id).desc())).first()
        if shipment is None:
            return PushOutcome(waybill, False)
        session.refresh(shipment, with_for_update=True)
        applied = apply_answer(session, shipment, answer, now=now, user="kuaidi100")
        shipment.next_poll_at = max(shipment.next_poll_at, now + PUSH_DEFERS_POLL)
        session.add(shipment)
        audit.record(session, "kuaidi100", "tracking.push", "shipment", shipment.id, waybill=waybill,
                     new_events=applied.new_events, state=applied.state)
        return PushOutcome(waybill, True, applied.new_events, applied.state)


# --- what people see -------------------------------------------------------------------------------

@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    context: str
    location: str
    state: str


@dataclass(frozen=True)
class Tracking:
    """A parcel's tracking as the order screen and lookup show it."""

    courier: str
    waybill: str
    state: str
    shipped_at: datetime
    last_event_at: datetime | None
    stalled: bool
    last_error: str
    events: tuple[TimelineEvent, ...]  # newest first


def tracking_for_order(session: Session, order: Order, *, limit: int = 50) -> Tracking | None:
    """The tracking of the order's parcel; None when it has not shipped (or shipped before tracking existed)."""
    if order.parcel_id is None:
        return None
    shipment = session.exec(select(Shipment).where(Shipment.parcel_id == order.parcel_id)).first()
    if shipment is None:
        return None
    events = session.exec(select(TrackingEvent).where(TrackingEvent.shipment_id == shipment.id)
                          .order_by(col(TrackingEvent.at).desc(), col(TrackingEvent.id).desc()).limit(limit))
    return Tracking(shipment.courier, shipment.waybill, shipment.state, shipment.shipped_at, shipment.last_event_at,
                    shipment.stalled_at is not None, shipment.last_error,
                    tuple(TimelineEvent(e.at, e.context, e.location, e.state) for e in events))


def tracking_as_dict(tracking: Tracking | None) -> dict[str, Any] | None:
    if tracking is None:
        return None
    return {"courier": tracking.courier, "waybill": tracking.waybill, "state": tracking.state,
            "shipped_at": tracking.shipped_at.isoformat(),
            "last_event_at": tracking.last_event_at.isoformat() if tracking.last_event_at else None,
            "stalled": tracking.stalled, "last_error": tracking.last_error,
            "events": [{"at": e.at.isoformat(), "context": e.context, "location": e.location, "state": e.state}
                       for e in tracking.events]}
