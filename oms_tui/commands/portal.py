"""``oms portal``: serve the buyer self-service page (Starlette + uvicorn). Registered in cli.py."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from oms_tui.commands.common import get_settings, open_engine


def portal(
    host: Annotated[Optional[str], typer.Option(help="listen address (default: [portal] host)")] = None,
    port: Annotated[Optional[int], typer.Option(help="port (default: [portal] port)", min=0, max=65535)] = None,
) -> None:
    """Serve the buyer page: a buyer signs in with an SMS code to the mobile they ordered with and sees their
    orders on every platform, with status and tracking, and a question box ([portal] in the config)."""
    from oms_tui.errors import ConfigError
    from oms_tui.i18n import N_
    from oms_tui.portal.server import serve

    settings = get_settings()
    config = settings.portal
    if not (config.sms_channel and config.code_template):
        raise ConfigError(N_("set [portal] sms_channel and code_template: the portal texts sign-in codes"))
    if not any(c.name == config.sms_channel and c.kind == "sms" for c in settings.notify.channels):
        raise ConfigError(N_("[portal] sms_channel {channel!r} is not a [[notify.channels]] channel of kind sms"),
                          channel=config.sms_channel)
    host, port = host or config.host, config.port if port is None else port
    typer.echo(f"buyer portal on http://{host}:{port}/ (Ctrl-C stops)")
    serve(open_engine(settings), settings, host=host, port=port)
