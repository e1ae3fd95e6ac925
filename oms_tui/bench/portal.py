"""`oms bench portal`: concurrent signed-in look-ups against the real portal on loopback, with p50/p99.

``buyers`` buyers, each with three orders (one shipped, with a five-event timeline), are written into a scratch
database; each gets a session; then ``lookups`` GET /orders run ``concurrency`` at a time through one HTTP client
(httpx) against the portal served by uvicorn in this process. Every answer must be 200 and show its own buyer's
order and no one else's. The client runs in its own process. The baseline, measured in the same run, is the
same look-ups as raw SQL (the orders by phone and their events), one after another; the ratio compares the
portal's time per look-up under load (wall time / look-ups) with it.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import secrets
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, text

from oms_tui.clock import utcnow
from oms_tui.config import Settings
from oms_tui.db import session_scope
from oms_tui.models import Order, OrderLine, OrderStatus, Parcel, ParcelStatus, Shipment, TrackingEvent, TrackState
from oms_tui.portal.server import run_portal
from oms_tui.services.portal import sessions

RAW_LOOKUP = text(
    'SELECT o.id, o.platform_order_id, o.status, e.at, e.context FROM "order" o '
    "LEFT JOIN shipment s ON s.parcel_id = o.parcel_id LEFT JOIN trackingevent e ON e.shipment_id = s.id "
    "WHERE o.receiver_phone = :phone ORDER BY o.created_at DESC, e.at DESC")


def phone_of(i: int) -> str:
    return f"139{i:08d}"


def seed(engine: Engine, buyers: int) -> None:
    """Three orders per buyer; the first shipped with five tracking events."""
    now = utcnow()
    with session_scope(engine) as s:
        for i in range(buyers):
            phone = phone_of(i)
            for n in range(3):
                pid = f"B{i:06d}{n}"
                order = Order(platform=("taobao", "jd", "pdd")[n], platform_order_id=pid, shop="旗舰店",
                              status=OrderStatus.SHIPPED if n == 0 else OrderStatus.READY, receiver_name="买家",
                              receiver_phone=phone, receiver_province="浙江省", receiver_city="杭州市",
                              paid_fen=1990, total_fen=1990, created_at=now - timedelta(days=n))
                if n == 0:
                    parcel = Parcel(status=ParcelStatus.SHIPPED, courier="zhongtong", waybill=f"ZT{pid}",
                                    shipped_at=now - timedelta(days=1))
                    s.add(parcel)
                    s.flush()
                    order.parcel_id, order.courier, order.waybill = parcel.id, "zhongtong", parcel.waybill
                    shipment = Shipment(parcel_id=parcel.id, courier="zhongtong", waybill=parcel.waybill,
                                        state=TrackState.IN_TRANSIT, shipped_at=parcel.shipped_at)
                    s.add(shipment)
                    s.flush()
                    for k in range(5):
                        s.add(TrackingEvent(shipment_id=shipment.id, at=now - timedelta(hours=20 - 4 * k),
                                            context=f"【杭州】第 {k + 1} 站", state=TrackState.IN_TRANSIT,
                                            digest=f"{pid}-{k}"))
                s.add(order)
                s.flush()
                s.add(OrderLine(order_id=order.id, sku_code="HG-001", title="竹纤维毛巾", qty=1, price_fen=1990))


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered) + 0.5)) - 1))]


async def _fire(url: str, tokens: list[tuple[str, str]], lookups: int, concurrency: int) -> tuple[list[float], int]:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    wrong = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60.0) as client:
        async def one(i: int) -> None:
            nonlocal wrong
            phone, token = tokens[i % len(tokens)]
            async with gate:
                started = time.perf_counter()
                response = await client.get("/orders", headers={"cookie": f"portal_session={token}"})
                latencies.append(time.perf_counter() - started)
            n = int(phone[3:])
            mine = f"B{n:06d}0"
            neighbour = f"B{(n + 1) % len(tokens):06d}0"
            if response.status_code != 200 or mine not in response.text or (
                    len(tokens) > 1 and neighbour in response.text):
                wrong += 1

        await asyncio.gather(*(one(i) for i in range(lookups)))
    return latencies, wrong


def _ping() -> bool:
    return True


def fire(url: str, tokens: list[tuple[str, str]], lookups: int, concurrency: int) -> tuple[list[float], int, float]:
    """The look-ups from this process: latencies (s), wrong answers, wall time (s)."""
    started = time.perf_counter()
    latencies, wrong = asyncio.run(_fire(url, tokens, lookups, concurrency))
    return latencies, wrong, time.perf_counter() - started


def bench_portal(engine: Engine, settings: Settings, *, buyers: int = 200, lookups: int = 200,
                 concurrency: int = 200, client_process: bool = True) -> dict[str, Any]:
    """Seed, sign the buyers in, fire the look-ups; the figures (milliseconds) and the raw-SQL baseline."""
    seed(engine, buyers)
    key = secrets.token_bytes(32)
    with session_scope(engine) as s:
        tokens = [(phone_of(i), sessions.open_session(s, phone_of(i), ip="127.0.0.1", key=key, minutes=60,
                                                      now=utcnow())) for i in range(buyers)]
    with run_portal(engine, settings, key=key, after_code=None) as portal:
        if client_process:
            # A process of its own, so the client does not take the server's share of the interpreter.
            with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
                pool.submit(_ping).result()  # the client process is up before the clock starts
                latencies, wrong, wall = pool.submit(fire, portal.url, tokens, lookups, concurrency).result()
        else:
            latencies, wrong, wall = fire(portal.url, tokens, lookups, concurrency)
    raw: list[float] = []
    with engine.connect() as conn:
        for i in range(lookups):
            t0 = time.perf_counter()
            conn.execute(RAW_LOOKUP, {"phone": tokens[i % len(tokens)][0]}).all()
            raw.append(time.perf_counter() - t0)
    ms = [x * 1000 for x in latencies]
    raw_mean = statistics.fmean(raw) * 1000
    return {"buyers": buyers, "lookups": len(ms), "concurrency": concurrency, "wrong": wrong,
            "p50_ms": _percentile(ms, 0.50), "p99_ms": _percentile(ms, 0.99), "max_ms": max(ms),
            "wall_seconds": wall, "per_second": len(ms) / wall if wall else 0.0, "raw_mean_ms": raw_mean,
            "ratio_per_lookup_raw": (wall * 1000 / len(ms)) / raw_mean if raw_mean else 0.0}
