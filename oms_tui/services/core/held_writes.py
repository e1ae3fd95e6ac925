"""Writes a transaction holds back and sends together before it commits.

An action on an order writes an audit row per change: locking and settling an order writes two, shipping
it (picking, packed, shipped) three, each a statement of its own when sent at once. Held, they go in one
multi-row INSERT at the commit. An order column that changes beside a status (the lock's ``locked_at``)
is held the same way, so the status UPDATE that follows can carry it instead of an UPDATE of its own
(``take``).

What a held write must never do is outlive what it describes, or be missed by a read that expects it:

* a held write belongs to the transaction it was made in. The writes held go out before a savepoint the
  session begins (on the connection, ahead of the SAVEPOINT), so whatever is held belongs to the innermost
  transaction, and a savepoint or transaction that rolls back (or ends without a commit) drops exactly
  what was held in it;
* the writes go out before the session commits (a savepoint's release included), before it flushes (an
  ORM change to the same row must come after the held one, as it was made after it), and before the
  session runs a query that reads a table a held write goes to (or a textual statement, whose tables are
  not known).

A Core statement sent past the session (``db.connection_for``) does not send them first, and a savepoint
begun on the connection itself (``connection_for(session).begin_nested()``) is not seen: the hot paths that
do either read or lock stock and lines, which nothing here holds.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql import TextClause
from sqlalchemy.sql.util import find_tables

from oms_tui.db import connection_for

_HELD = "oms.held_writes"  # session.info: list[_Held], in the order they were made


@dataclass(slots=True)
class _Held:
    transaction: SessionTransaction
    kind: "WriteKind"
    key: Hashable  # what ``take`` finds it by (an order id); None when only the commit sends it
    payload: Any


@dataclass(frozen=True, eq=False)
class WriteKind:
    """One kind of held write: the tables it goes to and how a list of its payloads is sent."""

    name: str
    tables: frozenset[str]
    send: Callable[[Connection, list], None]  # (connection, payloads in the order held) → the statements


def hold(session: Session, kind: WriteKind, payload: Any, *, key: Hashable = None) -> None:
    """Hold ``payload`` of ``kind`` in the session's innermost transaction (beginning one if none has)."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:  # the session's transaction begins as it would for the write itself
        session.connection()
        transaction = session.get_transaction()
    session.info.setdefault(_HELD, []).append(_Held(transaction, kind, key, payload))


def take(session: Session, kind: WriteKind, key: Hashable) -> list:
    """Remove and return the held payloads of ``kind`` under ``key``: the caller writes them itself (in a
    statement it sends anyway), or holds them again if that statement was refused."""
    held = session.info.get(_HELD)
    if not held:
        return []
    taken = [h.payload for h in held if h.kind is kind and h.key == key]
    if taken:
        held[:] = [h for h in held if not (h.kind is kind and h.key == key)]
    return taken


def send_held(session: Session, connection: Connection | None = None) -> None:
    """Send every held write now, each kind in one go, in the order the kinds were first held, on
    ``connection`` (default: the connection of the session's current transaction)."""
    held = session.info.get(_HELD)
    if not held:
        return
    session.info[_HELD] = []
    by_kind: dict[WriteKind, list] = {}
    for h in held:
        by_kind.setdefault(h.kind, []).append(h.payload)
    connection = connection or connection_for(session)
    for kind, payloads in by_kind.items():
        kind.send(connection, payloads)


def has_held(session: Session) -> bool:
    return bool(session.info.get(_HELD))


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "before_commit")
def _send_before_commit(session: Session) -> None:
    send_held(session)


@event.listens_for(Session, "before_flush")
def _send_before_flush(session: Session, _flush_context, _instances) -> None:  # noqa: ANN001
    send_held(session)


@event.listens_for(Session, "after_transaction_create")
def _send_before_savepoint(session: Session, transaction: SessionTransaction) -> None:
    # The SAVEPOINT is sent when the savepoint's connection is first asked for; the enclosing
    # transaction's connection sends what it holds first, outside the savepoint.
    if transaction.nested and has_held(session):
        send_held(session, transaction.parent.connection(None))


@event.listens_for(Session, "after_transaction_end")
def _drop_with_transaction(session: Session, transaction: SessionTransaction) -> None:
    # After a commit nothing of it is left (before_commit sent it); after a rollback or a close, what it
    # held describes changes that did not happen.
    held = session.info.get(_HELD)
    if held:
        held[:] = [h for h in held if not _within(h.transaction, transaction)]


@event.listens_for(Session, "do_orm_execute")
def _send_before_reading(state: ORMExecuteState) -> None:
    held = state.session.info.get(_HELD)
    if not held:
        return
    statement = state.statement
    if isinstance(statement, TextClause):
        send_held(state.session)
        return
    tables = {h.kind.tables for h in held}
    read = {getattr(t, "name", None) for t in find_tables(statement, include_joins=True, include_aliases=True)}
    if any(kind_tables & read for kind_tables in tables):
        send_held(state.session)
