"""``oms bench desks``: desks working at once on one PostgreSQL database — the real app, each under
Textual's Pilot in a process of its own (as SSH and browser desks run), signed in as its own user — for
a bounded time.

Each desk takes a stock action at a person's pace (a purchase of one unit through the screen's writing
worker, as a screen does it); "action" is the time from the key to the result on the desk's screen.
Meanwhile a probe commits an audit row every ``PROBE_SECONDS``; every desk re-reads its change token
when PostgreSQL announces a commit (the app's LISTEN/NOTIFY path), and "refresh" is the time from a
probe's commit to the moment a desk's screen holds a token that includes it.

Baselines measured in the same run: the same action as hand-written SQL from as many threads
("raw action"), and the bare notification arriving on a psycopg connection in LISTEN ("raw notify").
"""

from __future__ import annotations

import asyncio
import math
import random
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine, text

from oms_tui.app import OmsApp
from oms_tui.config import Settings
from oms_tui.db import session_scope
from oms_tui.models import utcnow
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core import changes, users
from oms_tui.services.core.actor import Actor
from oms_tui.services.stock import ledger

DESK_SIZE = (100, 30)
PROBE_SECONDS = 0.2
PAUSE_SECONDS = (0.5, 1.5)  # between one desk's actions: a scanner's pace at a busy station
ACTION_TIMEOUT = 10.0
START_TIMEOUT = 60.0
SETTLE_SECONDS = 1.0

_RAW_PURCHASE = ("UPDATE stocklevel SET inbound = inbound + 1, updated_at = :at "
                 "WHERE warehouse_id = :wh AND sku_id = :sku AND inbound + 1 <= :most")
_RAW_MOVE = ('INSERT INTO stockmove (at, warehouse_id, sku_id, kind, d_on_hand, d_inbound, d_locked, d_reserved, '
             "d_damaged, order_id, \"user\", reason) VALUES (:at, :wh, :sku, 'purchase', 0, 1, 0, 0, 0, NULL, :user, '')")
_RAW_AUDIT = ('INSERT INTO auditevent (at, "user", action, entity_type, entity_id, detail) '
              "VALUES (:at, :user, :action, :type, :id, '') RETURNING id")


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0.99: p99); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class DeskFigures:
    desks: int
    seconds: float
    action_ms: list[float] = field(default_factory=list)
    refresh_ms: list[float] = field(default_factory=list)
    raw_action_ms: list[float] = field(default_factory=list)
    raw_notify_ms: list[float] = field(default_factory=list)
    probes: int = 0
    failed_actions: int = 0

    def lines(self) -> list[str]:
        def row(name: str, values: list[float]) -> str:
            return (f"{name:<14} n={len(values):<6} p50 {percentile(values, 0.5):8.1f} ms   "
                    f"p99 {percentile(values, 0.99):8.1f} ms   max {max(values, default=0):8.1f} ms")

        ratio = lambda a, b: percentile(a, 0.99) / percentile(b, 0.99) if percentile(b, 0.99) else float("nan")  # noqa: E731
        return [f"{self.desks} desks on PostgreSQL for {self.seconds:.0f} s; {self.probes} probe commits, "
                f"{self.failed_actions} actions failed",
                row("action", self.action_ms), row("raw action", self.raw_action_ms),
                f"{'ratio p99':<14} action/raw {ratio(self.action_ms, self.raw_action_ms):6.2f}x",
                row("refresh", self.refresh_ms), row("raw notify", self.raw_notify_ms),
                f"{'ratio p99':<14} refresh/notify {ratio(self.refresh_ms, self.raw_notify_ms):6.2f}x"]


def seed(engine: Engine, desks: int) -> None:
    """A warehouse, one SKU per desk, and the desks' users (purchasing)."""
    with session_scope(engine) as s:
        wh = catalogue.add_warehouse(s, "WH1", "基准仓")
        for number in range(desks):
            sku = catalogue.add_sku(s, f"D{number:03d}", f"desk {number}")
            users.add_user(s, f"desk{number}", "0000", ["purchasing"], actor=Actor.system("bench"))
            ledger.ensure_level(s, wh.id, sku.id)


