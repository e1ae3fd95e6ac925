"""The print queue: every job with its status, printer, document, attempts and last error, newest first.

r retries the selected job now (and sends whatever else is due), p reprints it as a new job (asking
which printer when there are several); both talk to printers, so they run in a worker and the screen
stays usable while a printer times out. x cancels a job that has not printed, after a confirm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from rich.text import Text
from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Label, OptionList, Select, Static

from oms_tui.i18n import N_, _
from oms_tui.models import PrintStatus
from oms_tui.printers.transports import TransportFactory, open_printer
from oms_tui.screens.floor import job_note
from oms_tui.screens.formatting import local_time, named, plain, shop_zone
from oms_tui.screens.paging import PagedTableScreen
from oms_tui.services.floor import printing
from oms_tui.widgets.dialogs import ConfirmDialog, Dialog
from oms_tui.widgets.error_line import ErrorLine
from oms_tui.widgets.paging import PageResult, TableRow
from oms_tui.widgets.table import KeyedTable

JOB_STATUS_NAMES: dict[str, str] = {
    PrintStatus.QUEUED: N_("queued"),
    PrintStatus.PRINTING: N_("sending"),
    PrintStatus.DONE: N_("printed"),
    PrintStatus.FAILED: N_("cannot print"),
    PrintStatus.CANCELLED: N_("cancelled"),
}
JOB_STATUS_STYLES = {PrintStatus.QUEUED: "yellow", PrintStatus.PRINTING: "cyan", PrintStatus.DONE: "green",
                     PrintStatus.FAILED: "bold red", PrintStatus.CANCELLED: "dim"}

DOCUMENT_NAMES: dict[str, str] = {
    "pick_list": N_("pick list"),
    "packing_slip": N_("packing slip"),
    "return_slip": N_("return slip"),
    "test_page": N_("test page"),
}

T = TypeVar("T")
ERROR_CELL_CHARS = 60  # the full error shows under the table for the highlighted job


@dataclass(frozen=True)
class QueueQuery:
    status: str | None = None


class PrinterDialog(Dialog):
    """Which printer a reprint goes to: the configured printers, the job's own highlighted; Enter chooses."""

    def __init__(self, job_id: int, printers: list[str], current: str) -> None:
        super().__init__()
        self.job_id, self.printers, self.current = job_id, printers, current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("Reprint job {job} on which printer?").format(job=self.job_id), classes="dialog-title")
            yield OptionList(*self.printers, id="printers")
            yield from self.buttons()

    def on_mount(self) -> None:
        options = self.query_one("#printers", OptionList)
        options.highlighted = self.printers.index(self.current) if self.current in self.printers else 0
        options.focus()

    @on(OptionList.OptionSelected, "#printers")
    def _chosen(self) -> None:
        self.submit()

    def submit(self) -> None:
        index = self.query_one("#printers", OptionList).highlighted
        self.dismiss(self.printers[index] if index is not None else None)


def summary(run: printing.QueueRun) -> str:
    parts = [_("{count} printed").format(count=run.printed)]
    if run.retrying:
        parts.append(_("{count} waiting for an offline printer").format(count=run.retrying))
    if run.failed:
        parts.append(_("{count} cannot print").format(count=run.failed))
    return " · ".join(parts)


