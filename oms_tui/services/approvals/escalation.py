"""Escalation: a request nobody decided in time climbs to the next role up, and the order says so.

Each request carries a due time (its rule's ``escalate_after_hours`` after it reached its step, 2 hours by
default). The scheduler's ``approval-escalation`` job calls ``escalate_due`` every minute: a request past
its due time

- climbs one level (``[approvals] escalation``: CS lead → manager, …) — the roles above the stalled ones may
  now decide it too, and the next due time is set, while there is a role left above;
- opens an ``approval_stalled`` hold on its order (once), so the order shows "approval stalled" on every
  screen, and
- raises an ``approval_stalled`` alert to the roles it now waits for (DingTalk, WeCom, … per role).

At the top of the chain it stays stalled with no further due time. The hold closes when a decision
moves the request on (decisions.py). ``now`` is the caller's: the tests drive it with their own clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from oms_tui.i18n import N_
from oms_tui.models import ApprovalRequest, ApprovalStatus, HoldKind, Order, utcnow
from oms_tui.names import APPROVAL_KIND_NAMES
from oms_tui.phrases import phrase
from oms_tui.services.approvals import requests, rules
from oms_tui.services.core import audit
from oms_tui.services.messaging import alerts, events
from oms_tui.services.orders import holds, lifecycle

SYSTEM_USER = "approvals"


@dataclass
class EscalationRun:
    escalated: list[int] = field(default_factory=list)  # request ids that climbed a level
    stalled_at_top: list[int] = field(default_factory=list)  # overdue with no role left above

    def __str__(self) -> str:
        return f"escalated={len(self.escalated)} stalled_at_top={len(self.stalled_at_top)}"


def escalate_due(session: Session, *, now: datetime | None = None, limit: int = 500) -> EscalationRun:
    """Climb every pending request whose due time has passed (see the module docstring)."""
    now = now or utcnow()
    config = requests.current_config()
    run = EscalationRun()
    due = session.exec(select(ApprovalRequest.id).where(
        ApprovalRequest.status == ApprovalStatus.PENDING, col(ApprovalRequest.due_at).is_not(None),
        col(ApprovalRequest.due_at) <= now).order_by(col(ApprovalRequest.due_at)).limit(limit)).all()
    for request_id in due:
        request = session.get(ApprovalRequest, request_id)
        order = session.get(Order, request.order_id)
        lifecycle.lock_for_change(session, order)
        session.refresh(request)  # decided meanwhile: nothing to climb
        if request.status != ApprovalStatus.PENDING or request.due_at is None or request.due_at > now:
            continue
        standing = requests.standing(session, request, config)
        waited = round((now - request.requested_at).total_seconds() / 60) if request.requested_at else 0
        if rules.can_climb(config, standing.outstanding, request.escalations):
            request.escalations += 1
            request.due_at = now + timedelta(minutes=request.escalate_minutes)
            run.escalated.append(request.id)
        else:
            request.due_at = None  # nobody left above: stays stalled until someone decides
            run.stalled_at_top.append(request.id)
        waiting = [r for role in standing.outstanding for r in rules.climb(config, role, request.escalations)]
        request.waiting_for = rules.role_list(waiting)
        session.add(request)
        kind = APPROVAL_KIND_NAMES.get(request.kind, request.kind)
        audit.record(session, SYSTEM_USER, "approval.escalate", "order", order.id, request=request.id,
                     level=request.escalations, waiting_for=",".join(rules.roles_of(request.waiting_for)))
        if not holds.has_open(session, order.id, HoldKind.APPROVAL_STALLED):
            holds.open_hold(session, order, HoldKind.APPROVAL_STALLED, user=SYSTEM_USER,
                            reason=phrase(N_("{kind} (request #{request}) has waited {minutes} minutes without "
                                             "a decision"), kind=kind, request=request.id, minutes=waited,
                                          translated=("kind",)))
        alerts.raise_alert(session, events.APPROVAL_STALLED,
                           alerts.subject_phrase(N_("approval stalled: {kind} on order {order} (request #{request}) "
                                                    "waited {minutes} minutes"),
                                                 kind=kind, order=order.platform_order_id, request=str(request.id),
                                                 minutes=str(waited), translated=("kind",)),
                           order=order, roles=rules.roles_of(request.waiting_for),
                           detail={"request": str(request.id), "level": str(request.escalations)})
    return run
