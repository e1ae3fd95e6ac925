"""Approval requests: opening one on an order, and where one stands on its path.

A request locks its order: an ``approval_pending`` hold keeps a not-yet-picked order in ``approval`` (never
in a wave) and makes the pack station refuse an order already picked (an address change after
picking), saying why. The path comes from the rules (rules.py); the request waits for the roles of its
current step that have not signed, and — once it has climbed — for the roles above them too. Only a
decision (decisions.py) closes the hold.

Two ways in: CS asks by hand (``cs.review.request_approval``: a price change, a gift, an address
change after picking …), or a new order meets an intake rule (``on_new_order``: total above 5000 yuan, a
``custom`` item), which the intake calls for every order it creates.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from oms_tui.config import ApprovalsConfig, get_settings
from oms_tui.errors import ValidationError
from oms_tui.i18n import N_
from oms_tui.money import yuan
from oms_tui.models import (
    OPEN_STATUSES,
    ApprovalDecision,
    ApprovalRequest,
    ApprovalStatus,
    HoldKind,
    Order,
    OrderLine,
    Sku,
    utcnow,
)
from oms_tui.names import APPROVAL_KIND_NAMES, INTAKE_APPROVAL_KINDS
from oms_tui.phrases import phrase
from oms_tui.services.approvals import rules
from oms_tui.services.core import audit
from oms_tui.services.messaging import alerts, events
from oms_tui.services.orders import holds, lifecycle

_override: ApprovalsConfig | None = None


def current_config() -> ApprovalsConfig:
    return _override if _override is not None else get_settings().approvals


@contextmanager
def configured(config: ApprovalsConfig) -> Iterator[ApprovalsConfig]:
    """Use ``config`` instead of the settings' ``[approvals]`` for a while (tests, the demo)."""
    global _override
    previous, _override = _override, config
    try:
        yield config
    finally:
        _override = previous


def order_facts(session: Session, order: Order) -> rules.OrderFacts:
    tags = session.exec(select(Sku.tags).join(OrderLine, col(OrderLine.sku_id) == col(Sku.id))
                        .where(OrderLine.order_id == order.id)).all()
    return rules.OrderFacts(total_fen=order.total_fen, shop=order.shop or "", platform=order.platform,
                            sku_tags=frozenset(t for text in tags for t in text.split(",") if t))


@dataclass(frozen=True)
class Standing:
    """Where a pending request stands: the step's roles, those still to sign, and who may sign now."""

    steps: list[list[str]]
    step_roles: list[str]
    signed: dict[str, str]  # role → the user who signed it at this step
    outstanding: list[str]
    waiting_for: list[str]  # the outstanding roles and those they have climbed to


def standing(session: Session, request: ApprovalRequest, config: ApprovalsConfig | None = None) -> Standing:
    config = config or current_config()
    steps = rules.load_path(request.path, config)
    step_roles = steps[min(request.step, len(steps) - 1)]
    signed = {d.role: d.decided_by for d in session.exec(
        select(ApprovalDecision).where(ApprovalDecision.request_id == request.id, ApprovalDecision.step == request.step,
                                       col(ApprovalDecision.approve).is_(True)))}
    outstanding = [role for role in step_roles if role not in signed]
    waiting = [up for role in outstanding for up in rules.climb(config, role, request.escalations)]
    return Standing(steps, step_roles, signed, outstanding, list(dict.fromkeys(waiting)))


