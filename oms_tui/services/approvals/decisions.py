"""Approval decisions: the roles a request waits for sign it, step by step, or one of them rejects it.

A request (requests.py) holds its order with an ``approval_pending`` hold; only a decision here closes
it — not the exceptions desk, not the review queue (``orders.actions.resolve_hold`` refuses approval
holds). Who may decide is checked here, whatever screen or command asks:

- the one who asked never decides their own request;
- a signer must hold a role of the current step not yet signed, or a role above it in the escalation
  chain (``[approvals] escalation``: the manager may always step in; a request that stalls climbs to
  them and tells them — escalation.py). A warehouse lead cannot sign a CS lead's step. A co-signed
  step needs each of its roles signed by a different person; someone above the step's roles (the
  manager, say) signs for every role of the step still open at once;
- a rejection needs a reason, and ends the request whatever step it stood at.

Every signature is kept (``ApprovalDecision``: who, which role, which step, when, what they said) and in
the order's history. Approved at the last step: the order goes on as its other holds allow. Rejected:
the order goes back to CS review with an ``approval_rejected`` hold carrying the approver's reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import false, func, or_
from sqlmodel import Session, col, select

from oms_tui.errors import NotFound, PermissionDenied, ValidationError
from oms_tui.i18n import N_
from oms_tui.models import ApprovalDecision, ApprovalRequest, ApprovalStatus, HoldKind, Order, utcnow
from oms_tui.names import APPROVAL_KIND_NAMES, APPROVAL_STATUS_NAMES, ROLE_NAMES
from oms_tui.phrases import phrase
from oms_tui.services.approvals import requests, rules
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor, require
from oms_tui.services.orders import holds, lifecycle, queries


@dataclass(frozen=True)
class PendingApproval:
    id: int
    order_id: int
    platform: str
    platform_order_id: str
    kind: str
    reason: str
    detail: str
    requested_by: str
    requested_at: datetime
    rule: str
    step: int  # 0-based
    steps: int
    waiting_for: list[str]  # roles
    due_at: datetime | None
    escalations: int
    total_fen: int
    customer_id: int | None


def _waiting_for_any(query, roles: Iterable[str] | None):
    """Only requests that wait for one of ``roles`` (None: every pending request)."""
    if roles is None:
        return query
    roles = list(roles)
    if not roles:
        return query.where(false())
    return query.where(or_(*(col(ApprovalRequest.waiting_for).contains(f",{role},") for role in roles)))


def count_pending(session: Session, *, waiting_for: Iterable[str] | None = None) -> int:
    query = select(func.count()).select_from(ApprovalRequest).where(ApprovalRequest.status == ApprovalStatus.PENDING)
    return session.exec(_waiting_for_any(query, waiting_for)).one()


def list_pending(session: Session, *, limit: int = 50, offset: int = 0,
                 waiting_for: Iterable[str] | None = None) -> list[PendingApproval]:
    """One page of requests waiting for a decision — only those waiting for one of ``waiting_for``'s roles,
    if given — the most urgent (earliest due) first, with their order."""
    if limit <= 0 or offset < 0:
        raise ValidationError(N_("limit must be positive and offset zero or more"))
    config = requests.current_config()
    query = select(ApprovalRequest, Order).join(Order, col(Order.id) == col(ApprovalRequest.order_id)).where(
        ApprovalRequest.status == ApprovalStatus.PENDING)
    # Those that climbed (stalled) first, then by due time; the request number keeps ties in order.
    rows = session.exec(_waiting_for_any(query, waiting_for)
                        .order_by(col(ApprovalRequest.escalations).desc(), col(ApprovalRequest.due_at).is_not(None),
                                  col(ApprovalRequest.due_at),
                                  col(ApprovalRequest.requested_at), col(ApprovalRequest.id))
                        .limit(limit).offset(offset))
    return [PendingApproval(r.id, r.order_id, o.platform, o.platform_order_id, r.kind, r.reason, r.detail,
                            r.requested_by, r.requested_at, r.rule or rules.DEFAULT_RULE, r.step,
                            len(rules.load_path(r.path, config)), rules.roles_of(r.waiting_for), r.due_at,
                            r.escalations, o.total_fen, o.customer_id)
            for r, o in rows]


def get_request(session: Session, request_id: int) -> ApprovalRequest:
    request = session.get(ApprovalRequest, request_id)
    if request is None:
        raise NotFound(N_("unknown approval request {request}"), request=request_id)
    return request


def signatures(session: Session, request_id: int) -> list[ApprovalDecision]:
    """Every signature on a request, in the order they were given."""
    return list(session.exec(select(ApprovalDecision).where(ApprovalDecision.request_id == request_id)
                             .order_by(col(ApprovalDecision.id))))


def role_names(roles: list[str]) -> str:
    """Roles as a reader's list (``CS lead / manager``), in the current language."""
    from oms_tui.i18n import _

    return " / ".join(_(ROLE_NAMES.get(role, role)) for role in roles)


