"""Pack-station latency at scale: measured figures, never timed tests.

* ``bench_scan``: bulk-load N orders already in waves (status ``picking``, stock locked, parcels,
  some merged) with Core inserts, then drive ``packing.PackSession.scan`` — the path the pack
  station screen uses — through random parcels: the order scan, every item by barcode, now and
  then a wrong item, and the waybill that ships it. Each scan is timed; p50/p99 in milliseconds.
* ``bench_scan_screen``: the same on a smaller database through the real screen: keys go to the
  app the way a gun's do (no pause between them) and the time runs from Enter to the screen having
  drawn the scan's result.

Both take the URL of a new, empty database (``bench.scratch_database`` makes one) and leave the
books balanced (``run_checks``), which they report.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import Engine, func, insert, select, text, update
from sqlmodel import Session

from oms_tui.db import make_engine, read_session, session_scope
from oms_tui.errors import StorageError
from oms_tui.models import (
    MoveKind,
    Order,
    OrderLine,
    OrderStatus,
    Parcel,
    ParcelStatus,
    SkuBarcode,
    StockLevel,
    StockMove,
    Wave,
    WaveStatus,
    utcnow,
)
from oms_tui.schema import upgrade_to_head
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.catalogue.skus import ean13_check_digit
from oms_tui.services.core import users
from oms_tui.services.core.actor import Actor
from oms_tui.services.floor import packing
from oms_tui.services.stock.check import run_checks

SKUS = 200
WAVE_SIZE = 500
BATCH = 5000
COURIER = "yuantong"


def _barcode(i: int) -> str:
    first12 = f"690{i:09d}"
    return first12 + str(ean13_check_digit(first12))


def _platform_order_id(i: int) -> tuple[str, str]:
    """A platform and an order id of that platform's shape (Taobao 19 digits, JD 12, PDD dated)."""
    kind = i % 10
    if kind < 6:
        return "taobao", str(2_600_000_000_000_000_000 + i)
    if kind < 8:
        return "jd", str(300_000_000_000 + i)
    return "pdd", f"261124-{400_000_000_000_000 + i}"


