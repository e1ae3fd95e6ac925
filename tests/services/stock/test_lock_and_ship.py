"""Lock and ship on SQLite and PostgreSQL: what the short path (few statements, rows written past the unit of
work) must still leave behind — a ledger row per stock move, an audit row per change, the order's columns
written, the loaded objects in step — and that two terminals locking one order lock its stock once."""

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.bench.stock_intake import counting_statements
from oms_tui.models import AuditEvent, Hold, HoldKind, MoveKind, Order, OrderLine, OrderStatus, StockMove
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.services.orders import actions, allocation, lifecycle, queries
from oms_tui.services.stock import ledger
from tests.helpers.shop import assert_books_balance, ingest, level, stock_up

LINES = {"HG-001": 2, "MB-001": 3}


def _moves(engine, order_id: int) -> list[tuple[str, str, int, int]]:
    with read_session(engine) as s:
        return [(m.kind, m.sku_id, m.d_on_hand, m.d_locked) for m in s.exec(
            select(StockMove).where(StockMove.order_id == order_id).order_by(StockMove.id))]


def _audit(engine, order_id: int) -> list[str]:
    with read_session(engine) as s:
        return [a.action for a in s.exec(select(AuditEvent).where(
            AuditEvent.entity_type == "order", AuditEvent.entity_id == str(order_id)).order_by(AuditEvent.id))]


def _receive_without_allocating(engine, code: str, qty: int) -> None:
    """Stock arrives but nobody serves the short orders yet (allocation.receive_stock would)."""
    with session_scope(engine) as s:
        wh, sku = catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, code)
        ledger.purchase(s, wh, sku, qty, actor=Actor.system("t"))
        ledger.receive(s, wh, sku, qty, user="t")


def test_lock_then_ship_leave_a_ledger_row_per_move_and_an_audit_row_per_change(seeded):
    stock_up(seeded, "HG-001", 10)
    stock_up(seeded, "MB-001", 10)
    order = ingest(seeded, "LS-1", LINES)
    assert order.status == OrderStatus.READY
    with session_scope(seeded) as s:
        order = lifecycle.take_order(s, order.id)
        lines = ledger.order_lines(s, order.id)
        assert {line.sku_code: line.locked_qty for line in lines} == LINES
        actions.start_picking(s, order, user="floor")
        actions.mark_packed(s, order, user="floor")
        actions.ship(s, order, waybill="YT0000000001", courier="yuantong", user="floor")
        # What the session holds agrees with what was written past the unit of work.
        assert (order.status, order.waybill, order.courier) == (OrderStatus.SHIPPED, "YT0000000001", "yuantong")
        assert all(line.locked_qty == 0 for line in lines)
        order_id = order.id
    with read_session(seeded) as s:
        stored = s.get(Order, order_id)
        assert (stored.status, stored.waybill, stored.courier) == (OrderStatus.SHIPPED, "YT0000000001", "yuantong")
        assert stored.shipped_at is not None and stored.locked_at is not None
        assert all(line.locked_qty == 0 for line in s.exec(select(OrderLine).where(OrderLine.order_id == order_id)))
    moves = _moves(seeded, order_id)
    assert sorted((kind, d_on_hand, d_locked) for kind, _sku, d_on_hand, d_locked in moves) == sorted(
        [(MoveKind.LOCK, 0, 2), (MoveKind.LOCK, 0, 3), (MoveKind.SHIP, -2, -2), (MoveKind.SHIP, -3, -3)])
    audit = _audit(seeded, order_id)
    assert audit.count("order.lock") == 1
    assert audit.count("order.status") == 4  # new → ready → picking → packed → shipped
    assert (level(seeded, "HG-001").on_hand, level(seeded, "MB-001").on_hand) == (8, 7)
    assert (level(seeded, "HG-001").locked, level(seeded, "MB-001").locked) == (0, 0)
    assert_books_balance(seeded)


def test_a_short_order_locked_later_writes_its_lock_time_and_resolves_the_shortage(seeded):
    order = ingest(seeded, "LS-2", LINES)
    assert order.status == OrderStatus.SHORT
    _receive_without_allocating(seeded, "HG-001", 5)
    _receive_without_allocating(seeded, "MB-001", 5)
    with session_scope(seeded) as s:
        order = queries.get_order(s, order.id)
        assert allocation.lock_order(s, order, user="t")
        assert lifecycle.settle_status(s, order, user="t") == OrderStatus.READY
    with read_session(seeded) as s:
        stored = s.get(Order, order.id)
        assert stored.status == OrderStatus.READY and stored.locked_at is not None
    assert "hold.resolve" in _audit(seeded, order.id)
    assert [kind for kind, *_ in _moves(seeded, order.id)] == [MoveKind.LOCK, MoveKind.LOCK]
    assert_books_balance(seeded)


