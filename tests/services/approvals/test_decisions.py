"""Approval holds close only by an approval decision, taken by a lead who did not ask for it."""

from __future__ import annotations

import pytest
from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.errors import PermissionDenied, ValidationError
from oms_tui.i18n import setup_language
from oms_tui.models import ApprovalRequest, AuditEvent, Hold, HoldKind, Order
from oms_tui.phrases import english, render
from oms_tui.services.approvals import decisions
from oms_tui.services.core.actor import Actor
from oms_tui.services.cs import exceptions, review
from oms_tui.services.orders import holds
from tests.helpers.shop import ingest, stock_up

CS1 = Actor("cs1", {"cs"})
LEAD = Actor("cslead", {"cs_lead"})
BOSS = Actor("manager", {"manager"})


@pytest.fixture
def asked(seeded):
    """A ready order on which cs1 asked for a price change: it waits in approval."""
    stock_up(seeded, "HG-001", 5)
    order = ingest(seeded, "A1", {"HG-001": 1})
    with session_scope(seeded) as s:
        request = review.request_approval(s, order.id, kind="price_change", reason="老客户 9 折", actor=CS1,
                                          detail={"price": "17.91"})
        hold = s.exec(select(Hold).where(Hold.order_id == order.id, Hold.kind == HoldKind.APPROVAL_PENDING)).one()
        return seeded, order.id, request.id, hold.id


def _state(engine, order_id, request_id):
    with read_session(engine) as s:
        order, request = s.get(Order, order_id), s.get(ApprovalRequest, request_id)
        return order.status, request.status, [h.kind for h in holds.open_holds(s, order_id)]


def test_the_requester_cannot_let_the_order_go_through_exceptions_single_or_bulk(asked):
    engine, order_id, request_id, hold_id = asked
    before = _state(engine, order_id, request_id)
    with session_scope(engine) as s, pytest.raises(ValidationError) as refused:
        exceptions.resolve(s, hold_id, actor=CS1, resolution="ok")
    assert f"request {request_id}" in str(refused.value) and "other than cs1" in str(refused.value)
    with session_scope(engine) as s, pytest.raises(ValidationError):
        exceptions.resolve(s, hold_id, actor=LEAD, resolution="looks fine")  # not even a lead, with a text
    with session_scope(engine) as s, pytest.raises(ValidationError):
        exceptions.bulk_resolve(s, "approval_pending", actor=BOSS, resolution="all fine")
    with read_session(engine) as s, pytest.raises(ValidationError):
        exceptions.resolvable_kind(s, hold_id)
    assert _state(engine, order_id, request_id) == before == ("approval", "pending", ["approval_pending"])


def test_a_decision_needs_a_lead_who_did_not_ask(asked):
    engine, order_id, request_id, _hold = asked
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        decisions.decide(s, request_id, actor=CS1, approve=True)  # cs may not decide at all
    with session_scope(engine) as s:
        own = review.request_approval(s, order_id, kind="gift", reason="送毛巾", actor=LEAD).id
    with session_scope(engine) as s, pytest.raises(PermissionDenied) as refused:
        decisions.decide(s, own, actor=LEAD, approve=True)
    assert "cslead asked for approval request" in str(refused.value)
    assert _state(engine, order_id, request_id)[:2] == ("approval", "pending")


def test_approving_records_who_when_and_why_and_the_order_goes_on(asked):
    engine, order_id, request_id, hold_id = asked
    with session_scope(engine) as s:
        decisions.decide(s, request_id, actor=LEAD, approve=True, comment="老客户，同意")
    assert _state(engine, order_id, request_id) == ("ready", "approved", [])
    with read_session(engine) as s:
        request, hold = s.get(ApprovalRequest, request_id), s.get(Hold, hold_id)
        decided = s.exec(select(AuditEvent).where(AuditEvent.action == "approval.decide")).one()
    assert (request.decided_by, request.comment) == ("cslead", "老客户，同意") and request.decided_at is not None
    assert (hold.resolved_by, english(hold.resolution)) == ("cslead", "price change approved by cslead: 老客户，同意")
    assert decided.user == "cslead" and '"decision": "approved"' in decided.detail
    with session_scope(engine) as s, pytest.raises(ValidationError) as again:
        decisions.decide(s, request_id, actor=BOSS, approve=False, comment="no")
    assert str(again.value) == f"approval request {request_id} is already approved"


def test_rejecting_needs_a_reason_and_sends_the_order_back_to_cs_review_with_it(asked):
    engine, order_id, request_id, _hold = asked
    with session_scope(engine) as s, pytest.raises(ValidationError):
        decisions.decide(s, request_id, actor=BOSS, approve=False, comment="  ")
    assert _state(engine, order_id, request_id)[:2] == ("approval", "pending")
    with session_scope(engine) as s:
        decisions.decide(s, request_id, actor=BOSS, approve=False, comment="折扣超过权限")
    assert _state(engine, order_id, request_id) == ("review", "rejected", ["approval_rejected"])
    with read_session(engine) as s:
        [rejected] = holds.open_holds(s, order_id)
        [queued] = review.list_queue(s)
    assert queued.order_id == order_id
    assert english(rejected.reason) == "price change rejected by manager: 折扣超过权限"
    try:
        setup_language("zh_CN")
        assert "rejected" not in render(rejected.reason) and "折扣超过权限" in render(rejected.reason)
    finally:
        setup_language("en")
    with session_scope(engine) as s:  # CS read it and lets the order go on without the change
        review.release_hold(s, rejected.id, actor=CS1, note="按原价发货")
    assert _state(engine, order_id, request_id)[0] == "ready"


def test_the_pending_list_and_a_cancelled_order_withdraws_its_request(asked):
    engine, order_id, request_id, _hold = asked
    with read_session(engine) as s:
        [pending] = decisions.list_pending(s)
        assert (pending.id, pending.platform_order_id, pending.requested_by) == (request_id, "A1", "cs1")
    from oms_tui.services.orders import actions

    with session_scope(engine) as s:
        actions.cancel(s, s.get(Order, order_id), actor=CS1, reason="买家不要了")
    assert _state(engine, order_id, request_id) == ("cancelled", "withdrawn", [])
    with read_session(engine) as s:
        assert decisions.list_pending(s) == [] and decisions.count_pending(s) == 0
