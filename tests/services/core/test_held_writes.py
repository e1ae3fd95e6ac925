"""Held writes: audit rows and order columns wait for the commit (or the next status UPDATE) and go in
together, and never outlive the transaction or savepoint they were made in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, text
from sqlmodel import Session, select

from oms_tui.db import read_session, session_scope
from oms_tui.models import AuditEvent, Order, OrderStatus, utcnow
from oms_tui.services.core import audit, held_writes
from oms_tui.services.orders import allocation, lifecycle
from tests.helpers.shop import assert_books_balance, ingest, stock_up


def _actions(engine, entity_id="x") -> list[str]:
    with read_session(engine) as s:
        return [e.action for e in s.exec(select(AuditEvent).where(AuditEvent.entity_id == entity_id)
                                          .order_by(AuditEvent.id))]


@contextmanager
def sent_statements(engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001, ANN002
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def test_rows_of_one_transaction_go_in_one_statement_at_the_commit(engine):
    with sent_statements(engine) as sent:
        with session_scope(engine) as s:
            audit.record(s, "t", "order.status", "order", "x", **{"from": "new", "to": "ready"})
            audit.record(s, "t", "order.lock", "order", "x", lines={"A": 1})
            audit.record_many(s, [audit.row("t", "hold.open", "order", "x", kind="remark")])
            assert held_writes.has_held(s)
            assert not any("auditevent" in st for st in sent)  # nothing sent yet
    assert len([st for st in sent if st.startswith("INSERT INTO auditevent")]) == 1
    assert _actions(engine) == ["order.status", "order.lock", "hold.open"]  # in the order recorded


def test_a_rolled_back_transaction_writes_nothing_and_leaves_nothing_for_the_next(engine):
    with Session(engine, expire_on_commit=False) as s:
        audit.record(s, "t", "order.status", "order", "x")
        s.rollback()
        assert not held_writes.has_held(s)
        audit.record(s, "t", "order.lock", "order", "x")
        s.commit()
    assert _actions(engine) == ["order.lock"]


def test_a_closed_session_drops_what_it_held(engine):
    s = Session(engine)
    audit.record(s, "t", "order.status", "order", "x")
    s.close()
    assert not held_writes.has_held(s)
    s.commit()  # the same session used again commits nothing of before
    s.close()
    assert _actions(engine) == []


def test_a_savepoint_rolled_back_drops_only_its_own_rows(engine):
    with session_scope(engine) as s:
        audit.record(s, "t", "before", "order", "x")
        savepoint = s.begin_nested()
        audit.record(s, "t", "inside", "order", "x")
        inner = s.begin_nested()
        audit.record(s, "t", "deeper", "order", "x")
        inner.commit()
        savepoint.rollback()
        audit.record(s, "t", "after", "order", "x")
    assert _actions(engine) == ["before", "after"]


def test_a_savepoint_that_commits_keeps_its_rows(engine):
    with session_scope(engine) as s:
        with s.begin_nested():
            audit.record(s, "t", "inside", "order", "x")
        audit.record(s, "t", "after", "order", "x")
    assert _actions(engine) == ["inside", "after"]


def test_reading_the_trail_in_the_same_transaction_sees_the_held_rows(engine):
    with session_scope(engine) as s:
        audit.record(s, "t", "order.lock", "order", "x")
        assert [e.action for e in audit.history(s, "order", "x")] == ["order.lock"]
        audit.record(s, "t", "order.status", "order", "x")
        assert s.execute(text("SELECT count(*) FROM auditevent WHERE entity_id = 'x'")).scalar() == 2
        s.rollback()
    assert _actions(engine) == []


def _locked_order(engine, pid="H-1"):
    stock_up(engine, "HG-001", 5)
    order = ingest(engine, pid, {"HG-001": 1})
    return order.id


def test_the_lock_time_rides_with_the_status_update_that_follows(seeded):
    order_id = _locked_order(seeded)
    with session_scope(seeded) as s:
        order = lifecycle.take_order(s, order_id)
        allocation.unlock_order(s, order, user="t")
        lifecycle.transition(s, order, OrderStatus.SHORT, user="t")
    with sent_statements(seeded) as statements, session_scope(seeded) as s:
        order = lifecycle.take_order(s, order_id)
        assert allocation.lock_order(s, order, user="t")
        assert order.locked_at is not None  # the loaded order shows it at once
        lifecycle.settle_status(s, order, user="t")
    order_updates = [st for st in statements if st.upper().startswith('UPDATE "ORDER"')]
    assert len(order_updates) == 1 and "locked_at" in order_updates[0]
    with read_session(seeded) as s:
        stored = s.get(Order, order_id)
        assert stored.status == OrderStatus.READY and stored.locked_at is not None
    assert_books_balance(seeded)


def test_a_held_column_is_written_at_the_commit_when_no_status_change_carries_it(seeded):
    order_id = _locked_order(seeded)
    when = utcnow().replace(microsecond=0)
    with session_scope(seeded) as s:
        order = lifecycle.take_order(s, order_id)
        lifecycle.hold_columns(s, order, locked_at=when)
        # A status UPDATE the guard refuses (the status seen is not the stored one) leaves it held.
        assert not lifecycle._write_status(s, order, OrderStatus.NEW, OrderStatus.READY)
    with read_session(seeded) as s:
        assert s.get(Order, order_id).locked_at.replace(tzinfo=None) == when.replace(tzinfo=None)


def test_a_later_orm_change_to_the_same_column_wins(seeded):
    order_id = _locked_order(seeded)
    with session_scope(seeded) as s:
        order = lifecycle.take_order(s, order_id)
        lifecycle.hold_columns(s, order, locked_at=utcnow())
        order.locked_at = None
        s.add(order)
    with read_session(seeded) as s:
        assert s.get(Order, order_id).locked_at is None
