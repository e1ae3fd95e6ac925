"""`oms sync` killed with SIGKILL in the middle of a batch: the next run completes, nothing is doubled."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, text
from sqlmodel import select

from oms_tui.db import make_engine, read_session
from oms_tui.models import AuditEvent, Order, OrderLine, StockMove
from tests.helpers.faults import violations
from tests.helpers.shop import SIM_SKUS
from tests.helpers.sync import plenty_of_stock, settled, taken_in

ORDERS = 150  # three batches of 50: the kill lands in the second or third
PLATFORM = "taobao"


def write_config(sim, path) -> str:
    lines = []
    for shop in sim.shop_configs():
        if shop.platform == PLATFORM:
            lines += ["[[shops]]"] + [f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {v}"
                                      for k, v in shop.as_config().items()]
            name = shop.name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return name


def sync_process(url: str, config, shop: str) -> subprocess.Popen:
    env = dict(os.environ, OMS_DATABASE_URL=url, OMS_CONFIG=str(config))
    return subprocess.Popen([sys.executable, "-m", "oms_tui.cli", "sync", "--shop", shop, "--once"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def batch_open(engine) -> bool:
    """Whether another process is inside a writing transaction that has taken orders in (uncommitted)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            return bool(conn.execute(text(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname = 'order' AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid() "
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())")).scalar())
    # SQLite: someone holds the write lock (BEGIN IMMEDIATE fails at once) after a first batch went in.
    probe = sqlite3.connect(engine.url.database, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def orders_in(engine) -> int:
    with read_session(engine) as s:
        return s.exec(select(func.count()).select_from(Order)).one()


def test_a_sync_killed_mid_batch_resumes_and_doubles_nothing(seeded, db_url, sim, tmp_path):
    plenty_of_stock(seeded)
    sim.state.generate(ORDERS, settled(), random.Random(11), SIM_SKUS, spread=timedelta(hours=2),
                       platforms=[PLATFORM])
    expected = taken_in(sim.state, PLATFORM)
    shop = write_config(sim, tmp_path / "oms.toml")
    probe = make_engine(db_url)

    killed = sync_process(db_url, tmp_path / "oms.toml", shop)
    deadline = time.monotonic() + 60
    while killed.poll() is None and time.monotonic() < deadline:
        if orders_in(probe) > 0 and batch_open(probe):  # a later batch is half written, uncommitted
            killed.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    killed.wait(timeout=30)
    assert killed.returncode == -signal.SIGKILL, "the sync finished before it could be killed mid-batch"
    left_in = orders_in(probe)
    assert 0 < left_in < len(expected)
    print(f"killed mid-batch with {left_in} of {len(expected)} orders in")

    rerun = sync_process(db_url, tmp_path / "oms.toml", shop)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err

    with read_session(probe) as s:
        stored = Counter(s.exec(select(Order.platform_order_id)).all())
        lines = dict(s.exec(select(OrderLine.order_id, func.count()).join(Order, Order.id == OrderLine.order_id)
                            .where(Order.status != "cancelled")  # closed before we saw it: never locked
                            .group_by(OrderLine.order_id)).all())
        locks = dict(s.exec(select(StockMove.order_id, func.count()).where(StockMove.kind == "lock")
                            .group_by(StockMove.order_id)).all())
        created = Counter(s.exec(select(AuditEvent.entity_id).where(AuditEvent.action == "order.create")).all())
    probe.dispose()
    assert set(stored) == expected and max(stored.values()) == 1  # every order taken in, each once
    assert locks == lines  # every line locked once: the killed batch left no lock behind
    assert len(created) == len(expected) and max(created.values()) == 1
    assert violations(seeded) == []
