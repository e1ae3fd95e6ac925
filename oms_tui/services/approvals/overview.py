"""What an approver reads before deciding: the request, its path and signatures so far, the order, and
the customer's history across platforms with the credit score (customers/history.py has the formula)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from oms_tui.services.approvals import decisions, requests, rules
from oms_tui.services.customers import history
from oms_tui.services.orders import queries


@dataclass(frozen=True)
class Signature:
    step: int
    role: str
    user: str
    approve: bool
    comment: str
    at: datetime


@dataclass(frozen=True)
class RequestDetail:
    id: int
    kind: str
    status: str
    reason: str  # stored phrase or plain text
    detail: dict[str, str]  # what exactly: the new price, the gift …
    rule: str
    steps: list[list[str]]
    step: int
    waiting_for: list[str]
    due_at: datetime | None
    escalations: int
    requested_by: str
    requested_at: datetime
    signatures: list[Signature]
    order_id: int
    platform: str
    platform_order_id: str
    order_status: str
    shop: str
    total_fen: int
    paid_fen: int
    receiver_name: str
    lines: list[tuple[str, str, int, int]]  # sku, title, qty, price
    history: history.CustomerHistory | None
    credit: history.CreditSummary | None


def _detail_values(stored: str) -> dict[str, str]:
    try:
        data = json.loads(stored or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def request_detail(session: Session, request_id: int) -> RequestDetail:
    request = decisions.get_request(session, request_id)
    order = queries.get_order(session, request.order_id)
    lines = [(line.sku_code, line.title, line.qty, line.price_fen)
             for line in queries.lines_of(session, [order.id])[order.id]]
    past = history.customer_history(session, order.customer_id, limit=20) if order.customer_id else None
    return RequestDetail(
        request.id, request.kind, request.status, request.reason, _detail_values(request.detail),
        request.rule or rules.DEFAULT_RULE, rules.load_path(request.path, requests.current_config()), request.step,
        rules.roles_of(request.waiting_for), request.due_at, request.escalations, request.requested_by,
        request.requested_at,
        [Signature(d.step, d.role, d.decided_by, d.approve, d.comment, d.decided_at)
         for d in decisions.signatures(session, request.id)],
        order.id, order.platform, order.platform_order_id, order.status, order.shop or "", order.total_fen,
        order.paid_fen, order.receiver_name, lines, past, history.credit_summary(past) if past else None)
