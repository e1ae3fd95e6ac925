"""Every screen's first page at a million orders: measured figures, never timed tests.

``build`` bulk-loads, with Core inserts (not measured), a shop after three years of history: N orders
(70 % shipped, 10 % ready, 5 % in review with two open holds each, the rest new, picking or cancelled)
over three platforms, one line each (and its ledger row: shipped or locked), a resolved hold on one shipped order in ten, 200 customers per
thousand orders (one in fifty merged into another), 500 SKUs with stock. The database is kept (SQLite:
a file; PostgreSQL: a named database) and reused by the next run with as many orders, so the million
rows are written once.

``bench_screens`` then times, for each screen's first page:

* through Pilot, key press → page drawn, measured inside the app: the screen open in an ``OmsApp`` with
  an admin signed in, Pilot presses the refresh key (F5); the clock starts as the key is sent and stops
  when the first frame after the last read was shown is composited and turned into terminal text
  (headless Textual skips that last step; the bench does it, as a terminal would need it). Every read
  the key started (``OmsScreen.read``: the reads of the page, its count, a detail pane or a summary)
  is inside it, and so are the UI thread's filling of the tables and the compositor's rendering of
  the rows. Also kept: the app's CPU time over the same span (``time.process_time``, all its threads
  — on a quiet machine the wall time approaches it; on a loaded one the wall time is mostly waiting for
  a core), and where the wall time went: ``queue`` (press → first read starts), ``fetch`` (the reads:
  SQL and shaping rows), ``show`` (filling the tables), ``draw`` (last table filled → frame written);
* Pilot's own wall time for the same press and its settling, for comparison only: Pilot waits for the
  app to go idle in slices of 20 ms (``wait_for_idle``), five of them per press here, so even a key
  nothing binds (the "floor") measures 100–150 ms that are not the app's;
* the raw SQL of the same page (hand-written statements: the count, the page, what its detail pane
  reads), as the baseline measured in the same run;

each as p50/p95 over ``repeats`` runs, and their ratio.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, insert, select, text

from oms_tui.config import load_settings
from oms_tui.db import make_engine, normalize_url, session_scope
from oms_tui.models import (
    Customer,
    Hold,
    HoldKind,
    MoveKind,
    Order,
    OrderLine,
    OrderStatus,
    Sku,
    StockLevel,
    StockMove,
    Warehouse,
    utcnow,
)
from oms_tui.schema import refresh_statistics, upgrade_to_head
from oms_tui.services.core import users
from oms_tui.services.core.actor import Actor
from oms_tui.services.reports import tally

BATCH = 5000
PLATFORMS = ("taobao", "jd", "pdd")
SKUS = 500
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞宇浩然欣怡子涵梓轩雨萱"
# Of every twenty orders: 14 shipped, 2 ready, 1 in review (two open holds), 1 new, 1 picking, 1 cancelled.
STATUS_CYCLE = ([OrderStatus.SHIPPED] * 14 + [OrderStatus.READY] * 2
                + [OrderStatus.REVIEW, OrderStatus.NEW, OrderStatus.PICKING, OrderStatus.CANCELLED])
PAGE = 50
PAGED_THROUGH = 20  # pages turned on each Orders case after the timed refreshes


def receiver_name(n: int) -> str:
    """A name shared by a few dozen orders in a million (the search finds a customer, not a surname)."""
    return SURNAMES[n % len(SURNAMES)] + GIVEN[(n // len(SURNAMES)) % len(GIVEN)] \
        + GIVEN[(n // (len(SURNAMES) * len(GIVEN))) % len(GIVEN)]


def phone(n: int) -> str:
    return f"138{n % 100_000_000:08d}"


def build(engine: Engine, n_orders: int, *, rng: random.Random, years: int = 3) -> None:
    """Migrate and bulk-load the shop described above (Core inserts), then refresh the statistics."""
    upgrade_to_head(engine)
    now = utcnow()
    span = years * 365 * 86400
    n_customers = max(1, n_orders // 5)
    with session_scope(engine) as s:
        users.add_user(s, "bench", "0000", ["admin"], display_name="bench", actor=Actor.system("bench"))
    with engine.begin() as conn:
        conn.execute(insert(Warehouse.__table__), [dict(id=1, code="WH1", name="基准仓")])
        conn.execute(insert(Sku.__table__), [dict(id=i, code=f"B-{i:04d}", name=f"基准商品{i}", category="",
                                                  unit="件", cost_fen=500, price_fen=1990, active=True,
                                                  bin_location=f"A-{i // 20:02d}-{i % 20:02d}", safety_stock=0)
                                             for i in range(1, SKUS + 1)])
        conn.execute(insert(StockLevel.__table__), [dict(warehouse_id=1, sku_id=i, on_hand=10_000, inbound=0,
                                                         locked=0, reserved=0, damaged=0) for i in range(1, SKUS + 1)])
        customer_id = 0
        while customer_id < n_customers:
            rows = []
            for _n in range(min(BATCH, n_customers - customer_id)):
                customer_id += 1
                rows.append(dict(id=customer_id, name=receiver_name(customer_id), phone_norm=phone(customer_id),
                                 platform=PLATFORMS[customer_id % 3], buyer_id=f"buyer{customer_id}",
                                 province="浙江", city="杭州市", district="西湖区", address=f"文三路{customer_id}号",
                                 address_key=f"浙江|杭州市|西湖区|文三路{customer_id}号", is_vip=False,
                                 merged_into_id=customer_id - 1 if customer_id % 50 == 0 else None, created_at=now))
            conn.execute(insert(Customer.__table__), rows)
        order_id = 0
        while order_id < n_orders:
            orders, lines, holds, moves = [], [], [], []
            for _n in range(min(BATCH, n_orders - order_id)):
                order_id += 1
                created = now - timedelta(seconds=span * (n_orders - order_id) / n_orders)
                status = STATUS_CYCLE[order_id % len(STATUS_CYCLE)]
                shipped = created + timedelta(hours=rng.randint(2, 48)) if status == OrderStatus.SHIPPED else None
                customer = order_id % n_customers + 1
                platform = PLATFORMS[order_id % 3]
                orders.append(dict(
                    id=order_id, platform=platform, platform_order_id=f"S{order_id:010d}", shop=f"{platform}-bench",
                    status=status, platform_status="", customer_id=customer, buyer_id=f"buyer{customer}",
                    receiver_name=receiver_name(customer), receiver_phone=phone(customer), receiver_province="浙江",
                    receiver_city="杭州市", receiver_district="西湖区", receiver_address=f"文三路{customer}号",
                    receiver_opaque="", receiver_address_id="", buyer_remark="", seller_memo="", total_fen=1990,
                    paid_fen=1990, discount_fen=0, post_fee_fen=0, created_at=created, paid_at=created,
                    ingested_at=created, updated_at=shipped or created, shipped_at=shipped, warehouse_id=1,
                    courier="yto" if shipped else None, waybill=f"YT{order_id:013d}" if shipped else None,
                    no_merge=False))
                sku = order_id % SKUS + 1
                lines.append(dict(order_id=order_id, sku_id=sku, sku_code=f"B-{sku:04d}", title=f"基准商品{sku}",
                                  qty=1, price_fen=1990, locked_qty=1 if status in (OrderStatus.READY,
                                                                                   OrderStatus.PICKING) else 0,
                                  returned_qty=0, platform_item_id="", platform_sku_id="", platform_qty=1))
                if shipped or status in (OrderStatus.READY, OrderStatus.PICKING):  # the ledger's row for the order
                    moves.append(dict(at=shipped or created, warehouse_id=1, sku_id=sku, kind=MoveKind.SHIP if shipped
                                      else MoveKind.LOCK, d_on_hand=-1 if shipped else 0, d_inbound=0,
                                      d_locked=0 if shipped else 1, d_reserved=0, d_damaged=0, order_id=order_id,
                                      user="bench", reason=""))
                if status == OrderStatus.REVIEW:
                    for kind in (HoldKind.BUYER_REMARK, HoldKind.ADDRESS_INVALID):
                        holds.append(dict(order_id=order_id, kind=kind, blocking=True, reason="", opened_at=created,
                                          opened_by="bench", resolved_at=None, resolved_by=None))
                elif shipped and order_id % 10 == 0:
                    holds.append(dict(order_id=order_id, kind=HoldKind.BUYER_REMARK, blocking=True, reason="",
                                      opened_at=created, opened_by="bench", resolved_at=created + timedelta(hours=1),
                                      resolved_by="bench"))
            conn.execute(insert(Order.__table__), orders)
            conn.execute(insert(OrderLine.__table__), lines)
            if holds:
                conn.execute(insert(Hold.__table__), holds)
            conn.execute(insert(StockMove.__table__), moves)
    # The units the ready and picking orders hold, so the books add up (on hand: open_books).
    with engine.begin() as conn:
        locked = dict(conn.execute(select(OrderLine.sku_id, func.sum(OrderLine.locked_qty)).group_by(OrderLine.sku_id))
                      .all())
        for sku_id, qty in locked.items():
            conn.execute(StockLevel.__table__.update().where(StockLevel.sku_id == sku_id).values(locked=qty))
    open_books(engine)
    advance_sequences(engine)
    refresh_statistics(engine)
    vacuum(engine)


def vacuum(engine: Engine) -> None:
    """On PostgreSQL, VACUUM the loaded tables: a database three years old has been visited by autovacuum,
    whose visibility map lets a count read an index alone (freshly bulk-loaded, or on a server with
    autovacuum off, every count visits the table's pages too)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM (ANALYZE)")


def advance_sequences(engine: Engine) -> None:
    """On PostgreSQL, move the id sequences of the tables loaded with explicit ids past those ids, so
    rows added later (intake into the big database) get fresh ones."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in ("warehouse", "sku", "customer", "order"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                              f'(SELECT COALESCE(max(id), 1) FROM "{table}"))'))


def open_books(engine: Engine) -> int:
    """Make the ledger agree with the bulk-loaded stock levels: one opening ``adjust`` move per SKU for
    whatever its moves do not yet account for (none when they do). Returns the moves written."""
    buckets = ("on_hand", "inbound", "locked", "reserved", "damaged")
    with engine.begin() as conn:
        sums = {(row[0], row[1]): row[2:] for row in conn.execute(select(
            StockMove.warehouse_id, StockMove.sku_id,
            *(func.coalesce(func.sum(getattr(StockMove, f"d_{b}")), 0) for b in buckets))
            .group_by(StockMove.warehouse_id, StockMove.sku_id))}
        moves = []
        for level in conn.execute(select(StockLevel)).all():
            have = sums.get((level.warehouse_id, level.sku_id), (0,) * len(buckets))
            delta = {f"d_{b}": getattr(level, b) - int(h) for b, h in zip(buckets, have)}
            if any(delta.values()):
                moves.append(dict(at=utcnow(), warehouse_id=level.warehouse_id, sku_id=level.sku_id,
                                  kind=MoveKind.ADJUST, user="bench", reason="opening balance", **delta))
        if moves:
            conn.execute(insert(StockMove.__table__), moves)
    return len(moves)


# --- keeping the built database ---------------------------------------------------------------

def kept_database(backend: str, n_orders: int, pg_url: str, data_dir: Path) -> tuple[str, bool]:
    """The URL of the kept database for ``n_orders`` and whether it is already built."""
    if backend == "sqlite":
        path = data_dir / f"bench-screens-{n_orders}.db"
        url = f"sqlite:///{path}"
        return url, path.exists() and _complete(url, n_orders)
    admin_url = normalize_url(pg_url)
    name = f"oms_bench_screens_{n_orders}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    return url, bool(exists) and _complete(url, n_orders)


def _complete(url: str, n_orders: int) -> bool:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text('SELECT max(id) FROM "order"')).scalar() == n_orders and \
                conn.execute(text("SELECT count(*) FROM stocklevel WHERE locked > 0")).scalar() > 0
    except Exception:  # noqa: BLE001 - half-built or not migrated: build again
        return False
    finally:
        engine.dispose()


# --- the cases --------------------------------------------------------------------------------

@dataclass
class Case:
    """One screen's first page: how to open it in the app, and its raw SQL."""

    name: str
    screen: str  # registry key, or "order" for an order's detail
    raw: Callable[[object], None]  # (connection) → runs the page's statements
    open_kwargs: dict = field(default_factory=dict)
    prepare: Callable[[object], None] | None = None  # (screen) → set a filter before the timed refreshes


def _all(conn, sql: str, **params) -> list:  # noqa: ANN001
    return conn.execute(text(sql), params).all()


ORDER_PAGE = ('SELECT * FROM "order" {where} ORDER BY created_at DESC, id DESC LIMIT 50')
CAP = 10_000  # the screens count up to this many rows ("10,000+"), and so does the raw SQL here


def _capped_count(table_and_where: str) -> str:
    return f"SELECT count(*) FROM (SELECT 1 FROM {table_and_where} LIMIT {CAP + 1}) AS capped"


def _estimate(conn, tally: str, total: str, table: str, columns: str, where: str = "", **params) -> None:  # noqa: ANN001
    """Past the cap, the screens' estimate: the tally's rows matching, and the rows since its mark (counted
    off the primary key). ``where`` names columns the tally and the table share."""
    _all(conn, f"SELECT coalesce(sum({total}), 0) FROM {tally} {where}", **params)
    _all(conn, f"SELECT count(*) FROM (SELECT {columns} FROM {table} WHERE id > (SELECT last_id FROM tallymark "
               f"WHERE subject = :subject) ORDER BY id LIMIT 100000) AS recent {where}",
         subject="orders" if tally == "ordertally" else "open_holds", **params)


def _orders_raw(where: str = "", **params) -> Callable:
    def run(conn) -> None:  # noqa: ANN001
        if _all(conn, _capped_count(f'"order" {where}'), **params)[0][0] > CAP and "id IN" not in where:
            _estimate(conn, "ordertally", "orders", '"order"', "status, platform", where, **params)
        ids = [row.id for row in _all(conn, ORDER_PAGE.format(where=where), **params)]
        _all(conn, "SELECT * FROM hold WHERE order_id IN ({}) AND resolved_at IS NULL".format(
            ",".join(str(i) for i in ids) or "0"))
    return run


def _search_raw(name: str) -> Callable:
    """The name search as hand-written SQL of the same shape the service sends (ids by each way of naming
    an order; on SQLite the name as a prefix range, as LIKE there reads no index)."""
    upper = name[:-1] + chr(ord(name[-1]) + 1)

    def run(conn) -> None:  # noqa: ANN001
        by_name = ("receiver_name >= :t AND receiver_name < :u" if conn.dialect.name == "sqlite"
                   else "receiver_name LIKE :p")
        where = (f'WHERE id IN (SELECT id FROM "order" WHERE platform_order_id = :t UNION ALL SELECT id FROM '
                 f'"order" WHERE waybill = :t UNION ALL SELECT id FROM "order" WHERE {by_name})')
        _orders_raw(where, t=name, u=upper, p=name + "%")(conn)
    return run


def _set_select(selector: str, value: str) -> Callable:
    def prepare(screen) -> None:  # noqa: ANN001
        from textual.widgets import Select

        screen.query_one(selector, Select).value = value
    return prepare


def _set_search(value: str) -> Callable:
    def prepare(screen) -> None:  # noqa: ANN001
        from textual.widgets import Input

        screen.query_one("#search", Input).value = value
    return prepare


def _review_raw(conn) -> None:  # noqa: ANN001
    if _all(conn, _capped_count("\"order\" WHERE status = 'review'"))[0][0] > CAP:
        _estimate(conn, "ordertally", "orders", '"order"', "status", "WHERE status = 'review'")
    page = _all(conn, "SELECT * FROM \"order\" WHERE status = 'review' ORDER BY paid_at, created_at, id LIMIT 50")
    ids = ",".join(str(row.id) for row in page) or "0"
    _all(conn, f"SELECT * FROM hold WHERE order_id IN ({ids}) AND resolved_at IS NULL")
    first = page[0].id
    _all(conn, 'SELECT * FROM "order" WHERE id = :i', i=first)  # the detail pane
    _all(conn, "SELECT * FROM orderline WHERE order_id = :i", i=first)
    _all(conn, "SELECT * FROM hold WHERE order_id = :i", i=first)


def _exceptions_raw(conn) -> None:  # noqa: ANN001
    if _all(conn, _capped_count("hold WHERE resolved_at IS NULL"))[0][0] > CAP:
        _estimate(conn, "openholdtally", "holds", "hold", "resolved_at", "")
    _all(conn, 'SELECT hold.*, "order".platform, "order".platform_order_id, "order".status FROM hold '
               'JOIN "order" ON "order".id = hold.order_id WHERE hold.resolved_at IS NULL '
               "ORDER BY hold.opened_at, hold.id LIMIT 50")
    # The summary beside it: the last 24 hours' exception ratio, the open holds (capped), the alerts waiting.
    since = utcnow() - timedelta(hours=24)
    _all(conn, 'SELECT count(*) FROM "order" WHERE created_at >= :s', s=since)
    _all(conn, 'SELECT count(*) FROM "order" o WHERE o.created_at >= :s AND EXISTS (SELECT 1 FROM hold h '
               "WHERE h.order_id = o.id AND h.opened_at >= :s)", s=since)
    if _all(conn, _capped_count("hold WHERE resolved_at IS NULL"))[0][0] > CAP:
        _estimate(conn, "openholdtally", "holds", "hold", "resolved_at", "")
    _all(conn, "SELECT count(*) FROM outbox WHERE kind IN ('alert', 'notify') AND status IN ('pending', 'sending')")


def _picklist_raw(conn) -> None:  # noqa: ANN001
    _all(conn, _capped_count("\"order\" o WHERE status = 'ready' AND wave_id IS NULL AND warehouse_id = 1 AND NOT "
                             "EXISTS (SELECT 1 FROM hold h WHERE h.order_id = o.id AND h.resolved_at IS NULL "
                             "AND h.blocking)"))
    _all(conn, "SELECT * FROM wave ORDER BY id DESC LIMIT 20")


def _stock_raw(conn) -> None:  # noqa: ANN001
    _all(conn, "SELECT count(*) FROM stocklevel")
    _all(conn, "SELECT sku.code, sku.name, stocklevel.* FROM stocklevel JOIN sku ON sku.id = stocklevel.sku_id "
               "ORDER BY sku.code LIMIT 50")


def _lookup_raw(number: str) -> Callable:
    def run(conn) -> None:  # noqa: ANN001
        customers = _all(conn, "SELECT * FROM customer WHERE phone_norm = :p", p=number)
        ids = ",".join(str(c.id) for c in customers) or "0"
        _all(conn, f"SELECT id FROM customer WHERE merged_into_id IN ({ids})")
        _all(conn, f'SELECT * FROM "order" WHERE customer_id IN ({ids}) ORDER BY created_at DESC LIMIT 50')
    return run


def _detail_raw(order_id: int) -> Callable:
    def run(conn) -> None:  # noqa: ANN001
        _all(conn, 'SELECT * FROM "order" WHERE id = :i', i=order_id)
        _all(conn, "SELECT * FROM orderline WHERE order_id = :i", i=order_id)
        _all(conn, "SELECT * FROM hold WHERE order_id = :i ORDER BY id", i=order_id)
        _all(conn, "SELECT * FROM auditevent WHERE entity_type = 'order' AND entity_id = :i ORDER BY at, id",
             i=str(order_id))
    return run


def cases(n_orders: int) -> list[Case]:
    searched = receiver_name(n_orders // 5 // 2 or 1)
    looked_up = phone(n_orders // 5 // 3 or 1)
    detail_id = n_orders - 3
    return [
        Case("orders", "orders", _orders_raw()),
        Case("orders status=shipped", "orders", _orders_raw("WHERE status = :s", s="shipped"),
             prepare=_set_select("#status", "shipped")),
        Case("orders status=ready", "orders", _orders_raw("WHERE status = :s", s="ready"),
             prepare=_set_select("#status", "ready")),
        Case("orders platform=jd", "orders", _orders_raw("WHERE platform = :p", p="jd"),
             prepare=_set_select("#platform", "jd")),
        Case("orders name search", "orders", _search_raw(searched), prepare=_set_search(searched)),
        Case("review + detail pane", "review", _review_raw),
        Case("exceptions", "exceptions", _exceptions_raw),
        Case("pick list", "picklist", _picklist_raw),
        Case("stock", "stock", _stock_raw),
        Case("lookup by phone", "customers", _lookup_raw(looked_up), open_kwargs={"query": looked_up}),
        Case("order detail", "order", _detail_raw(detail_id), open_kwargs={"order_id": detail_id}),
        Case("dashboard", "dashboard", _dashboard_raw),
    ]


def _dashboard_raw(conn) -> None:  # noqa: ANN001
    from zoneinfo import ZoneInfo

    from oms_tui.bench.dashboard import raw_figures

    raw_figures(conn.engine, utcnow(), ZoneInfo("Asia/Shanghai"))


# --- measuring --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Figure:
    """One case: key press → page drawn inside the app (p50/p95, ms), the raw SQL of the page (p50/p95),
    Pilot's own wall time for press and settle (p50), and the p50 of each part of the in-app time."""

    case: str
    backend: str
    pilot_p50: float
    pilot_p95: float
    raw_p50: float
    raw_p95: float
    wall_p50: float = 0.0
    parts: dict[str, float] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.pilot_p50 / self.raw_p50 if self.raw_p50 else 0.0


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def time_raw(engine: Engine, case: Case, repeats: int) -> list[float]:
    times = []
    with engine.connect() as conn:
        for _n in range(repeats):
            started = time.perf_counter()
            case.raw(conn)
            times.append((time.perf_counter() - started) * 1000)
            conn.rollback()
    return times


@dataclass
class Trace:
    """What happened in the app after one key press, as ``time.perf_counter`` instants: each read its
    screen started (worker start, the fetch's start and end: SQL and shaping rows), each hand-over to
    the UI thread (start and end of the ``done`` callback: filling the DataTable) and each frame the
    screen composited and turned into terminal text."""

    pressed: float = 0.0
    pressed_cpu: float = 0.0  # ``time.process_time`` at the press (the app's CPU, all its threads)
    reads: list[tuple[float, float]] = field(default_factory=list)  # fetch start, end (worker thread)
    shown: list[tuple[float, float]] = field(default_factory=list)  # done start, end (UI thread)
    frames: list[float] = field(default_factory=list)  # a frame written (end)
    frames_cpu: list[float] = field(default_factory=list)  # ``time.process_time`` then

    def drawn(self) -> float | None:
        """The first frame written after the last read was shown: the page on the terminal."""
        if not self.shown:
            return None
        last = max(end for _start, end in self.shown)
        return next((t for t in sorted(self.frames) if t >= last), None)

    def parts(self) -> dict[str, float] | None:
        """Key press → page drawn and where it went, in ms: ``queue`` (press → first read starts),
        ``fetch`` (the reads: SQL and shaping, summed), ``show`` (filling the table on the UI thread,
        summed), ``draw`` (last table filled → the frame written); None when nothing was read."""
        drawn = self.drawn()
        if drawn is None or not self.reads:
            return None
        cpu = self.frames_cpu[self.frames.index(drawn)]
        return {"total": (drawn - self.pressed) * 1000, "cpu": (cpu - self.pressed_cpu) * 1000,
                "queue": (min(start for start, _end in self.reads) - self.pressed) * 1000,
                "fetch": sum(end - start for start, end in self.reads) * 1000,
                "show": sum(end - start for start, end in self.shown) * 1000,
                "draw": (drawn - max(end for _start, end in self.shown)) * 1000}


@contextlib.contextmanager
def traced(app, trace_of: Callable[[], Trace]):  # noqa: ANN001
    """Record every read, every hand-over and every frame of ``app`` into the current ``Trace``. A frame
    is also turned into terminal text as a real terminal's would be (headless Textual skips that)."""
    from textual._compositor import CompositorUpdate

    from oms_tui.screens.base import OmsScreen

    original_in_thread = OmsScreen._in_thread
    original_display = app._display

    def timed(step: Callable, spans: str) -> Callable:
        """``step`` (a read, or the hand-over of its result), its (start, end) kept in the trace's ``spans``."""
        def run(argument):  # noqa: ANN001, ANN202
            started = time.perf_counter()
            try:
                return step(argument)
            finally:
                getattr(trace_of(), spans).append((started, time.perf_counter()))
        return run

    def in_thread(screen, run, fetch, done):  # noqa: ANN001
        return original_in_thread(screen, run, timed(fetch, "reads"), timed(done, "shown"))

    def display(screen, renderable) -> None:  # noqa: ANN001
        original_display(screen, renderable)
        if isinstance(renderable, CompositorUpdate):
            renderable.render_segments(app.console)
            trace_of().frames.append(time.perf_counter())
            trace_of().frames_cpu.append(time.process_time())

    OmsScreen._in_thread = in_thread
    app._display = display
    try:
        yield
    finally:
        OmsScreen._in_thread = original_in_thread
        del app._display


@dataclass(frozen=True)
class PilotRun:
    """One case through Pilot: per press, key press → page drawn measured inside the app (with where
    it went), and the wall time Pilot itself took to press and settle (its idle waits included)."""

    in_app: list[dict[str, float]]
    pilot_wall: list[float]


async def time_pilot(engine: Engine, url: str, case: Case, repeats: int, *, key: str = "f5") -> PilotRun:
    """Open the screen, then ``repeats`` times press ``key`` (F5, refresh) and let Pilot settle (every
    read finished, the app idle). With another ``key`` (one nothing binds) it measures the floor of
    Pilot's own wall time: its idle waits (``wait_for_idle`` sleeps in slices of 20 ms until the process
    is quiet) are not the app's time, which is why the figure that counts is the in-app one."""
    from textual.worker import WorkerCancelled

    from oms_tui.app import OmsApp

    settings = load_settings(database_url=url)
    app = OmsApp(engine, settings, user_name="bench")
    trace = Trace()

    async def settle(pilot) -> None:  # noqa: ANN001
        for _round in range(2):
            await pilot.pause()
            with contextlib.suppress(WorkerCancelled):
                await app.workers.wait_for_complete()
        await pilot.pause()

    in_app, walls = [], []
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        if case.screen == "order":
            app.open_order(**case.open_kwargs)
        else:
            app.open_screen(case.screen, **case.open_kwargs)
        await settle(pilot)
        if case.prepare is not None:
            case.prepare(app.screen)
            await settle(pilot)
        with traced(app, lambda: trace):
            for _n in range(repeats):
                trace = Trace(pressed=time.perf_counter(), pressed_cpu=time.process_time())
                await pilot.press(key)
                await settle(pilot)
                walls.append((time.perf_counter() - trace.pressed) * 1000)
                parts = trace.parts()
                if parts is not None:
                    in_app.append(parts)
            if case.screen == "orders" and key == "f5":
                for _n in range(PAGED_THROUGH):  # paged on, so the peak RSS the command reports covers paging
                    await pilot.press("pagedown")
                    await settle(pilot)
    return PilotRun(in_app, walls)


def bench_screens(url: str, backend: str, n_orders: int, *, repeats: int = 7,
                  only: str | None = None) -> list[Figure]:
    engine = make_engine(url)
    figures = []
    try:
        upgrade_to_head(engine)  # a database kept from a run before the last migration
        # What the scheduler's order-tally job keeps fresh: the screens estimate their totals from it.
        tally.refresh(engine, ZoneInfo(load_settings(database_url=url).timezone))
        stock = next(case for case in cases(n_orders) if case.screen == "stock")
        floor = asyncio.run(time_pilot(engine, url, stock, repeats, key="f24"))
        figures.append(Figure("(Pilot floor: unbound key)", backend, 0.0, 0.0, 0.0, 0.0,
                              wall_p50=percentiles(floor.pilot_wall)[0]))
        for case in cases(n_orders):
            if only and only not in case.name:
                continue
            raw = percentiles(time_raw(engine, case, repeats))
            run = asyncio.run(time_pilot(engine, url, case, repeats))
            in_app = percentiles([parts["total"] for parts in run.in_app]) if run.in_app else (0.0, 0.0)
            parts = {name: statistics.median(p[name] for p in run.in_app)
                     for name in ("cpu", "queue", "fetch", "show", "draw")} if run.in_app else {}
            figures.append(Figure(case.name, backend, in_app[0], in_app[1], raw[0], raw[1],
                                  wall_p50=percentiles(run.pilot_wall)[0], parts=parts))
    finally:
        engine.dispose()
    return figures
