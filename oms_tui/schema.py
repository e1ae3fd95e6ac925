"""Schema migrations with Alembic: `oms init` upgrades to head and is safe to repeat."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from oms_tui.errors import StorageError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade_to_head(engine: Engine) -> str:
    """Bring the database to the newest schema; return the revision it is at."""
    cfg = alembic_config()
    try:
        with engine.connect() as conn, sqlite_foreign_keys_off(conn):
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")  # migrations/env.py checks the foreign keys before the commit
        refresh_statistics(engine)  # the planner sees the new indexes and the data's shape at once
        return current_revision(engine) or ""
    except OperationalError as exc:
        raise StorageError(f"cannot reach the database: {exc.orig}") from exc


# SQLite's ANALYZE reads about this many rows of each index (an approximate ANALYZE: milliseconds at a
# million orders rather than seconds) — enough for the planner to tell a selective index from a poor one.
SQLITE_ANALYSIS_LIMIT = 1000


def refresh_statistics(engine: Engine) -> dict[str, object]:
    """Give the query planner fresh statistics: after migrations (new indexes) and on a schedule.

    Without them SQLite plans blind and picks a bad index either way (the status index and a sort of
    700k shipped orders instead of the (status, created_at) one). SQLite: an approximate ANALYZE of
    every table, then ``PRAGMA optimize``; PostgreSQL: ``ANALYZE`` (autovacuum also does it, but only
    once enough rows changed — not after a migration adds indexes or a bulk import).
    """
    started = time.perf_counter()
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            driver = conn.connection.driver_connection
            driver.execute(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
            driver.execute("ANALYZE")
            driver.execute("PRAGMA optimize")
        else:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return {"backend": engine.dialect.name, "ms": round((time.perf_counter() - started) * 1000)}


@contextmanager
def sqlite_foreign_keys_off(conn: Connection) -> Iterator[None]:
    """On SQLite, foreign keys off while migrations run, on again afterwards.

    Batch mode changes a table by copying it and dropping the original, which rows of other tables
    point at; with foreign keys on, the drop fails. The pragma is ignored inside a transaction, so it
    is set on the driver's connection before one starts; ``check_foreign_keys`` then proves, before the
    commit, that every reference still holds.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    driver = conn.connection.driver_connection
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        driver.execute("PRAGMA foreign_keys=ON")


def check_foreign_keys(conn: Connection) -> None:
    """On SQLite, refuse (and so roll back) a migration that left a row pointing at nothing."""
    if conn.dialect.name == "sqlite":
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            table, rowid, parent, _fk = broken[0]
            raise StorageError(f"migration left {len(broken)} broken reference(s), e.g. {table} row {rowid} → {parent}")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def ensure_current(engine: Engine) -> None:
    """Refuse to work on a database that `oms init` has not brought up to date."""
    try:
        current = current_revision(engine)
    except OperationalError as exc:
        raise StorageError(f"cannot reach the database: {exc.orig}") from exc
    if current != head_revision():
        raise StorageError("the database is not initialised or is out of date: run `oms init`")
