"""The SQLite file holds the users' PIN hashes: it and its -wal/-shm are readable by the owner only."""

from __future__ import annotations

import os
import stat

from oms_tui.db import make_engine, session_scope
from oms_tui.schema import upgrade_to_head
from oms_tui.services.core import users
from oms_tui.services.core.actor import Actor


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_sqlite_database_and_its_wal_and_shm_are_private(tmp_path):
    path = tmp_path / "new" / "oms.db"
    previous = os.umask(0o022)  # the usual umask, under which files come out world-readable
    try:
        engine = make_engine(f"sqlite:///{path}")
        upgrade_to_head(engine)
        with session_scope(engine) as s:
            users.add_user(s, "boss", "0000", ["admin"], actor=Actor.system("test"))
        with engine.connect():  # the -wal and -shm exist while a connection is open
            modes = {suffix: mode(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")}
        engine.dispose()
    finally:
        os.umask(previous)
    assert modes == {"": 0o600, "-wal": 0o600, "-shm": 0o600}


def test_an_existing_database_file_keeps_its_mode_and_data(tmp_path):
    """Only a file the engine creates is made private; an administrator's own choice stands."""
    path = tmp_path / "oms.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    engine.dispose()
    os.chmod(path, 0o640)
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 1
    engine.dispose()
    assert mode(path) == 0o640
