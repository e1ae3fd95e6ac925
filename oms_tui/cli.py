"""The `oms` command: the typer app, its sub-commands and ``main``.

Each noun's commands live in ``oms_tui/commands/`` (setup, stock, orders, approvals, intake, scheduler,
users, bench, print_cmd, shops, notify, sku, report, desks, portal). They stay thin: parse, call a service, print; a domain error is one line and
exit 1. They import services, the database layer and Textual inside the command that needs them,
so building this app for ``oms --help`` loads none of them.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, NoReturn

import typer

from oms_tui.commands import (
    approvals,
    bench,
    desks,
    intake,
    orders,
    portal,
    report_finance,
    scheduler,
    setup,
    shops,
    sku,
    stock,
    users,
)
from oms_tui.commands.common import use_demo_database
from oms_tui.commands.notify import notify_app
from oms_tui.commands.print_cmd import print_app
from oms_tui.commands.shipping import tracking_app, waybill_app
from oms_tui.commands.report import report_app
from oms_tui.errors import OmsError

app = typer.Typer(help="oms — order management for e-commerce shops", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)


@app.callback()
def _options(demo: Annotated[bool, typer.Option(
        "--demo", help="work on the demo's database (the one `oms demo` made, data/demo.db)")] = False) -> None:
    """oms — order management for e-commerce shops."""
    use_demo_database(demo)


# `oms --help` lists the commands in this order, then the groups.
app.command()(setup.init)
app.command("demo")(setup.demo_cmd)
app.command()(setup.tui)
app.command()(setup.check)
app.command("import")(intake.import_cmd)
# `oms sync` syncs (its options as before); `oms sync status` shows each shop's sync and authorization.
intake.sync_app.command("status")(shops.sync_status)
app.command()(intake.simulate)
app.command()(scheduler.scheduler)
app.command("jobs")(scheduler.jobs_cmd)
app.command()(intake.webhook)
app.command()(portal.portal)
app.command()(bench.bench)
app.command("serve-ssh")(desks.serve_ssh)
app.command("serve-web")(desks.serve_web)
app.add_typer(intake.sync_app, name="sync")
app.add_typer(stock.stock_app, name="stock")
app.add_typer(orders.orders_app, name="orders")
app.add_typer(sku.sku_app, name="sku")
app.add_typer(approvals.approvals_app, name="approvals")
app.add_typer(users.user_app, name="user")
app.add_typer(print_app, name="print")
app.add_typer(shops.shop_app, name="shop")
app.add_typer(notify_app, name="notify")
app.add_typer(waybill_app, name="waybill")
app.add_typer(tracking_app, name="tracking")

# `oms report …`: kpi (commands/report.py), purchase and reconcile (commands/report_finance.py).
report_app.command("purchase")(report_finance.purchase)
report_app.command("reconcile")(report_finance.reconcile)
app.add_typer(report_app, name="report")


def _error_line(exc: Exception) -> str | None:
    """The one line `oms` prints for a database or OS error; None for anything else."""
    # Imported here, not at the top: only a command that opened the database can raise these.
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, OperationalError):
        return f"database unavailable: {str(exc.orig).strip().splitlines()[0]}"
    if isinstance(exc, DBAPIError):
        return f"database refused the change: {str(exc.orig).strip().splitlines()[0]}"
    if isinstance(exc, OSError):
        return str(exc)
    return None


def _usage_error(exc: typer.TyperException) -> int:
    """Show a usage error as one line naming the command's help (help asked for is shown whole); its exit code."""
    ctx = getattr(exc, "ctx", None)
    if ctx is None or type(exc).__name__ == "NoArgsIsHelpError":  # `oms stock` alone: the group's help
        exc.show()
        return getattr(exc, "exit_code", 2)
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    if not message.strip():
        exc.show()
    else:
        sys.stderr.write(f"oms: error: {message} (see: {ctx.command_path} --help)\n")
    return getattr(exc, "exit_code", 2)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; errors become one line on stderr and a non-zero exit, never a traceback."""
    from oms_tui.i18n import setup_language

    # The locale or OMS_LANGUAGE now; a configured `language` takes over when a command reads the settings
    # (commands.common.get_settings), so `oms --help` does not load pydantic-settings and the TOML.
    setup_language(os.environ.get("OMS_LANGUAGE"))
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
        sys.exit(_usage_error(exc))
    except OmsError as exc:
        _fail(exc.localized())
    except Exception as exc:
        line = _error_line(exc)
        if line is None:
            raise
        _fail(line)


def _fail(message: str) -> NoReturn:
    """``oms: error: …`` on stderr, exit 1. Errors quote URLs, replies and driver texts, so every
    secret the configuration knows is masked, and so is anything shaped like one."""
    from oms_tui.commands.common import get_settings
    from oms_tui.i18n import _
    from oms_tui.redaction import redact

    try:
        secrets = [value for shop in get_settings().shops for value in shop.secret_values()]
    except Exception:  # noqa: BLE001 - the configuration is what failed: nothing to know
        secrets = []
    sys.stderr.write(_("oms: error: {message}").format(message=redact(message, secrets)) + "\n")
    sys.exit(1)


if __name__ == "__main__":
    main()