def load_floor(engine: Engine, n_orders: int, *, rng: random.Random) -> dict:
    """A warehouse, SKUs with barcodes and stock, and N picking orders in waves and parcels (Core inserts).

    Every 10th parcel holds two orders to one receiver (a merged parcel). Stock on hand covers every
    order; what the orders hold is locked, with a ledger row per order line (as intake writes them) so the
    books balance order by order, not only in total.
    """
    if n_orders <= 0:
        raise ValueError("n_orders must be positive")
    upgrade_to_head(engine)
    with read_session(engine) as s:
        if s.execute(select(func.count()).select_from(Order)).scalar_one():
            raise StorageError("the floor benchmark needs an empty database")
    started = time.perf_counter()
    with session_scope(engine) as s:
        wh = catalogue.add_warehouse(s, "WH1", "基准仓", user="bench")
        for i in range(SKUS):
            catalogue.add_sku(s, f"B-{i:04d}", f"基准商品{i}", barcodes=[_barcode(i)],
                              bin_location=f"A-{i // 20:02d}-{i % 20:02d}", price_fen=1990, user="bench")
        users.add_user(s, "bench", "0000", ["warehouse"], display_name="基准", actor=Actor.system("bench"))
        wh_id = wh.id
    now = utcnow()
    held: dict[int, int] = defaultdict(int)  # sku id → units the orders lock
    n_waves = -(-n_orders // WAVE_SIZE)
    with engine.begin() as conn:
        conn.execute(insert(Wave.__table__), [
            dict(id=w + 1, code=f"WB{w + 1:07d}", warehouse_id=wh_id, status=WaveStatus.PICKING,
                 filters=f'{{"courier": "{COURIER}"}}', created_at=now, created_by="bench")
            for w in range(n_waves)])
        order_id = line_id = parcel_id = 0
        while order_id < n_orders:
            orders, lines, parcels, locks = [], [], [], []
            while order_id < n_orders and len(orders) < BATCH:
                parcel_id += 1
                wave = order_id // WAVE_SIZE + 1
                members = 2 if parcel_id % 10 == 0 and order_id + 1 < n_orders else 1
                parcels.append(dict(id=parcel_id, wave_id=wave, address_key=f"浙江|杭州市|西湖区|文三路{parcel_id}号",
                                    status=ParcelStatus.OPEN, courier=COURIER, created_at=now))
                for _member in range(members):
                    order_id += 1
                    platform, ref = _platform_order_id(order_id)
                    paid = now - timedelta(seconds=n_orders - order_id)
                    orders.append(dict(
                        id=order_id, platform=platform, platform_order_id=ref, shop=f"{platform}-bench",
                        status=OrderStatus.PICKING, platform_status="", buyer_id="", receiver_name="张*",
                        receiver_phone="138****8000", receiver_province="浙江", receiver_city="杭州市",
                        receiver_district="西湖区", receiver_address=f"文三路{parcel_id}号", buyer_remark="",
                        seller_memo="", total_fen=1990, paid_fen=1990, discount_fen=0, post_fee_fen=0,
                        created_at=paid, paid_at=paid, ingested_at=now, updated_at=now, warehouse_id=wh_id,
                        locked_at=now, courier=COURIER, wave_id=wave, parcel_id=parcel_id, no_merge=False))
                    for sku_index in rng.sample(range(SKUS), rng.choice((1, 1, 1, 2, 3))):
                        line_id += 1
                        qty = rng.choice((1, 1, 1, 2))
                        held[sku_index + 1] += qty
                        lines.append(dict(id=line_id, order_id=order_id, sku_id=sku_index + 1,
                                          sku_code=f"B-{sku_index:04d}", title="", qty=qty, price_fen=1990,
                                          locked_qty=qty, returned_qty=0))
                        locks.append(dict(at=now, warehouse_id=wh_id, sku_id=sku_index + 1, kind=str(MoveKind.LOCK),
                                          d_on_hand=0, d_inbound=0, d_locked=qty, d_reserved=0, d_damaged=0,
                                          order_id=order_id, user="bench", reason="bench load"))
            conn.execute(insert(Parcel.__table__), parcels)
            conn.execute(insert(Order.__table__), orders)
            conn.execute(insert(OrderLine.__table__), lines)
            conn.execute(insert(StockMove.__table__), locks)
        # On hand covers every order and then some; locked is what the orders hold (their lock rows above).
        for sku_id, qty in held.items():
            conn.execute(update(StockLevel.__table__).where(StockLevel.warehouse_id == wh_id,
                                                             StockLevel.sku_id == sku_id)
                         .values(on_hand=qty + 100, locked=qty, updated_at=now))
            conn.execute(insert(StockMove.__table__), [
                dict(at=now, warehouse_id=wh_id, sku_id=sku_id, kind=str(MoveKind.RECEIVE), d_on_hand=qty + 100,
                     d_inbound=0, d_locked=0, d_reserved=0, d_damaged=0, user="bench", reason="bench load")])
        if engine.dialect.name == "postgresql":
            for table in ("wave", "parcel", "order", "orderline"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                                  f"(SELECT MAX(id) FROM \"{table}\"))"))
            conn.execute(text('ANALYZE "order"'))
            conn.execute(text("ANALYZE orderline"))
            conn.execute(text("ANALYZE parcel"))
        else:
            conn.exec_driver_sql("ANALYZE")
    return {"orders": n_orders, "parcels": parcel_id, "lines": line_id, "waves": n_waves,
            "load_seconds": round(time.perf_counter() - started, 1)}


def _parcel_codes(session: Session, parcel_id: int) -> tuple[str, list[str]]:
    """A parcel's first order reference and the barcodes of its units (one per unit), for the gun to scan."""
    refs = session.execute(select(Order.platform_order_id).where(Order.parcel_id == parcel_id)
                           .order_by(Order.id)).scalars().all()
    units = session.execute(
        select(SkuBarcode.barcode, func.sum(OrderLine.qty))
        .join(OrderLine, OrderLine.sku_id == SkuBarcode.sku_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.parcel_id == parcel_id)
        .group_by(SkuBarcode.barcode)
    ).all()
    return refs[0], [code for code, qty in units for _unit in range(int(qty))]


