"""Schema migrations with Alembic: `oms init` upgrades to head and is safe to repeat."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
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
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        return current_revision(engine) or ""
    except OperationalError as exc:
        raise StorageError(f"cannot reach the database: {exc.orig}") from exc


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
