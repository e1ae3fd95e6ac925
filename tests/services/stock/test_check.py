"""`oms check` catches each way the books can go wrong."""

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from oms_tui.db import read_session, session_scope
from oms_tui.models import OrderLine, StockLevel
from oms_tui.services.stock.check import run_checks
from tests.services.stock.test_inventory import ingest, stock_up


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
