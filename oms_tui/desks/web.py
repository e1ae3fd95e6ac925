"""``oms serve-web``: the TUI in a browser tab, served by textual-serve on the LAN.

textual-serve starts a desk (``oms_tui.desks.child``) for each tab that connects and relays its screen
over a WebSocket; the tab's desk opens on the sign-in screen, so a browser is no way round the PIN.
There is no TLS here: serve it on the shop's LAN, or behind a reverse proxy that adds HTTPS
(``--public-url``)."""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable

from oms_tui.config import Settings
from oms_tui.desks.ssh import desk_command


def serve_web(settings: Settings, *, host: str, port: int, public_url: str | None = None,
              announce: Callable[[str], object] = print) -> None:
    """Serve browser desks until SIGINT or SIGTERM."""
    from textual_serve.server import Server

    # Each tab's desk inherits this environment: it must open the database this server was pointed at.
    os.environ["OMS_DATABASE_URL"] = settings.database_url
    server = Server(shlex.join(desk_command(None)), host=host, port=port, title=settings.shop_name,
                    public_url=public_url)
    announce(f"serving browser desks on {server.public_url}")
    server.serve()
