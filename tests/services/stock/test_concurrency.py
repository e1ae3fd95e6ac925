"""Many terminals, one last unit: exactly K of N competing orders get stock, on both databases."""

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.models import Order, OrderStatus
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.orders import upsert
from tests.helpers.shop import assert_books_balance, level, normalized, stock_up

WORKERS = 12
UNITS = 5


def _race(engine, make_order, n=WORKERS):
    barrier = threading.Barrier(n)

    def worker(i):
        barrier.wait(timeout=30)  # everyone starts together so the locks really collide
        with session_scope(engine) as s:
            result = upsert.upsert_order(s, make_order(i), warehouse=catalogue.get_warehouse(s, "WH1"))
            return result.order.status

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(worker, range(n), timeout=120))


def test_exactly_k_of_n_workers_lock_the_last_units(seeded):
    stock_up(seeded, "HG-001", UNITS)
    statuses = _race(seeded, lambda i: normalized(f"RACE-{i}", {"HG-001": 1}))
    assert statuses.count(OrderStatus.READY) == UNITS
    assert statuses.count(OrderStatus.SHORT) == WORKERS - UNITS
    lv = level(seeded)
    assert (lv.locked, lv.available) == (UNITS, 0)
    assert_books_balance(seeded)


def test_multi_line_orders_racing_never_half_lock(seeded):
    stock_up(seeded, "HG-001", 4)
    stock_up(seeded, "MB-001", 4)
    # Alternate line order so two terminals would deadlock without a global lock order.
    statuses = _race(seeded, lambda i: normalized(
        f"MULTI-{i}", {"HG-001": 1, "MB-001": 1} if i % 2 else {"MB-001": 1, "HG-001": 1}))
    assert statuses.count(OrderStatus.READY) == 4
    assert (level(seeded, "HG-001").locked, level(seeded, "MB-001").locked) == (4, 4)
    assert_books_balance(seeded)


def test_the_same_order_pushed_by_many_workers_is_stored_once(seeded):
    stock_up(seeded, "HG-001", 10)
    _race(seeded, lambda i: normalized("DUP-1", {"HG-001": 2}), n=8)
    with read_session(seeded) as s:
        assert len(s.exec(select(Order)).all()) == 1
    assert level(seeded).locked == 2
    assert_books_balance(seeded)
