"""Approval decisions: a lead other than the one who asked approves or rejects a pending request.

A request (``cs.review.request_approval``) holds its order with an ``approval_pending`` hold; only a
decision here closes it — not the exceptions desk, not the review queue (``orders.actions.resolve_hold``
refuses approval holds). The decision (who, when, comment) is kept on the request and in the order's
history. Approved: the order goes on as its other holds allow. Rejected: the order goes back to CS
review with an ``approval_rejected`` hold carrying the approver's reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from oms_tui.errors import NotFound, PermissionDenied, ValidationError
from oms_tui.i18n import N_
from oms_tui.models import ApprovalRequest, ApprovalStatus, HoldKind, Order, utcnow
from oms_tui.names import APPROVAL_KIND_NAMES, APPROVAL_STATUS_NAMES
from oms_tui.phrases import phrase
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


def count_pending(session: Session) -> int:
    return session.exec(select(func.count()).select_from(ApprovalRequest)
                        .where(ApprovalRequest.status == ApprovalStatus.PENDING)).one()


def list_pending(session: Session, *, limit: int = 50, offset: int = 0) -> list[PendingApproval]:
    """One page of requests waiting for a decision, the oldest first, with their order."""
    if limit <= 0 or offset < 0:
        raise ValidationError(N_("limit must be positive and offset zero or more"))
    rows = session.exec(
        select(ApprovalRequest, Order.platform, Order.platform_order_id)
        .join(Order, col(Order.id) == col(ApprovalRequest.order_id))
        .where(ApprovalRequest.status == ApprovalStatus.PENDING)
        .order_by(col(ApprovalRequest.requested_at), col(ApprovalRequest.id)).limit(limit).offset(offset))
    return [PendingApproval(r.id, r.order_id, platform, poid, r.kind, r.reason, r.detail, r.requested_by,
                            r.requested_at) for r, platform, poid in rows]


def get_request(session: Session, request_id: int) -> ApprovalRequest:
    request = session.get(ApprovalRequest, request_id)
    if request is None:
        raise NotFound(N_("unknown approval request {request}"), request=request_id)
    return request


def decide(session: Session, request_id: int, *, actor: Actor, approve: bool, comment: str = "") -> ApprovalRequest:
    """Approve or reject a pending request; refused for the one who asked, and a rejection needs a reason."""
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
    request.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    request.decided_by = actor.name
    request.decided_at = utcnow()
    request.comment = comment[:500]
    session.add(request)
    kind = APPROVAL_KIND_NAMES.get(request.kind, request.kind)
    audit.record(session, actor.name, "approval.decide", "order", order.id, request=request.id,
                 decision=str(request.status), comment=comment)
    if approve:
        resolution = phrase(N_("{kind} approved by {user}: {comment}") if comment else N_("{kind} approved by {user}"),
                            kind=kind, user=actor.name, comment=comment, translated=("kind",))
    else:
        resolution = phrase(N_("{kind} rejected by {user}: {comment}"), kind=kind, user=actor.name, comment=comment,
                            translated=("kind",))
    still_pending = session.exec(select(ApprovalRequest.id).where(
        ApprovalRequest.order_id == order.id, ApprovalRequest.status == ApprovalStatus.PENDING)).first()
    if still_pending is None:  # the order's other requests, if any, keep it waiting
        for hold in holds.open_holds(session, order.id):
            if hold.kind in holds.APPROVAL_KINDS:
                holds.resolve(session, hold, user=actor.name, resolution=resolution)
    if not approve:
        holds.open_hold(session, order, HoldKind.APPROVAL_REJECTED, user=actor.name, reason=resolution)
    lifecycle.settle_status(session, order, user=actor.name)
    return request

