"""Test databases on the PostgreSQL server named by OMS_TEST_PG_URL (default: the local one)."""

from __future__ import annotations

import os
import uuid

from sqlalchemy import create_engine, text

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
