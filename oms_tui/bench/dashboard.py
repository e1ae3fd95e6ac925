"""The dashboard at scale: measured figures, never timed tests.

``bench_dashboard`` bulk-loads N orders spread over ``days`` days (three platforms; everything older
than three days shipped 1–48 hours after payment, the rest open in every status), a hold on one order
in twenty, a scan on one in ten (one in fifty of them an error), an approval on one in a hundred —
with Core inserts, not measured. It then times:

* the rollup job's run over every day (``rollup.refresh_rollup``: backfill, as a first start does) and a
  regular run (the last three days);
* ``dashboard.load`` — what the screen reads, each figure from an index or the rollup — the median of
  ``repeats`` reads;
* a raw-SQL baseline measured in the same run: the same figures straight off the base tables with
  hand-written SQL (no rollup), the median of as many reads.

The dashboard's goal is a read under 150 ms at a million orders.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, text

from oms_tui.db import make_engine, read_session
from oms_tui.models import (
    OPEN_STATUSES,
    SCAN_ERRORS,
    ApprovalRequest,
    Hold,
    HoldKind,
    Order,
    OrderStatus,
    ScanEvent,
    utcnow,
)
from oms_tui.schema import upgrade_to_head
from oms_tui.services.core.actor import Actor
from oms_tui.services.reports import dashboard, rollup

BATCH = 5000
PLATFORMS = ("taobao", "jd", "pdd")
HOLD_KINDS = (HoldKind.BUYER_REMARK, HoldKind.STOCK_SHORT, HoldKind.ADDRESS_INVALID, HoldKind.DUPLICATE_SUSPECT)
ERROR_RESULTS = sorted(SCAN_ERRORS)


def load_orders(engine: Engine, n_orders: int, *, days: int, now: datetime, rng: random.Random) -> None:
    """N orders over the last ``days`` days with holds, scans and approvals (Core inserts)."""
    upgrade_to_head(engine)
    span = days * 86400
    recent = now - timedelta(days=3)
    with engine.begin() as conn:
        order_id = 0
        while order_id < n_orders:
            orders, holds, scans, approvals = [], [], [], []
            for _n in range(min(BATCH, n_orders - order_id)):
                order_id += 1
                created = now - timedelta(seconds=span * (n_orders - order_id) / n_orders)
                platform = PLATFORMS[order_id % 3]
                if created < recent:
                    status, shipped = OrderStatus.SHIPPED, created + timedelta(minutes=rng.randint(60, 48 * 60))
                else:
                    status, shipped = rng.choice(OPEN_STATUSES), None
                orders.append(dict(
                    id=order_id, platform=platform, platform_order_id=f"D{order_id:010d}", shop=f"{platform}-bench",
                    status=status, platform_status="", buyer_id="", receiver_name="张*", receiver_phone="",
                    receiver_province="浙江", receiver_city="杭州市", receiver_district="", receiver_address="",
                    receiver_opaque="", buyer_remark="", seller_memo="", total_fen=1990, paid_fen=1990,
                    discount_fen=0, post_fee_fen=0, created_at=created, paid_at=created, ingested_at=created,
                    updated_at=shipped or created, shipped_at=shipped, waybill=f"YT{order_id:013d}" if shipped else None,
                    no_merge=False))
                if order_id % 20 == 0:
                    holds.append(dict(order_id=order_id, kind=HOLD_KINDS[order_id // 20 % len(HOLD_KINDS)],
                                      blocking=True, reason="", opened_at=created, opened_by="bench",
                                      resolved_at=shipped, resolved_by="bench" if shipped else None))
                if order_id % 10 == 0:
                    error = order_id % 500 == 0
                    scans.append(dict(at=shipped or created, station="P01", user="bench", order_id=order_id,
                                      code="X", result=rng.choice(ERROR_RESULTS) if error else "ok", message=""))
                if order_id % 100 == 0:
                    approvals.append(dict(order_id=order_id, kind="large_order", reason="", detail="",
                                          status="approved" if shipped else "pending", step=0, requested_by="bench",
                                          requested_at=created, decided_by="boss" if shipped else None,
                                          decided_at=created + timedelta(hours=1) if shipped else None, comment=""))
            conn.execute(insert(Order.__table__), orders)
            for table, rows in ((Hold, holds), (ScanEvent, scans), (ApprovalRequest, approvals)):
                if rows:
                    conn.execute(insert(table.__table__), rows)
    if engine.dialect.name == "postgresql":
        # VACUUM too: a database that grew to a million orders over months has been vacuumed by autovacuum,
        # which a bulk load has not waited for (without it every index-only count also reads the table).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def raw_figures(engine: Engine, now: datetime, zone: ZoneInfo) -> dict:
    """The dashboard's figures straight off the base tables with hand-written SQL (no rollup)."""
    today = rollup.local_day(now, zone)
    figures: dict = {}
    with engine.connect() as conn:
        hour = now.replace(minute=0, second=0, microsecond=0)
        figures["per_hour"] = [conn.execute(text(
            'SELECT platform, COUNT(*) FROM "order" WHERE created_at >= :a AND created_at < :b GROUP BY platform'),
            {"a": hour - timedelta(hours=n), "b": hour - timedelta(hours=n - 1)}).all() for n in range(24)]
        days = []
        for n in range(dashboard.DAYS):
            start, end = rollup.day_bounds(today - timedelta(days=n), zone)
            days.append(conn.execute(text('SELECT platform, COUNT(*) FROM "order" WHERE created_at >= :a '
                                          "AND created_at < :b GROUP BY platform"), {"a": start, "b": end}).all())
        figures["per_day"] = days
        start, _ = rollup.day_bounds(today - timedelta(days=dashboard.WINDOW_DAYS - 1), zone)
        durations = sorted((shipped - paid).total_seconds() for paid, shipped in conn.execute(text(
            'SELECT paid_at, shipped_at FROM "order" WHERE shipped_at >= :a'), {"a": start}).all()
            if paid is not None) if engine.dialect.name == "postgresql" else sorted(
            (datetime.fromisoformat(str(shipped)) - datetime.fromisoformat(str(paid))).total_seconds()
            for paid, shipped in conn.execute(text('SELECT paid_at, shipped_at FROM "order" WHERE shipped_at >= :a'),
                                              {"a": start}).all() if paid is not None)
        figures["ship_p50"] = durations[len(durations) // 2] if durations else None
        figures["holds"] = conn.execute(text("SELECT kind, COUNT(*) FROM hold WHERE opened_at >= :a GROUP BY kind"),
                                        {"a": start}).all()
        figures["scans"] = conn.execute(text("SELECT result, COUNT(*) FROM scanevent WHERE at >= :a GROUP BY result"),
                                        {"a": start}).all()
        figures["backlog"] = conn.execute(text(
            'SELECT status, COUNT(*) FROM "order" WHERE status IN (\'new\', \'review\', \'approval\', \'short\', '
            "'ready', 'picking', 'packed') GROUP BY status")).all()
    return figures


def _median_ms(run, repeats: int) -> float:  # noqa: ANN001
    times = []
    for _n in range(repeats):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def bench_dashboard(url: str, *, n_orders: int, days: int = 90, repeats: int = 5, seed: int = 15) -> dict:
    """Load, roll up and time the dashboard's read against the raw-SQL baseline; the figures in a dict."""
    zone = ZoneInfo("Asia/Shanghai")
    now = utcnow().astimezone(timezone.utc)
    engine = make_engine(url)
    try:
        started = time.perf_counter()
        load_orders(engine, n_orders, days=days, now=now, rng=random.Random(seed))
        load_seconds = time.perf_counter() - started
        started = time.perf_counter()
        backfill = rollup.refresh_rollup(engine, zone, now=now)
        backfill_seconds = time.perf_counter() - started
        started = time.perf_counter()
        rollup.refresh_rollup(engine, zone, now=now)
        regular_seconds = time.perf_counter() - started
        actor = Actor.system("bench")
        shown: list[dashboard.Dashboard] = []

        def service() -> None:
            with read_session(engine) as session:
                shown.append(dashboard.load(session, actor, zone, now=now))

        service_ms = _median_ms(service, repeats)
        raw_ms = _median_ms(lambda: raw_figures(engine, now, zone), repeats)
    finally:
        engine.dispose()
    figures = shown[-1]
    return {"orders": n_orders, "days": days, "load_seconds": load_seconds, "backfill_days": backfill.days,
            "backfill_seconds": backfill_seconds, "regular_rollup_seconds": regular_seconds,
            "service_ms": service_ms, "raw_ms": raw_ms, "ratio": service_ms / raw_ms if raw_ms else 0.0,
            "shipped_in_window": figures.ship_time.orders, "orders_in_window": figures.orders_in_window}
