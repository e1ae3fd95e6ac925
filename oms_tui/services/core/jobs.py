"""The jobs table: one row per scheduler job — what it is, how often it runs, when it is due next and
how its last run went — so ``oms jobs`` (and a screen) can show it, and so each due run happens once
however many scheduler processes watch the table.

A run is claimed in a short transaction that moves ``next_due_at`` one interval on, conditional on
the row still being due: of two schedulers that saw the same due row, the second claims nothing.
Its outcome is recorded in another transaction when it ends. A scheduler that dies mid-run leaves
the row ``running``; the next interval runs it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from oms_tui.db import session_scope
from oms_tui.errors import NotFound
from oms_tui.i18n import N_
from oms_tui.models import Job, utcnow


class JobStatus(StrEnum):
    RUNNING = "running"
    OK = "ok"
    ERROR = "error"


@dataclass(frozen=True)
class JobSpec:
    """A job as the configuration asks for it."""

    name: str
    kind: str
    interval_seconds: float
    target: str = ""
    enabled: bool = True


def sync_specs(engine: Engine, specs: Iterable[JobSpec], *, now: datetime | None = None) -> None:
    """Make the table match ``specs``: new jobs are due now; kind, target, interval and enabled follow
    the spec; a job no spec names any more (its shop left the config) is disabled, its history kept."""
    now = now or utcnow()
    specs = list(specs)
    for attempt in range(3):
        try:
            with session_scope(engine) as session:
                _sync(session, specs, now)
            return
        except IntegrityError:  # another scheduler added the same new job at this moment: read again
            if attempt == 2:
                raise


def _sync(session: Session, specs: list[JobSpec], now: datetime) -> None:
    existing = {job.name: job for job in session.exec(select(Job))}
    for spec in specs:
        job = existing.pop(spec.name, None)
        if job is None:
            session.add(Job(name=spec.name, kind=spec.kind, target=spec.target,
                            interval_seconds=spec.interval_seconds, enabled=spec.enabled, next_due_at=now))
            continue
        job.kind, job.target, job.enabled = spec.kind, spec.target, spec.enabled
        job.interval_seconds = spec.interval_seconds
        # A shorter interval takes effect now, not after the old, longer wait.
        job.next_due_at = min(job.next_due_at, now + timedelta(seconds=spec.interval_seconds))
        session.add(job)
    for job in existing.values():
        if job.enabled:
            job.enabled = False
            session.add(job)
    session.flush()


def due(session: Session, *, now: datetime | None = None) -> list[Job]:
    """Enabled jobs whose next run is due, the longest overdue first."""
    return list(session.exec(select(Job).where(col(Job.enabled), col(Job.next_due_at) <= (now or utcnow()))
                             .order_by(col(Job.next_due_at), col(Job.name))))


def claim(engine: Engine, name: str, *, holder: str, now: datetime | None = None) -> Job | None:
    """Take this due run of job ``name``; None when it is not due (any more) or disabled."""
    now = now or utcnow()
    with session_scope(engine) as session:
        job = session.get(Job, name)
        if job is None or not job.enabled or job.next_due_at > now:
            return None
        # Conditional on the row still being due: a second scheduler's update matches nothing
        # (PostgreSQL re-checks the condition once the first one's row lock is released).
        taken = session.execute(
            update(Job)
            .where(col(Job.name) == name, col(Job.enabled), col(Job.next_due_at) <= now)
            .values(next_due_at=now + timedelta(seconds=job.interval_seconds), last_started_at=now,
                    last_status=JobStatus.RUNNING.value, run_by=holder[:128])
        )
        if taken.rowcount != 1:
            return None
        session.refresh(job)
        return job


def finish(engine: Engine, name: str, *, error: str | None = None, result: str = "",
           now: datetime | None = None) -> None:
    """Record how the run ended: ``error`` None is a success."""
    with session_scope(engine) as session:
        job = session.get(Job, name)
        if job is None:
            return
        job.last_finished_at = now or utcnow()
        job.last_status = JobStatus.ERROR if error else JobStatus.OK
        job.last_error = (error or "")[:500]
        job.last_result = result[:500]
        session.add(job)


def defer_until(engine: Engine, name: str, when: datetime) -> None:
    """Move job ``name``'s next run to ``when`` (a job that runs at a time of day, not every interval)."""
    with session_scope(engine) as session:
        job = session.get(Job, name)
        if job is not None:
            job.next_due_at = when
            session.add(job)


def list_jobs(session: Session) -> list[Job]:
    return list(session.exec(select(Job).order_by(col(Job.name))))


def get_job(session: Session, name: str) -> Job:
    job = session.get(Job, name)
    if job is None:
        raise NotFound(N_("no job {name!r} (oms jobs lists them)"), name=name)
    return job


def as_dict(job: Job) -> dict[str, Any]:
    """A job for ``--format json``: plain values, times in ISO UTC."""
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {"name": job.name, "kind": job.kind, "target": job.target, "interval_seconds": job.interval_seconds,
            "enabled": job.enabled, "next_due_at": iso(job.next_due_at), "last_started_at": iso(job.last_started_at),
            "last_finished_at": iso(job.last_finished_at), "last_status": job.last_status,
            "last_error": job.last_error, "last_result": job.last_result, "run_by": job.run_by}
