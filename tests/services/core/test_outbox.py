"""The outbox on SQLite and PostgreSQL: typed payloads checked on write; claim → send → record with
no transaction open during the send; a lease that outlives a crashed dispatcher; one send per
message however many dispatchers run."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.errors import OmsError, ValidationError
from oms_tui.models import Outbox, utcnow
from oms_tui.phrases import english
from oms_tui.services.core import outbox
from oms_tui.services.core.outbox import MessageKind
from tests.no_transaction import assert_no_transaction_open

SHIP = {"platform_order_id": "TB1", "waybill": "YT0000000000001", "courier": "yuantong"}


class RecordingSender(outbox.Sender):
    def __init__(self, engine=None, *, fail: Exception | None = None, pause: float = 0.0) -> None:
        self.engine = engine
        self.fail = fail
        self.pause = pause
        self.sent: list[int] = []
        self.lock = threading.Lock()
        self.gave_up_on: list[int] = []

    def send(self, message):
        if self.engine is not None:
            assert_no_transaction_open(self.engine)
        time.sleep(self.pause)
        if self.fail is not None:
            raise self.fail
        with self.lock:
            self.sent.append(message.id)

    def gave_up(self, session, message):
        self.gave_up_on.append(message.id)


def add(engine, kind=MessageKind.PLATFORM_SHIP, payload=None, **kw) -> int:
    with session_scope(engine) as s:
        message = outbox.enqueue(s, kind, payload=SHIP if payload is None else payload, **kw)
        s.flush()
        return message.id


def row(engine, message_id) -> Outbox:
    with read_session(engine) as s:
        return s.get(Outbox, message_id)


def test_payloads_are_typed_and_checked_when_written(engine):
    message_id = add(engine, "platform_ship", target="tb-main")
    assert outbox.payload_of(row(engine, message_id)) == SHIP
    alert_id = add(engine, MessageKind.ALERT, {"event": "stock_short", "order": "TB1", "skus": ["HG-001"]})
    assert outbox.parse_payload("alert", row(engine, alert_id).payload) == outbox.Alert(
        event="stock_short", order="TB1", skus=["HG-001"])
    with pytest.raises(ValidationError, match="^unknown outbox message kind 'fax'"):
        add(engine, "fax", {})
    with pytest.raises(ValidationError, match="^payload lacks 'waybill'$"):
        add(engine, payload={"platform_order_id": "TB1", "courier": "yuantong"})
    with pytest.raises(ValidationError, match="^bad alert payload: skus: "):
        add(engine, MessageKind.ALERT, {"event": "stock_short", "skus": "HG-001"})
    with read_session(engine) as s:
        assert len(s.exec(select(Outbox)).all()) == 2  # the refused ones wrote nothing


def test_nothing_is_held_open_while_sending_and_each_outcome_is_recorded(engine):
    ok = add(engine)
    sender = RecordingSender(engine)
    result = outbox.dispatch(engine, {MessageKind.PLATFORM_SHIP: sender})
    assert (result.sent, sender.sent) == (1, [ok])
    sent = row(engine, ok)
    assert (sent.status, sent.attempts, sent.sent_at is not None) == ("sent", 1, True)

    down = add(engine)
    now = utcnow()
    result = outbox.dispatch(engine, {MessageKind.PLATFORM_SHIP: RecordingSender(engine, fail=OmsError("down"))},
                             now=now)
    assert (result.retrying, result.errors) == (1, [f"platform_ship {down}: down"])
    waiting = row(engine, down)
    assert (waiting.status, waiting.attempts, english(waiting.last_error)) == ("pending", 1, "down")
    assert waiting.next_attempt_at == now + timedelta(seconds=outbox.BACKOFF.base_seconds)

    never = add(engine)
    refusing = RecordingSender(engine, fail=outbox.Undeliverable("no such shop"))
    assert outbox.dispatch(engine, {MessageKind.PLATFORM_SHIP: refusing}).failed == 1
    assert (row(engine, never).status, refusing.gave_up_on) == ("failed", [never])

    nobody = add(engine, MessageKind.ALERT, {"event": "stock_short"})
    skipping = RecordingSender(engine, fail=outbox.NotNeeded("no alert recipients are configured"))
    result = outbox.dispatch(engine, {MessageKind.ALERT: skipping})
    assert (result.skipped, skipping.gave_up_on) == (1, [])
    skipped = row(engine, nobody)
    assert (skipped.status, english(skipped.last_error)) == ("skipped", "no alert recipients are configured")
    assert outbox.dispatch(engine, {MessageKind.ALERT: RecordingSender()}, now=utcnow() + timedelta(days=1)).sent == 0


def test_only_the_kinds_given_are_sent(engine):
    ship = add(engine)
    alert = add(engine, MessageKind.ALERT, {"event": "stock_short"})
    sender = RecordingSender()
    assert outbox.dispatch(engine, {MessageKind.ALERT: sender}).sent == 1
    assert sender.sent == [alert] and row(engine, ship).status == "pending"


def test_a_dispatcher_that_died_mid_send_leaves_a_lease_that_runs_out_and_the_message_goes_again(engine):
    message_id = add(engine)
    now = utcnow()
    assert outbox.claim(engine, message_id, now=now) is not None  # claimed, sent, then the process died
    assert outbox.claim(engine, message_id, now=now) is None  # nobody else takes it meanwhile
    sender = RecordingSender()
    assert outbox.dispatch(engine, {MessageKind.PLATFORM_SHIP: sender}, now=now).sent == 0
    assert row(engine, message_id).status == "sending"
    later = now + timedelta(seconds=outbox.LEASE_SECONDS + 1)
    assert outbox.dispatch(engine, {MessageKind.PLATFORM_SHIP: sender}, now=later).sent == 1
    assert sender.sent == [message_id] and row(engine, message_id).status == "sent"


def test_two_dispatchers_at_once_send_each_message_once(engine):
    ids = [add(engine, payload=dict(SHIP, platform_order_id=f"TB{i}")) for i in range(12)]
    sender = RecordingSender(pause=0.01)
    threads = [threading.Thread(target=outbox.dispatch, args=(engine, {MessageKind.PLATFORM_SHIP: sender}))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(sender.sent) == Counter(ids)
    with read_session(engine) as s:
        assert {m.status for m in s.exec(select(Outbox)).all()} == {"sent"}


class PacedSender(RecordingSender):
    """Takes one message per run; defers the rest to ``until`` (as a channel's pace does)."""

    def __init__(self, until) -> None:
        super().__init__()
        self.until = until
        self.prepared: list = []

    def prepare(self, session, now):
        self.prepared.append(now)

    def send(self, message):
        if self.sent:
            raise outbox.Deferred("waiting its turn", until=self.until)
        super().send(message)


def test_a_deferred_message_waits_for_its_turn_without_counting_an_attempt(engine):
    ids = [add(engine, MessageKind.ALERT, {"event": "stock_short", "skus": [f"S{i}"]}) for i in range(3)]
    now = utcnow()
    sender = PacedSender(until=now + timedelta(minutes=1))
    result = outbox.dispatch(engine, {MessageKind.ALERT: sender}, now=now)
    assert (result.sent, result.deferred, result.retrying, result.failed) == (1, 2, 0, 0)
    assert sender.prepared == [now]  # once per run, before the first send
    assert str(result) == "sent 1, retrying 0, failed 0, skipped 0, deferred 2"
    for message_id in ids[1:]:
        waiting = row(engine, message_id)
        assert (waiting.status, waiting.attempts, waiting.last_error) == ("pending", 0, "waiting its turn")
        assert waiting.next_attempt_at == now + timedelta(minutes=1)
    assert outbox.dispatch(engine, {MessageKind.ALERT: PacedSender(now)}, now=now + timedelta(seconds=30)).sent == 0
    idle = PacedSender(now)
    outbox.dispatch(engine, {MessageKind.PLATFORM_SHIP: idle}, now=now)
    assert idle.prepared == []  # nothing due: no read for it
    assert outbox.dispatch(engine, {MessageKind.ALERT: PacedSender(now)}, now=now + timedelta(minutes=1)).sent == 1
