"""`oms bench`: measured figures, never timed tests.

* ``stock``: lock + ship N orders through the services, against a raw-SQL baseline that does the
  same row writes (same UPDATEs and INSERTs, same two transactions per order) on the same kind
  of database. The ratio service/baseline is the price of the ORM and the rules.
* ``locks``: concurrent lock transactions per second with W worker processes on one database.

Each run creates its own scratch database (a temp SQLite file, or a fresh PostgreSQL database
next to the one in ``--pg-url``) and drops it afterwards.
"""

from __future__ import annotations

import importlib
import json
import multiprocessing as mp
import os
import random
import shutil
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, insert, text
from sqlmodel import select

from oms_tui.db import make_engine, normalize_url, session_scope
from oms_tui.models import Order, OrderLine, OrderStatus, Warehouse, utcnow
from oms_tui.schema import upgrade_to_head
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.services.orders import actions, allocation, lifecycle
from oms_tui.services.stock import ledger

SKUS = 200


@dataclass
class BenchResult:
    name: str
    backend: str
    count: int
    seconds: float
    statements: int = 0  # statements sent to the database during the timed part (an executemany is one)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def __str__(self) -> str:
        per = f", {self.statements / self.count:5.1f} statements each" if self.statements and self.count else ""
        return f"{self.name:<28} {self.backend:<10} {self.count:>8} in {self.seconds:8.2f} s = {self.rate:9.1f}/s{per}"


