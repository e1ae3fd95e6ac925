"""`oms check` catches each way the books can go wrong."""

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from oms_tui.db import read_session, session_scope
from oms_tui.models import Order, OrderLine, StockLevel, StockMove
from oms_tui.services.core import outbox
from oms_tui.services.core.actor import Actor
from oms_tui.services.orders import actions, queries
from oms_tui.services.stock.check import run_checks
from tests.helpers.shop import ingest, stock_up


def violations(engine):
    with read_session(engine) as s:
        return [str(v) for v in run_checks(s)]


def test_clean_books_have_no_violation(seeded):
    stock_up(seeded, "HG-001", 5)
    ingest(seeded, "T1", {"HG-001": 2})
    assert violations(seeded) == []


def test_level_changed_behind_the_ledger_is_reported(seeded):
    stock_up(seeded, "HG-001", 5)
    with session_scope(seeded) as s:
        s.execute(update(StockLevel).values(on_hand=StockLevel.on_hand + 1))
    found = violations(seeded)
    assert any(v.startswith("ledger: WH1/HG-001: on_hand is 6, ledger sums to 5") for v in found)


def test_negative_bucket_cannot_even_be_written(seeded):
    """The schema's CHECK constraints refuse it, so `oms check` never meets one (tests/test_schema.py
    tries every bounded column)."""
    with pytest.raises(IntegrityError, match="ck_stocklevel_reserved"), session_scope(seeded) as s:
        s.execute(update(StockLevel).values(reserved=-1))
    assert violations(seeded) == []


def test_lock_not_backed_by_an_open_order_is_reported(seeded):
    stock_up(seeded, "HG-001", 5)
    ingest(seeded, "T1", {"HG-001": 2})
    with session_scope(seeded) as s:
        s.execute(update(OrderLine).values(locked_qty=1))
    assert any("locked is 2, open orders hold 1" in v for v in violations(seeded))


# --- what the stock says about each order ------------------------------------------------------
# Each test plants one fault straight in the database, the way a race or a bug would leave it.

def shipped_order(engine, ref="S1", qty=2):
    stock_up(engine, "HG-001", 5)
    order = ingest(engine, ref, {"HG-001": qty})
    with session_scope(engine) as s:
        o = queries.get_order(s, order.id)
        actions.start_picking(s, o, user="w")
        actions.mark_packed(s, o, user="w")
        actions.ship(s, o, waybill="YT1234567890123", courier="yuantong", user="w")
    assert violations(engine) == []
    return order


def cancelled_order(engine, ref="C1"):
    stock_up(engine, "HG-001", 5)
    order = ingest(engine, ref, {"HG-001": 2})
    with session_scope(engine) as s:
        actions.cancel(s, queries.get_order(s, order.id), actor=Actor.system("cs"), reason="buyer asked")
    assert violations(engine) == []
    return order


def test_cancelled_order_with_a_waybill_is_reported(seeded):
    order = cancelled_order(seeded)
    with session_scope(seeded) as s:
        s.execute(update(Order).where(Order.id == order.id).values(waybill="YT1234567890123"))
    assert violations(seeded) == ["cancelled: -/-: cancelled order C1 has waybill YT1234567890123"]


def test_cancelled_order_with_a_ship_row_in_the_ledger_is_reported(seeded):
    order = shipped_order(seeded)
    with session_scope(seeded) as s:  # a cancel that overwrote a ship it raced
        s.execute(update(Order).where(Order.id == order.id).values(status="cancelled", waybill=None))
    assert violations(seeded) == ["cancelled: WH1/HG-001: cancelled order S1 has 1 ship row(s) in the ledger (2 units)"]


def test_shipped_order_without_a_ship_row_is_reported(seeded):
    order = shipped_order(seeded)
    with session_scope(seeded) as s:  # the sums still balance: only the kind of the move is wrong
        s.execute(update(StockMove).where(StockMove.order_id == order.id, StockMove.kind == "ship")
                  .values(kind="adjust"))
    assert violations(seeded) == [
        "shipped: WH1/HG-001: shipped order S1 holds 2 but the ledger ships 0 in 0 ship row(s)"]


def test_shipped_order_with_two_ship_rows_is_reported(seeded):
    order = shipped_order(seeded)
    # A second ship row, as a ship that raced the first would have written (the level's CHECK constraints
    # now refuse taking locked below zero, so only the ledger row is planted).
    with session_scope(seeded) as s:
        move = s.exec(select(StockMove).where(StockMove.order_id == order.id, StockMove.kind == "ship")).one()[0]
        s.execute(insert(StockMove).values(warehouse_id=move.warehouse_id, sku_id=move.sku_id, kind="ship",
                                           d_on_hand=move.d_on_hand, d_locked=move.d_locked, order_id=order.id,
                                           user="w", reason="shipped"))
    assert "shipped: WH1/HG-001: shipped order S1 holds 2 but the ledger ships 4 in 2 ship row(s)" in violations(seeded)


def test_line_lock_that_disagrees_with_the_ledger_is_reported(seeded):
    stock_up(seeded, "HG-001", 5)
    first, second = ingest(seeded, "L1", {"HG-001": 2}), ingest(seeded, "L2", {"HG-001": 1})
    with session_scope(seeded) as s:  # the level still matches the total: only the per-order view sees it
        s.execute(update(OrderLine).where(OrderLine.order_id == first.id).values(locked_qty=1))
        s.execute(update(OrderLine).where(OrderLine.order_id == second.id).values(qty=2, locked_qty=2))
    assert violations(seeded) == [
        "line-lock: WH1/HG-001: order L1's lines hold 1 locked, the ledger locked 2 for it",
        "line-lock: WH1/HG-001: order L2's lines hold 2 locked, the ledger locked 1 for it",
    ]


def test_pending_ship_notice_for_an_order_that_did_not_ship_is_reported(seeded):
    order = cancelled_order(seeded)
    with session_scope(seeded) as s:
        message = outbox.enqueue(s, "platform_ship", channel="taobao", target="tb", order_id=order.id,
                                 payload={"platform_order_id": "C1", "waybill": "YT1234567890123", "courier": "yuantong"})
        s.flush()
        message_id = message.id
    assert violations(seeded) == [
        f"ship-notice: -/-: cancelled order C1 has a pending platform ship notice (outbox {message_id})"]
