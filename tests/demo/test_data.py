"""Demo data: the JSON files, the catalogue loader, the order generator and load_demo."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import col, select

from oms_tui.config import default_data_dir
from oms_tui.db import make_engine, read_session, session_scope
from oms_tui.demo import data as demo
from oms_tui.errors import ValidationError
from oms_tui.models import (
    Customer,
    Hold,
    Order,
    OrderLine,
    Sku,
    SkuBarcode,
    StockLevel,
    StockReservation,
    Warehouse,
)
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.catalogue.skus import is_valid_ean13
from oms_tui.services.core import users
from oms_tui.services.stock import check

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=timezone.utc)
ORDERS = 80


def _snapshot(engine) -> list[tuple]:
    """Everything the generator decides, in id order, comparable across databases."""
    with read_session(engine) as s:
        lines = {}
        for line in s.exec(select(OrderLine).order_by(col(OrderLine.id))):
            lines.setdefault(line.order_id, []).append((line.sku_code, line.qty, line.price_fen, line.locked_qty))
        return [
            (o.platform, o.platform_order_id, o.status, o.courier, o.waybill, o.receiver_name, o.receiver_phone,
             o.buyer_remark, o.paid_fen, o.created_at.astimezone(timezone.utc), tuple(lines[o.id]))
            for o in s.exec(select(Order).order_by(col(Order.id)))
        ]


def test_json_files_are_complete():
    data_dir = default_data_dir()
    cat = json.loads((data_dir / "catalogue.json").read_text(encoding="utf-8"))
    people = json.loads((data_dir / "customers.json").read_text(encoding="utf-8"))["customers"]
    assert "WH1" in {wh["code"] for wh in cat["warehouses"]}
    assert 4 <= len(cat["suppliers"]) <= 6
    skus = cat["skus"]
    assert len(skus) >= 64
    codes = [s["code"] for s in skus]
    barcodes = [b for s in skus for b in s["barcodes"]]
    assert len(set(codes)) == len(codes) and len(set(barcodes)) == len(barcodes)
    for sku in skus:
        assert re.fullmatch(r"(HG|MB)-[A-Z]{3}-\d{3}", sku["code"])
        assert re.fullmatch(r"[A-F]-\d{2}-\d{2}", sku["bin_location"])
        assert 0 < sku["cost_fen"] < sku["price_fen"]
        assert 1 <= len(sku["barcodes"]) <= 2
        for code in sku["barcodes"]:
            assert is_valid_ean13(code) and 690 <= int(code[:3]) <= 699, code
    tags = [t for s in skus for t in s["tags"]]
    assert "custom" in tags and "fragile" in tags
    assert any(sum(s["stock"].values()) == 0 for s in skus)  # some orders must go short
    assert any(s.get("inbound") for s in skus)

    assert len(people) >= 60
    assert len({p["province"] for p in people}) >= 15
    assert all(re.fullmatch(r"1[3-9]\d{9}", p["phone"]) for p in people)
    assert len({p["phone"] for p in people}) == len(people)
    assert any(p.get("vip") for p in people)
    assert {p["platform"] for p in people if p.get("platform")} == {"taobao", "jd", "pdd"}


def test_load_catalogue(engine):
    with session_scope(engine) as s:
        summary = demo.load_catalogue(s)
    assert summary["skus"] >= 60
    with read_session(engine) as s:
        assert catalogue.get_warehouse(s, "WH1").name == "杭州仓"
        codes = list(s.exec(select(Sku.code)))
        barcodes = list(s.exec(select(SkuBarcode.barcode)))
        assert len(codes) == summary["skus"] == len(set(codes))
        assert len(barcodes) == summary["barcodes"] == len(set(barcodes))
        assert all(is_valid_ean13(b) for b in barcodes)
        scanned = catalogue.find_sku(s, barcodes[0])
        assert scanned is not None
        levels = list(s.exec(select(StockLevel).join(Warehouse).where(Warehouse.code == "WH1")))
        assert any(level.available > 500 for level in levels)
        assert any(level.on_hand == 0 for level in levels)
        assert any(level.inbound > 0 for level in levels)
        purposes = {r.purpose for r in s.exec(select(StockReservation))}
        assert purposes == {"vip", "promotion"}
        assert s.exec(select(Customer).where(col(Customer.is_vip).is_(True))).first() is not None
        assert check.run_checks(s) == []


def test_load_demo(engine):
    result = demo.load_demo(engine, orders=ORDERS, seed=2026, now=NOW)
    counts = result["orders"]
    assert sum(counts.values()) == ORDERS
    for status in ("ready", "shipped", "short", "cancelled", "review"):
        assert counts.get(status, 0) > 0, counts
    assert counts["shipped"] > ORDERS // 3
    with read_session(engine) as s:
        assert check.run_checks(s) == []
        for name, pin, roles in demo.DEMO_USERS:
            user = users.authenticate(s, name, pin)
            assert user is not None and user.role_list == list(roles)
        placed = list(s.exec(select(Order)))
    assert {o.platform for o in placed} == {"taobao", "jd", "pdd"}
    shapes = {"taobao": r"\d{19}", "jd": r"\d{12}", "pdd": r"\d{6}-\d{15}"}
    waybills = {"yuantong": r"YT\d{13}", "shunfeng": r"SF\d{12}", "zhongtong": r"\d{12,15}", "yunda": r"\d{13}"}
    for order in placed:
        assert re.fullmatch(shapes[order.platform], order.platform_order_id), order.platform_order_id
        assert (NOW - order.created_at).days <= 21
        if order.status == "shipped":
            assert re.fullmatch(waybills[order.courier], order.waybill), order.waybill
            assert order.shipped_at <= NOW
    assert any("****" in o.receiver_phone or "*********" in o.receiver_phone for o in placed)
    assert any(o.buyer_remark for o in placed)
    assert {roles[0] for _, _, roles in demo.DEMO_USERS} == set(users.ROLES)
    assert result["users"] == list(demo.DEMO_USERS)

    # Loading again is a clear error, and changes nothing.
    with pytest.raises(ValidationError, match="demo data already loaded"):
        demo.load_demo(engine, orders=ORDERS)
    with session_scope(engine) as s, pytest.raises(ValidationError, match="already loaded"):
        demo.load_catalogue(s)
    with read_session(engine) as s:
        assert len(list(s.exec(select(Order.id)))) == ORDERS


def test_same_seed_same_orders(engine, sqlite_template, tmp_path):
    """load_demo (batched commits) here, generate_orders in one session on a fresh SQLite copy."""
    n = 40
    demo.load_demo(engine, orders=n, seed=11, now=NOW)
    path = tmp_path / "second.db"
    shutil.copy(sqlite_template, path)
    other = make_engine(f"sqlite:///{path}")
    try:
        with session_scope(other) as s:
            demo.load_catalogue(s)
        with session_scope(other) as s:
            counts = demo.generate_orders(s, catalogue.get_warehouse(s, "WH1"), n, seed=11, now=NOW)
        assert sum(counts.values()) == n
        assert _snapshot(engine) == _snapshot(other)

        with session_scope(other) as s:
            demo.generate_orders(s, catalogue.get_warehouse(s, "WH1"), 5, seed=12, now=NOW)
        ids = [row[1] for row in _snapshot(other)]
        assert len(set(ids)) == n + 5  # another seed, other orders
    finally:
        other.dispose()


def test_demo_holds_are_dated_as_the_orders_waited_not_when_the_demo_was_loaded(engine):
    demo.load_demo(engine, orders=ORDERS, seed=2026, now=NOW)
    with read_session(engine) as s:
        rows = s.exec(select(Hold, Order).join(Order, col(Order.id) == col(Hold.order_id))).all()
    assert any(hold.resolved_at is None for hold, _order in rows) and any(hold.resolved_at for hold, _o in rows)
    for hold, order in rows:
        waited_since = order.paid_at or order.created_at
        assert waited_since <= hold.opened_at <= waited_since + timedelta(minutes=1), (hold.kind, order.id)
        assert hold.opened_at < NOW + timedelta(days=1)  # not stamped at load time: "open for" is the order's wait
        if hold.resolved_at is not None:
            assert hold.opened_at <= hold.resolved_at <= hold.opened_at + timedelta(minutes=20)
