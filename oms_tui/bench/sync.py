"""`oms bench sync`: one whole `oms sync --once` over four simulated shops holding N orders, measured from outside.

The loopback simulator (Taobao, JD, Pinduoduo, Douyin) runs in this process with N orders generated over the
last 20 hours and split at random across its four shops; a scratch database (SQLite or PostgreSQL) holds the
bench warehouse and its SKUs with plenty of stock. Two child processes then read that simulator through a
config file pointing at both, each timed and with its own peak RSS (``run_child``: its rusage as a small
starter process sees it; not this process's, which holds the simulator's N orders):

* the baseline, ``listing read``: the same adapters read every shop's changed orders over the window a first
  sync reads (paging, mapping, PDD's detail calls), counted and thrown away: no database. It is what the
  sync cannot go below on this machine; sync/listing is the price of taking the orders in.
* ``oms sync --once``: the real command, as an operator runs it.

Afterwards the books are checked (``services.stock.check.run_checks``) and every order is accounted for:
the paid ones (and those closed after payment) are in the database, the unpaid and closed-before-paid ones
were skipped, the simulator's malformed records are sync problems. Nothing here is a timed test.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlmodel import func, select

from oms_tui.bench import stock_intake
from oms_tui.config import ShopConfig
from oms_tui.db import make_engine, read_session
from oms_tui.models import Order, SyncProblem, utcnow
from oms_tui.platforms.simulator import SimulatorState, run_simulator
from oms_tui.services.stock.check import run_checks

GENERATED_OVER = timedelta(hours=20)  # within a first sync's look-back (a day), several Taobao days at most
SETTLED = timedelta(minutes=5)  # past every adapter's listing_lag (PDD's 3 minutes): all of it is read now
# The child that reads the listings without taking anything in (the baseline): same clients, same window.
READ_LISTINGS = "from oms_tui.bench.sync import read_listings; read_listings()"
OMS_SYNC = "from oms_tui.cli import main; main()"
# Starts ``argv[2:]`` and writes its peak RSS (ru_maxrss) and exit code to ``argv[1]``. A child's ru_maxrss counts the
# memory of the process it was forked from (Linux keeps the larger of the two across exec): forked straight from
# this process, holding the simulator's orders, every child would look as big as it. Forked from this small
# starter (python -I -S, ~10 MB), it is the child's own.
STARTER = """import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_pid, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"{usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


@dataclass
class ChildRun:
    """A child process, timed, with its own peak resident memory."""

    name: str
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


