"""``oms scheduler`` (the background jobs, until Ctrl-C or SIGTERM) and ``oms jobs`` (the job table).

Registered on the top-level app in cli.py.
"""

from __future__ import annotations

from typing import Annotated

import typer

from oms_tui.commands.common import (
    FormatOption,
    OutputFormat,
    console,
    get_settings,
    local_time,
    open_engine,
    print_json,
)


def scheduler(
    list_jobs: Annotated[bool, typer.Option("--list", help="print the jobs and how each last ran, then exit")] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Run the background jobs: platform sync per shop, webhook fetches, ship notices and alerts, printing,
    lock and quota expiry (`--list`: show them)."""
    import signal
    import threading

    from oms_tui.scheduler import OmsScheduler

    if list_jobs:
        jobs_cmd(fmt)
        return
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


def jobs_cmd(fmt: FormatOption = OutputFormat.table) -> None:
    """The scheduler's jobs: interval, when each is due next and how its last run went."""
    from rich.table import Table

    from oms_tui.db import read_session
    from oms_tui.i18n import _
    from oms_tui.services.core import jobs

    settings = get_settings()
    with read_session(open_engine(settings)) as session:
        rows = jobs.list_jobs(session)
    if fmt == OutputFormat.json:
        print_json([jobs.as_dict(job) for job in rows])
        return
    if not rows:
        typer.echo(_("No jobs yet: the scheduler writes them when it starts (oms scheduler)."))
        return
    table = Table(_("job"), _("every"), _("next due"), _("last run"), _("status"), _("result / error"))
    for job in rows:
        table.add_row(job.name, _every(job.interval_seconds),
                      local_time(job.next_due_at, settings) if job.enabled else _("disabled"),
                      local_time(job.last_started_at, settings), job.last_status, job.last_error or job.last_result)
    console.print(table)


def _every(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"