def test_many_terminals_locking_one_order_lock_its_stock_once(seeded):
    """Each terminal loads the order, then locks it: the lock takes the order row before its stock rows,
    so the others wait and find the lines locked, instead of locking them again from what they read."""
    order = ingest(seeded, "LS-3", LINES)
    _receive_without_allocating(seeded, "HG-001", 50)
    _receive_without_allocating(seeded, "MB-001", 50)
    workers = 6
    barrier = threading.Barrier(workers)

    # PostgreSQL: every terminal has read the order (and could read its lines unlocked) before any locks.
    # SQLite: a writing transaction has the database alone from its first read, so they start together.
    together_after_reading = seeded.dialect.name == "postgresql"

    def terminal(_i: int) -> bool:
        if not together_after_reading:
            barrier.wait(timeout=30)
        with session_scope(seeded) as s:
            loaded = queries.get_order(s, order.id)
            if together_after_reading:
                barrier.wait(timeout=30)
            locked = allocation.lock_order(s, loaded, user="t")
            lifecycle.settle_status(s, loaded, user="t")
            return locked

    with ThreadPoolExecutor(max_workers=workers) as pool:
        assert all(pool.map(terminal, range(workers), timeout=120))
    assert (level(seeded, "HG-001").locked, level(seeded, "MB-001").locked) == (2, 3)
    assert [kind for kind, *_ in _moves(seeded, order.id)] == [MoveKind.LOCK, MoveKind.LOCK]
    assert _audit(seeded, order.id).count("order.lock") == 1
    assert_books_balance(seeded)


def _codes_in_sku_order(engine) -> list[str]:
    with read_session(engine) as s:
        return sorted(LINES, key=lambda code: catalogue.get_sku(s, code).id)


def test_several_lines_one_short_lock_nothing_and_the_hold_names_the_short_one(seeded):
    """The lines' guarded UPDATEs go as one statement: the one that had stock locked before the short one
    refused, and none of it may stay (nor a ledger row), while the hold still names the short SKU alone."""
    first, last = _codes_in_sku_order(seeded)
    stock_up(seeded, first, 10)  # the first in the lock order has plenty, the last none
    order = ingest(seeded, "LS-4", LINES)
    assert order.status == OrderStatus.SHORT
    assert (level(seeded, first).locked, level(seeded, last).locked) == (0, 0)
    assert _moves(seeded, order.id) == []
    with read_session(seeded) as s:
        (hold,) = s.exec(select(Hold).where(Hold.order_id == order.id, Hold.kind == HoldKind.STOCK_SHORT)).all()
        assert last in hold.reason and first not in hold.reason
        assert all(line.locked_qty == 0 for line in ledger.order_lines(s, order.id))
    assert "order.lock" not in _audit(seeded, order.id)
    assert_books_balance(seeded)


def test_lock_all_is_one_statement_for_every_move_or_false_when_one_refuses(seeded):
    stock_up(seeded, "HG-001", 10)
    stock_up(seeded, "MB-001", 2)
    with session_scope(seeded) as s:
        wh = catalogue.get_warehouse(s, "WH1")
        hg, mb = catalogue.get_sku(s, "HG-001").id, catalogue.get_sku(s, "MB-001").id
        rows: list[dict] = []
        with counting_statements(seeded) as sent:
            assert ledger.lock_all(s, wh.id, sorted([(hg, 4), (mb, 2)]), order_id=None, user="t",
                                   reason="test", ledger_rows=rows)
        assert sent[0] == 1
        assert sorted((row["sku_id"], row["kind"], row["d_locked"]) for row in rows) == sorted(
            [(hg, MoveKind.LOCK, 4), (mb, MoveKind.LOCK, 2)])
        ledger.write_ledger(s, rows)
        savepoint = s.begin_nested()
        refused: list[dict] = []
        assert not ledger.lock_all(s, wh.id, sorted([(hg, 1), (mb, 1)]), order_id=None, user="t", reason="test",
                                   ledger_rows=refused)
        assert refused == []  # no ledger row for a batch that did not wholly apply
        savepoint.rollback()  # as the caller must: HG-001's unit may have locked
        assert (ledger.get_level(s, wh.id, hg).locked, ledger.get_level(s, wh.id, mb).locked) == (4, 2)
        s.rollback()  # locks no order holds: not for the books
    assert (level(seeded, "HG-001").locked, level(seeded, "MB-001").locked) == (0, 0)
    assert_books_balance(seeded)
