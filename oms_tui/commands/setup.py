"""``oms init``, ``oms demo``, ``oms tui`` and ``oms check``: the database, the demo, the app, the books.

Registered on the top-level app in cli.py. Heavy imports stay inside the commands so that
``oms --help`` never loads the database layer or Textual.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from oms_tui.commands.common import console, get_settings, open_engine, read_session
from oms_tui.limits import INT64_MAX

MAX_DEMO_ORDERS = 1_000_000  # a million already takes minutes to generate


def init(
    demo: Annotated[bool, typer.Option("--demo", help="also load the demo catalogue, stock and orders")] = False,
    orders: Annotated[int, typer.Option(help="demo orders to generate", min=0, max=MAX_DEMO_ORDERS)] = 300,
    seed: Annotated[int, typer.Option(help="demo random seed", min=0, max=INT64_MAX)] = 2026,
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


def demo_cmd(
    orders: Annotated[int, typer.Option(help="demo orders to generate", min=0, max=MAX_DEMO_ORDERS)] = 300,
    db: Annotated[Optional[str], typer.Option(help="SQLite file for the demo (recreated)")] = None,
    user: Annotated[Optional[str], typer.Option(help="log in as this user, skipping the login screen")] = None,
) -> None:
    """A fresh SQLite database with demo data, the platform simulator and the scheduler in-process, and the TUI."""
    from pathlib import Path

    from oms_tui.config import default_data_dir, demo_database_path, load_settings
    from oms_tui.demo import data as demo_service

    path = Path(db) if db else demo_database_path()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    # The demo's PINs are in the README and its database is made afresh: --user may skip the PIN.
    settings = load_settings(database_url=f"sqlite:///{path}", trusted_terminal=True)
    engine = open_engine(settings, migrate=True)
    console.print(f"loading demo data into {path} …")
    demo_service.load_demo(engine, default_data_dir(), orders=orders)
    from oms_tui.app import run_tui
    from oms_tui.demo import runtime as demo_runtime

    runtime, settings = demo_runtime.start(engine, settings, default_data_dir(), log_file=path.with_suffix(".log"))
    try:
        code = run_tui(engine, settings, user_name=user)
    finally:
        runtime.stop()
        console.print(demo_hint(path, default=path == demo_database_path()))
    if code:
        raise typer.Exit(code)


def demo_hint(path, *, default: bool) -> str:  # noqa: ANN001 - a Path
    """How the other commands reach the demo's data (they read the configured database, not this one)."""
    from oms_tui.i18n import _

    if default:
        return _("The demo's data stays in {path}. From the command line: oms --demo orders list (every command "
                 "takes --demo)").format(path=path)
    return _("The demo's data stays in {path}. From the command line: OMS_DATABASE_URL=sqlite:///{path} oms orders "
             "list").format(path=path)


def tui(user: Annotated[Optional[str], typer.Option(
        help="fill in the sign-in with this name (signs in without a PIN where trusted_terminal = true)")] = None,
        ) -> None:
    """Open the terminal app."""
    from oms_tui.app import run_tui

    settings = get_settings()
    engine = open_engine(settings)
    if user:
        from oms_tui.services.core import users

        with read_session(engine) as session:
            users.get_user(session, user)  # an unknown name is a clear error before the screen opens
    code = run_tui(engine, settings, user_name=user)
    if code:  # the app stopped on an error (it said which): not a success for scripts either
        raise typer.Exit(code)


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
