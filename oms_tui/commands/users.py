"""``oms user …``: users who log in with a PIN, and their roles.

Registered in cli.py with ``app.add_typer(user_app, name="user")``.
"""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer
from rich.table import Table

from oms_tui.commands.common import (
    FormatOption,
    OutputFormat,
    cli_actor,
    console,
    open_engine,
    print_json,
    read_session,
    session_scope,
)
from oms_tui.errors import ValidationError

user_app = typer.Typer(help="Users and their roles", no_args_is_help=True)


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
                       display_name=display_name, actor=cli_actor())
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


@user_app.command("unlock")
def user_unlock(name: Annotated[str, typer.Argument(help="the user locked out after too many wrong PINs")]) -> None:
    """Let a user locked out by wrong PINs sign in again now (leads and managers; audited)."""
    from oms_tui.services.core import users

    with session_scope(open_engine()) as session:
        was_locked = users.unlock(session, name, actor=cli_actor())
    typer.echo(f"user {name} unlocked" if was_locked else f"user {name} was not locked out")