def open_request(session: Session, order: Order, *, kind: str, reason: str, user: str,
                 detail: dict[str, Any] | None = None, now: datetime | None = None,
                 path: rules.Path | None = None) -> ApprovalRequest:
    """Open a request on ``order`` (the caller checked who may ask) and hold the order for it."""
    if kind not in APPROVAL_KIND_NAMES:
        raise ValidationError(N_("unknown approval kind {kind!r}; one of: {kinds}"), kind=kind,
                              kinds=", ".join(APPROVAL_KIND_NAMES))
    if not reason.strip():
        raise ValidationError(N_("an approval request needs a reason"))
    config = current_config()
    now = now or utcnow()
    path = path or rules.path_for(config, kind, order_facts(session, order))
    request = ApprovalRequest(order_id=order.id, kind=kind, reason=reason.strip()[:500], requested_by=user,
                              requested_at=now, detail=json.dumps(detail or {}, ensure_ascii=False, default=str),
                              rule=path.rule, path=rules.dump_path(path.steps), step=0,
                              waiting_for=rules.role_list(path.steps[0]),
                              due_at=now + timedelta(minutes=path.escalate_minutes),
                              escalate_minutes=path.escalate_minutes)
    session.add(request)
    session.flush()
    audit.record(session, user, "approval.request", "order", order.id, request=request.id, kind=kind, reason=reason,
                 rule=path.rule, detail=detail or {})
    hold = holds.open_hold(session, order, HoldKind.APPROVAL_PENDING, user=user,
                           reason=phrase(N_("{kind}: {reason} (request #{request})"), kind=APPROVAL_KIND_NAMES[kind],
                                         reason=reason.strip(), request=request.id, translated=("kind",)))
    if hold.opened_at > now:  # opened now for a request dated earlier (an import of the past, the demo)
        hold.opened_at = now
        session.add(hold)
    lifecycle.settle_status(session, order, user=user)
    tell_waiting(session, request, order, path.steps[0])
    return request


def tell_waiting(session: Session, request: ApprovalRequest, order: Order, roles: list[str]) -> None:
    """An alert to the roles a request now waits for (their channels in ``[notify.routes]``)."""
    alerts.raise_alert(session, events.APPROVAL_WAITING,
                       alerts.subject_phrase(N_("{kind} waits for approval: order {order} (request #{request})"),
                                             kind=APPROVAL_KIND_NAMES.get(request.kind, request.kind),
                                             order=order.platform_order_id, request=str(request.id),
                                             translated=("kind",)),
                       order=order, roles=roles, detail={"request": str(request.id)})


def on_new_order(session: Session, order: Order, *, user: str, now: datetime | None = None) -> list[ApprovalRequest]:
    """The intake rules: a new order that is large or has a custom item stops itself for approval."""
    if order.status not in OPEN_STATUSES:
        return []
    facts = order_facts(session, order)
    opened = []
    for kind, path in rules.intake_paths(current_config(), facts):
        rule = path.source
        if kind == "large_order":
            reason = phrase(N_("order total {total} is above {threshold} (rule {rule})"),
                            total=yuan(order.total_fen), threshold=yuan(round((rule.total_above_yuan or 0) * 100)),
                            rule=rule.name)
        else:
            reason = phrase(N_("the order has an item tagged {tags} (rule {rule})"),
                            tags=", ".join(sorted(facts.sku_tags & set(rule.sku_tags))), rule=rule.name)
        opened.append(open_request(session, order, kind=kind, reason=reason, user=user, now=now, path=path))
    return opened


def on_new_orders(session: Session, created: list[tuple[int, int, str, str, list[int]]], *, user: str) -> None:
    """``on_new_order`` for a batch's new orders — (order id, total, shop, platform, SKU ids) each — with the
    SKUs' tags read once: only the orders an intake rule meets are read and stopped."""
    config = current_config()
    if not created or not any(kind in rule.kinds for rule in config.rules for kind in INTAKE_APPROVAL_KINDS):
        return
    wanted = sorted({sku for *_rest, skus in created for sku in skus})
    tags = dict(session.exec(select(Sku.id, Sku.tags).where(col(Sku.id).in_(wanted))).all()) if wanted else {}
    for order_id, total_fen, shop, platform, skus in created:
        facts = rules.OrderFacts(total_fen=total_fen, shop=shop or "", platform=platform,
                                 sku_tags=frozenset(t for sku in skus for t in (tags.get(sku) or "").split(",") if t))
        if rules.intake_paths(config, facts):
            order = session.get(Order, order_id)
            if order is not None:
                on_new_order(session, order, user=user)


def pending_of(session: Session, order_id: int) -> list[ApprovalRequest]:
    return list(session.exec(select(ApprovalRequest).where(ApprovalRequest.order_id == order_id,
                                                           ApprovalRequest.status == ApprovalStatus.PENDING)
                             .order_by(col(ApprovalRequest.id))))
