"""A sync batch taken in as a set (orders.batch_intake) ends exactly where taking its records in one by one
(upsert_order + on_new_order, the order-by-order path) ends: statuses, holds, customers, locked lines, stock
levels, ledger and audit rows — with every case the intake knows in one batch."""

from __future__ import annotations

import re
import shutil
from collections import Counter

from sqlalchemy import event
from sqlmodel import col, select

from oms_tui.db import make_engine, read_session, session_scope
from oms_tui.models import AuditEvent, Hold, Order, OrderLine, StockLevel, StockMove
from oms_tui.services.approvals import requests as approval_requests
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.intake import sync
from oms_tui.services.orders import batch_intake, upsert
from tests.helpers.shop import assert_books_balance, normalized, seed_catalogue, stock_up


def _records():
    """One batch with every case: plain, short (and one after it that still fits), remark, bad address,
    unmapped SKU, cross-platform duplicate, custom item and large order (approval), the platform's block,
    one order twice, unpaid, closed before we saw it, a returning buyer, a big discount."""
    return [
        normalized("A", {"MB-001": 1}, receiver_phone="13700000001"),
        normalized("B", {"HG-001": 2}, receiver_phone="13700000002"),
        normalized("C", {"HG-001": 2, "MB-001": 1}, receiver_phone="13700000003"),
        normalized("D", {"HG-001": 1}, receiver_phone="13700000004"),
        normalized("E", {"MB-001": 1}, receiver_phone="13700000005", buyer_remark="请周末送"),
        normalized("F", {"MB-001": 1}, receiver_phone="13700000006", receiver_city=""),
        normalized("G", {"XX-999": 1, "MB-001": 1}, receiver_phone="13700000007"),
        normalized("H", {"MB-001": 1}, receiver_phone="13900000009"),
        normalized("I", {"HG-CUSTOM": 1}, receiver_phone="13700000010"),
        normalized("J", {"MB-001": 2}, receiver_phone="13700000011", total_fen=600_000, paid_fen=600_000),
        normalized("A", {"MB-001": 1}, receiver_phone="13700000001", seller_memo="加急"),
        normalized("L", {"MB-001": 1}, state="awaiting_payment"),
        normalized("M", {"MB-001": 1}, state="cancelled", platform_status="TRADE_CLOSED"),
        normalized("N", {"MB-001": 1}, receiver_phone="13700000014", platform_block="风控中"),
        normalized("O", {"MB-001": 1}, receiver_phone="13700000001", buyer_id="buyer-A"),
        normalized("P", {"MB-001": 1}, receiver_phone="13700000016", total_fen=1990, paid_fen=990),
    ]


def _prepare(engine) -> None:
    stock_up(engine, "HG-001", 3)
    stock_up(engine, "MB-001", 100)
    stock_up(engine, "HG-CUSTOM", 10)
    with session_scope(engine) as s:  # the other platform's order H duplicates
        upsert.upsert_order(s, normalized("JD-1", {"MB-001": 1}, platform="jd", receiver_phone="13900000009"),
                            warehouse=catalogue.get_warehouse(s, "WH1"))


_REF = re.compile(r"#\d+")


def _state(engine) -> dict:
    """Everything the intake decides, keyed by platform order ids (row ids left out: they may differ)."""
    with read_session(engine) as s:
        orders = {o.id: o for o in s.exec(select(Order))}
        key = {i: f"{o.platform}:{o.platform_order_id}" for i, o in orders.items()}
        by_customer: dict = {}
        for o in orders.values():
            by_customer.setdefault(o.customer_id, set()).add(key[o.id])
        state = {}
        for i, o in orders.items():
            held = s.exec(select(Hold).where(Hold.order_id == i).order_by(col(Hold.id))).all()
            lines = s.exec(select(OrderLine).where(OrderLine.order_id == i)).all()
            moves = s.exec(select(StockMove).where(StockMove.order_id == i)).all()
            actions = s.exec(select(AuditEvent.action).where(AuditEvent.entity_type == "order",
                                                             AuditEvent.entity_id == str(i))).all()
            state[key[i]] = dict(
                status=o.status, locked=o.locked_at is not None, memo=o.seller_memo,
                customer=sorted(by_customer[o.customer_id]),
                holds=sorted((h.kind, _REF.sub("#", h.reason), h.resolved_at is None, h.blocking) for h in held),
                lines=sorted((ln.sku_code, ln.sku_id is not None, ln.qty, ln.locked_qty, ln.price_fen) for ln in lines),
                moves=sorted((m.kind, m.d_locked, m.d_on_hand) for m in moves),
                audit=Counter(actions))
        levels = sorted((lv.sku_id, lv.on_hand, lv.locked, lv.reserved) for lv in s.exec(select(StockLevel)))
    return {"orders": state, "levels": levels}


