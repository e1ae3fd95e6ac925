"""``oms user add|list|roles|disable|enable|unlock|key …``: users who log in with a PIN, their roles, and
the SSH keys that open their desks.

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
    from oms_tui.clock import utcnow
    from oms_tui.services.core import users

    with read_session(open_engine()) as session:
        keys = users.key_counts(session)
        rows = [{"name": u.name, "display_name": u.display_name, "roles": u.role_list, "active": u.active,
                 "locked": bool(u.locked_until and u.locked_until > utcnow()), "ssh_keys": keys.get(u.name, 0)}
                for u in users.list_users(session)]
    if fmt == OutputFormat.json:
        print_json(rows)
        return
    table = Table("name", "display name", "roles", "active", "locked", "SSH keys")
    for row in rows:
        table.add_row(row["name"], row["display_name"], ", ".join(row["roles"]), "yes" if row["active"] else "no",
                      "yes" if row["locked"] else "", str(row["ssh_keys"]))
    console.print(table)


@user_app.command("unlock")
def user_unlock(name: Annotated[str, typer.Argument(help="the user locked out after too many wrong PINs")]) -> None:
    """Let a user locked out by wrong PINs sign in again now (leads and managers; audited)."""
    from oms_tui.services.core import users

    with session_scope(open_engine()) as session:
        was_locked = users.unlock(session, name, actor=cli_actor())
    typer.echo(f"user {name} unlocked" if was_locked else f"user {name} was not locked out")


def _role_list(roles: str) -> list[str]:
    return [r.strip() for r in roles.split(",") if r.strip()]


@user_app.command("roles")
def user_roles(
    name: Annotated[str, typer.Argument(help="the user")],
    roles: Annotated[str, typer.Argument(help="the roles they hold from now on, comma-separated")],
) -> None:
    """Give a user exactly these roles (administrators; audited)."""
    from oms_tui.services.core import users

    with session_scope(open_engine()) as session:
        held = users.set_roles(session, name, _role_list(roles), actor=cli_actor())
    typer.echo(f"user {name} now holds: {', '.join(held)}")


@user_app.command("disable")
def user_disable(name: Annotated[str, typer.Argument(help="the user who may no longer sign in")]) -> None:
    """Stop a user signing in; desks where they are signed in sign them out (administrators; audited)."""
    from oms_tui.services.core import users

    with session_scope(open_engine()) as session:
        changed = users.disable(session, name, actor=cli_actor())
    typer.echo(f"user {name} disabled" if changed else f"user {name} was already disabled")


@user_app.command("enable")
def user_enable(name: Annotated[str, typer.Argument(help="a disabled user")]) -> None:
    """Let a disabled user sign in again (administrators; audited)."""
    from oms_tui.services.core import users

    with session_scope(open_engine()) as session:
        changed = users.enable(session, name, actor=cli_actor())
    typer.echo(f"user {name} enabled" if changed else f"user {name} was not disabled")


key_app = typer.Typer(help="SSH public keys that sign a user in at an SSH desk without the PIN",
                      no_args_is_help=True)
user_app.add_typer(key_app, name="key")


@key_app.command("add")
def key_add(
    name: Annotated[str, typer.Argument(help="the user the key belongs to")],
    file: Annotated[str, typer.Argument(help="their public key file (id_ed25519.pub), or - to read it from stdin")],
) -> None:
    """Map an SSH public key to a user: `ssh NAME@host -p PORT` with it opens their desk, no PIN asked."""
    from oms_tui.services.core import users

    if file == "-":
        text = sys.stdin.read()
    else:
        try:
            with open(file, encoding="utf-8") as handle:
                text = handle.read(16_384)
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError("cannot read {file}: {error}", file=file,
                                  error=getattr(exc, "strerror", None) or type(exc).__name__) from None
    with session_scope(open_engine()) as session:
        row = users.add_key(session, name, text, actor=cli_actor())
    typer.echo(f"key {row.fingerprint} ({row.kind}) added for {name}")


@key_app.command("list")
def key_list(name: Annotated[Optional[str], typer.Argument(help="only this user's keys")] = None,
             fmt: FormatOption = OutputFormat.table) -> None:
    """The SSH keys mapped to users."""
    from oms_tui.services.core import users

    with read_session(open_engine()) as session:
        rows = [{"user": k.user, "fingerprint": k.fingerprint, "type": k.kind, "comment": k.comment,
                 "added_at": k.added_at.isoformat(), "added_by": k.added_by}
                for k in users.list_keys(session, name)]
    if fmt == OutputFormat.json:
        print_json(rows)
        return
    table = Table("user", "fingerprint", "type", "comment", "added by")
    for row in rows:
        table.add_row(row["user"], row["fingerprint"], row["type"], row["comment"], row["added_by"])
    console.print(table)


@key_app.command("remove")
def key_remove(name: Annotated[str, typer.Argument(help="the user")],
               fingerprint: Annotated[str, typer.Argument(help="SHA256:… as `oms user key list` shows it")]) -> None:
    """Unmap an SSH key: it opens no desk any more (audited)."""
    from oms_tui.services.core import users

    with session_scope(open_engine()) as session:
        users.remove_key(session, name, fingerprint, actor=cli_actor())
    typer.echo(f"key {fingerprint} removed from {name}")
