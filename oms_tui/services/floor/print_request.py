"""Asking for a document to be printed from the warehouse floor (pick list, packing slip, return slip).

A thin wrapper over ``printing.enqueue`` that never undoes the caller's work: a wave or a return
is recorded whether or not a printer is configured; the caller tells the user what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from oms_tui.errors import ValidationError
from oms_tui.services.floor import printing


@dataclass(frozen=True)
class PrintOutcome:
    job_id: int | None  # the queued PrintJob, None when nothing was queued
    printer: str | None
    error: str = ""  # why nothing was queued (English, as the printing service said it)

    @property
    def queued(self) -> bool:
        return self.job_id is not None

    @property
    def no_printer(self) -> bool:
        return self.job_id is None


def request_print(session: Session, document: str, *, ref: str, data: dict[str, Any], user: str,
                  printer: str | None = None, settings: Any = None) -> PrintOutcome:
    """Queue ``document`` in the caller's transaction; a missing printer is an outcome, not an error.

    ``settings`` (the app's, when it has its own) goes to the printing service to choose the printer.
    """
    try:
        # A savepoint: a refused print leaves the caller's transaction exactly as it was.
        with session.begin_nested():
            extra = {"settings": settings} if settings is not None else {}
            job = printing.enqueue(session, document, ref=ref, data=data, printer=printer, user=user, **extra)
            session.flush()
    except ValidationError as exc:
        if "printer" not in str(exc).lower():
            raise
        return PrintOutcome(None, printer, str(exc))
    return PrintOutcome(job.id, getattr(job, "printer", printer))
