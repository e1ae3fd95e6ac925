"""What the warehouse-floor screens (pick list, pack station, returns, print queue) share: the courier
choice and how a print request ended."""

from __future__ import annotations

from oms_tui.i18n import _
from oms_tui.models import PrintStatus
from oms_tui.services.catalogue import couriers
from oms_tui.services.floor.print_request import PrintOutcome
from oms_tui.services.floor.printing import JobState


def courier_options() -> list[tuple[str, str]]:
    """The couriers for a Select: each as people call it, with its Kuaidi100 code."""
    return [(f"{couriers.display_name(code)} ({code})", code) for code in couriers.COURIERS]


def print_note(outcome: PrintOutcome, state: JobState | None = None) -> str:
    """One line on how a print request ended: nothing queued, queued and being sent, or ``job_note``."""
    if not outcome.queued:
        return _("No printer configured: nothing printed")
    if state is None:
        return _("Queued for printer {printer}: sending…").format(printer=outcome.printer or "")
    return job_note(state)


def job_note(state: JobState) -> str:
    """Where a job stands after it was sent: printed, or queued and why (never "sent" when it is not out)."""
    if state.printed:
        return _("Printed on {printer}").format(printer=state.printer)
    if state.offline:
        return _("Queued: printer {printer} is offline; it will print when it is back").format(printer=state.printer)
    if state.status == PrintStatus.FAILED:
        return _("Job {job} cannot print on {printer}: see the print queue").format(job=state.job_id,
                                                                                   printer=state.printer)
    if state.status == PrintStatus.CANCELLED:
        return _("Job {job} was cancelled: nothing printed").format(job=state.job_id)
    return _("Queued for printer {printer}: waiting behind earlier jobs").format(printer=state.printer)
