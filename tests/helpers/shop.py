"""A small shop for service tests: the seeded catalogue, orders as an adapter hands them over,
stock bought and received, and the books check."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from oms_tui.db import read_session, session_scope
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.services.orders import allocation, upsert
from oms_tui.services.orders.normalized import (
    NormalizedLine,
    NormalizedOrder,
    PlatformState,
)
from oms_tui.services.stock import ledger
from oms_tui.services.stock.check import run_checks

# The simulator's catalogue for sync tests: SKU code → (name, price in fen).
SIM_SKUS = {"HG-001": ("竹纤维毛巾", 1990), "MB-001": ("婴儿湿巾", 2990)}


def seed_catalogue(engine) -> None:
    """Two warehouses-worth of nothing but one warehouse, a supplier and three SKUs."""
    with session_scope(engine) as s:
        catalogue.add_warehouse(s, "WH1", "杭州仓", province="浙江", city="杭州市")
        catalogue.add_supplier(s, "SUP1", "宁波家居供应链")
        catalogue.add_sku(s, "HG-001", "竹纤维毛巾", barcodes=["6901234567892"], spec="34x76cm", bin_location="A-01-01",
                          supplier_code="SUP1", cost_fen=900, price_fen=1990)
        catalogue.add_sku(s, "MB-001", "婴儿湿巾", barcodes=["6920000000012"], spec="80抽x3包", bin_location="B-02-03",
                          cost_fen=1200, price_fen=2990)
        catalogue.add_sku(s, "HG-CUSTOM", "定制刻字砧板", spec="40x28cm", tags=["custom"], bin_location="C-01-01",
                          cost_fen=3000, price_fen=8800)


def normalized(platform_order_id: str, lines: dict[str, int], *, platform: str = "taobao", state: str = "paid",
               paid_minutes_ago: int = 60, **fields):
    """A NormalizedOrder as an adapter would hand it over; ``lines`` maps SKU code to quantity."""
    paid = datetime.now(timezone.utc) - timedelta(minutes=paid_minutes_ago)
    defaults = dict(receiver_name="张三", receiver_phone="13800138000", receiver_province="浙江省",
                    receiver_city="杭州市", receiver_district="西湖区", receiver_address="文三路 100 号",
                    buyer_id=f"buyer-{platform_order_id}", total_fen=1990 * sum(lines.values()),
                    paid_fen=1990 * sum(lines.values()))
    defaults.update(fields)
    return NormalizedOrder(
        platform=platform, platform_order_id=platform_order_id, state=PlatformState(state), created_at=paid,
        paid_at=paid, modified_at=paid,
        lines=[NormalizedLine(sku_code=code, qty=qty, price_fen=1990) for code, qty in lines.items()],
        **defaults,
    )


def level(engine, code="HG-001"):
    with read_session(engine) as s:
        sku = catalogue.get_sku(s, code)
        return ledger.get_level(s, catalogue.get_warehouse(s, "WH1").id, sku.id)


def stock_up(engine, code="HG-001", qty=10, receive=None):
    with session_scope(engine) as s:
        wh, sku = catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, code)
        ledger.purchase(s, wh, sku, qty, actor=Actor.system("t"))
        allocation.receive_stock(s, wh, sku, qty if receive is None else receive, actor=Actor.system("t"))


def ingest(engine, pid, lines, **kw):
    with session_scope(engine) as s:
        result = upsert.upsert_order(s, normalized(pid, lines, **kw), warehouse=catalogue.get_warehouse(s, "WH1"))
        return result.order


def assert_books_balance(engine):
    with read_session(engine) as s:
        assert run_checks(s) == []


def platform_line(code: str, qty: int, *, item: str = "", sku: str = "", price_fen: int = 1990,
                  title: str = "") -> NormalizedLine:
    """A platform line with the platform's item and SKU ids (what the SKU mapping keys on)."""
    return NormalizedLine(sku_code=code, qty=qty, price_fen=price_fen, title=title, platform_item_id=item,
                          platform_sku_id=sku)


def ingest_lines(engine, pid, lines: list[NormalizedLine], *, shop: str = "旗舰店", **kw):
    """``ingest`` with hand-made platform lines (platform ids, prices) for the given shop."""
    data = normalized(pid, {"X": 1}, shop=shop, **kw).model_copy(update={"lines": lines})
    with session_scope(engine) as s:
        return upsert.upsert_order(s, data, warehouse=catalogue.get_warehouse(s, "WH1")).order