@dataclass
class SyncBench:
    backend: str
    orders: int  # the simulator's, all four shops
    per_platform: dict[str, int]
    listing: ChildRun
    sync: ChildRun
    summaries: list[dict]  # `oms sync --once --format json`
    read: dict[str, dict[str, int]]  # the baseline's counts per platform
    expected: int  # orders the sync must leave in the database (paid, or closed after payment)
    arrived: int  # of those, in the database
    unexpected: int  # in the database, yet not expected
    skipped: int  # unpaid, or closed before we had them (the sync's count)
    malformed: int  # the simulator's malformed records
    told_malformed: int  # the sync's count of records it could not read
    problems: int  # sync problems stored (the same problem twice is stored once: records without an id)
    violations: list[str] = field(default_factory=list)
    books_checked: bool = False

    @property
    def complete(self) -> bool:
        return (self.sync.returncode == 0 and self.arrived == self.expected and not self.unexpected
                and self.told_malformed == self.malformed and (self.problems > 0) == (self.malformed > 0)
                and self.books_checked and not self.violations)

    def lines(self) -> list[str]:
        name = self.backend
        shops = ", ".join(f"{p} {n}" for p, n in self.per_platform.items())
        out = [f"{'simulator (not measured)':<28} {name:<10} {self.orders} orders over {len(self.per_platform)} shops "
               f"({shops})"]
        for run in (self.listing, self.sync):
            out.append(f"{run.name:<28} {name:<10} {self.orders:>8} in {run.seconds:8.2f} s = "
                       f"{self.orders / run.seconds if run.seconds else 0.0:9.1f}/s, peak RSS {run.peak_rss_mb:6.0f} MB"
                       + (" (goal < 300 MB)" if run is self.sync else ""))
        out.append(f"{'ratio sync/listing read':<28} {name:<10} {self.sync.seconds / self.listing.seconds:8.2f}x time"
                   if self.listing.seconds else f"{'ratio sync/listing read':<28} {name:<10}")
        for s in self.summaries:
            out.append(f"  {s['platform']:<8} {s['new']:>7} new, {s['skipped']:>6} skipped, {s['malformed']:>5} malformed, "
                       f"{s['updated'] + s['unchanged']:>5} again in {s['seconds']:8.1f} s"
                       + ("" if s["ok"] else f" — ERROR {s['error']}"))
        out.append(f"{'orders accounted for':<28} {name:<10} {self.arrived} of {self.expected} paid (or closed after "
                   f"payment) in the database, {self.unexpected} unexpected; {self.skipped} skipped (unpaid or closed "
                   f"first); {self.told_malformed} of {self.malformed} malformed records told ({self.problems} sync "
                   f"problems stored)")
        books = ("balance" if not self.violations else f"DO NOT balance: {len(self.violations)} violations"
                 ) if self.books_checked else "not checked"
        out.append(f"{'books (run_checks)':<28} {name:<10} {books}")
        if self.sync.returncode != 0:
            out.append(f"{'oms sync exit code':<28} {name:<10} {self.sync.returncode}: {self.sync.stderr.strip()[-500:]}")
        return out


def fill(state: SimulatorState, n_orders: int, rng: random.Random) -> None:
    """Exactly ``n_orders`` orders in ``state``: generated events (new orders, payments, cancellations, address
    changes, the odd malformed record) over the ``GENERATED_OVER`` before ``SETTLED`` ago, until there are N."""
    end = utcnow().replace(microsecond=0) - SETTLED
    while (have := len(state.orders())) < n_orders:  # an event makes at most one order
        state.generate(n_orders - have, end, rng, state.sku_codes, spread=GENERATED_OVER)


