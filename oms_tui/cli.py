"""The `oms` command. Thin: parse, call a service, print; a domain error is one line and exit 1."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer
from rich.table import Table
from sqlalchemy.exc import DBAPIError, OperationalError

from oms_tui.commands.common import (
    FormatOption,
    LimitOption,
    OffsetOption,
    OutputFormat,
    cli_user,
    console,
    local_time,
    open_engine,
    parse_day,
    print_json,
)
from oms_tui.commands.print_cmd import print_app
from oms_tui.config import Settings, get_settings
from oms_tui.db import read_session, retrying_transaction, session_scope
from oms_tui.errors import OmsError, ValidationError
from oms_tui.money import yuan
from oms_tui.services.orders import actions, allocation
from oms_tui.services.orders import queries as order_queries
from oms_tui.services.stock import ledger
from oms_tui.services.stock import queries as stock_queries

app = typer.Typer(help="oms — order management for e-commerce shops", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
stock_app = typer.Typer(help="Stock levels, purchases, receipts and counts", no_args_is_help=True)
orders_app = typer.Typer(help="Orders: list, show, cancel", no_args_is_help=True)
user_app = typer.Typer(help="Users and their roles", no_args_is_help=True)
app.add_typer(stock_app, name="stock")
app.add_typer(orders_app, name="orders")
app.add_typer(user_app, name="user")
app.add_typer(print_app, name="print")

# --- setup -----------------------------------------------------------------------------------

@app.command()
def init(
    demo: Annotated[bool, typer.Option("--demo", help="also load the demo catalogue, stock and orders")] = False,
    orders: Annotated[int, typer.Option(help="demo orders to generate", min=0)] = 300,
    seed: Annotated[int, typer.Option(help="demo random seed")] = 2026,
) -> None:
    """Create or upgrade the database schema (safe to repeat); --demo loads the demo data."""
    settings = get_settings()
    engine = open_engine(settings, migrate=True)
    console.print(f"database ready: {engine.url.render_as_string(hide_password=True)}")
    if demo:
        from oms_tui.config import default_data_dir
        from oms_tui.demo import data as demo_service

        summary = demo_service.load_demo(engine, default_data_dir(), orders=orders, seed=seed)
        console.print(f"demo loaded: {summary}")


@app.command("demo")
def demo_cmd(
    orders: Annotated[int, typer.Option(help="demo orders to generate", min=0)] = 300,
    db: Annotated[Optional[str], typer.Option(help="SQLite file for the demo (recreated)")] = None,
    user: Annotated[Optional[str], typer.Option(help="log in as this user, skipping the login screen")] = None,
) -> None:
    """A fresh SQLite database with demo data, the platform simulator and the scheduler in-process, and the TUI."""
    from pathlib import Path

    from oms_tui.config import default_data_dir, load_settings
    from oms_tui.demo import data as demo_service

    path = Path(db) if db else default_data_dir() / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    settings = load_settings(database_url=f"sqlite:///{path}")
    engine = open_engine(settings, migrate=True)
    console.print(f"loading demo data into {path} …")
    demo_service.load_demo(engine, default_data_dir(), orders=orders)
    from oms_tui.app import run_tui
    from oms_tui.demo import runtime as demo_runtime

    runtime, settings = demo_runtime.start(engine, settings, default_data_dir(), log_file=path.with_suffix(".log"))
    try:
        run_tui(engine, settings, user_name=user)
    finally:
        runtime.stop()


@app.command()
def tui(user: Annotated[Optional[str], typer.Option(help="skip the login (for SSH desks)")] = None) -> None:
    """Open the terminal app."""
    from oms_tui.app import run_tui

    settings = get_settings()
    engine = open_engine(settings)
    if user:
        from oms_tui.services.core import users

        with read_session(engine) as session:
            users.get_user(session, user)  # an unknown name is a clear error before the screen opens
    run_tui(engine, settings, user_name=user)


@app.command()
def check() -> None:
    """Verify the books: ledger sums equal levels, nothing negative, locks match open orders."""
    from oms_tui.services.stock.check import run_checks

    engine = open_engine()
    with read_session(engine) as session:
        violations = run_checks(session)
    if violations:
        for violation in violations:
            typer.echo(str(violation))
        typer.echo(f"{len(violations)} violation(s)", err=True)
        raise typer.Exit(1)
    typer.echo("ok: ledger balances, no negative bucket, locks match open orders")


# --- stock -----------------------------------------------------------------------------------

@stock_app.command("show")
def stock_show(
    sku: Annotated[Optional[str], typer.Argument(help="SKU code, barcode or a search text")] = None,
    warehouse: Annotated[Optional[str], typer.Option(help="warehouse code")] = None,
    fmt: FormatOption = OutputFormat.table,
    limit: LimitOption = 50,
    offset: OffsetOption = 0,
) -> None:
    """Stock per warehouse and SKU: on_hand, inbound, locked, reserved, available."""
    from oms_tui.services.catalogue import skus as catalogue

    engine = open_engine()
    with read_session(engine) as session:
        exact = catalogue.find_sku(session, sku) if sku else None
        search = exact.code if exact else sku
        rows = stock_queries.list_stock(session, search=search, warehouse_code=warehouse, limit=limit, offset=offset)
        if exact:
            rows = [r for r in rows if r.sku == exact.code]
        if sku and not rows:
            raise ValidationError(f"no SKU matches {sku!r}")
    if fmt == OutputFormat.json:
        print_json([r.as_dict() for r in rows])
        return
    table = Table("WH", "SKU", "name", "spec", "bin", "on_hand", "inbound", "locked", "reserved", "available",
                  "damaged")
    for r in rows:
        table.add_row(r.warehouse, r.sku, r.name, r.spec, r.bin_location, *map(str, (
            r.on_hand, r.inbound, r.locked, r.reserved, r.available, r.damaged)))
    console.print(table)


def _stock_target(session, sku: str, warehouse: str | None):
    from oms_tui.services.catalogue import skus as catalogue

    settings = get_settings()
    wh = catalogue.get_warehouse(session, warehouse) if warehouse else catalogue.default_warehouse(
        session, settings.default_warehouse)
    return wh, catalogue.get_sku(session, sku)


WarehouseOption = Annotated[Optional[str], typer.Option(help="warehouse code (default: the configured one)")]


@stock_app.command("purchase")
def stock_purchase(sku: str, qty: int, warehouse: WarehouseOption = None,
                   reason: Annotated[str, typer.Option(help="purchase order reference")] = "") -> None:
    """Record goods ordered from the supplier (inbound goes up)."""

    with session_scope(open_engine()) as session:
        wh, item = _stock_target(session, sku, warehouse)
        ledger.purchase(session, wh, item, qty, user=cli_user(), reason=reason)
    typer.echo(f"{item.code}: +{qty} inbound at {wh.code}")


@stock_app.command("receive")
def stock_receive(sku: str, qty: int, warehouse: WarehouseOption = None,
                  reason: Annotated[str, typer.Option(help="delivery note reference")] = "") -> None:
    """Receive goods from the supplier (inbound → on_hand); short orders are served first."""

    def receive(session):
        wh, item = _stock_target(session, sku, warehouse)
        return wh, item, allocation.receive_stock(session, wh, item, qty, user=cli_user(), reason=reason)

    wh, item, served = retrying_transaction(open_engine(), receive)  # serving short orders can meet a cancel
    typer.echo(f"{item.code}: received {qty} at {wh.code}; {served} short order(s) allocated")


@stock_app.command("adjust")
def stock_adjust(
    sku: str,
    reason: Annotated[str, typer.Option(help="why (e.g. 'cycle count 2026-11')")],
    counted: Annotated[Optional[int], typer.Option(help="the quantity counted on the shelf")] = None,
    delta: Annotated[Optional[int], typer.Option(help="change on_hand by this much instead")] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Correct on_hand after a stock count."""

    def adjust(session):
        wh, item = _stock_target(session, sku, warehouse)
        return wh, item, allocation.adjust_stock(session, wh, item, counted=counted, delta=delta, reason=reason,
                                                 user=cli_user())

    wh, item, applied = retrying_transaction(open_engine(), adjust)
    typer.echo(f"{item.code}: on_hand {applied:+d} at {wh.code}")


