"""The database goes away in the middle of a write: one line on stderr, nothing half written."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import text
from sqlmodel import select

from oms_tui.db import read_session
from oms_tui.models import AuditEvent, Order, StockMove
from tests.helpers.faults import violations
from tests.helpers.shop import ingest, level, stock_up


def test_a_cancel_whose_backend_is_terminated_mid_transaction_leaves_nothing_behind(seeded, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("a server backend to terminate is PostgreSQL's")
    stock_up(seeded, "HG-001", 5)
    order = ingest(seeded, "AWAY-1", {"HG-001": 2})
    before = level(seeded)
    with read_session(seeded) as s:
        audit_rows = len(s.exec(select(AuditEvent)).all())

    blocker = seeded.connect()
    blocker_tx = blocker.begin()
    # Hold the SKU's stock row: the cancel changes the order and writes its audit rows, then waits here.
    blocker.execute(text("SELECT id FROM stocklevel FOR UPDATE"))
    env = dict(os.environ, OMS_DATABASE_URL=db_url)
    env.pop("OMS_CONFIG", None)
    cancel = subprocess.Popen([sys.executable, "-m", "oms_tui.cli", "orders", "cancel", "AWAY-1", "--reason",
                               "buyer asked"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Another connection of this database (pg_class, which names the tables, is per database).
    watcher = seeded.execution_options(isolation_level="AUTOCOMMIT")
    try:
        pid = None
        deadline = time.monotonic() + 30
        while pid is None and cancel.poll() is None and time.monotonic() < deadline:
            with watcher.connect() as conn:
                # The cancel's backend: waiting on our lock with the order row already changed in its transaction.
                pid = conn.execute(text(
                    "SELECT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid "
                    "WHERE a.datname = current_database() AND a.wait_event_type = 'Lock' "
                    "AND l.relation = '\"order\"'::regclass AND l.mode = 'RowExclusiveLock' LIMIT 1")).scalar()
            time.sleep(0.02)
        assert pid is not None, cancel.communicate(timeout=30)
        with watcher.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        out, err = cancel.communicate(timeout=30)
    finally:
        blocker_tx.rollback()
        blocker.close()
        if cancel.poll() is None:
            cancel.kill()

    print("the cancel said:", err.strip())
    assert cancel.returncode == 1
    assert err.startswith("oms: error: database unavailable:") and err.count("\n") == 1, err
    assert "Traceback" not in err and "SELECT" not in err and "UPDATE" not in err
    with read_session(seeded) as s:
        assert s.get(Order, order.id).status == "ready"
        assert len(s.exec(select(AuditEvent)).all()) == audit_rows
        assert s.exec(select(StockMove).where(StockMove.kind == "unlock")).all() == []
    after = level(seeded)
    assert (after.on_hand, after.locked) == (before.on_hand, before.locked) == (5, 2)
    assert violations(seeded) == []