def write_config(path: Path, database_url: str, shops: Iterable[ShopConfig], warehouse: str = "WH1") -> Path:
    """A config file (TOML) with the database and the shops: what `oms sync` reads through OMS_CONFIG."""
    lines = [f"database_url = {json.dumps(database_url)}", f"default_warehouse = {json.dumps(warehouse)}", ""]
    for shop in shops:
        lines.append("[[shops]]")
        for key, value in shop.as_config().items():  # the simulator's own demo secrets
            if isinstance(value, (str, int, float, list)) and value not in ("", []):
                lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run_child(name: str, code: str, args: Sequence[str], env: dict[str, str]) -> ChildRun:
    """``python -c code args…``, timed from start to exit, its peak RSS its own (through ``STARTER``)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryDirectory() as tmp:
        usage = Path(tmp) / "usage"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-I", "-S", "-c", STARTER, str(usage), sys.executable, "-c", code, *args],
                       stdout=out, stderr=err, env=env, check=False)
        seconds = time.perf_counter() - started
        peak, returncode = (int(x) for x in usage.read_text().split())
        out.seek(0)
        err.seek(0)
        return ChildRun(name, seconds, rss_mb(peak), returncode, out.read().decode("utf-8", "replace"),
                        err.read().decode("utf-8", "replace"))


def rss_mb(ru_maxrss: int) -> float:
    """``ru_maxrss`` in MB (Linux reports kilobytes, macOS bytes)."""
    return ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else ru_maxrss / 1024


def read_listings() -> None:
    """The baseline child: every configured shop's changed orders over a first sync's window, read through the
    adapters and counted, nothing kept or stored. Prints ``{platform: {"orders": n, "malformed": m}}``."""
    from oms_tui.config import load_settings
    from oms_tui.platforms.base import MalformedRecord
    from oms_tui.platforms.registry import client_for
    from oms_tui.services.intake.sync import FIRST_LOOKBACK

    counts: dict[str, dict[str, int]] = {}
    for shop in load_settings().shops:
        tally = counts.setdefault(shop.platform, {"orders": 0, "malformed": 0})
        with client_for(shop) as client:
            end = utcnow() - client.listing_lag
            for record in client.fetch_changed(end - FIRST_LOOKBACK, end):
                tally["malformed" if isinstance(record, MalformedRecord) else "orders"] += 1
    print(json.dumps(counts))


def taken_in(state: SimulatorState) -> set[tuple[str, str]]:
    """(platform, order id) of the simulated orders a sync takes in: paid, or closed after payment."""
    return {(o.platform, o.key) for o in state.orders() if o.draft is not None and (
        o.draft.status == "paid" or (o.draft.status == "cancelled" and o.draft.paid_at is not None))}


def bench_sync(backend: str, n_orders: int, pg_url: str, *, seed: int = 19) -> SyncBench:
    """Listing read, then `oms sync --once`, against a simulator holding ``n_orders``; then the books and the count."""
    rng = random.Random(seed)
    codes = {f"B-{i:04d}": (f"基准商品{i}", 1990 + 100 * (i % 50)) for i in range(stock_intake.SKUS)}
    state = SimulatorState(sku_codes=codes, rate_per_minute=0, rng=random.Random(seed))
    for platform in ("taobao", "jd", "pdd", "douyin"):
        state.add_shop(platform, f"bench-{platform}-key", f"bench-{platform}-secret", f"bench-{platform}-session",
                       f"bench-{platform}")
    fill(state, n_orders, rng)
    per_platform = {s.platform: len(s.orders) for s in state.shops}
    expected = taken_in(state)
    malformed = sum(1 for o in state.orders() if o.malformed)
    with stock_intake.scratch_database(backend, pg_url) as url, tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(url)
        try:  # WH1 and the bench SKUs with enough stock that every paid order locks (not measured)
            stock_intake.seed(engine, 0, units_per_sku=max(1000, n_orders), rng=random.Random(seed))
        finally:
            engine.dispose()
        handle = run_simulator("127.0.0.1", 0, state)  # no ticks: the orders stay as generated
        try:
            config = write_config(Path(tmp) / "oms.toml", url, handle.shop_configs())
            env = {**os.environ, "OMS_CONFIG": str(config)}
            listing = run_child("listing read (no ingest)", READ_LISTINGS, [], env)
            if listing.returncode != 0:
                raise RuntimeError(f"the listing read failed: {listing.stderr.strip()[-2000:]}")
            synced = run_child("oms sync --once", OMS_SYNC, ["sync", "--once", "--format", "json"], env)
        finally:
            handle.stop()
        summaries = json.loads(synced.stdout) if synced.stdout.strip().startswith("[") else []
        engine = make_engine(url)
        try:
            with read_session(engine) as session:
                stored = {(p, oid) for p, oid in session.exec(select(Order.platform, Order.platform_order_id))}
                problems = session.exec(select(func.count()).select_from(SyncProblem)).one()
                violations = [str(v) for v in run_checks(session)]
        finally:
            engine.dispose()
    return SyncBench(
        backend=backend, orders=n_orders, per_platform=per_platform, listing=listing, sync=synced,
        summaries=summaries, read=json.loads(listing.stdout), expected=len(expected),
        arrived=len(stored & expected), unexpected=len(stored - expected),
        skipped=sum(s["skipped"] for s in summaries), malformed=malformed,
        told_malformed=sum(s["malformed"] for s in summaries), problems=problems,
        violations=violations, books_checked=True)