@stock_app.command("ledger")
def stock_ledger(sku: str, warehouse: WarehouseOption = None, fmt: FormatOption = OutputFormat.table,
                 limit: LimitOption = 50, offset: OffsetOption = 0) -> None:
    """A SKU's ledger, newest first."""
    from oms_tui.services.catalogue import skus as catalogue

    settings = get_settings()
    with read_session(open_engine(settings)) as session:
        item = catalogue.get_sku(session, sku)
        moves = stock_queries.sku_ledger(session, item, warehouse_code=warehouse, limit=limit, offset=offset)
    rows = [{"id": m.id, "at": m.at.isoformat(), "kind": m.kind, "on_hand": m.d_on_hand, "inbound": m.d_inbound,
             "locked": m.d_locked, "reserved": m.d_reserved, "damaged": m.d_damaged, "order_id": m.order_id,
             "user": m.user, "reason": m.reason} for m in moves]
    if fmt == OutputFormat.json:
        print_json(rows)
        return
    table = Table("time", "kind", "Δon_hand", "Δinbound", "Δlocked", "Δreserved", "Δdamaged", "order", "user", "reason")
    for m in moves:
        table.add_row(local_time(m.at, settings), m.kind, *(f"{d:+d}" if d else "" for d in (
            m.d_on_hand, m.d_inbound, m.d_locked, m.d_reserved, m.d_damaged)), str(m.order_id or ""), m.user, m.reason)
    console.print(table)