class PrintQueueScreen(PagedTableScreen):
    TITLE_ID = N_("Print queue")
    CSS_PATH = "print_queue.tcss"
    BINDINGS = [
        Binding("r", "retry", N_("Retry now")),
        Binding("p", "reprint", N_("Reprint")),  # replaces "previous page" here; PgUp still turns back
        Binding("x,delete", "cancel_job", N_("Cancel job")),
    ]

    def __init__(self, *, status: str | None = None, transport_factory: TransportFactory | None = None) -> None:
        super().__init__()
        self.status = status
        self.transport_factory = transport_factory or open_printer
        self.busy = False
        self._errors: dict[str, str] = {}  # row key → full last error, for the detail line
        self._jobs: dict[str, tuple[str, str, str, str]] = {}  # row key → printer, document, reference, status

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="filter-bar"):
            yield Select([(_(JOB_STATUS_NAMES[s]), s) for s in printing.STATUSES], prompt=_("All statuses"),
                         value=self.status or Select.NULL, id="status")
        yield ErrorLine()
        yield KeyedTable(id="table")
        yield Static("", id="job-detail", markup=False)
        with Horizontal(id="status-bar"):
            yield Label("", id="page-label")
            yield Label(_("r: retry now · p: reprint · x: cancel · F5: refresh"), id="hint")
        yield Footer()

    def on_mount(self) -> None:
        self.setup_table()
        self.load_page(1, recount=True)
        self.table.focus()

    # --- the table ---------------------------------------------------------------------------

    def columns(self) -> list[tuple[str, str]]:
        return [
            (_("Job"), "id"), (_("Status"), "status"), (_("Printer"), "printer"), (_("Document"), "document"),
            (_("Reference"), "ref"), (_("Attempts"), "attempts"), (_("Last error"), "error"),
            (_("Queued at"), "created"), (_("Printed / next try"), "when"),
        ]

    def current_query(self) -> QueueQuery:
        return QueueQuery(self.status)

    def fetch_count(self, session: Session, query: QueueQuery) -> int:
        return printing.count_jobs(session, status=query.status)

    def fetch_rows(self, session: Session, query: QueueQuery, limit: int, offset: int) -> list[TableRow]:
        zone = shop_zone(self.oms.settings.timezone)
        rows, errors, jobs = [], {}, {}
        for job in printing.list_jobs(session, status=query.status, limit=limit, offset=offset):
            when = job.printed_at if job.status == PrintStatus.DONE else (
                job.next_attempt_at if job.status in printing.PENDING and job.attempts else None)
            error = job.last_error if len(job.last_error) <= ERROR_CELL_CHARS else (
                job.last_error[:ERROR_CELL_CHARS - 1] + "…")
            rows.append(TableRow(
                key=str(job.id),
                cells=(Text(str(job.id), justify="right"),
                       Text(named(JOB_STATUS_NAMES, job.status), style=JOB_STATUS_STYLES.get(job.status, "")),
                       plain(job.printer), plain(named(DOCUMENT_NAMES, job.document)), plain(job.ref),
                       Text(str(job.attempts), justify="right"), Text(error, style="red"),
                       plain(local_time(job.created_at, zone, seconds=True)),
                       plain(local_time(when, zone, seconds=True))),
            ))
            errors[str(job.id)] = job.last_error
            jobs[str(job.id)] = (job.printer, job.document, job.ref, job.status)
        self._errors, self._jobs = errors, jobs  # one swap each: the UI thread never sees them half built
        return rows

    def on_page_shown(self, result: PageResult) -> None:
        if not result.rows:
            self.query_one("#page-label", Label).update(_("No print jobs yet"))
        self._show_detail(self.table.selected_key)  # the cursor's job: a refresh keeps the cursor on it

    @on(DataTable.RowHighlighted, "#table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.row_key.value if event.row_key else None)

    def _show_detail(self, key: str | None) -> None:
        error = self._errors.get(key or "", "")
        detail = self.query_one("#job-detail", Static)
        detail.update(_("Job {job}: {error}").format(job=key, error=error) if error else "")
        detail.display = bool(error)

    @on(Select.Changed, "#status")
    def _status_changed(self, event: Select.Changed) -> None:
        value = event.value if isinstance(event.value, str) else None
        if value != self.status:
            self.status = value
            self.clear_error()
            self.load_page(1, recount=True)

    def selected_job(self) -> int | None:
        table = self.table
        if table.row_count == 0:
            return None
        row_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return int(row_key.value) if row_key.value else None

    # --- actions -----------------------------------------------------------------------------

    def action_retry(self) -> None:
        self._send(printing.send_now, self.selected_job(), done=self._retried)

    def action_reprint(self) -> None:
        job_id = self._selected_or_hint()
        if job_id is None:
            return
        printers = [p.name for p in self.oms.settings.printers]
        current = self._jobs.get(str(job_id), ("",))[0]
        if len(printers) < 2:
            self._reprint(job_id, None)
            return
        self.app.push_screen(PrinterDialog(job_id, printers, current),
                             lambda printer: self._reprint(job_id, printer) if printer else None)

    def _reprint(self, job_id: int, printer: str | None) -> None:
        self._send(printing.reprint_now, job_id, printer=printer, done=self._reprinted)

    def action_cancel_job(self) -> None:
        job_id = self._selected_or_hint()
        if job_id is None:
            return
        printer, document, ref, status = self._jobs.get(str(job_id), ("", "", "", ""))
        if status not in printing.UNPRINTED:
            self._cancel(job_id)  # nothing to ask: the service says why it cannot be cancelled
            return
        question = _("Cancel print job {job} ({document} {ref} on {printer})?").format(
            job=job_id, document=named(DOCUMENT_NAMES, document), ref=ref, printer=printer)
        self.app.push_screen(
            ConfirmDialog(question, detail=_("It will not print; it stays in the queue as cancelled."),
                          confirm_label=_("Cancel the job"), cancel_label=_("Keep it")),
            lambda confirmed: self._cancel(job_id) if confirmed is True else None)

    def _cancel(self, job_id: int) -> None:
        actor = self.actor
        self.clear_error()

        def done(_job: int) -> None:
            self.notify(_("Print job {job} cancelled").format(job=job_id), title=_("Print queue"))
            self.load_page(recount=True)

        self.write(lambda session: printing.cancel_job(session, job_id, actor=actor).id, done, group="cancel")

    def _selected_or_hint(self) -> int | None:
        job_id = self.selected_job()
        if job_id is None:
            self.app.bell()
            self.notify(_("Select a job first"), severity="warning")
        return job_id

    def _send(self, service: Callable[..., T], job_id: int | None, *, done: Callable[[T], None], **kwargs) -> None:
        """Run a printing service that talks to printers (its own short transactions) in a worker."""
        if self.busy:
            self.notify(_("Still sending to the printers…"), severity="warning")
            return
        self.busy = True
        self.clear_error()
        self.run_service(service, self.oms.settings, job_id, actor=self.actor,
                         transport_factory=self.transport_factory, done=done, failed=self._failed, group="print",
                         **kwargs)

    def _failed(self, message: str) -> None:
        self.busy = False
        self.show_error(message)
        self.load_page(recount=True)

    def _retried(self, run: printing.QueueRun) -> None:
        self.busy = False
        message = summary(run)
        if run.errors:
            self.notify(message + "\n" + run.errors[0], severity="warning", title=_("Print queue"))
        else:
            self.notify(message, title=_("Print queue"))
        self.load_page(recount=True)

    def _reprinted(self, state: printing.JobState) -> None:
        self.busy = False
        message = _("Reprint queued as job {job}").format(job=state.job_id) + " · " + job_note(state)
        self.notify(message, severity="information" if state.printed else "warning", title=_("Print queue"))
        self.load_page(recount=True)
