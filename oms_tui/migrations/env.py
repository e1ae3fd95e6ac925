"""Alembic environment: runs on the connection `oms init` hands over (or on the URL)."""

from alembic import context
from sqlmodel import SQLModel

from oms_tui import models  # noqa: F401  (registers the tables)
from oms_tui.db import make_engine
from oms_tui.schema import check_foreign_keys, sqlite_foreign_keys_off

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn, sqlite_foreign_keys_off(conn):
        _run(conn)


def _run(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs batch ALTER
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        check_foreign_keys(connection)


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `oms init`")
run_migrations_online()