# --- orders ----------------------------------------------------------------------------------

@orders_app.command("list")
def orders_list(
    status: Annotated[Optional[str], typer.Option(help="new, review, approval, short, ready, picking, …")] = None,
    platform: Annotated[Optional[str], typer.Option(help="taobao, jd or pdd")] = None,
    since: Annotated[Optional[str], typer.Option(help="created on or after YYYY-MM-DD (shop time) or Nd")] = None,
    fmt: FormatOption = OutputFormat.table,
    limit: LimitOption = 50,
    offset: OffsetOption = 0,
) -> None:
    """Orders, newest first, a page at a time."""

    settings = get_settings()
    flt = order_queries.OrderFilter(status=status, platform=platform,
                                     since=parse_day(since, settings) if since else None)
    with read_session(open_engine(settings)) as session:
        rows = order_queries.list_orders(session, flt, limit=limit, offset=offset)
        dicts = order_queries.as_dicts(session, rows)
        total = order_queries.count_orders(session, flt) if fmt == OutputFormat.table else 0
    if fmt == OutputFormat.json:
        print_json(dicts)
        return
    table = Table("id", "platform", "order", "status", "created", "total", "receiver", "lines", "holds")
    for o, d in zip(rows, dicts):
        table.add_row(str(o.id), o.platform, o.platform_order_id, o.status, local_time(o.created_at, settings),
                      yuan(o.total_fen), f"{o.receiver_name} {o.receiver_province}{o.receiver_city}",
                      ", ".join(f"{line['sku']}×{line['qty']}" for line in d["lines"]),
                      ", ".join(h["kind"] for h in d["holds"]))
    console.print(table)
    console.print(f"{offset + 1 if rows else 0}–{offset + len(rows)} of {total}")


@orders_app.command("show")
def orders_show(reference: Annotated[str, typer.Argument(help="platform order id, waybill or our id")],
                fmt: FormatOption = OutputFormat.table) -> None:
    """One order with its lines, holds and history."""
    from oms_tui.services.core import audit
    from oms_tui.services.orders import holds

    settings = get_settings()
    with read_session(open_engine(settings)) as session:
        order = order_queries.find_by_reference(session, reference)
        detail = order_queries.as_dicts(session, [order])[0]
        all_holds = holds.holds_of(session, order.id)
        events = audit.history(session, "order", order.id)
    detail["all_holds"] = [{"id": h.id, "kind": h.kind, "blocking": h.blocking, "reason": h.reason,
                            "opened_at": h.opened_at.isoformat(),
                            "resolved_at": h.resolved_at.isoformat() if h.resolved_at else None,
                            "resolved_by": h.resolved_by, "resolution": h.resolution} for h in all_holds]
    detail["history"] = [{"at": e.at.isoformat(), "user": e.user, "action": e.action, "detail": e.detail}
                         for e in events]
    if fmt == OutputFormat.json:
        print_json(detail)
        return
    console.print(f"[bold]{order.platform} {order.platform_order_id}[/bold]  #{order.id}  status [bold]{order.status}[/]"
                  f"  total {yuan(order.total_fen)}")
    console.print(f"receiver: {order.receiver_name} {order.receiver_phone}  {order.receiver_province} "
                  f"{order.receiver_city} {order.receiver_district} {order.receiver_address}")
    if order.buyer_remark:
        console.print(f"buyer remark: {order.buyer_remark}")
    lines = Table("SKU", "title", "qty", "price", "locked")
    for line in detail["lines"]:
        lines.add_row(line["sku"], line["title"], str(line["qty"]), yuan(line["price_fen"]),
                      str(line["locked_qty"]))
    console.print(lines)
    if all_holds:
        hold_table = Table("hold", "kind", "opened", "resolved", "reason / resolution")
        for h in all_holds:
            hold_table.add_row(str(h.id), h.kind, local_time(h.opened_at, settings),
                               local_time(h.resolved_at, settings) or "open", h.resolution or h.reason)
        console.print(hold_table)
    history = Table("time", "user", "action", "detail")
    for e in events:
        history.add_row(local_time(e.at, settings), e.user, e.action, e.detail)
    console.print(history)


