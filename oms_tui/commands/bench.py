"""``oms bench``: throughput and latency measurements against scratch databases.

Registered on the top-level app in cli.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from oms_tui.errors import ValidationError


def bench(
    what: Annotated[str, typer.Argument(help="stock (lock+ship vs raw SQL), intake (payload → locked order vs "
                                             "raw executemany), locks (concurrent locks/s), scan (pack "
                                             "station scan latency), dashboard (its read vs raw SQL), desks (desks at once: "
                                             "p99 action and refresh, PostgreSQL), portal (concurrent buyer look-ups on "
                                             "loopback, p99), screens (each screen's first page through Pilot vs its raw "
                                             "SQL) or sync (`oms sync --once` over four simulated shops holding "
                                             "--orders: orders/s and its peak RSS vs reading the listings alone)")] = "stock",
    orders: Annotated[int, typer.Option(help="orders to process", min=1, max=10_000_000)] = 100_000,
    backend: Annotated[str, typer.Option(help="sqlite, postgresql or both")] = "both",
    workers: Annotated[int, typer.Option(help="worker processes for `locks`", min=1, max=256)] = 16,
    scans: Annotated[int, typer.Option(help="scans to time for `scan`", min=1, max=1_000_000)] = 2000,
    lookups: Annotated[int, typer.Option(help="`portal`: look-ups, all in flight at once up to --concurrency",
                                         min=1, max=100_000)] = 200,
    concurrency: Annotated[int, typer.Option(help="`portal`: look-ups in flight at once", min=1, max=1000)] = 200,
    pg_url: Annotated[Optional[str], typer.Option(help="PostgreSQL server (a scratch database is made on it)")] = None,
    desks: Annotated[int, typer.Option(help="desks working at once for `desks`", min=1, max=100)] = 10,
    seconds: Annotated[float, typer.Option(help="how long the desks work for `desks`", min=1, max=3600)] = 10.0,
    repeats: Annotated[int, typer.Option(help="timed runs per screen for `screens`", min=3, max=1000)] = 7,
    data_dir: Annotated[Path, typer.Option(help="where `screens` keeps its SQLite database between runs")] = Path("data"),
    only: Annotated[Optional[str], typer.Option(help="`screens`: only the cases whose name contains this")] = None,
    history: Annotated[int, typer.Option(help="`stock`: lock and ship on top of this many orders of a shop's past "
                                              "(built first, as `screens` builds its database)",
                                         min=0, max=10_000_000)] = 0,
    into: Annotated[Optional[int], typer.Option(help="`intake`: into empty databases and into copies of the database `oms bench screens "
                                                     "--orders INTO` built and kept")] = None,
) -> None:
    """Measure: lock+ship throughput against a raw-SQL baseline, or concurrent locks per second."""
    from oms_tui.bench import stock_intake as bench_module

    if what == "desks":
        if backend == "sqlite":
            raise ValidationError("oms bench desks needs PostgreSQL: desks are told of changes by LISTEN/NOTIFY")
        from oms_tui.bench import desks as bench_desks

        with bench_module.scratch_database("postgresql", pg_url or bench_module.default_pg_url()) as url:
            figures = bench_desks.bench_desks(url, desks=desks, seconds=seconds)
        for line in figures.lines():
            typer.echo(line)
        return
    backends = ["sqlite", "postgresql"] if backend == "both" else [backend]
    if what not in ("stock", "locks", "intake", "scan", "dashboard", "portal", "screens", "sync") or any(
            b not in ("sqlite", "postgresql") for b in backends):
        raise ValidationError("usage: oms bench stock|intake|locks|scan|dashboard|desks|portal|screens|sync "
                              "[--backend sqlite|postgresql|both]")
    url = pg_url or bench_module.default_pg_url()
    for name in backends:
        if what in ("stock", "intake"):
            if what == "intake" and into:
                _bench_intake_into(name, orders, url, into, data_dir)
                continue
            if what == "stock":
                service, raw = bench_module.bench_lock_and_ship(name, orders, url, history=history)
            else:
                service, raw = bench_module.bench_intake(name, orders, url)
            typer.echo(str(service))
            typer.echo(str(raw))
            typer.echo(f"{'ratio services/raw':<28} {name:<10} {service.seconds / raw.seconds:8.2f}x time"
                       + (f" (goal <= 1.5, on top of {history} orders)" if what == "stock" else ""))
            if what == "intake":
                typer.echo(f"{'1M-order backlog (services)':<28} {name:<10} {1_000_000 / service.rate / 60:8.1f} min "
                           f"at the measured rate")
                typer.echo(f"{'peak RSS (bench process)':<28} {name:<10} {max_rss_mb():8.0f} MB")
        elif what == "screens":
            _bench_screens(name, orders, url, repeats=repeats, data_dir=data_dir, only=only)
        elif what == "scan":
            from oms_tui.bench import floor as bench_floor

            with bench_module.scratch_database(name, url) as scratch:
                figures = bench_floor.bench_scan(scratch, n_orders=orders, scans=scans)
            typer.echo(f"{'scan → result':<28} {name:<10} {figures['scans']} scans over {orders} orders: "
                       f"p50 {figures['p50_ms']:.2f} ms, p99 {figures['p99_ms']:.2f} ms, max {figures['max_ms']:.2f} ms"
                       f"; books {'balance' if not figures['check_violations'] else 'DO NOT balance'}")
            for kind, row in figures.get("by_kind", {}).items():
                typer.echo(f"  {kind:<10} p50 {row['p50_ms']:.2f} ms, p99 {row['p99_ms']:.2f} ms")
        elif what == "dashboard":
            from oms_tui.bench import dashboard as bench_dashboard

            with bench_module.scratch_database(name, url) as scratch:
                f = bench_dashboard.bench_dashboard(scratch, n_orders=orders)
            typer.echo(f"{'load (not measured)':<28} {name:<10} {f['orders']} orders over {f['days']} days "
                       f"in {f['load_seconds']:.1f} s")
            typer.echo(f"{'rollup backfill':<28} {name:<10} {f['backfill_days']} days in {f['backfill_seconds']:.2f} s"
                       f"; a regular run {f['regular_rollup_seconds'] * 1000:.0f} ms")
            typer.echo(f"{'raw SQL, base tables':<28} {name:<10} {f['raw_ms']:8.1f} ms per read (median)")
            typer.echo(f"{'dashboard.load':<28} {name:<10} {f['service_ms']:8.1f} ms per read (median)"
                       f" — goal < 150 ms: {'met' if f['service_ms'] < 150 else 'NOT met'}")
            typer.echo(f"{'ratio service/raw':<28} {name:<10} {f['ratio']:8.2f}x time")
        elif what == "sync":
            from oms_tui.bench import sync as bench_sync

            figures = bench_sync.bench_sync(name, orders, url)
            for line in figures.lines():
                typer.echo(line)
            if not figures.complete:
                raise typer.Exit(1)
        elif what == "portal":
            _bench_portal(bench_module, name, url, buyers=max(1, min(orders, 6000) // 3), lookups=lookups,
                          concurrency=concurrency)
        else:
            service, raw = bench_module.bench_concurrent_locks(name, orders, workers, url)
            typer.echo(str(service))
            typer.echo(str(raw))
            typer.echo(f"{'ratio services/raw rate':<28} {name:<10} {service.rate / raw.rate:8.2f} (goal >= 0.30)")


def _bench_portal(bench_module, name: str, url: str, *, buyers: int, lookups: int, concurrency: int) -> None:
    from oms_tui.bench import portal as bench_portal
    from oms_tui.config import load_settings
    from oms_tui.db import make_engine

    with bench_module.scratch_database(name, url) as scratch:
        engine = make_engine(scratch, pool_size=20)  # (+ overflow) for the portal's thread pool, up to 40 readers
        try:
            f = bench_portal.bench_portal(engine, load_settings(database_url=scratch), buyers=buyers,
                                          lookups=lookups, concurrency=concurrency)
        finally:
            engine.dispose()
    typer.echo(f"{'portal GET /orders':<28} {name:<10} {f['lookups']} look-ups, {f['concurrency']} at once, "
               f"{f['buyers']} buyers: p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms, max {f['max_ms']:.1f} ms, "
               f"{f['per_second']:.0f}/s; wrong answers {f['wrong']}")
    typer.echo(f"{'raw SQL, same look-ups':<28} {name:<10} {f['raw_mean_ms']:8.2f} ms each (mean, one at a time)")
    typer.echo(f"{'ratio portal/raw':<28} {name:<10} {f['ratio_per_lookup_raw']:8.1f}x time per look-up "
               f"({f['wall_seconds']:.2f} s for all)")


def _bench_screens(backend: str, orders: int, pg_url: str, *, repeats: int, data_dir: Path,
                   only: str | None) -> None:
    """Each screen's first page through Pilot and as raw SQL, on a database built once and kept."""
    import random
    import time

    from oms_tui.bench import screens as bench_screens
    from oms_tui.db import make_engine

    url, built = bench_screens.kept_database(backend, orders, pg_url, data_dir)
    if not built:
        started = time.perf_counter()
        engine = make_engine(url)
        try:
            bench_screens.build(engine, orders, rng=random.Random(19))
        finally:
            engine.dispose()
        typer.echo(f"{'build (not measured)':<28} {backend:<10} {orders} orders in {time.perf_counter() - started:.0f} s;"
                   f" kept for the next run")
    typer.echo(f"{'screen (first page)':<28} {'backend':<10} {'in-app p50':>10} {'p95':>8} {'raw p50':>9} {'p95':>8}"
               f" {'ratio':>7}  {'goal < 150 ms':<13} {'Pilot wall':>10}  in-app p50: cpu · queue/fetch/show/draw")
    figures = bench_screens.bench_screens(url, backend, orders, repeats=repeats, only=only)
    for f in figures:
        if not f.raw_p50:
            typer.echo(f"{f.case:<28} {backend:<10} {'':>10} {'':>8} {'':>9} {'':>8} {'':>7}  {'':<13} "
                       f"{f.wall_p50:8.1f}ms")
            continue
        parts = f"{f.parts.get('cpu', 0.0):.0f} · " + "/".join(f"{f.parts.get(name, 0.0):.0f}"
                                                             for name in ("queue", "fetch", "show", "draw"))
        typer.echo(f"{f.case:<28} {backend:<10} {f.pilot_p50:8.1f}ms {f.pilot_p95:6.1f}ms {f.raw_p50:7.1f}ms "
                   f"{f.raw_p95:6.1f}ms {f.ratio:6.2f}x  {'met' if 0 < f.pilot_p50 < 150 else 'NOT met':<13} "
                   f"{f.wall_p50:8.1f}ms  {parts}")
    typer.echo(f"{'peak RSS (app + bench)':<28} {backend:<10} {max_rss_mb():8.0f} MB after every screen's pages"
               f" (goal < 300 MB)")