def test_a_batch_as_a_set_ends_where_one_by_one_ends(seeded, sqlite_template, tmp_path, monkeypatch):
    written = []
    create_orders = batch_intake.create_orders
    monkeypatch.setattr(batch_intake, "create_orders", lambda *a, **kw: written.extend(create_orders(*a, **kw)) or written)
    shutil.copy(sqlite_template, tmp_path / "reference.db")
    reference = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    try:
        seed_catalogue(reference)
        for engine in (seeded, reference):
            _prepare(engine)
        summary = sync.SyncSummary(shop="", platform="taobao")
        sync.ingest_batch(seeded, "", "taobao", _records(), summary, warehouse_code=None, user="sync")
        for record in _records():  # the order-by-order path, as the sync took a batch in before
            with session_scope(reference) as s:
                result = upsert.upsert_order(s, record, warehouse=catalogue.get_warehouse(s, "WH1"), user="sync")
                if result.created:
                    approval_requests.on_new_order(s, result.order, user="sync")
        # The set took every new paid order (no fall-back to one by one): A to J, N, O, P.
        assert sorted(new.data.platform_order_id for new in written) == list("ABCDEFGHIJNOP")
        assert (summary.new, summary.updated, summary.skipped, summary.malformed) == (14, 1, 1, 0), summary
        got, want = _state(seeded), _state(reference)
        assert got["levels"] == want["levels"]
        assert got["orders"].keys() == want["orders"].keys()
        for key in want["orders"]:
            assert got["orders"][key] == want["orders"][key], key
        # The cases did what they are there for (so the comparison above compares something).
        orders = got["orders"]
        assert orders["taobao:C"]["status"] == "short" and orders["taobao:D"]["status"] == "ready"
        assert orders["taobao:H"]["status"] == "review" and orders["jd:JD-1"]["status"] == "review"
        assert {orders[f"taobao:{k}"]["status"] for k in "IJ"} == {"approval"}
        assert orders["taobao:M"]["status"] == "cancelled" and "taobao:L" not in orders
        assert orders["taobao:A"]["memo"] == "加急" and orders["taobao:O"]["customer"] == ["taobao:A", "taobao:O"]
        assert_books_balance(seeded)
    finally:
        reference.dispose()


def test_a_batch_takes_a_few_statements_whatever_its_size(seeded):
    """Set-based: the statements of a batch do not grow with its orders (one by one it was ~30 per order)."""
    stock_up(seeded, "HG-001", 500)
    stock_up(seeded, "MB-001", 500)
    counts = []
    for size in (10, 40):
        statements = []

        def count(conn, cursor, statement, params, context, executemany):  # noqa: ANN001
            statements.append(statement)

        event.listen(seeded, "before_cursor_execute", count)
        try:
            records = [normalized(f"S{size}-{i}", {"HG-001": 1, "MB-001": 1}, receiver_phone=f"136{size:02d}{i:06d}")
                       for i in range(size)]
            summary = sync.SyncSummary(shop="", platform="taobao")
            sync.ingest_batch(seeded, "", "taobao", records, summary, warehouse_code=None, user="sync")
        finally:
            event.remove(seeded, "before_cursor_execute", count)
        assert summary.new == size, summary
        counts.append(len(statements))
    assert counts[1] <= counts[0] + 2, counts  # 4× the orders, (about) the same statements
    assert counts[1] < 40, counts
    assert_books_balance(seeded)
