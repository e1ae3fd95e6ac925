"""The print queue. A document to print is a ``PrintJob`` row written in the caller's transaction, so a
packing slip exists exactly when the shipment does; ``process_queue`` sends due jobs later.

- Nothing is lost: a printer that is off, unplugged or out of the network leaves its job queued with
  the error and an exponential back-off (capped at a few minutes); jobs are never deleted.
- Order per printer: a printer's jobs go out oldest first, and while its oldest job waits for a retry
  the later ones wait behind it (slips come out in the order they were packed). Other printers go on.
- At least once: a job is claimed (status ``printing``) before it is sent, so two processes never
  send it together; a claim left by a process that died expires after ``LEASE_SECONDS`` and the job
  is sent again (a possible duplicate slip is better than a missing one).
- Jobs whose stored data cannot be rendered are ``failed`` (they would never print); ``retry_now``
  queues them again, ``reprint`` copies any job into a new one (on another printer if asked).
- A job that has not printed may be ``cancel_job``-ed (a wrong slip, a printer that will not come back):
  it stays in the queue as ``cancelled`` and never prints.
- ``print_now`` is what a screen calls right after queuing a document: it tries that printer at once,
  outside any transaction, and says where the job stands (printed, or queued because the printer is
  offline), so nobody is told "sent to printer" about a slip that is not coming out.

The default printer of a document is the first configured printer whose ``documents`` names it, else
the first printer with no ``documents`` list (it takes anything), else the first printer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from oms_tui.config import PrinterConfig, Settings, get_settings
from oms_tui.db import read_session, session_scope
from oms_tui.errors import NotFound, ValidationError
from oms_tui.i18n import N_
from oms_tui.models import PrintJob, PrintStatus, utcnow
from oms_tui.printers import documents
from oms_tui.printers.errors import PrinterOffline
from oms_tui.printers.transports import PrinterLink, TransportFactory, open_printer
from oms_tui.redaction import redact
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor, require
from oms_tui.services.core.backoff import BackoffPolicy

STATUSES = tuple(PrintStatus)
PENDING = (PrintStatus.QUEUED, PrintStatus.PRINTING)
UNPRINTED = (PrintStatus.QUEUED, PrintStatus.PRINTING, PrintStatus.FAILED)  # what may still be cancelled
DOCUMENTS = documents.DOCUMENTS

# 10 s, 20 s, 40 s … at most 5 minutes; never given up (jobs are never dropped).
BACKOFF = BackoffPolicy(base_seconds=10, cap_seconds=300)
LEASE_SECONDS = 120  # how long a claimed job may take before another run may send it again


@dataclass
class QueueRun:
    """What one ``process_queue`` run did."""

    printed: int = 0
    retrying: int = 0  # attempts that failed because a printer was offline; the jobs stay queued
    failed: int = 0  # jobs that can never print as stored; marked failed
    errors: list[str] = field(default_factory=list)
    offline: dict[str, str] = field(default_factory=dict)  # printer name → why it did not print

    def as_dict(self) -> dict[str, Any]:
        return {"printed": self.printed, "retrying": self.retrying, "failed": self.failed, "errors": self.errors,
                "offline": self.offline}


# --- choosing a printer ----------------------------------------------------------------------

def choose_printer(settings: Settings, document: str, name: str | None = None) -> PrinterConfig:
    """The printer ``name``, or the default one for ``document``; ValidationError if there is none."""
    if document not in DOCUMENTS:
        raise ValidationError(N_("unknown document {document!r}: use one of {documents}"), document=document,
                              documents=", ".join(DOCUMENTS))
    printers = settings.printers
    if name:
        for printer in printers:
            if printer.name == name:
                return printer
        known = ", ".join(p.name for p in printers) or "none configured"
        raise ValidationError(N_("no printer named {name!r} (printers: {known})"), name=name, known=known)
    if not printers:
        raise ValidationError(N_("no printer is configured: add a [[printers]] table to the config file"))
    for printer in printers:
        if document in printer.documents:
            return printer
    for printer in printers:
        if not printer.documents:
            return printer
    return printers[0]


def printer_config(settings: Settings, name: str) -> PrinterConfig | None:
    return next((p for p in settings.printers if p.name == name), None)


# --- the queue -------------------------------------------------------------------------------

def enqueue(session: Session, document: str, *, ref: str, data: dict[str, Any], printer: str | None = None,
            user: str, settings: Settings | None = None) -> PrintJob:
    """Queue ``document`` (rendered from ``data``) in the caller's transaction; printer None: the default.

    ``data`` follows the schema in ``oms_tui.printers.documents``; it is checked here so a job that
    could never print is refused now, not discovered at the printer.
    """
    config = choose_printer(settings or get_settings(), document, printer)
    documents.validate(document, data)
    try:
        stored = json.dumps(data, ensure_ascii=False, default=str)
    except (TypeError, ValueError) as exc:
        raise ValidationError(N_("{document} data cannot be stored: {reason}"), document=document, reason=exc) from None
    job = PrintJob(printer=config.name, document=document, ref=str(ref or "")[:64], data=stored,
                   status=PrintStatus.QUEUED, created_by=user[:64], created_at=utcnow(), next_attempt_at=utcnow())
    session.add(job)
    session.flush()  # the id, for the caller to show
    return job


def get_job(session: Session, job_id: int) -> PrintJob:
    job = session.get(PrintJob, job_id)
    if job is None:
        raise NotFound(N_("no print job {job}"), job=job_id)
    return job


def job_data(job: PrintJob) -> dict[str, Any]:
    return json.loads(job.data or "{}")


def _filtered(stmt, status: str | None, printer: str | None):
    if status:
        if status not in STATUSES:
            raise ValidationError(N_("unknown print job status {status!r}: use one of {statuses}"), status=status,
                                  statuses=", ".join(STATUSES))
        stmt = stmt.where(PrintJob.status == status)
    if printer:
        stmt = stmt.where(PrintJob.printer == printer)
    return stmt


def list_jobs(session: Session, *, status: str | None = None, printer: str | None = None, limit: int = 50,
              offset: int = 0) -> list[PrintJob]:
    """Jobs newest first, one page at a time."""
    stmt = _filtered(select(PrintJob), status, printer)
    return list(session.exec(stmt.order_by(col(PrintJob.id).desc()).limit(limit).offset(offset)))


def count_jobs(session: Session, *, status: str | None = None, printer: str | None = None) -> int:
    stmt = _filtered(select(func.count()).select_from(PrintJob), status, printer)
    return int(session.exec(stmt).one())


def reprint(session: Session, job_id: int, *, user: str, printer: str | None = None,
            settings: Settings | None = None) -> PrintJob:
    """A new job with the same document and data (``reprint_of`` the original); printer None: the same."""
    original = get_job(session, job_id)
    name = original.printer
    if printer and printer != original.printer:
        name = choose_printer(settings or get_settings(), original.document, printer).name
    job = PrintJob(printer=name, document=original.document, ref=original.ref, data=original.data,
                   status=PrintStatus.QUEUED, created_by=user[:64], created_at=utcnow(), next_attempt_at=utcnow(),
                   reprint_of=original.id)
    session.add(job)
    session.flush()
    audit.record(session, user, "print.reprint", "printjob", job.id, original=original.id, printer=name)
    return job


def retry_now(session: Session, job_id: int, *, user: str = "system", now: datetime | None = None) -> PrintJob:
    """Make a waiting or failed job due now, with the printer's earlier jobs it would wait behind."""
    now = now or utcnow()
    job = get_job(session, job_id)
    if job.status == PrintStatus.DONE:
        raise ValidationError(N_("print job {job} is already printed; reprint it instead"), job=job_id)
    if job.status == PrintStatus.CANCELLED:
        raise ValidationError(N_("print job {job} was cancelled; reprint it instead"), job=job_id)
    if job.status == PrintStatus.PRINTING and job.next_attempt_at > now:
        raise ValidationError(N_("print job {job} is being sent right now"), job=job_id)
    _make_due(session, job, now)
    audit.record(session, user, "print.retry", "printjob", job.id)
    return job


