"""Test databases on the PostgreSQL server named by OMS_TEST_PG_URL (default: the local one)."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from oms_tui.db import make_engine, normalize_url
from oms_tui.schema import upgrade_to_head

PG_ADMIN_URL = os.environ.get("OMS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def create_pg_database(prefix: str) -> tuple[str, str]:
    """A new, migrated PostgreSQL database next to PG_ADMIN_URL: (its URL, its name)."""
    admin_url = normalize_url(PG_ADMIN_URL)
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    upgrade_to_head(engine)
    engine.dispose()
    return url, name


def drop_pg_database(name: str) -> None:
    admin = create_engine(normalize_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def empty_pg_database(url: str) -> None:
    """Empty every table and restart the ids, as a fresh database has them.

    DELETE with triggers and foreign-key checks off (session_replication_role, a superuser's setting),
    then the sequences reset: a test leaves a handful of rows, and TRUNCATE of the ~50 tables cost a
    second per PostgreSQL test (new files for each table), several minutes of the suite. A server where
    we are not a superuser gets the TRUNCATE."""
    engine = make_engine(url)
    tables = [table.name for table in reversed(SQLModel.metadata.sorted_tables)]
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
            conn.execute(text("SELECT setval(c.oid::regclass, 1, false) FROM pg_class c "
                              "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"))
    except DBAPIError:
        quoted = ", ".join(f'"{table}"' for table in tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


def seeded_sqlite_template(tmp_path_factory, sqlite_template: str, name: str, seed) -> Path:  # noqa: ANN001
    """A copy of the migrated SQLite template with ``seed(engine)`` run on it once, for tests to copy."""
    path = tmp_path_factory.mktemp(name) / "oms.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    seed(engine)
    engine.dispose()
    return path
