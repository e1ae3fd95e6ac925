"""The migrations build exactly the schema the models describe, on both databases."""

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, inspect, text
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import SQLModel

from oms_tui.db import session_scope
from oms_tui.errors import StorageError
from oms_tui.limits import MAX_FEN, MAX_QUANTITY
from oms_tui.models import utcnow
from oms_tui.schema import (
    alembic_config,
    current_revision,
    head_revision,
    sqlite_foreign_keys_off,
    upgrade_to_head,
)
from oms_tui.services.core.actor import Actor


def test_migrated_schema_matches_the_models(engine):
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []


def test_upgrade_is_safe_to_repeat(engine):
    assert upgrade_to_head(engine) == head_revision()
    assert upgrade_to_head(engine) == head_revision()


def test_sqlite_runs_in_wal_with_foreign_keys(sqlite_engine):
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def _model_checks() -> dict[str, set[str]]:
    return {table.name: {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
            for table in SQLModel.metadata.sorted_tables}


def test_the_database_has_the_check_constraints_the_models_declare(engine):
    """compare_metadata does not compare CHECK constraints: the names are compared here, the rules below."""
    declared = _model_checks()
    assert declared["stocklevel"] == {f"ck_stocklevel_{b}" for b in ("on_hand", "inbound", "locked", "reserved",
                                                                     "damaged")}
    found = {table: {c["name"] for c in inspect(engine).get_check_constraints(table)} for table in declared}
    assert found == declared


def _seed_one_order(engine) -> None:
    from oms_tui.services.catalogue import skus as catalogue
    from oms_tui.services.orders import upsert
    from oms_tui.services.stock import ledger
    from tests.helpers.shop import normalized, seed_catalogue

    seed_catalogue(engine)
    with session_scope(engine) as s:
        wh, sku = catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "HG-001")
        ledger.purchase(s, wh, sku, 5, actor=Actor.system("t"))
        ledger.receive(s, wh, sku, 5, user="t")
        upsert.upsert_order(s, normalized("S1", {"HG-001": 2, "NO-SUCH": 1}), warehouse=wh)


OUT_OF_RANGE = [
    ("stocklevel", "on_hand", MAX_QUANTITY + 1),
    ("stocklevel", "inbound", -1),
    ("stocklevel", "locked", -1),
    ("stocklevel", "reserved", MAX_QUANTITY + 1),
    ("stocklevel", "damaged", -1),
    ("stocklevel", "on_hand", 2**63 - 1),  # what `oms stock purchase` used to store on SQLite
    ("sku", "price_fen", MAX_FEN + 1),
    ("sku", "cost_fen", -1),
    ("order", "total_fen", -1),
    ("order", "paid_fen", MAX_FEN + 1),
    ("order", "discount_fen", -1),
    ("order", "post_fee_fen", MAX_FEN + 1),
    ("orderline", "qty", 0),
    ("orderline", "qty", MAX_QUANTITY + 1),
    ("orderline", "price_fen", -1),
    ("orderline", "locked_qty", 3),  # more than the line's qty
    ("orderline", "returned_qty", -1),
]


@pytest.mark.parametrize("table, column, value", OUT_OF_RANGE)
def test_the_database_refuses_an_out_of_range_value_written_with_raw_sql(engine, table, column, value):
    _seed_one_order(engine)
    quoted = f'"{table}"'
    with engine.connect() as conn:
        before = conn.execute(text(f"SELECT id, {column} FROM {quoted} ORDER BY id")).all()
    # PostgreSQL refuses a number beyond its 32-bit INTEGER column before it looks at the CHECK
    with pytest.raises((IntegrityError, DataError)), engine.begin() as conn:
        conn.execute(text(f"UPDATE {quoted} SET {column} = :value"), {"value": value})
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT id, {column} FROM {quoted} ORDER BY id")).all() == before


def test_the_database_refuses_an_out_of_range_row_inserted_with_raw_sql(engine):
    _seed_one_order(engine)
    with pytest.raises(IntegrityError, match="ck_stockreservation_qty"), engine.begin() as conn:
        conn.execute(text("INSERT INTO stockreservation (warehouse_id, sku_id, purpose, qty, note, created_at, "
                          "expires_at) SELECT warehouse_id, sku_id, 'vip', -5, '', :now, :now FROM stocklevel"),
                     {"now": utcnow()})


def _migrate(engine, target: str, *, down: bool = False) -> None:
    cfg = alembic_config()
    with engine.connect() as conn, sqlite_foreign_keys_off(conn):
        with conn.begin():
            cfg.attributes["connection"] = conn
            (command.downgrade if down else command.upgrade)(cfg, target)


def test_upgrading_an_existing_database_keeps_every_row_and_refuses_rows_out_of_bounds(engine):
    """Migration 0007 on a database with data: rows out of bounds stop it with their ids, nothing
    changed; once corrected, it adds the checks and every row and reference is still there."""
    _seed_one_order(engine)
    tables = ("sku", "stocklevel", "stockmove", "order", "orderline", "hold", "auditevent")

    def counts() -> dict[str, int]:
        with engine.connect() as conn:
            return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in tables}

    before = counts()
    try:
        _migrate(engine, "0005", down=True)
        with engine.begin() as conn:
            conn.execute(text("UPDATE stocklevel SET inbound = :v WHERE on_hand = 5"), {"v": MAX_QUANTITY + 7})
        with pytest.raises(StorageError, match=r"stocklevel\.inbound must be from 0 to 1000000000 but is "
                                               r"1000000007 in row \d+; correct those rows"):
            upgrade_to_head(engine)
        assert current_revision(engine) == "0005"
        with engine.begin() as conn:
            conn.execute(text("UPDATE stocklevel SET inbound = 0 WHERE on_hand = 5"))
    finally:
        upgrade_to_head(engine)
    assert current_revision(engine) == head_revision()
    assert counts() == before
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # on again for the pool's next user
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE stocklevel SET inbound = -1"))