def _bench_intake_into(backend: str, orders: int, pg_url: str, into: int, data_dir: Path) -> None:
    """Intake and raw executemany into an empty database and into copies of the kept big one, taking turns."""
    from oms_tui.bench import screens as bench_screens
    from oms_tui.bench import stock_intake as bench_module

    big_url, built = bench_screens.kept_database(backend, into, pg_url, data_dir)
    if not built:
        raise ValidationError(f"no kept {into}-order {backend} database: run `oms bench screens --orders {into}` first")
    results = bench_module.bench_intake_into(backend, orders, pg_url, big_url)
    for result in results.values():
        typer.echo(str(result))
    for database, label in (("empty", "ratio services/raw"), ("big", "ratio services/raw (big)")):
        typer.echo(f"{label:<28} {backend:<10} "
                   f"{results['services', database].seconds / results['raw', database].seconds:8.2f}x time")
    for side in ("services", "raw"):
        typer.echo(f"{f'big/empty ({side} rate)':<28} {backend:<10} "
                   f"{results[side, 'big'].rate / results[side, 'empty'].rate:8.2f}x"
                   + (" (goal >= 0.80)" if side == "services" else ""))
    typer.echo(f"{'peak RSS (bench process)':<28} {backend:<10} {max_rss_mb():8.0f} MB")


def max_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports kilobytes, macOS bytes)."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