@contextmanager
def counting_statements(engine: Engine):
    """Count what ``engine`` sends to the database inside the block (``counter[0]``)."""
    counter = [0]

    def count(*_args) -> None:  # noqa: ANN002
        counter[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", count)


@contextmanager
def scratch_database(backend: str, pg_url: str):
    """A new, migrated database that disappears afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            engine = make_engine(url)
            upgrade_to_head(engine)
            engine.dispose()
            yield url
        return
    admin_url = normalize_url(pg_url)
    name = f"oms_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        engine = make_engine(url)
        upgrade_to_head(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(engine: Engine, n_orders: int, *, units_per_sku: int, rng: random.Random, first_sku: int = 0) -> list[int]:
    """A warehouse, SKUs with plenty of stock, and N paid orders not yet locked (bulk, not measured).

    On a database that has them already (``with_history``), its warehouse WH1 and SKUs from
    ``B-{first_sku:04d}`` on get the stock instead."""
    with session_scope(engine) as s:
        wh = s.exec(select(Warehouse).where(Warehouse.code == "WH1")).first() or catalogue.add_warehouse(s, "WH1",
                                                                                                      "基准仓")
        for i in range(first_sku, first_sku + SKUS):
            code = f"B-{i:04d}"
            sku = catalogue.find_sku(s, code) or catalogue.add_sku(s, code, f"基准商品{i}",
                                                                   bin_location=f"A-{i // 20:02d}-{i % 20:02d}")
            ledger.purchase(s, wh, sku, units_per_sku, actor=Actor.system("bench"))
            allocation.receive_stock(s, wh, sku, units_per_sku, actor=Actor.system("bench"))
        wh_id = wh.id
        sku_ids = {i - first_sku: (catalogue.find_sku(s, f"B-{i:04d}").id, f"B-{i:04d}")
                   for i in range(first_sku, first_sku + SKUS)}
    now = utcnow()
    order_rows, line_rows = [], []
    for i in range(n_orders):
        paid = now - timedelta(seconds=n_orders - i)
        order_rows.append(dict(platform="taobao", platform_order_id=f"B{i:09d}", shop="bench", status=OrderStatus.NEW,
                               platform_status="", buyer_id="", receiver_name="张*", receiver_phone="",
                               receiver_province="浙江", receiver_city="杭州市", receiver_district="",
                               receiver_address="", buyer_remark="", seller_memo="", total_fen=1990, paid_fen=1990,
                               discount_fen=0, post_fee_fen=0, created_at=paid, paid_at=paid, ingested_at=now,
                               updated_at=now, warehouse_id=wh_id))
    with engine.begin() as conn:
        for start in range(0, len(order_rows), 5000):
            conn.execute(insert(Order.__table__), order_rows[start:start + 5000])
        ids = [row[0] for row in conn.execute(text('SELECT id FROM "order" WHERE platform_order_id LIKE \'B%\' '
                                                   "ORDER BY id"))]
        for order_id in ids:
            for sku_index in rng.sample(range(SKUS), rng.choice((1, 1, 1, 2, 3))):
                sku_id, sku_code = sku_ids[sku_index]
                line_rows.append(dict(order_id=order_id, sku_id=sku_id, sku_code=sku_code,
                                      title="", qty=1, price_fen=1990, locked_qty=0, returned_qty=0))
        for start in range(0, len(line_rows), 5000):
            conn.execute(insert(OrderLine.__table__), line_rows[start:start + 5000])
    return ids


def service_lock_and_ship(engine: Engine, order_ids: list[int]) -> None:
    for order_id in order_ids:
        with session_scope(engine) as s:
            order = lifecycle.take_order(s, order_id)
            allocation.lock_order(s, order, user="bench")
            lifecycle.settle_status(s, order, user="bench")
        with session_scope(engine) as s:
            order = lifecycle.take_order(s, order_id)
            actions.start_picking(s, order, user="bench")
            actions.mark_packed(s, order, user="bench")
            actions.ship(s, order, waybill=f"YT{order_id:013d}", courier="yuantong", user="bench")


_AUDIT = ('INSERT INTO auditevent (at, "user", action, entity_type, entity_id, detail) '
          "VALUES (:at, 'bench', :action, 'order', :id, :detail)")
_MOVE = ('INSERT INTO stockmove (at, warehouse_id, sku_id, kind, d_on_hand, d_inbound, d_locked, d_reserved, '
         'd_damaged, order_id, "user", reason) VALUES (:at, :wh, :sku, :kind, :d_on_hand, 0, :d_locked, 0, 0, :id, '
         "'bench', :reason)")
_NO_BLOCKING_HOLD = "NOT EXISTS (SELECT 1 FROM hold WHERE hold.order_id = :id AND hold.resolved_at IS NULL AND hold.blocking)"
_ALL_LINES_LOCKED = ("NOT EXISTS (SELECT 1 FROM orderline WHERE orderline.order_id = :id AND orderline.sku_id IS NOT NULL "
                     "AND orderline.locked_qty < orderline.qty)")


def _status_detail(current: str, to: str, reason: str = "") -> str:
    return json.dumps({"from": current, "to": to, "reason": reason}, ensure_ascii=False)


def raw_lock_and_ship(engine: Engine, order_ids: list[int]) -> None:
    """What service_lock_and_ship must write and check, as hand-written SQL in the same two transactions.

    Same rows: a guarded stock UPDATE, a ledger row and the line's locked units per line, the order's
    status and times, an audit row per lock and per status change (with the same details), the lock
    resolving an open ``stock_short`` hold. Same guarantees: the order row taken first (FOR UPDATE on
    PostgreSQL), every status UPDATE guarded by the status read, ready and picking only with no open
    blocking hold (and ready only with every line locked), read in the same UPDATE.
    """
    for_update = " FOR UPDATE" if engine.dialect.name == "postgresql" else ""
    take_order = text('SELECT status, warehouse_id FROM "order" WHERE id = :id' + for_update)
    read_lines = text("SELECT id, sku_id, sku_code, qty FROM orderline WHERE order_id = :id ORDER BY sku_id")
    plain, pick_guard, ready_guard, ship_guard = (
        text('UPDATE "order" SET status = :to, updated_at = :at' + extra + " WHERE id = :id AND status = :from" + guard)
        for extra, guard in (("", ""), ("", " AND " + _NO_BLOCKING_HOLD),
                             (", locked_at = :at", f" AND {_NO_BLOCKING_HOLD} AND {_ALL_LINES_LOCKED}"),
                             (", waybill = :wb, courier = :courier, shipped_at = :at", "")))
    audit, move = text(_AUDIT), text(_MOVE)
    lock_stock = text("UPDATE stocklevel SET locked = locked + :q, updated_at = :at WHERE warehouse_id = :wh AND "
                      "sku_id = :sku AND on_hand - locked - reserved >= :q")
    ship_stock = text("UPDATE stocklevel SET on_hand = on_hand - :q, locked = locked - :q, updated_at = :at "
                      "WHERE warehouse_id = :wh AND sku_id = :sku AND on_hand >= :q AND locked >= :q")
    line_locked = text("UPDATE orderline SET locked_qty = :q WHERE id = :id")
    resolve_shortage = text("UPDATE hold SET resolved_at = :at, resolved_by = 'bench', resolution = :r "
                            "WHERE order_id = :id AND kind = 'stock_short' AND resolved_at IS NULL")

    def status(conn, order_id, statement, current, to, now, reason="", **values) -> None:  # noqa: ANN001, ANN003
        done = conn.execute(statement, {"id": order_id, "from": current, "to": to, "at": now, **values})
        assert done.rowcount == 1, f"order {order_id}: {current} → {to} refused"
        conn.execute(audit, {"at": now, "action": "order.status", "id": str(order_id),
                             "detail": _status_detail(current, to, reason)})

    for order_id in order_ids:
        with engine.begin() as conn:
            now = utcnow()
            current, wh = conn.execute(take_order, {"id": order_id}).one()
            lines = conn.execute(read_lines, {"id": order_id}).all()
            # All lines or none, and a short one leaves the transaction going (to record the shortage):
            # the service's savepoint for an order of several lines.
            savepoint = conn.begin_nested() if len(lines) > 1 else None
            for line_id, sku_id, _code, qty in lines:
                done = conn.execute(lock_stock, {"q": qty, "sku": sku_id, "at": now, "wh": wh})
                assert done.rowcount == 1
                conn.execute(move, {"at": now, "wh": wh, "sku": sku_id, "kind": "lock", "d_on_hand": 0, "d_locked": qty,
                                    "id": order_id, "reason": allocation.ORDER_ACCEPTED})
                conn.execute(line_locked, {"q": qty, "id": line_id})
            if savepoint is not None:
                savepoint.commit()
            conn.execute(resolve_shortage, {"at": now, "r": "stock locked", "id": order_id})
            conn.execute(audit, {"at": now, "action": "order.lock", "id": str(order_id),
                                 "detail": json.dumps({"lines": {code: qty for _l, _s, code, qty in lines}},
                                                      ensure_ascii=False)})
            status(conn, order_id, ready_guard, current, "ready", now, lifecycle.SETTLED)
        with engine.begin() as conn:
            now = utcnow()
            _status, wh = conn.execute(take_order, {"id": order_id}).one()
            status(conn, order_id, pick_guard, "ready", "picking", now)
            status(conn, order_id, plain, "picking", "packed", now)
            lines = conn.execute(read_lines, {"id": order_id}).all()
            for line_id, sku_id, _code, qty in lines:
                done = conn.execute(ship_stock, {"q": qty, "sku": sku_id, "at": now, "wh": wh})
                assert done.rowcount == 1
                conn.execute(move, {"at": now, "wh": wh, "sku": sku_id, "kind": "ship", "d_on_hand": -qty,
                                    "d_locked": -qty, "id": order_id, "reason": ledger.SHIPPED})
                conn.execute(line_locked, {"q": 0, "id": line_id})
            waybill = f"YT{order_id:013d}"
            status(conn, order_id, ship_guard, "packed", "shipped", now, f"yuantong {waybill}", wb=waybill,
                   courier="yuantong")


def _compare(backend: str, pg_url: str, runs, prepare) -> tuple[BenchResult, BenchResult]:  # noqa: ANN001
    """Time each (name, runner) on its own fresh database made ready by ``prepare(engine)``.

    Only ``runner`` is timed; afterwards the books must balance, or the figure is worthless.
    """
    from oms_tui.services.stock.check import run_checks

    results = []
    for name, runner, count in runs:
        with scratch_database(backend, pg_url) as url:
            engine = make_engine(url)
            work = prepare(engine)
            analyze = AutoAnalyze(engine)
            with counting_statements(engine) as statements:
                started = time.perf_counter()
                runner(engine, work, analyze=analyze)
                elapsed = time.perf_counter() - started - analyze.seconds
            with session_scope(engine) as s:
                problems = run_checks(s)
            engine.dispose()
            if problems:
                raise RuntimeError(f"{name}: books do not balance after the run: {problems[:3]}")
            results.append(BenchResult(name, backend, count, elapsed, statements[0]))
    return results[0], results[1]


def bench_lock_and_ship(backend: str, n_orders: int, pg_url: str, *, history: int = 0,
                        chunk: int = 50) -> tuple[BenchResult, BenchResult]:
    """Service path vs raw SQL, each on its own database seeded identically (on top of ``history`` old
    orders, see ``with_history``), taking turns ``chunk`` orders at a time: on a machine others share,
    a slower minute then falls on both sides alike instead of on whichever ran during it."""
    from oms_tui.services.stock.check import run_checks

    runners = [("lock+ship (services)", service_lock_and_ship), ("lock+ship (raw SQL)", raw_lock_and_ship)]
    with with_history(backend, pg_url, history) as urls:
        engines = [make_engine(url) for url in urls]
        try:
            work = [seed(engine, n_orders, units_per_sku=n_orders * 3, rng=random.Random(7), first_sku=1 if history else 0)
                    for engine in engines]
            before = []
            for engine in engines:
                with session_scope(engine) as s:
                    before.append(sorted(str(v) for v in run_checks(s)))
            elapsed, statements = [0.0, 0.0], [0, 0]
            for start in range(0, n_orders, chunk):
                # Alternate who goes first, so neither always follows the other's commits.
                for side in (0, 1) if (start // chunk) % 2 == 0 else (1, 0):
                    with counting_statements(engines[side]) as counted:
                        started = time.perf_counter()
                        runners[side][1](engines[side], work[side][start:start + chunk])
                        elapsed[side] += time.perf_counter() - started
                    statements[side] += counted[0]
            for side, engine in enumerate(engines):
                with session_scope(engine) as s:
                    after = sorted(str(v) for v in run_checks(s))
                if after != before[side]:
                    raise RuntimeError(f"{runners[side][0]}: books do not balance after the run: "
                                       f"{sorted(set(after) - set(before[side]))[:3]}")
        finally:
            for engine in engines:
                engine.dispose()
    return tuple(BenchResult(name, backend, n_orders, elapsed[side], statements[side])  # type: ignore[return-value]
                 for side, (name, _runner) in enumerate(runners))


@contextmanager
def with_history(backend: str, pg_url: str, history: int):
    """Two scratch databases: empty, or each a copy of one holding ``history`` orders of a shop's past
    (``bench.screens.build``: 70 % shipped, their lines, ledger and holds) — the indexes the lock and
    ship statements go through as deep as they are after years of business."""
    if not history:
        with scratch_database(backend, pg_url) as first, scratch_database(backend, pg_url) as second:
            yield [first, second]
        return
    from oms_tui.bench.screens import build

    with scratch_database(backend, pg_url) as url:
        engine = make_engine(url)
        build(engine, history, rng=random.Random(5))
        engine.dispose()
        with copy_of(url) as first, copy_of(url) as second:
            yield [first, second]


def _lock_worker(url: str, order_ids: list[int], go, queue) -> None:  # noqa: ANN001
    engine = make_engine(url, pool_size=1)
    _ready_then_wait(engine, go, queue)
    locked = 0
    for order_id in order_ids:
        with session_scope(engine) as s:
            order = lifecycle.take_order(s, order_id)
            if allocation.lock_order(s, order, user="bench"):
                locked += 1
            lifecycle.settle_status(s, order, user="bench")
    engine.dispose()
    queue.put(locked)


def _raw_lock_worker(url: str, order_ids: list[int], go, queue) -> None:  # noqa: ANN001
    """The writes of one order's lock as hand-written SQL, one transaction per order: the order row
    locked, a guarded UPDATE per line, the line's locked units, a ledger row per line, the status and
    an audit row."""
    engine = make_engine(url, pool_size=1)
    postgres = engine.dialect.name == "postgresql"
    _ready_then_wait(engine, go, queue)
    locked = 0
    for order_id in order_ids:
        with engine.begin() as conn:
            now = utcnow()
            conn.execute(text('SELECT id FROM "order" WHERE id = :o' + (" FOR UPDATE" if postgres else "")),
                         {"o": order_id})
            lines = conn.execute(text("SELECT id, sku_id, qty FROM orderline WHERE order_id = :o ORDER BY sku_id"),
                                 {"o": order_id}).all()
            for line_id, sku_id, qty in lines:
                guarded = conn.execute(text(
                    "UPDATE stocklevel SET locked = locked + :q, updated_at = :now WHERE warehouse_id = 1 "
                    "AND sku_id = :s AND on_hand - locked - reserved >= :q"), {"q": qty, "s": sku_id, "now": now})
                if guarded.rowcount != 1:
                    raise RuntimeError(f"raw lock: SKU {sku_id} short")
                conn.execute(text("UPDATE orderline SET locked_qty = :q WHERE id = :l"), {"q": qty, "l": line_id})
                conn.execute(text(
                    "INSERT INTO stockmove (at, warehouse_id, sku_id, kind, d_on_hand, d_inbound, d_locked, d_reserved, "
                    "d_damaged, order_id, \"user\", reason) VALUES (:now, 1, :s, 'lock', 0, 0, :q, 0, 0, :o, 'bench', "
                    "'order accepted')"), {"now": now, "s": sku_id, "q": qty, "o": order_id})
            conn.execute(text('UPDATE "order" SET status = \'ready\', locked_at = :now, updated_at = :now '
                              "WHERE id = :o"), {"now": now, "o": order_id})
            conn.execute(text("INSERT INTO auditevent (at, \"user\", action, entity_type, entity_id, detail) VALUES "
                              "(:now, 'bench', 'order.lock', 'order', :e, '')"), {"now": now, "e": str(order_id)})
            locked += 1
    engine.dispose()
    queue.put(locked)


def _ready_then_wait(engine: Engine, go, queue) -> None:  # noqa: ANN001
    """Connect, say so, and wait for the start: the clock starts once every worker is up (spawning
    and importing take seconds on a busy machine and are not what is measured)."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    queue.put("ready")
    go.wait()


def bench_concurrent_locks(backend: str, n_orders: int, workers: int, pg_url: str) -> tuple[BenchResult, BenchResult]:
    """W processes lock disjoint slices of N orders over shared SKUs, through the services and as raw SQL
    (each on its own identically seeded database); lock transactions per second, books checked after."""
    service = _concurrent_locks(backend, n_orders, workers, pg_url, _lock_worker, f"locks, {workers} workers")
    raw = _concurrent_locks(backend, n_orders, workers, pg_url, _raw_lock_worker, f"raw locks, {workers} workers")
    return service, raw


def _concurrent_locks(backend: str, n_orders: int, workers: int, pg_url: str, worker, name: str) -> BenchResult:  # noqa: ANN001
    with scratch_database(backend, pg_url) as url:
        engine = make_engine(url)
        ids = seed(engine, n_orders, units_per_sku=n_orders, rng=random.Random(11))
        engine.dispose()
        ctx = mp.get_context("spawn")
        queue, go = ctx.Queue(), ctx.Event()
        procs = [ctx.Process(target=worker, args=(url, ids[w::workers], go, queue)) for w in range(workers)]
        for proc in procs:
            proc.start()
        for _proc in procs:
            queue.get(timeout=600)  # "ready"
        started = time.perf_counter()
        go.set()
        locked = sum(queue.get(timeout=3600) for _ in procs)
        elapsed = time.perf_counter() - started
        for proc in procs:
            proc.join(timeout=60)
        engine = make_engine(url)
        from oms_tui.services.stock.check import run_checks
        with session_scope(engine) as s:
            problems = run_checks(s)
        engine.dispose()
        if problems or locked != n_orders:
            raise RuntimeError(f"{name}: {locked}/{n_orders} locked, problems {problems[:3]}")
        return BenchResult(name, backend, locked, elapsed)


def default_pg_url() -> str:
    return os.environ.get("OMS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


# --- intake: platform payload → normalized → upsert + lock + ledger ----------------------------

def taobao_trades(n: int, rng: random.Random) -> list[dict]:
    """N paid Taobao trades (fullinfo shape) over our bench SKUs, with masked receivers."""
    now = utcnow() + timedelta(hours=8)  # Beijing wall time, as TOP writes it
    trades = []
    for i in range(n):
        when = (now - timedelta(seconds=n - i)).strftime("%Y-%m-%d %H:%M:%S")
        lines = [{"oid": f"{i}{k}", "outer_sku_id": f"B-{s:04d}", "title": f"基准商品{s}", "num": 1, "price": "19.90",
                  "refund_status": "NO_REFUND"} for k, s in enumerate(rng.sample(range(SKUS), rng.choice((1, 1, 2, 3))))]
        trades.append({
            "tid": str(3_000_000_000_000_000 + i), "status": "WAIT_SELLER_SEND_GOODS", "created": when,
            "pay_time": when, "modified": when, "payment": f"{19.9 * len(lines):.2f}",
            "total_fee": f"{19.9 * len(lines):.2f}", "post_fee": "0.00", "buyer_open_uid": f"AAE{i:09d}",
            "receiver_name": "张**", "receiver_mobile": f"1{rng.randint(30, 99)}****{rng.randint(0, 9999):04d}",
            "receiver_state": "浙江省", "receiver_city": "杭州市", "receiver_district": "西湖区",
            "receiver_address": f"文三路{rng.randint(1, 999)}号{rng.randint(1, 30)}幢**",
            "orders": {"order": lines},
        })
    return trades


class AutoAnalyze:
    """What autovacuum does on a PostgreSQL server that runs it: ANALYZE once the rows written since the last
    one pass 50 + a tenth of the rows there were then (its default threshold and scale factor). On a server
    with autovacuum off — this machine's — a database filled from empty in one run is otherwise planned as if
    its tables were still empty: a million-order intake fell to 177 orders/s, and rose to 751/s after one
    ANALYZE. The time ANALYZE takes is kept apart (``seconds``): autovacuum would spend it in its own process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.seconds = 0.0
        self.analyzed_at = 0
        self.enabled = False
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                self.enabled = conn.exec_driver_sql("SHOW autovacuum").scalar() == "off"

    def wrote(self, rows: int) -> None:
        """``rows`` written so far."""
        if not self.enabled or rows - self.analyzed_at <= 50 + self.analyzed_at // 10:
            return
        started = time.perf_counter()
        with self.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        self.seconds += time.perf_counter() - started
        self.analyzed_at = rows


def service_intake(engine: Engine, trades: list[dict], batch: int = 50, *, analyze: AutoAnalyze | None = None,
                   done: int = 0) -> None:
    """``trades`` through the sync's batch intake; ``done``: orders the database took in before these (for
    ``analyze``)."""
    from oms_tui.platforms.taobao import map_trade
    from oms_tui.services.intake import sync

    summary = sync.SyncSummary(shop="bench", platform="taobao")
    for start in range(0, len(trades), batch):
        records = [map_trade(t, "bench") for t in trades[start:start + batch]]
        sync.ingest_batch(engine, "bench", "taobao", records, summary, warehouse_code="WH1", user="bench")
        if analyze is not None:
            analyze.wrote(done + start + batch)
    if summary.new != len(trades):
        raise RuntimeError(f"intake took in {summary.new} of {len(trades)}: {summary.problems[:3]}")


def raw_intake(engine: Engine, trades: list[dict], batch: int = 50, *, analyze: AutoAnalyze | None = None,
               done: int = 0) -> None:
    """The rows the service writes for a new locked order, with executemany per batch: customer,
    order, lines, one guarded stock UPDATE and one ledger row per line, three audit rows."""
    for start in range(0, len(trades), batch):
        chunk = trades[start:start + batch]
        now = utcnow()
        with engine.begin() as conn:
            customer_ids, order_ids = [], []
            for t in chunk:  # ids are needed for the children: one INSERT … RETURNING each, as the ORM does
                customer_ids.append(conn.execute(text(
                    "INSERT INTO customer (name, platform, buyer_id, province, city, district, address, address_key, "
                    "is_vip, created_at) VALUES ('张**', 'taobao', :b, '浙江省', '杭州市', '西湖区', '文三路**号', "
                    "'浙江|杭州市|西湖区|文三路**号', false, :now) RETURNING id"), {"b": t["buyer_open_uid"], "now": now}
                ).scalar_one())
            for t, customer_id in zip(chunk, customer_ids):
                order_ids.append(conn.execute(text(
                    'INSERT INTO "order" (platform, platform_order_id, shop, status, platform_status, customer_id, '
                    "buyer_id, receiver_name, receiver_phone, receiver_province, receiver_city, receiver_district, "
                    "receiver_address, buyer_remark, seller_memo, total_fen, paid_fen, discount_fen, post_fee_fen, "
                    "created_at, paid_at, modified_at, ingested_at, updated_at, warehouse_id, locked_at, no_merge) "
                    "VALUES ('taobao', :tid, 'bench', 'ready', 'WAIT_SELLER_SEND_GOODS', :c, :b, '张**', "
                    "'138****5678', '浙江省', '杭州市', '西湖区', '文三路**号', '', '', :fen, :fen, 0, 0, :now, :now, "
                    ":now, :now, :now, 1, :now, false) RETURNING id"),
                    {"tid": t["tid"], "c": customer_id, "b": t["buyer_open_uid"], "now": now,
                     "fen": round(float(t["payment"]) * 100)}).scalar_one())
            lines, moves, levels, audits = [], [], [], []
            for t, order_id in zip(chunk, order_ids):
                for line in t["orders"]["order"]:
                    sku_id = int(line["outer_sku_id"][2:]) + 1
                    lines.append({"o": order_id, "s": sku_id, "code": line["outer_sku_id"], "title": line["title"]})
                    levels.append({"s": sku_id, "now": now})
                    moves.append({"s": sku_id, "o": order_id, "now": now})
                for action in ("order.create", "order.lock", "order.status"):
                    audits.append({"a": action, "e": str(order_id), "now": now})
            conn.execute(text("INSERT INTO orderline (order_id, sku_id, sku_code, title, qty, price_fen, locked_qty, "
                              "returned_qty) VALUES (:o, :s, :code, :title, 1, 1990, 1, 0)"), lines)
            conn.execute(text("UPDATE stocklevel SET locked = locked + 1, updated_at = :now WHERE warehouse_id = 1 "
                              "AND sku_id = :s AND on_hand - locked - reserved >= 1"), levels)
            conn.execute(text("INSERT INTO stockmove (at, warehouse_id, sku_id, kind, d_on_hand, d_inbound, d_locked, "
                              "d_reserved, d_damaged, order_id, \"user\", reason) VALUES (:now, 1, :s, 'lock', 0, 0, "
                              "1, 0, 0, :o, 'bench', 'order accepted')"), moves)
            conn.execute(text("INSERT INTO auditevent (at, \"user\", action, entity_type, entity_id, detail) VALUES "
                              "(:now, 'bench', :a, 'order', :e, '')"), audits)
        if analyze is not None:
            analyze.wrote(done + start + batch)


def bench_intake(backend: str, n_orders: int, pg_url: str) -> tuple[BenchResult, BenchResult]:
    """Full intake path against the raw executemany baseline, each on a fresh, identically seeded database."""
    importlib.import_module("oms_tui.platforms.taobao")  # once per process, not per order: not in the timing
    trades = taobao_trades(n_orders, random.Random(3))

    def prepare(engine: Engine) -> list[dict]:
        seed(engine, 0, units_per_sku=n_orders * 3, rng=random.Random(7))
        return trades

    return _compare(backend, pg_url, [("intake (services)", service_intake, n_orders),
                                      ("intake (raw executemany)", raw_intake, n_orders)], prepare)


# --- intake into a big database: the same runs on copies of a kept million-order database ---------

@contextmanager
def copy_of(url: str):
    """A throw-away copy of the database at ``url`` (SQLite: the file; PostgreSQL: CREATE DATABASE … TEMPLATE)."""
    if url.startswith("sqlite:///"):
        source = Path(url[len("sqlite:///"):])
        with tempfile.TemporaryDirectory(dir=source.parent) as tmp:
            engine = make_engine(url)  # fold the WAL into the file first, so the copy is whole
            with engine.connect() as conn:  # outside a transaction (the engine's would block the checkpoint)
                conn.connection.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
            target = Path(tmp) / "copy.db"
            shutil.copy(source, target)
            yield f"sqlite:///{target}"
        return
    base, name = url.rsplit("/", 1)
    copy = f"{name}_copy_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"'))
        yield f"{base}/{copy}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'))
        admin.dispose()


def bench_intake_into(backend: str, n_orders: int, pg_url: str, big_url: str,
                      chunk: int = 1000) -> dict[tuple[str, str], BenchResult]:
    """Intake and the raw executemany, each into an empty database and into its own copy of the big one at
    ``big_url`` (``oms bench screens`` builds it), the four taking turns ``chunk`` orders at a time, so a busy
    minute on a shared machine falls on all four instead of on whichever ran during it (one run after the
    other scattered the big/empty ratio by ±10 %). Keyed (side, database): ("services"|"raw", "empty"|"big").
    The books must come out of each as they went in (no new violation)."""
    from oms_tui.bench.screens import advance_sequences, open_books
    from oms_tui.services.stock.check import run_checks

    importlib.import_module("oms_tui.platforms.taobao")  # once per process, not per order: not in the timing
    trades = taobao_trades(n_orders, random.Random(3))
    sides = [("services", "empty", service_intake), ("raw", "empty", raw_intake),
             ("services", "big", service_intake), ("raw", "big", raw_intake)]
    with ExitStack() as stack:
        engines, before, analyzers = [], [], []
        for _side, database, _runner in sides:
            url = stack.enter_context(copy_of(big_url) if database == "big" else scratch_database(backend, pg_url))
            engine = make_engine(url)
            stack.callback(engine.dispose)
            if database == "big":
                _ready_for_bench_trades(engine, n_orders)
                open_books(engine)
                advance_sequences(engine)  # a database built before the builder did it
            else:
                seed(engine, 0, units_per_sku=n_orders * 3, rng=random.Random(7))
            with session_scope(engine) as s:
                before.append(sorted(str(v) for v in run_checks(s)))
            engines.append(engine)
            analyzers.append(AutoAnalyze(engine))
        elapsed, statements = [0.0] * len(sides), [0] * len(sides)
        for turn, start in enumerate(range(0, n_orders, chunk)):
            shift = turn % len(sides)  # who goes first moves round: none always follows another's writes
            for index in list(range(len(sides)))[shift:] + list(range(len(sides)))[:shift]:
                engine, analyze = engines[index], analyzers[index]
                spent_analyzing = analyze.seconds
                with counting_statements(engine) as counted:
                    started = time.perf_counter()
                    sides[index][2](engine, trades[start:start + chunk], analyze=analyze, done=start)
                    elapsed[index] += time.perf_counter() - started - (analyze.seconds - spent_analyzing)
                statements[index] += counted[0]
        results = {}
        for index, (side, database, _runner) in enumerate(sides):
            with session_scope(engines[index]) as s:
                after = sorted(str(v) for v in run_checks(s))
            name = f"intake{' into big' if database == 'big' else ''} ({side})"
            if after != before[index]:
                raise RuntimeError(f"{name}: the run changed the books' balance: {sorted(set(after) - set(before[index]))[:3]}")
            results[(side, database)] = BenchResult(name, backend, n_orders, elapsed[index], statements[index])
    return results


def _ready_for_bench_trades(engine: Engine, n_orders: int) -> None:
    """The kept database's SKUs renamed to the bench trades' codes (B-0000 is id 1), with room for the orders."""
    with engine.begin() as conn:
        conn.execute(text("UPDATE sku SET code = 'tmp-' || id"))
        padded = ("substr('0000' || (id - 1), -4, 4)" if engine.dialect.name == "sqlite"
                  else "lpad(CAST(id - 1 AS TEXT), 4, '0')")
        conn.execute(text(f"UPDATE sku SET code = 'B-' || {padded}"))
        conn.execute(text("UPDATE stocklevel SET on_hand = on_hand + :n"), {"n": n_orders * 3})