def _purchase(number: int):
    def work(session) -> None:  # noqa: ANN001 - a Session
        wh, sku = catalogue.get_warehouse(session, "WH1"), catalogue.get_sku(session, f"D{number:03d}")
        ledger.purchase(session, wh, sku, 1, actor=Actor(f"desk{number}", frozenset({"purchasing"})))
    return work


def _probe(engine: Engine, probes: list[tuple[int, float]], stop: threading.Event) -> None:
    """Commit an audit row every PROBE_SECONDS; note its id and when its COMMIT was sent (a listener can
    hear of it before the committing call returns)."""
    while not stop.wait(PROBE_SECONDS):
        with engine.connect() as conn:
            transaction = conn.begin()
            probe_id = conn.execute(text(_RAW_AUDIT), {"at": utcnow(), "user": "bench", "action": "bench.probe",
                                                       "type": "bench", "id": "probe"}).scalar_one()
            committing = time.monotonic()
            transaction.commit()
        probes.append((probe_id, committing))


def _raw_listen(engine: Engine, arrivals: list[float], stop: threading.Event, ready: threading.Event) -> None:
    import psycopg

    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"LISTEN {changes.CHANNEL}")
        ready.set()
        while not stop.is_set():
            for _notice in conn.notifies(timeout=0.1):
                arrivals.append(time.monotonic())


def _first_after(times: list[tuple[int, float]] | list[float], probe_id: int, committed: float) -> float | None:
    for entry in times:
        token, at = entry if isinstance(entry, tuple) else (probe_id, entry)
        if token >= probe_id and at >= committed:
            return at
    return None


@dataclass
class DeskResult:
    action_ms: list[float] = field(default_factory=list)
    seen: list[tuple[int, float]] = field(default_factory=list)  # (change token shown, when)
    failed: int = 0


async def _one_desk(engine: Engine, settings: Settings, number: int, ready, go) -> DeskResult:  # noqa: ANN001
    """One desk signed in as desk<number>: says ``ready()`` once it listens, waits for ``go()`` (the time
    to stop), then acts at a person's pace until then; its screen re-reads the change token on each notice."""
    rng = random.Random(number)
    result = DeskResult()
    app = OmsApp(engine, settings, user_name=f"desk{number}")
    async with app.run_test(size=DESK_SIZE) as pilot:
        deadline = time.monotonic() + START_TIMEOUT
        while not (app.operator and app._listener and app._listener.listening.is_set()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"desk{number} did not sign in and listen")
            await pilot.pause(0.05)
        screen = app.screen
        screen.on_data_changed = lambda: screen.read(
            lambda s: changes.change_token(s)[0], lambda token: result.seen.append((token, time.monotonic())),
            group="bench")
        ready()
        end = await go()
        loop = asyncio.get_running_loop()
        work = _purchase(number)
        while time.monotonic() < end:
            finished = loop.create_future()
            started = time.monotonic()
            screen.write(work, lambda _none: finished.done() or finished.set_result(time.monotonic()))
            try:
                result.action_ms.append((await asyncio.wait_for(finished, ACTION_TIMEOUT) - started) * 1000)
            except asyncio.TimeoutError:
                result.failed += 1
            await asyncio.sleep(rng.uniform(*PAUSE_SECONDS))
        await pilot.pause(SETTLE_SECONDS)  # the last probe's refresh arrives
    return result


def _desk_process(url: str, number: int, ready_queue, go_event, end_value, results) -> None:  # noqa: ANN001
    """A desk in a process of its own, as an SSH or browser desk runs (one Python, one core's worth)."""
    from oms_tui.db import make_engine

    engine = make_engine(url, pool_size=3)
    settings = Settings(database_url=url, language="en", shop_name="bench")

    async def go() -> float:
        await asyncio.to_thread(go_event.wait, START_TIMEOUT)
        return end_value.value

    try:
        result = asyncio.run(_one_desk(engine, settings, number, lambda: ready_queue.put(number), go))
        results.put((number, result.action_ms, result.seen, result.failed))
    except Exception as exc:  # noqa: BLE001 - reported to the bench, which says which desk failed
        ready_queue.put(number)
        results.put((number, [], [], -1))
        raise SystemExit(f"desk{number}: {exc}") from None
    finally:
        engine.dispose()