def decide(session: Session, request_id: int, *, actor: Actor, approve: bool, comment: str = "",
           now: datetime | None = None) -> ApprovalRequest:
    """Sign (approve) or reject a pending request as the actor's role allows; see the module docstring."""
    require(actor, "approvals.decide")
    request = get_request(session, request_id)
    order = queries.get_order(session, request.order_id)
    lifecycle.lock_for_change(session, order)  # the order row first, as every action on the order takes it
    session.refresh(request)  # another approver may have decided it while we waited
    if request.status != ApprovalStatus.PENDING:
        raise ValidationError(N_("approval request {request} is already {status}"), request=request.id,
                              status=APPROVAL_STATUS_NAMES.get(request.status, request.status), translated=("status",))
    if actor.name == request.requested_by:
        raise PermissionDenied(N_("{user} asked for approval request {request}: another lead decides it"),
                               user=actor.name, request=request.id)
    comment = comment.strip()
    if not approve and not comment:
        raise ValidationError(N_("a rejection needs a reason (CS reads it)"))
    config = requests.current_config()
    standing = requests.standing(session, request, config)
    held = set(actor.roles)
    signable = [role for role in standing.outstanding if held & set(rules.climb(config, role))]
    if not signable:
        raise PermissionDenied(N_("{user} cannot decide approval request {request}: it waits for {roles}"),
                               user=actor.name, request=request.id, roles=role_names(standing.waiting_for))
    if actor.name in standing.signed.values():
        raise PermissionDenied(N_("{user} already signed this step of approval request {request}: "
                                  "the other role signs it"), user=actor.name, request=request.id)
    own = [role for role in signable if role in held]
    signs = own[:1] if own else signable  # one person, one role of a co-sign; a superior takes the whole step
    now = now or utcnow()
    for role in signs:
        session.add(ApprovalDecision(request_id=request.id, step=request.step, role=role, decided_by=actor.name,
                                     approve=approve, comment=comment[:500], decided_at=now))
    audit.record(session, actor.name, "approval.decide", "order", order.id, request=request.id,
                 decision="approved" if approve else "rejected", step=request.step + 1, roles=",".join(signs),
                 comment=comment)
    kind = APPROVAL_KIND_NAMES.get(request.kind, request.kind)
    if not approve:
        _finish(session, request, order, actor=actor, status=ApprovalStatus.REJECTED, comment=comment, now=now,
                resolution=phrase(N_("{kind} rejected by {user}: {comment}"), kind=kind, user=actor.name,
                                  comment=comment, translated=("kind",)))
        return request
    remaining = [role for role in standing.outstanding if role not in signs]
    if remaining:  # a co-sign still missing a role: the same step waits for the others
        request.waiting_for = rules.role_list(r for role in remaining
                                              for r in rules.climb(config, role, request.escalations))
        session.add(request)
        return request
    if request.step + 1 < len(standing.steps):  # the next step of the path
        request.step += 1
        request.escalations = 0
        next_roles = standing.steps[request.step]
        request.waiting_for = rules.role_list(next_roles)
        request.due_at = now + timedelta(minutes=request.escalate_minutes)
        session.add(request)
        _close_stalled(session, order, actor=actor)
        requests.tell_waiting(session, request, order, next_roles)
        return request
    _finish(session, request, order, actor=actor, status=ApprovalStatus.APPROVED, comment=comment, now=now,
            resolution=phrase(N_("{kind} approved by {user}: {comment}") if comment else N_("{kind} approved by {user}"),
                              kind=kind, user=actor.name, comment=comment, translated=("kind",)))
    return request


def _finish(session: Session, request: ApprovalRequest, order: Order, *, actor: Actor, status: ApprovalStatus,
            comment: str, now: datetime, resolution: str) -> None:
    request.status = status
    request.decided_by = actor.name
    request.decided_at = now
    request.comment = comment[:500]
    request.waiting_for = ""
    request.due_at = None
    session.add(request)
    session.flush()
    if not requests.pending_of(session, order.id):  # the order's other requests, if any, keep it waiting
        for hold in holds.open_holds(session, order.id):
            if hold.kind in holds.APPROVAL_KINDS:
                holds.resolve(session, hold, user=actor.name, resolution=resolution)
                if hold.resolved_at is not None and hold.resolved_at > now:  # a decision dated earlier (the demo)
                    hold.resolved_at = now
                    session.add(hold)
    else:
        _close_stalled(session, order, actor=actor)
    if status == ApprovalStatus.REJECTED:
        holds.open_hold(session, order, HoldKind.APPROVAL_REJECTED, user=actor.name, reason=resolution)
    lifecycle.settle_status(session, order, user=actor.name)


def _close_stalled(session: Session, order: Order, *, actor: Actor) -> None:
    """The ``approval_stalled`` hold goes once none of the order's pending requests has climbed."""
    if any(r.escalations for r in requests.pending_of(session, order.id)):
        return
    holds.resolve_open(session, order, HoldKind.APPROVAL_STALLED, user=actor.name,
                       resolution=phrase(N_("decided by {user}"), user=actor.name))
