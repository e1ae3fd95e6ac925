"""``oms scheduler``: the background jobs, until Ctrl-C or SIGTERM.

Registered on the top-level app in cli.py.
"""

from __future__ import annotations

import typer

from oms_tui.commands.common import get_settings, open_engine


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