def _run_desks(engine: Engine, url: str, figures: DeskFigures) -> None:
    import multiprocessing

    # A fork server that has imported the app once forks the desks: ten imports of Textual would take
    # longer than the run. (No plain fork: the bench's own threads and connections must not be copied.)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["oms_tui.bench.desks"])
    ready_queue, results = context.Queue(), context.Queue()
    go_event, end_value = context.Event(), context.Value("d", 0.0)
    processes = [context.Process(target=_desk_process, args=(url, number, ready_queue, go_event, end_value, results),
                                 daemon=True) for number in range(figures.desks)]
    for process in processes:
        process.start()
    try:
        for _ in processes:
            ready_queue.get(timeout=START_TIMEOUT * 2)
        probes: list[tuple[int, float]] = []
        arrivals: list[float] = []
        stop, stop_listening, listening = threading.Event(), threading.Event(), threading.Event()
        listener = threading.Thread(target=_raw_listen, args=(engine, arrivals, stop_listening, listening),
                                    daemon=True)
        listener.start()
        listening.wait(10)
        prober = threading.Thread(target=_probe, args=(engine, probes, stop), daemon=True)
        end_value.value = time.monotonic() + figures.seconds  # CLOCK_MONOTONIC: the same in every process
        go_event.set()
        prober.start()
        time.sleep(figures.seconds)
        stop.set()
        prober.join(5)
        time.sleep(SETTLE_SECONDS)  # the last probe's notice arrives
        stop_listening.set()
        listener.join(5)
        seen: list[list[tuple[int, float]]] = []
        for _ in processes:
            _number, action_ms, desk_seen, failed = results.get(timeout=figures.seconds + SETTLE_SECONDS + 60)
            if failed < 0:
                figures.failed_actions += 1
                continue
            figures.action_ms += action_ms
            figures.failed_actions += failed
            seen.append(desk_seen)
    finally:
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.kill()
    figures.probes = len(probes)
    for probe_id, committed in probes:
        for mine in seen:
            at = _first_after(mine, probe_id, committed)
            if at is not None:
                figures.refresh_ms.append((at - committed) * 1000)
        at = _first_after(arrivals, probe_id, committed)
        if at is not None:
            figures.raw_notify_ms.append((at - committed) * 1000)


def _raw_actions(engine: Engine, figures: DeskFigures, count: int, rng: random.Random) -> None:
    """The desks' action as hand-written SQL (level, ledger row, audit row), from as many threads."""
    with engine.connect() as conn:
        ids = {code: sku_id for code, sku_id in conn.execute(text("SELECT code, id FROM sku"))}
        wh = conn.execute(text("SELECT id FROM warehouse WHERE code = 'WH1'")).scalar_one()
    lock = threading.Lock()
    per_thread = max(1, count // figures.desks)

    def worker(number: int) -> None:
        sku = ids[f"D{number:03d}"]
        for _ in range(per_thread):
            started = time.monotonic()
            with engine.begin() as conn:
                now = utcnow()
                conn.execute(text(_RAW_PURCHASE), {"at": now, "wh": wh, "sku": sku, "most": 10**9})
                conn.execute(text(_RAW_MOVE), {"at": now, "wh": wh, "sku": sku, "user": f"desk{number}"})
                conn.execute(text(_RAW_AUDIT), {"at": now, "user": f"desk{number}", "action": "stock.purchase",
                                                "type": "sku", "id": f"D{number:03d}"})
            with lock:
                figures.raw_action_ms.append((time.monotonic() - started) * 1000)
            time.sleep(rng.uniform(*PAUSE_SECONDS))

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(figures.desks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(ACTION_TIMEOUT * per_thread)


def bench_desks(url: str, *, desks: int = 10, seconds: float = 10.0, seed_value: int = 16) -> DeskFigures:
    """Seed the scratch database at ``url`` and run the desks, then the raw baseline."""
    from oms_tui.db import make_engine

    rng = random.Random(seed_value)
    engine = make_engine(url, pool_size=desks + 5)
    try:
        seed(engine, desks)
        figures = DeskFigures(desks=desks, seconds=seconds)
        _run_desks(engine, url, figures)
        _raw_actions(engine, figures, len(figures.action_ms), rng)
        return figures
    finally:
        engine.dispose()