@orders_app.command("lookup")
def orders_lookup(query: Annotated[str, typer.Argument(help="mobile number, platform order id or waybill")],
                  fmt: FormatOption = OutputFormat.table) -> None:
    """"Where is my order?": the customer behind a phone, order or waybill, and all their orders."""
    from oms_tui.services.cs import lookup

    settings = get_settings()
    with read_session(open_engine(settings)) as session:
        found = lookup.lookup_as_dict(session, query)
    if fmt == OutputFormat.json:
        print_json(found)
    else:
        console.print(f"{found['kind']}: {found['basis']}")
        table = Table("platform", "order", "status", "created", "paid", "receiver", "courier", "waybill")
        for o in found["orders"]:
            table.add_row(o["platform"], o["platform_order_id"], o["status"], o["created_at"][:16].replace("T", " "),
                          yuan(o["paid_fen"]), o["receiver_name"], o["courier"] or "", o["waybill"] or "")
        console.print(table)
    if not found["found"]:
        raise typer.Exit(1)


@orders_app.command("cancel")
def orders_cancel(reference: str, reason: Annotated[str, typer.Option(help="why it is cancelled")]) -> None:
    """Cancel an order that has not shipped; its stock is released."""

    def cancel(session):
        order = order_queries.find_by_reference(session, reference)
        actions.cancel(session, order, user=cli_user(), reason=reason)
        return order

    order = retrying_transaction(open_engine(), cancel)  # the pack station may be shipping it this moment
    typer.echo(f"order {order.platform_order_id} cancelled")


# --- order intake ----------------------------------------------------------------------------

