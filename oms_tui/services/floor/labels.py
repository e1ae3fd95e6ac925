"""E-waybill labels at the pack station: the waybill asked of the courier and its label queued for the
label printer, and a label printed again from the order.

The waybill itself is services/shipping/waybills.py (one per parcel, idempotent); this puts its label in
the print queue (document ``waybill_label``), whose retries, reprints and cancelling apply as to any job.
"""

from __future__ import annotations

import functools

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from oms_tui.config import Settings
from oms_tui.db import session_scope
from oms_tui.errors import NotFound, ValidationError
from oms_tui.i18n import N_
from oms_tui.models import WaybillStatus
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor, require
from oms_tui.services.floor import print_request
from oms_tui.services.orders import queries
from oms_tui.services.shipping import waybills
from oms_tui.services.shipping.services import LabelService

DOCUMENT = "waybill_label"


@dataclass(frozen=True)
class LabelOutcome:
    """The parcel's waybill and where its label stands."""

    waybill: str
    courier: str
    new: bool  # the courier issued it just now
    job_id: int | None  # the queued label, None when no printer takes labels
    print_error: str = ""


def queue_label(session: Session, issued: waybills.Issued, *, user: str, settings: Settings | None = None,
                ref: str = "") -> print_request.PrintOutcome:
    data = {"waybill": issued.waybill, "courier": issued.courier, "image": issued.label_base64}
    return print_request.request_print(session, DOCUMENT, ref=ref or issued.waybill, data=data, user=user,
                                       settings=settings)


def issuer_for(*, actor: Actor, service: LabelService, settings: Settings):
    """What the pack station calls once a parcel is complete: ``(engine, parcel id) → LabelOutcome``."""
    return functools.partial(issue_and_print, actor=actor, service=service, settings=settings)


def issue_and_print(engine: Engine, parcel_id: int, *, actor: Actor, service: LabelService,
                    settings: Settings) -> LabelOutcome:
    """The parcel's waybill (asked of the courier once) and, when it is new, its label in the print queue."""
    issued = waybills.issue_waybill(engine, parcel_id, actor=actor, service=service, config=settings.kuaidi100)
    if not issued.new:  # printed when it was issued; a lost label is reprinted from the order
        return LabelOutcome(issued.waybill, issued.courier, False, None)
    with session_scope(engine) as session:
        outcome = queue_label(session, issued, user=actor.name, settings=settings)
    return LabelOutcome(issued.waybill, issued.courier, True, outcome.job_id, outcome.error)


def reprint_label(engine: Engine, reference: str, *, actor: Actor, settings: Settings,
                  printer: str | None = None) -> LabelOutcome:
    """Queue the label of the order's waybill again (``reference``: our order number or the platform's)."""
    require(actor, "print.manage")
    with session_scope(engine) as session:
        order = queries.find_by_reference(session, reference)
        if order.parcel_id is None:
            raise NotFound(N_("order {order} has no e-waybill label"), order=order.platform_order_id)
        request = waybills.request_of(session, order.parcel_id)
        if request is None or request.status != WaybillStatus.ISSUED or not request.label:
            raise NotFound(N_("order {order} has no e-waybill label"), order=order.platform_order_id)
        issued = waybills.Issued(order.parcel_id, request.waybill or "", request.courier, request.label, False)
        data = {"waybill": issued.waybill, "courier": issued.courier, "image": issued.label_base64}
        outcome = print_request.request_print(session, DOCUMENT, ref=issued.waybill, data=data, user=actor.name,
                                              printer=printer, settings=settings)
        if outcome.job_id is None:
            raise ValidationError(N_("the label was not queued: {error}"), error=outcome.error)
        audit.record(session, actor.name, "waybill.reprint", "parcel", order.parcel_id, waybill=issued.waybill,
                     job=outcome.job_id)
        return LabelOutcome(issued.waybill, issued.courier, False, outcome.job_id)
