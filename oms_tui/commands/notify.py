"""``oms notify …``: the alert channels — what is configured, a test message through one, the alerts sent.

Registered in cli.py with ``app.add_typer(notify_app, name="notify")``.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from oms_tui.commands.common import (
    FormatOption,
    OutputFormat,
    cli_actor,
    console,
    get_settings,
    local_time,
    open_engine,
    print_json,
    read_session,
)
from oms_tui.errors import NotFound
from oms_tui.i18n import N_

notify_app = typer.Typer(help="Alert channels: DingTalk, WeCom, e-mail, SMS", no_args_is_help=True)


@notify_app.command("channels")
def channels_cmd(fmt: FormatOption = OutputFormat.table) -> None:
    """The configured channels (no secrets) and the roles routed to each."""
    from oms_tui.services.messaging import routing

    table = routing.RoutingTable.from_settings(get_settings())  # a bad route is an error naming it
    rows = [{"name": c.name, "kind": c.kind, "url": c.endpoint, "language": c.language or "",
             "per_minute": c.pace,
             "roles": sorted(role for role, names in table.routes.items() if c.name in names)
             + (["(every alert)"] if c.name in table.everything else [])}
            for c in table.channels.values()]
    if fmt == OutputFormat.json:
        print_json(rows)
        return
    if not rows:
        typer.echo("No alert channels: add [[notify.channels]] and [notify.routes] to the config (see README).")
        return
    view = Table("channel", "kind", "roles", "per minute", "endpoint")
    for row in rows:
        view.add_row(row["name"], row["kind"], ", ".join(row["roles"]), str(row["per_minute"]), row["url"])
    console.print(view)


@notify_app.command("test")
def test_cmd(channel: Annotated[str, typer.Argument(help="the channel's name")]) -> None:
    """Send a test message through one channel now (not through the outbox): checks its key, secret and URL."""
    from oms_tui.notifiers.registry import notifier_for
    from oms_tui.phrases import phrase
    from oms_tui.services.core import outbox
    from oms_tui.services.messaging import events, routing, templates

    settings = get_settings()
    table = routing.RoutingTable.from_settings(settings)
    config = table.channels.get(channel)
    if config is None:
        raise NotFound(N_("no channel named {channel!r} (channels: {names})"), channel=channel,
                       names=", ".join(table.channels) or "none")
    notice = templates.render(outbox.Alert(event=events.TEST), phrase(N_("test message from {shop}"), shop=settings.shop_name),
                              language=config.language or settings.language, shop_name=settings.shop_name)
    notifier = notifier_for(config, settings)
    try:
        notifier.send(notice)  # a refusal is one line and exit 1
    finally:
        notifier.close()
    typer.echo(f"sent to {config.name} ({config.kind})")


@notify_app.command("alerts")
def alerts_cmd(
    role: Annotated[Optional[str], typer.Option(help="only this role's alerts")] = None,
    limit: Annotated[int, typer.Option(help="how many, newest first", min=1, max=1000)] = 50,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The alerts sent to your roles (all, for a manager or admin) and what became of them on each channel."""
    from oms_tui.phrases import render
    from oms_tui.services.messaging import alert_view

    settings = get_settings()
    with read_session(open_engine(settings)) as session:
        entries = alert_view.list_alerts(session, cli_actor(settings), role=role, limit=limit)
    rows = [{"id": e.id, "created_at": e.created_at.isoformat(), "event": e.event, "subject": render(e.subject),
             "order": e.order, "roles": list(e.roles), "status": e.status, "note": render(e.note),
             "deliveries": [{"channel": d.channel, "status": d.status, "attempts": d.attempts, "note": d.note}
                            for d in e.deliveries]} for e in entries]
    if fmt == OutputFormat.json:
        print_json(rows)
        return
    view = Table("time", "event", "subject", "order", "for", "status", "channels")
    for entry, row in zip(entries, rows):
        view.add_row(local_time(entry.created_at, settings), row["event"], row["subject"], row["order"],
                     ", ".join(row["roles"]), row["status"],
                     ", ".join(f"{d['channel']}: {d['status']}" for d in row["deliveries"]) or row["note"])
    console.print(view)
