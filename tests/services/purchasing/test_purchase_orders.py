"""Purchase orders and receiving against them: inbound up on confirming, partial receipts, the ledger and
the audit trail; bad input changes nothing."""

import pytest
from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.errors import NotFound, PermissionDenied, ValidationError
from oms_tui.models import AuditEvent, MoveKind, PurchaseOrderStatus, StockMove
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.services.purchasing import purchase_orders, receiving
from oms_tui.services.stock import ledger
from tests.helpers.purchasing import assert_ledger_balances, SYSTEM, seed_purchasing

BUYER = Actor("wang", frozenset({"purchasing"}))


@pytest.fixture
def shop(sqlite_engine):
    seed_purchasing(sqlite_engine)
    return sqlite_engine


def buckets(engine, code):
    with read_session(engine) as s:
        level = ledger.get_level(s, catalogue.get_warehouse(s, "WH1").id, catalogue.get_sku(s, code).id)
        return level.on_hand, level.inbound


def confirm(engine, lines, supplier="SUP1", actor=BUYER):
    with session_scope(engine) as s:
        return purchase_orders.create_purchase_order(s, actor, supplier, catalogue.get_warehouse(s, "WH1"), lines,
                                                     note="第48周")


def test_confirm_receive_in_two_parts(shop):
    po = confirm(shop, {"A1": 9, "A2": 3})
    assert po.code == "PO000001" and po.status == PurchaseOrderStatus.OPEN
    assert [(line.sku, line.qty, line.received, line.cost_fen) for line in po.lines] == [
        ("A1", 9, 0, 900), ("A2", 3, 0, 500)]
    assert buckets(shop, "A1") == (10, 9) and buckets(shop, "A2") == (3, 2 + 3)

    with session_scope(shop) as s:
        first = receiving.receive(s, BUYER, "po000001", {"A1": 4})
    assert (first.status, first.received) == (PurchaseOrderStatus.PARTIAL, {"A1": 4})
    assert buckets(shop, "A1") == (14, 5)
    with session_scope(shop) as s:
        second = receiving.receive(s, BUYER, "PO000001", {"A1": 5, "A2": 3})
    assert second.status == PurchaseOrderStatus.RECEIVED
    assert buckets(shop, "A1") == (19, 0) and buckets(shop, "A2") == (6, 2)

    with read_session(shop) as s:
        moves = [(m.kind, m.d_on_hand, m.d_inbound) for m in s.exec(
            select(StockMove).where(StockMove.sku_id == catalogue.get_sku(s, "A1").id).order_by(StockMove.id))][2:]
        assert moves == [(MoveKind.PURCHASE, 0, 9), (MoveKind.RECEIVE, 4, -4), (MoveKind.RECEIVE, 5, -5)]
        actions = [e.action for e in s.exec(select(AuditEvent).where(AuditEvent.entity_type == "purchase_order"))]
        assert actions == ["po.create", "po.receive", "po.receive"]
        assert purchase_orders.list_purchase_orders(s, BUYER) == []
        assert [po.code for po in purchase_orders.list_purchase_orders(s, BUYER, open_only=False)] == ["PO000001"]
    assert_ledger_balances(shop)
    with session_scope(shop) as s, pytest.raises(ValidationError, match="already received in full"):
        receiving.receive(s, BUYER, "PO000001", {"A1": 1})


@pytest.mark.parametrize("lines, error", [
    ({}, "at least one SKU"),
    ({"A1": 0}, "must be positive"),
    ({"A1": -5}, "must be positive"),
    ({"A1": 10**12}, "at most 1000000000"),
    ({"A1": "7"}, "whole number"),
    ({"A1": 1, "NOPE": 2}, "unknown SKU"),
])
def test_a_bad_order_changes_nothing(shop, lines, error):
    with pytest.raises((ValidationError, NotFound), match=error):
        confirm(shop, lines)
    assert buckets(shop, "A1") == (10, 0)
    with read_session(shop) as s:
        assert purchase_orders.list_purchase_orders(s, BUYER, open_only=False) == []


def test_unknown_supplier_and_permission(shop):
    with pytest.raises(NotFound, match="unknown supplier 'SUP9'; known: SUP1, SUP2"):
        confirm(shop, {"A1": 1}, supplier="SUP9")
    with pytest.raises(PermissionDenied):
        confirm(shop, {"A1": 1}, actor=Actor("zhang", frozenset({"cs"})))


@pytest.mark.parametrize("lines, error", [
    ({"A1": 10}, "10 is more than the 9 purchase order PO000001 still expects"),
    ({"B1": 1}, "B1 is not on purchase order PO000001"),
    ({"A1": 0}, "must be positive"),
    ({}, "how many of which SKU"),
])
def test_a_bad_receipt_changes_nothing(shop, lines, error):
    confirm(shop, {"A1": 9})
    with pytest.raises(ValidationError, match=error):
        with session_scope(shop) as s:
            receiving.receive(s, SYSTEM, "PO000001", {"A1": 2, **lines} if lines and "A1" not in lines else lines)
    assert buckets(shop, "A1") == (10, 9)
    with read_session(shop) as s:
        assert purchase_orders.list_purchase_orders(s, BUYER)[0].status == PurchaseOrderStatus.OPEN
    with session_scope(shop) as s, pytest.raises(NotFound, match="no purchase order 'PO9'"):
        receiving.receive(s, SYSTEM, "PO9", {"A1": 1})