def _plan(engine: Engine, parcels: int, scans: int, rng: random.Random) -> list[tuple[str, str]]:
    """(kind, code) scans through random parcels: order, items (now and then a wrong one), waybill."""
    plan: list[tuple[str, str]] = []
    chosen = rng.sample(range(1, parcels + 1), min(parcels, scans))
    with read_session(engine) as s:
        for number, parcel_id in enumerate(chosen):
            if len(plan) >= scans:
                break
            ref, units = _parcel_codes(s, parcel_id)
            plan.append(("order", ref))
            for code in units:
                if rng.random() < 0.05:
                    plan.append(("error", _barcode(SKUS + 1)))  # an unknown code: beeps, changes nothing
                plan.append(("item", code))
            plan.append(("waybill", f"YT{9_000_000_000_000 + number}"))
    return plan[:scans]


def _summary(times: dict[str, list[float]]) -> dict:
    def stats(values: list[float]) -> dict:
        ordered = sorted(values)
        return {"count": len(ordered), "p50_ms": round(statistics.median(ordered) * 1000, 3),
                "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 3),
                "max_ms": round(ordered[-1] * 1000, 3), "mean_ms": round(statistics.fmean(ordered) * 1000, 3)}

    everything = [t for values in times.values() for t in values]
    return stats(everything) | {"by_kind": {kind: stats(values) for kind, values in sorted(times.items()) if values}}


def _books(engine: Engine) -> int:
    with session_scope(engine) as s:
        return len(run_checks(s))


def bench_scan(url: str, n_orders: int = 1_000_000, scans: int = 2000, *, seed: int = 7) -> dict:
    """Time scan → result through ``PackSession.scan`` for ``scans`` scans over random parcels of N orders.

    Returns {"backend", "orders", "parcels", "load_seconds", "scans", "p50_ms", "p99_ms", "max_ms",
    "mean_ms", "by_kind": {order|item|error|waybill: {...}}, "shipped", "errors", "check_violations"}.
    """
    rng = random.Random(seed)
    engine = make_engine(url)
    loaded = load_floor(engine, n_orders, rng=rng)
    engine.dispose()
    engine = make_engine(url)
    plan = _plan(engine, loaded["parcels"], scans, rng)
    pack = packing.PackSession(station="bench", actor=Actor.system("bench"))
    times: dict[str, list[float]] = defaultdict(list)
    unexpected = 0
    for kind, code in plan:
        started = time.perf_counter()
        result = pack.scan(engine, code)
        times[kind].append(time.perf_counter() - started)
        if result.is_error != (kind == "error"):
            unexpected += 1
    report = {"backend": engine.dialect.name, **loaded, "scans": len(plan), **_summary(times),
              "shipped": pack.parcels_shipped, "errors": pack.errors, "unexpected_results": unexpected,
              "check_violations": _books(engine)}
    engine.dispose()
    return report


def bench_scan_screen(url: str, n_orders: int = 20_000, scans: int = 300, *, seed: int = 7) -> dict:
    """Time scan → screen updated on the real pack station screen (headless), keys sent as a gun does.

    The main figures run from Enter reaching the input until the screen has handled that scan's
    result (widgets updated; the next refresh paints them). ``typed`` runs from the first key of
    the code being sent, so it includes the app taking in the keys themselves.
    """
    from textual import events

    from oms_tui.app import OmsApp
    from oms_tui.config import Settings
    from oms_tui.screens.pack_station import PackStationScreen

    rng = random.Random(seed)
    engine = make_engine(url)
    loaded = load_floor(engine, n_orders, rng=rng)
    engine.dispose()
    engine = make_engine(url)
    plan = _plan(engine, loaded["parcels"], scans, rng)
    settings = Settings(database_url=url, language="en", shop_name="bench")
    times: dict[str, list[float]] = defaultdict(list)

    async def drive() -> int:
        app = OmsApp(engine, settings, user_name="bench")
        async with app.run_test(size=(140, 45)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            app.open_screen("pack")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, PackStationScreen)
            driver = app._driver
            for kind, code in plan:
                seen = screen.scans
                started = time.perf_counter()
                for char in code:
                    driver.send_message(events.Key(char, char))
                driver.send_message(events.Key("enter", "\r"))
                while screen.scans == seen:
                    await asyncio.sleep(0.0002)
                typed[kind].append(time.perf_counter() - started)
                times[kind].append(screen.latencies[-1])
            await pilot.pause()
            return screen.errors

    typed: dict[str, list[float]] = defaultdict(list)
    errors = asyncio.run(drive())
    report = {"backend": engine.dialect.name, **loaded, "scans": len(plan), **_summary(times),
              "typed": _summary(typed), "errors": errors, "check_violations": _books(engine)}
    engine.dispose()
    return report
