"""Engines and transactions: a transaction the database gives up on for another's sake runs again."""

import sqlite3
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from oms_tui import db
from oms_tui.db import is_retryable, retrying_transaction, session_scope
from oms_tui.services.catalogue import skus as catalogue


def test_two_transactions_locking_rows_in_opposite_order_both_commit_on_postgresql(seeded, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite lets one writer in at a time: there is no deadlock to lose")
    with session_scope(seeded) as s:
        skus = [catalogue.get_sku(s, "HG-001").id, catalogue.get_sku(s, "MB-001").id]
    both_hold_one = threading.Barrier(2)
    attempts = {0: 0, 1: 0}

    def work(i):
        def touch(session):
            attempts[i] += 1
            first, second = skus if i == 0 else skus[::-1]
            session.execute(text("UPDATE sku SET price_fen = price_fen + 1 WHERE id = :id"), {"id": first})
            if attempts[i] == 1:
                both_hold_one.wait(timeout=10)  # now each holds the row the other wants next
            session.execute(text("UPDATE sku SET price_fen = price_fen + 1 WHERE id = :id"), {"id": second})

        retrying_transaction(seeded, touch)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(attempts.values()) == [1, 2]  # the deadlock victim ran again, once
    with session_scope(seeded) as s:
        prices = s.execute(text("SELECT price_fen FROM sku WHERE id IN (:a, :b) ORDER BY id"),
                           {"a": skus[0], "b": skus[1]}).scalars().all()
    assert sorted(prices) == sorted([1990 + 2, 2990 + 2])  # both transactions' changes, each once


def _locked() -> OperationalError:
    return OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))


def test_a_lost_transaction_is_tried_a_bounded_number_of_times_then_fails(sqlite_engine, monkeypatch):
    monkeypatch.setattr(db, "RETRY_BACKOFF_SECONDS", 0.001)
    calls = []

    def work(session):
        calls.append(1)
        raise _locked()

    with pytest.raises(OperationalError, match="database is locked"):
        retrying_transaction(sqlite_engine, work)
    assert len(calls) == db.TRANSACTION_ATTEMPTS == 3


def test_other_database_errors_are_not_retried(sqlite_engine):
    calls = []

    def work(session):
        calls.append(1)
        raise IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))

    with pytest.raises(IntegrityError):
        retrying_transaction(sqlite_engine, work)
    assert len(calls) == 1
    assert is_retryable(_locked()) and not is_retryable(ValueError("database is locked"))


# --- WAL checkpoints off the writers' path ---------------------------------------------------------

def _write_rows(engine, rows: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body TEXT)"))
        conn.execute(text("INSERT INTO filler (body) VALUES (:b)"), [{"b": "x" * 200} for _ in range(rows)])


def _wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_commits_leave_the_checkpoint_to_a_thread_of_its_own(tmp_path, monkeypatch):
    monkeypatch.setattr(db, "CHECKPOINTER_IDLE_SECONDS", 0.5)
    path = tmp_path / "oms.db"
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:  # SQLite's own checkpoint only past the backstop
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == db.WAL_BACKSTOP_PAGES
        checkpointer = db.WalCheckpointer.for_file(path)
        before = checkpointer.checkpoints
        _write_rows(engine, 2000)  # ~100 pages: below the backstop, so only the thread copies them back
        assert _wait_for(lambda: checkpointer.checkpoints > before)
        assert path.stat().st_size > 400_000  # the rows are in the database file itself, not only the log
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM filler")).scalar() == 2000
        assert _wait_for(lambda: not checkpointer.running)  # idle: the thread ends
        _write_rows(engine, 10)  # and the next commit starts another
        assert _wait_for(lambda: checkpointer.checkpoints > before + 1)
    finally:
        engine.dispose()


def test_the_checkpointer_never_makes_a_removed_database_again(tmp_path, monkeypatch):
    monkeypatch.setattr(db, "CHECKPOINT_AFTER_SECONDS", 0.1)
    monkeypatch.setattr(db, "CHECKPOINTER_IDLE_SECONDS", 0.2)
    path = tmp_path / "gone.db"
    engine = db.make_engine(f"sqlite:///{path}")
    _write_rows(engine, 10)
    engine.dispose()
    checkpointer = db.WalCheckpointer.for_file(path)
    assert _wait_for(lambda: not checkpointer.running)  # its connection closed with it
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    checkpointer.wrote()  # as if a last commit came just before the file went
    assert _wait_for(lambda: not checkpointer.running)
    assert not path.exists()


def test_a_commit_followed_by_its_engine_closing_leaves_the_log_to_the_last_connection(tmp_path, monkeypatch):
    """Disposing an engine pauses the thread: no checkpoint connection opens after it, so the engine's own last
    connection folds the log into the file and removes it, and the file copied at once is whole."""
    monkeypatch.setattr(db, "CHECKPOINT_AFTER_SECONDS", 0.3)
    path = tmp_path / "oms.db"
    engine = db.make_engine(f"sqlite:///{path}")
    checkpointer = db.WalCheckpointer.for_file(path)
    _write_rows(engine, 500)  # the thread is now waiting to checkpoint
    before = checkpointer.checkpoints
    engine.dispose()
    assert not path.with_name(path.name + "-wal").exists()  # the last connection folded the log in
    copy = tmp_path / "copy.db"
    copy.write_bytes(path.read_bytes())
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT count(*) FROM filler").fetchone()[0] == 500
    time.sleep(0.5)  # past the moment the thread would have checkpointed
    assert checkpointer.checkpoints == before