def _make_due(session: Session, job: PrintJob, now: datetime) -> None:
    session.execute(
        update(PrintJob)
        .where(PrintJob.printer == job.printer, PrintJob.status == PrintStatus.QUEUED, col(PrintJob.id) < job.id,
               col(PrintJob.next_attempt_at) > now)
        .values(next_attempt_at=now)
    )
    job.status = PrintStatus.QUEUED
    job.next_attempt_at = now
    session.add(job)


def cancel_job(session: Session, job_id: int, *, actor: Actor, now: datetime | None = None) -> PrintJob:
    """Cancel a job that has not printed (queued, waiting for an offline printer, or unable to print).

    It stays in the queue as ``cancelled`` and never prints; a job being sent right now cannot be stopped.
    """
    require(actor, "print.manage")
    now = now or utcnow()
    job = get_job(session, job_id)
    if job.status == PrintStatus.DONE:
        raise ValidationError(N_("print job {job} is already printed; there is nothing to cancel"), job=job_id)
    if job.status == PrintStatus.CANCELLED:
        raise ValidationError(N_("print job {job} is already cancelled"), job=job_id)
    if job.status == PrintStatus.PRINTING and job.next_attempt_at > now:
        raise ValidationError(N_("print job {job} is being sent right now"), job=job_id)
    was = job.status
    # Conditional on what was read: a sender that claims the job at this moment wins, and we say so.
    changed = session.execute(
        update(PrintJob)
        .where(col(PrintJob.id) == job.id, col(PrintJob.status) == was,
               col(PrintJob.next_attempt_at) == job.next_attempt_at)
        .values(status=PrintStatus.CANCELLED)
    )
    if changed.rowcount != 1:
        raise ValidationError(N_("print job {job} is being sent right now"), job=job_id)
    session.refresh(job)
    audit.record(session, actor.name, "print.cancel", "printjob", job.id, printer=job.printer,
                 document=job.document, ref=job.ref, was=was)
    return job


