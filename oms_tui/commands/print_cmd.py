"""``oms print …``: a test page, the print queue, retries, reprints and cancelling.

Registered in cli.py with ``app.add_typer(print_app, name="print")``. Thin like the rest of the CLI:
parse, call ``services.printing``, print; a domain error is one line and exit 1 (cli.main).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.table import Table

from oms_tui.commands import common
from oms_tui.commands.common import get_settings, read_session, session_scope
from oms_tui.limits import INT64_MAX, MAX_ID

if TYPE_CHECKING:  # the commands import these when they run, so `oms --help` does not load the database layer
    from sqlalchemy import Engine

    from oms_tui.services.floor import printing


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table for people, json for scripts")]
LimitOption = Annotated[int, typer.Option(help="rows per page", min=1, max=10_000)]
OffsetOption = Annotated[int, typer.Option(help="rows to skip", min=0, max=INT64_MAX)]

print_app = typer.Typer(help="Thermal printers: a test page, the print queue, retries, reprints and cancelling",
                        no_args_is_help=True)

PrinterOption = Annotated[Optional[str], typer.Option("--printer", help="printer name from the config "
                                                                         "(default: the document's default)")]


def _report(state: printing.JobState, what: str) -> None:
    """Say whether the job printed; exit 1 when it did not (and why, and what happens to it now)."""
    from oms_tui.models import PrintStatus

    if state.printed:
        typer.echo(f"printed {what} on {state.printer} (job {state.job_id})")
        return
    reason = state.error or f"waiting behind earlier jobs for printer {state.printer}"
    if state.status == PrintStatus.FAILED:
        typer.echo(f"job {state.job_id} ({what}) cannot print: {reason}", err=True)
    elif state.status == PrintStatus.CANCELLED:
        typer.echo(f"job {state.job_id} ({what}) was cancelled: nothing printed", err=True)
    else:
        typer.echo(f"job {state.job_id} ({what}) not printed yet: {reason}. It stays queued and is retried "
                   f"automatically (or: oms print retry --job {state.job_id})", err=True)
    raise typer.Exit(1)


@print_app.command("test")
def print_test(printer: PrinterOption = None) -> None:
    """Print a test page (shop name, Chinese, a barcode, a QR code) and say whether it printed."""
    from oms_tui.models import utcnow
    from oms_tui.services.floor import printing

    settings = get_settings()
    engine = common.open_engine(settings)
    actor = common.cli_actor(settings)
    name = printing.choose_printer(settings, "test_page", printer).name
    with session_scope(engine) as session:
        job = printing.enqueue(session, "test_page", ref="test", printer=name, user=actor.name, settings=settings,
                               data={"printer": name, "requested_by": actor.name, "at": utcnow().isoformat()})
        job_id = job.id
    # Tried now, even if earlier jobs for the printer are backing off.
    _report(printing.print_now(engine, settings, job_id, actor=actor), "a test page")


@print_app.command("jobs")
def print_jobs(
    status: Annotated[Optional[str], typer.Option(help="queued, printing, done, failed or cancelled")] = None,
    printer: Annotated[Optional[str], typer.Option(help="only this printer's jobs")] = None,
    fmt: FormatOption = OutputFormat.table,
    limit: LimitOption = 50,
    offset: OffsetOption = 0,
) -> None:
    """The print queue, newest first."""
    from oms_tui.models import PrintStatus
    from oms_tui.services.floor import printing

    settings = get_settings()
    with read_session(common.open_engine(settings)) as session:
        jobs = printing.list_jobs(session, status=status, printer=printer, limit=limit, offset=offset)
    if fmt == OutputFormat.json:
        common.print_json([printing.as_dict(job) for job in jobs])
        return
    table = Table("id", "status", "printer", "document", "ref", "tries", "created", "printed / next try",
                  "last error")
    for job in jobs:
        when = job.printed_at if job.status == PrintStatus.DONE else (
            job.next_attempt_at if job.status in printing.PENDING else None)
        table.add_row(str(job.id), job.status, job.printer, job.document, job.ref, str(job.attempts),
                      common.local_time(job.created_at, settings), common.local_time(when, settings), job.last_error)
    common.console.print(table)


@print_app.command("retry")
def print_retry(job: Annotated[Optional[int], typer.Option("--job", help="make this job due now first",
                                                                      min=1, max=MAX_ID)] = None
                ) -> None:
    """Send due jobs now (with --job: that one too, even if it is backing off); exit 1 if any failed."""
    from oms_tui.services.floor import printing

    settings = get_settings()
    engine = common.open_engine(settings)
    if job is not None:
        _report(printing.print_now(engine, settings, job, actor=common.cli_actor(settings)), f"job {job}")
        return
    run = printing.process_queue(engine, settings)
    with read_session(engine) as session:
        left = printing.pending_count(session)
    typer.echo(f"printed {run.printed}; {run.retrying} printer(s) offline; {run.failed} job(s) cannot print; "
               f"{left} still queued")
    for error in run.errors:
        typer.echo(f"  {error}", err=True)
    if run.retrying or run.failed:
        raise typer.Exit(1)


@print_app.command("reprint")
def print_reprint(job: Annotated[int, typer.Argument(help="the job to print again", min=1, max=MAX_ID)],
                  printer: PrinterOption = None) -> None:
    """Print a job again as a new job (same document, same data; --printer to send it elsewhere)."""
    from oms_tui.services.floor import printing

    settings = get_settings()
    engine = common.open_engine(settings)
    state = printing.reprint_now(engine, settings, job, actor=common.cli_actor(settings), printer=printer)
    _report(state, f"a reprint of job {job}")


@print_app.command("cancel")
def print_cancel(job: Annotated[int, typer.Argument(help="the job that must not print", min=1, max=MAX_ID)]) -> None:
    """Cancel a job that has not printed (queued, waiting for an offline printer, or unable to print)."""
    from oms_tui.services.floor import printing

    settings = get_settings()
    actor = common.cli_actor(settings)
    with session_scope(common.open_engine(settings)) as session:
        cancelled = printing.cancel_job(session, job, actor=actor)
        printer, document, ref = cancelled.printer, cancelled.document, cancelled.ref
    typer.echo(f"job {job} cancelled ({document} {ref} on {printer}): it will not print")
