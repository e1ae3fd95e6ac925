"""A check for senders in tests: no database transaction is open while they talk to the outside."""

from __future__ import annotations

import sqlite3

from sqlalchemy import Engine, create_engine, text


def assert_no_transaction_open(engine: Engine) -> None:
    """Call it from inside a send: none of ``engine``'s connections is checked out, and nobody holds
    a transaction open on the database (SQLite: another writer gets the write lock at once;
    PostgreSQL: no session is idle in a transaction)."""
    assert engine.pool.checkedout() == 0, "a connection is checked out during the send"
    if engine.dialect.name == "sqlite":
        other = sqlite3.connect(engine.url.database, timeout=0.2, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # "database is locked" after 0.2 s if a writer holds it
            other.execute("ROLLBACK")
        finally:
            other.close()
        return
    probe = create_engine(engine.url)
    try:
        with probe.connect() as conn:
            waiting = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'")).scalar()
    finally:
        probe.dispose()
    assert waiting == 0, "a PostgreSQL session is idle in a transaction during the send"