def pending_count(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(PrintJob).where(
        col(PrintJob.status).in_(PENDING))).one())


# --- sending ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Claim:
    id: int
    document: str
    data: str


def process_queue(engine: Engine, settings: Settings, *, now: datetime | None = None,
                  transport_factory: TransportFactory = open_printer) -> QueueRun:
    """Send every due job, each printer's oldest first; see the module docstring for the rules."""
    now = now or utcnow()
    run = QueueRun()
    with read_session(engine) as session:
        names = sorted(session.exec(select(PrintJob.printer).where(col(PrintJob.status).in_(PENDING))
                                    .distinct()).all())
    for name in names:
        _drain(engine, settings, name, now, transport_factory, run)
    return run


def send_now(engine: Engine, settings: Settings, job_id: int | None, *, actor: Actor,
             transport_factory: TransportFactory = open_printer) -> QueueRun:
    """A person asked to print now: make ``job_id`` due (unless it already printed), then send what is due."""
    require(actor, "print.manage")
    user = actor.name
    if job_id is not None:
        with session_scope(engine) as session:
            if get_job(session, job_id).status != PrintStatus.DONE:
                retry_now(session, job_id, user=user)
    return process_queue(engine, settings, transport_factory=transport_factory)


def reprint_now(engine: Engine, settings: Settings, job_id: int, *, actor: Actor, printer: str | None = None,
                transport_factory: TransportFactory = open_printer) -> JobState:
    """Print a job again at once as a new job (``printer``: another configured one); where the copy stands."""
    require(actor, "print.manage")
    with session_scope(engine) as session:
        copy_id = reprint(session, job_id, user=actor.name, printer=printer, settings=settings).id
    return print_now(engine, settings, copy_id, actor=actor, transport_factory=transport_factory)


@dataclass(frozen=True)
class JobState:
    """Where one job stands after someone asked for it to print now (plain values for a screen)."""

    job_id: int
    printer: str
    status: str
    offline: bool = False  # its printer did not take it just now: it stays queued, retried until it prints
    error: str = ""  # the job's last error (English, from the transport or the renderer)

    @property
    def printed(self) -> bool:
        return self.status == PrintStatus.DONE


def print_now(engine: Engine, settings: Settings, job_id: int, *, actor: Actor,
              transport_factory: TransportFactory = open_printer) -> JobState:
    """Try ``job_id``'s printer now (its earlier jobs first, in order); where the job stands afterwards.

    For the person who just queued a document (a pick list, a return slip) or anyone who manages the
    print queue. Printer I/O happens outside any transaction; a printer that is off leaves the job
    queued with its back-off, exactly as the scheduler's run would.
    """
    now = utcnow()
    with session_scope(engine) as session:
        job = get_job(session, job_id)
        if job.created_by != actor.name[:64]:
            require(actor, "print.manage")
        printer = job.printer
        if job.status == PrintStatus.FAILED:
            retry_now(session, job_id, user=actor.name, now=now)
        elif job.status == PrintStatus.QUEUED:
            _make_due(session, job, now)
    run = QueueRun()
    _drain(engine, settings, printer, now, transport_factory, run)
    with read_session(engine) as session:
        job = get_job(session, job_id)
        return JobState(job.id, job.printer, job.status,
                        offline=job.status == PrintStatus.QUEUED and job.printer in run.offline,
                        error=job.last_error)