@app.command("import")
def import_cmd(
    file: Annotated[str, typer.Argument(help="the platform's order export (.csv or .xlsx)")],
    platform: Annotated[str, typer.Option(help="taobao, jd or pdd")],
    shop: Annotated[str, typer.Option(help="shop name to file the orders under")] = "",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would happen, change nothing")] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Import a platform's order-export file; importing the same file twice changes nothing."""
    from pathlib import Path

    from oms_tui.services.intake import order_import

    settings = get_settings()
    report = order_import.import_file(open_engine(settings), Path(file), platform, shop=shop, dry_run=dry_run,
                                      warehouse_code=settings.default_warehouse, user=cli_user())
    if fmt == OutputFormat.json:
        print_json(report.as_dict())
    else:
        prefix = "dry run — nothing saved: " if dry_run else ""
        typer.echo(f"{prefix}{report.rows} rows, {report.orders} orders: {report.new} new, {report.updated} updated, "
                   f"{report.unchanged} unchanged, {report.skipped} not paid, {report.refused} refused")
        for error in report.errors:
            typer.echo(f"  {error}")
    if report.errors:
        raise typer.Exit(1)


def _selected_shops(settings: Settings, shop: str | None, platform: str | None):
    shops = [s for s in settings.shops if (shop is None or s.name == shop) and (platform is None or s.platform == platform)]
    if not settings.shops:
        raise ValidationError("no shops configured: add [[shops]] tables to the OMS_CONFIG file")
    if not shops:
        raise ValidationError(f"no configured shop matches --shop {shop!r} --platform {platform!r}")
    return shops


@app.command("sync")
def sync_cmd(
    shop: Annotated[Optional[str], typer.Option(help="only this shop (its name in the config)")] = None,
    platform: Annotated[Optional[str], typer.Option(help="only shops on taobao, jd or pdd")] = None,
    once: Annotated[bool, typer.Option("--once", help="one run, then exit (default: repeat until Ctrl-C)")] = False,
    every: Annotated[float, typer.Option(help="minutes between runs when repeating", min=0.1)] = 2.0,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Fetch the orders that changed on the platforms since the last run; print a summary per shop."""
    import time

    from oms_tui.platforms.registry import client_for
    from oms_tui.services.intake import sync

    settings = get_settings()
    engine = open_engine(settings)
    shops = _selected_shops(settings, shop, platform)
    while True:
        summaries = []
        for shop_config in shops:
            with client_for(shop_config) as client:
                summaries.append(sync.sync_shop(engine, shop_config.name, shop_config.platform, client,
                                                warehouse_code=settings.default_warehouse))
        if fmt == OutputFormat.json:
            print_json([s.as_dict() for s in summaries])
        else:
            for summary in summaries:
                typer.echo(str(summary))
                for problem in summary.problems[:10]:
                    typer.echo(f"  {problem}")
        if once:
            if any(not s.ok for s in summaries):
                raise typer.Exit(1)
            return
        time.sleep(every * 60)


@app.command()
def simulate(
    host: Annotated[str, typer.Option(help="listen address (loopback by default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port", min=0, max=65535)] = 8700,
    rate: Annotated[float, typer.Option(help="new platform events per minute")] = 6.0,
    orders: Annotated[int, typer.Option(help="orders to generate at start", min=0)] = 50,
    seed: Annotated[Optional[int], typer.Option(help="random seed")] = None,
) -> None:
    """Serve Taobao, JD and Pinduoduo's order APIs on loopback, with generated orders."""
    import json as json_module
    import random
    import time

    from oms_tui.config import default_data_dir
    from oms_tui.demo.runtime import simulator_state
    from oms_tui.models import utcnow
    from oms_tui.platforms.simulator import run_simulator

    state = simulator_state(default_data_dir(), rate_per_minute=rate, seed=seed)
    state.generate(orders, utcnow(), random.Random(seed), state.sku_codes)
    handle = run_simulator(host, port, state, tick_seconds=5.0)
    typer.echo(f"simulator on {handle.base_url}; add these shops to your OMS_CONFIG file:\n")
    for shop in handle.shop_configs():
        typer.echo("[[shops]]")
        for key, value in shop.model_dump().items():
            typer.echo(f"{key} = {json_module.dumps(value, ensure_ascii=False)}")
        typer.echo("")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()


@app.command()
def scheduler() -> None:
    """Run the background jobs: platform sync per shop, webhook fetches, lock and quota expiry."""
    import signal
    import threading

    from oms_tui.scheduler import OmsScheduler

    settings = get_settings()
    runner = OmsScheduler(open_engine(settings), settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    runner.start()
    typer.echo(f"scheduler running: {len(settings.shops)} shop(s); Ctrl-C to stop")
    try:
        while not stop.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        runner.shutdown()


@app.command()
def webhook(
    host: Annotated[str, typer.Option(help="listen address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port", min=1, max=65535)] = 8710,
) -> None:
    """Receive pushed order notifications (POST /push/SHOP); the scheduler fetches the orders."""
    import uvicorn

    from oms_tui.platforms.webhook_server import build_webhook_app

    settings = get_settings()
    uvicorn.run(build_webhook_app(open_engine(settings), settings.shops), host=host, port=port, log_level="info")


# --- users -----------------------------------------------------------------------------------

@user_app.command("add")
def user_add(
    name: str,
    roles: Annotated[str, typer.Option(help="comma-separated: cs, cs_lead, warehouse, warehouse_lead, purchasing, "
                                            "finance, manager, admin")],
    pin: Annotated[Optional[str], typer.Option(help="4–8 digits (asked for when omitted)")] = None,
    display_name: Annotated[str, typer.Option(help="name shown on screen")] = "",
) -> None:
    """Add a user who logs in with a PIN."""
    from oms_tui.services.core import users

    if pin is None:
        if not sys.stdin.isatty():
            raise ValidationError("give --pin when there is no terminal to ask on")
        pin = typer.prompt("PIN", hide_input=True, confirmation_prompt=True)
    with session_scope(open_engine()) as session:
        users.add_user(session, name, pin, [r.strip() for r in roles.split(",") if r.strip()],
                       display_name=display_name, by=cli_user())
    typer.echo(f"user {name} added")


@user_app.command("list")
def user_list(fmt: FormatOption = OutputFormat.table) -> None:
    """Users and their roles."""
    from oms_tui.services.core import users

    with read_session(open_engine()) as session:
        rows = [{"name": u.name, "display_name": u.display_name, "roles": u.role_list, "active": u.active}
                for u in users.list_users(session)]
    if fmt == OutputFormat.json:
        print_json(rows)
        return
    table = Table("name", "display name", "roles", "active")
    for row in rows:
        table.add_row(row["name"], row["display_name"], ", ".join(row["roles"]), "yes" if row["active"] else "no")
    console.print(table)


# --- benchmarks ------------------------------------------------------------------------------

@app.command()
def bench(
    what: Annotated[str, typer.Argument(help="stock (lock+ship vs raw SQL), intake (payload → locked order vs "
                                             "raw executemany), locks (concurrent locks/s) or scan (pack "
                                             "station scan latency)")] = "stock",
    orders: Annotated[int, typer.Option(help="orders to process", min=1)] = 100_000,
    backend: Annotated[str, typer.Option(help="sqlite, postgresql or both")] = "both",
    workers: Annotated[int, typer.Option(help="worker processes for `locks`", min=1)] = 16,
    scans: Annotated[int, typer.Option(help="scans to time for `scan`", min=1)] = 2000,
    pg_url: Annotated[Optional[str], typer.Option(help="PostgreSQL server (a scratch database is made on it)")] = None,
) -> None:
    """Measure: lock+ship throughput against a raw-SQL baseline, or concurrent locks per second."""
    from oms_tui.bench import stock_intake as bench_module

    backends = ["sqlite", "postgresql"] if backend == "both" else [backend]
    if what not in ("stock", "locks", "intake", "scan") or any(b not in ("sqlite", "postgresql") for b in backends):
        raise ValidationError("usage: oms bench stock|intake|locks|scan [--backend sqlite|postgresql|both]")
    url = pg_url or bench_module.default_pg_url()
    for name in backends:
        if what in ("stock", "intake"):
            measure = bench_module.bench_lock_and_ship if what == "stock" else bench_module.bench_intake
            service, raw = measure(name, orders, url)
            typer.echo(str(service))
            typer.echo(str(raw))
            typer.echo(f"{'ratio services/raw':<28} {name:<10} {service.seconds / raw.seconds:8.2f}x time")
            if what == "intake":
                typer.echo(f"{'1M-order backlog (services)':<28} {name:<10} {1_000_000 / service.rate / 60:8.1f} min "
                           f"at the measured rate")
        elif what == "scan":
            from oms_tui.bench import floor as bench_floor

            with bench_module.scratch_database(name, url) as scratch:
                figures = bench_floor.bench_scan(scratch, n_orders=orders, scans=scans)
            typer.echo(f"{'scan → result':<28} {name:<10} {figures['scans']} scans over {orders} orders: "
                       f"p50 {figures['p50_ms']:.2f} ms, p99 {figures['p99_ms']:.2f} ms, max {figures['max_ms']:.2f} ms"
                       f"; books {'balance' if not figures['check_violations'] else 'DO NOT balance'}")
            for kind, row in figures.get("by_kind", {}).items():
                typer.echo(f"  {kind:<10} p50 {row['p50_ms']:.2f} ms, p99 {row['p99_ms']:.2f} ms")
        else:
            typer.echo(str(bench_module.bench_concurrent_locks(name, orders, workers, url)))


# --- entry point -----------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    """Run the CLI; errors become one line on stderr and a non-zero exit, never a traceback."""
    try:
        # Without standalone mode click returns typer.Exit's code instead of exiting.
        code = app(args=argv, prog_name="oms", standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.stderr.write("aborted\n")
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors: wrong option, missing argument, bad value
        exc.show()
        sys.exit(getattr(exc, "exit_code", 2))
    except OmsError as exc:
        sys.stderr.write(f"oms: error: {exc}\n")
        sys.exit(1)
    except OperationalError as exc:
        sys.stderr.write(f"oms: error: database unavailable: {str(exc.orig).strip().splitlines()[0]}\n")
        sys.exit(1)
    except DBAPIError as exc:
        sys.stderr.write(f"oms: error: database refused the change: {str(exc.orig).strip().splitlines()[0]}\n")
        sys.exit(1)
    except OSError as exc:
        sys.stderr.write(f"oms: error: {exc}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
