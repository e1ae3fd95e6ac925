"""``oms serve-ssh`` and ``oms serve-web``: desks for SSH clients and browsers.

Registered on the top-level app in cli.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from oms_tui.commands.common import get_settings, open_engine


def serve_ssh(
    host: Annotated[str, typer.Option(help="address to listen on (0.0.0.0: the whole LAN)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0: any free one, printed)", min=0, max=65535)] = 2222,
    idle_minutes: Annotated[float, typer.Option(help="close a desk after this long without a key pressed",
                                                min=0.01, max=24 * 60)] = 30.0,
    host_key: Annotated[Optional[Path], typer.Option(
        help="the server's private host key (made on first start); default: ssh_host_ed25519_key in the "
             "data directory")] = None,
) -> None:
    """Serve the TUI to SSH clients: `ssh -t -p PORT NAME@HOST`, signed in by their key (`oms user key add`)
    or with their PIN as the password."""
    import logging

    from oms_tui.desks.ssh import DeskServerOptions, serve_ssh as run

    # Desks opened and closed, and who, on stderr: the operator's log of who used the server.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
    settings = get_settings()
    engine = open_engine(settings)
    options = DeskServerOptions(host=host, port=port, idle_seconds=idle_minutes * 60, host_key=host_key)
    try:
        run(engine, settings, options, announce=lambda line: typer.echo(line))
    finally:
        engine.dispose()


def serve_web(
    host: Annotated[str, typer.Option(help="address to listen on (0.0.0.0: the whole LAN)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port", min=1, max=65535)] = 8000,
    public_url: Annotated[Optional[str], typer.Option(
        help="the address browsers use, when not http://HOST:PORT (behind a proxy)")] = None,
) -> None:
    """Serve the TUI to browsers (textual-serve): each tab is a desk that signs in with name and PIN."""
    from oms_tui.desks.web import serve_web as run

    settings = get_settings()
    open_engine(settings).dispose()  # a database that is not there or not migrated: say so now, not per tab
    run(settings, host=host, port=port, public_url=public_url, announce=lambda line: typer.echo(line))