def _drain(engine: Engine, settings: Settings, name: str, now: datetime, factory: TransportFactory,
           run: QueueRun) -> None:
    """Send ``name``'s due jobs in order until it has none due or one fails to print."""
    config = printer_config(settings, name)
    link = PrinterLink(config, factory) if config else None
    try:
        while (claim := _claim_next(engine, name, now)) is not None:
            if link is None:
                error = f"printer {name} is not configured (any more); the job waits until it is"
                _retry_later(engine, claim.id, error, now)
                run.retrying += 1
                run.errors.append(error)
                run.offline[name] = error
                return
            try:
                payload = documents.render_bytes(
                    claim.document, json.loads(claim.data or "{}"), width_mm=config.width_mm,
                    shop_name=settings.shop_name, encoding=config.encoding, timezone=settings.timezone,
                    language=config.language, label_size=config.label_size, dots_per_mm=config.dots_per_mm)
            except Exception as exc:  # noqa: BLE001 - bad stored data: this job can never print as it is
                error = redact(f"cannot render {claim.document}: {exc}")  # the renderer may quote the job's data
                _finish(engine, claim.id, status=PrintStatus.FAILED, error=error, printed_at=None)
                run.failed += 1
                run.errors.append(f"job {claim.id}: {error}")
                continue
            try:
                link.send(payload)
            except PrinterOffline as exc:
                _retry_later(engine, claim.id, str(exc), now)
                run.retrying += 1
                run.errors.append(str(exc))
                run.offline[name] = str(exc)
                return  # this printer's later jobs wait behind this one
            _finish(engine, claim.id, status=PrintStatus.DONE, error="", printed_at=utcnow())
            run.printed += 1
    finally:
        if link is not None:
            link.close()


def _claim_next(engine: Engine, printer: str, now: datetime) -> _Claim | None:
    """Take the printer's oldest pending job if it is due; None when it is not (or someone else took it)."""
    with session_scope(engine) as session:
        job = session.exec(select(PrintJob).where(PrintJob.printer == printer, col(PrintJob.status).in_(PENDING))
                           .order_by(col(PrintJob.id)).limit(1)).first()
        if job is None or job.next_attempt_at > now:
            return None
        # Conditional on what was read: a second process claiming the same job updates nothing.
        claimed = session.execute(
            update(PrintJob)
            .where(col(PrintJob.id) == job.id, col(PrintJob.status) == job.status,
                   col(PrintJob.next_attempt_at) == job.next_attempt_at)
            .values(status=PrintStatus.PRINTING, next_attempt_at=now + timedelta(seconds=LEASE_SECONDS))
        )
        if claimed.rowcount != 1:
            return None
        return _Claim(job.id, job.document, job.data)


def _retry_later(engine: Engine, job_id: int, error: str, now: datetime) -> None:
    with session_scope(engine) as session:
        job = session.get(PrintJob, job_id)
        job.attempts += 1
        job.last_error = error[:500]
        job.status = PrintStatus.QUEUED
        job.next_attempt_at = BACKOFF.next_attempt(job.attempts, now)
        session.add(job)


def _finish(engine: Engine, job_id: int, *, status: str, error: str, printed_at: datetime | None) -> None:
    with session_scope(engine) as session:
        job = session.get(PrintJob, job_id)
        job.attempts += 1
        job.status = status
        job.last_error = error[:500]
        job.printed_at = printed_at
        session.add(job)


def as_dict(job: PrintJob) -> dict[str, Any]:
    """A job for ``--format json``: plain values, times in ISO UTC."""
    return {
        "id": job.id, "printer": job.printer, "document": job.document, "ref": job.ref, "status": job.status,
        "attempts": job.attempts, "last_error": job.last_error, "created_at": job.created_at.isoformat(),
        "created_by": job.created_by, "next_attempt_at": job.next_attempt_at.isoformat(),
        "printed_at": job.printed_at.isoformat() if job.printed_at else None, "reprint_of": job.reprint_of,
    }
