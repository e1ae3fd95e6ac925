"""Absurd quantities are refused by the stock services with one clear message, and nothing is written
(limits.MAX_QUANTITY; the schema's CHECK constraints back the same bound, tests/test_schema.py)."""

import pytest
from sqlalchemy import func
from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.errors import ValidationError
from oms_tui.limits import MAX_FEN, MAX_QUANTITY, OutOfBounds
from oms_tui.models import AuditEvent, StockMove
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.services.stock import ledger

ACTOR = Actor.system("t")


def books(engine) -> tuple:
    """Everything a refused stock operation must leave as it was: the level, the ledger, the audit trail."""
    with read_session(engine) as s:
        sku = catalogue.get_sku(s, "HG-001")
        lv = ledger.get_level(s, catalogue.get_warehouse(s, "WH1").id, sku.id)
        return ((lv.on_hand, lv.inbound, lv.locked, lv.reserved, lv.damaged),
                s.exec(select(func.count()).select_from(StockMove)).one(),
                s.exec(select(func.count()).select_from(AuditEvent)).one())


def run(engine, operation) -> None:
    with session_scope(engine) as s:
        operation(s, catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "HG-001"))


@pytest.mark.parametrize("qty", [MAX_QUANTITY + 1, 2**63 - 1, 2**63, 10**30])
def test_a_purchase_above_the_bound_is_refused_and_writes_nothing(seeded, qty):
    before = books(seeded)
    with pytest.raises(OutOfBounds) as refused:
        run(seeded, lambda s, wh, sku: ledger.purchase(s, wh, sku, qty, actor=ACTOR))
    assert str(refused.value) == f"quantity must be at most 1000000000 units, got {qty}"
    assert books(seeded) == before


def test_a_bucket_never_passes_the_bound_however_it_is_reached(seeded):
    run(seeded, lambda s, wh, sku: ledger.purchase(s, wh, sku, MAX_QUANTITY, actor=ACTOR))
    before = books(seeded)
    assert before[0][1] == MAX_QUANTITY
    with pytest.raises(OutOfBounds, match="HG-001: inbound would be 1000000001, more than the 1000000000 units"):
        run(seeded, lambda s, wh, sku: ledger.purchase(s, wh, sku, 1, actor=ACTOR))
    assert books(seeded) == before


def test_receiving_into_a_full_on_hand_is_refused(seeded):
    run(seeded, lambda s, wh, sku: ledger.adjust(s, wh, sku, counted=MAX_QUANTITY, reason="count", user="t"))
    run(seeded, lambda s, wh, sku: ledger.purchase(s, wh, sku, 3, actor=ACTOR))
    before = books(seeded)
    with pytest.raises(OutOfBounds, match="HG-001: on_hand would be 1000000003"):
        run(seeded, lambda s, wh, sku: ledger.receive(s, wh, sku, 3, user="t"))
    assert books(seeded) == before


@pytest.mark.parametrize("change, message", [
    ({"counted": MAX_QUANTITY + 1}, "counted quantity must be at most 1000000000 units"),
    ({"counted": -1}, "counted quantity must be zero or more"),
    ({"delta": 2**63 - 1}, "adjustment must be at most 1000000000 units either way"),
    ({"delta": -(2**64)}, "adjustment must be at most 1000000000 units either way"),
    ({"delta": MAX_QUANTITY}, "HG-001: on_hand would be 1000000005"),  # in range, but the total is not
])
def test_an_absurd_adjustment_is_refused_and_writes_nothing(seeded, change, message):
    run(seeded, lambda s, wh, sku: ledger.adjust(s, wh, sku, counted=5, reason="count", user="t"))
    before = books(seeded)
    with pytest.raises(ValidationError, match=message):
        run(seeded, lambda s, wh, sku: ledger.adjust(s, wh, sku, reason="count", user="t", **change))
    assert books(seeded) == before


def test_the_refusal_reads_in_the_users_language(seeded):
    from oms_tui import i18n

    with pytest.raises(OutOfBounds) as refused:
        run(seeded, lambda s, wh, sku: ledger.purchase(s, wh, sku, MAX_QUANTITY + 1, actor=ACTOR))
    try:
        i18n.setup_language("zh_CN")
        assert refused.value.localized() == "数量不能超过 1000000000 件，收到 1000000001"
    finally:
        i18n.setup_language("en")


@pytest.mark.parametrize("field, value", [("price_fen", MAX_FEN + 1), ("cost_fen", -1), ("price_fen", 2**63)])
def test_a_sku_with_an_absurd_price_is_refused(seeded, field, value):
    with pytest.raises(OutOfBounds), session_scope(seeded) as s:
        catalogue.add_sku(s, "HG-BIG", "大毛巾", **{field: value})
    with read_session(seeded) as s:
        assert catalogue.find_sku(s, "HG-BIG") is None
