"""Requests follow their rule's path: intake stops big and custom orders, co-signs need two people,
only the step's roles (or those above them) decide, and the order stays locked until they do."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from oms_tui.config import ApprovalsConfig
from oms_tui.db import read_session, session_scope
from oms_tui.errors import IllegalTransition, PermissionDenied, ValidationError
from oms_tui.models import ApprovalDecision, ApprovalRequest, Order, Outbox
from oms_tui.phrases import english
from oms_tui.services.approvals import decisions, requests
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.services.cs import review
from oms_tui.services.floor import packing, waves
from oms_tui.services.intake import sync
from oms_tui.services.orders import holds
from tests.helpers.shop import normalized, stock_up

CS1 = Actor("cs1", {"cs"})
CS_LEAD = Actor("cslead", {"cs_lead"})
CS_LEAD_2 = Actor("cslead2", {"cs_lead"})
WH_LEAD = Actor("whlead", {"warehouse_lead"})
BOSS = Actor("manager", {"manager"})
BOTH = Actor("twohats", {"cs_lead", "warehouse_lead"})


def _intake(engine, *records):
    summary = sync.SyncSummary(shop="旗舰店", platform="taobao")
    sync.ingest_batch(engine, "旗舰店", "taobao", list(records), summary, warehouse_code=None, user="sync")
    assert summary.malformed == 0, summary.problems
    with read_session(engine) as s:
        return {o.platform_order_id: o for o in s.exec(select(Order))}


def _state(engine, order_id):
    with read_session(engine) as s:
        order = s.get(Order, order_id)
        return order.status, sorted(h.kind for h in holds.open_holds(s, order_id))


def _requests(engine, order_id):
    with read_session(engine) as s:
        return list(s.exec(select(ApprovalRequest).where(ApprovalRequest.order_id == order_id)
                           .order_by(ApprovalRequest.id)))


def test_a_large_or_custom_order_stops_itself_on_intake_and_waits_for_the_cs_lead(seeded):
    stock_up(seeded, "HG-001", 400)
    stock_up(seeded, "HG-CUSTOM", 5)
    orders = _intake(seeded, normalized("BIG", {"HG-001": 260}, total_fen=517400, paid_fen=517400),
                     normalized("SMALL", {"HG-001": 2}), normalized("CUSTOM", {"HG-CUSTOM": 1}, total_fen=8800, paid_fen=8800))
    assert _state(seeded, orders["SMALL"].id) == ("ready", [])
    assert _state(seeded, orders["BIG"].id) == ("approval", ["approval_pending"])
    assert _state(seeded, orders["CUSTOM"].id) == ("approval", ["approval_pending"])
    [big] = _requests(seeded, orders["BIG"].id)
    [custom] = _requests(seeded, orders["CUSTOM"].id)
    assert (big.kind, big.rule, big.requested_by, big.waiting_for) == ("large_order", "large-order", "sync", ",cs_lead,")
    assert english(big.reason) == "order total ¥5,174.00 is above ¥5,000.00 (rule large-order)"
    assert (custom.kind, english(custom.reason)) == ("custom_item", "the order has an item tagged custom (rule custom-item)")
    assert (big.due_at - big.requested_at).total_seconds() == 2 * 3600
    with read_session(seeded) as s:  # the CS lead hears of it through the outbox, in the same transaction
        told = [json.loads(m.payload) for m in s.exec(select(Outbox).where(Outbox.kind == "alert"))]
        candidates = [o.platform_order_id for o in waves.candidate_orders(s)]
    assert sorted((a["event"], a["order"], tuple(a["roles"])) for a in told) == [
        ("approval_waiting", "BIG", ("cs_lead",)), ("approval_waiting", "CUSTOM", ("cs_lead",))]
    assert candidates == ["SMALL"]  # never picked while pending
    with session_scope(seeded) as s:
        decisions.decide(s, big.id, actor=CS_LEAD, approve=True, comment="老客户批发")
    assert _state(seeded, orders["BIG"].id) == ("ready", [])


def test_a_co_signed_transfer_needs_the_warehouse_lead_and_the_cs_lead_as_two_people(seeded):
    stock_up(seeded, "HG-001", 5)
    order = _intake(seeded, normalized("T1", {"HG-001": 1}))["T1"]
    with session_scope(seeded) as s:
        request = review.request_approval(s, order.id, kind="transfer", reason="杭州仓缺货，从广州仓调", actor=CS1).id
    [asked] = _requests(seeded, order.id)
    assert (asked.rule, json.loads(asked.path), asked.waiting_for) == (
        "transfer-or-presale", [["warehouse_lead", "cs_lead"]], ",warehouse_lead,cs_lead,")
    with session_scope(seeded) as s, pytest.raises(PermissionDenied) as wrong:
        decisions.decide(s, request, actor=Actor("wh1", {"warehouse"}), approve=True)
    assert "may not approve or reject requests" in str(wrong.value)  # no approver at all
    with session_scope(seeded) as s:
        decisions.decide(s, request, actor=BOTH, approve=True, comment="仓库同意")
    with session_scope(seeded) as s, pytest.raises(PermissionDenied) as twice:
        decisions.decide(s, request, actor=BOTH, approve=True)
    assert "already signed this step" in str(twice.value)
    assert _state(seeded, order.id) == ("approval", ["approval_pending"])
    [half] = _requests(seeded, order.id)
    assert half.status == "pending" and half.waiting_for == ",cs_lead,"  # two hats, one signature: the first role
    with session_scope(seeded) as s, pytest.raises(PermissionDenied):
        decisions.decide(s, request, actor=WH_LEAD, approve=True)  # the warehouse's part is signed
    with session_scope(seeded) as s:
        decisions.decide(s, request, actor=CS_LEAD, approve=True)
    assert _state(seeded, order.id) == ("ready", [])
    with read_session(seeded) as s:
        signed = [(d.step, d.role, d.decided_by, d.approve) for d in
                  s.exec(select(ApprovalDecision).order_by(ApprovalDecision.id))]
    assert signed == [(0, "warehouse_lead", "twohats", True), (0, "cs_lead", "cslead", True)]


def test_only_the_steps_roles_or_a_role_above_decide_and_never_the_one_who_asked(seeded):
    stock_up(seeded, "HG-001", 5)
    order = _intake(seeded, normalized("P1", {"HG-001": 1}))["P1"]
    with session_scope(seeded) as s:
        request = review.request_approval(s, order.id, kind="price_change", reason="老客户 9 折", actor=CS_LEAD).id
    with session_scope(seeded) as s, pytest.raises(PermissionDenied) as wrong_role:
        decisions.decide(s, request, actor=WH_LEAD, approve=True)
    assert str(wrong_role.value) == f"whlead cannot decide approval request {request}: it waits for CS lead"
    with session_scope(seeded) as s, pytest.raises(PermissionDenied):
        decisions.decide(s, request, actor=CS_LEAD, approve=True)  # asked for it
    assert _state(seeded, order.id) == ("approval", ["approval_pending"])
    with session_scope(seeded) as s:
        decisions.decide(s, request, actor=BOSS, approve=False, comment="折扣超过权限")  # the manager stands above
    assert _state(seeded, order.id) == ("review", ["approval_rejected"])


def test_a_two_step_path_moves_on_step_by_step_and_a_rejection_at_any_step_ends_it(seeded):
    stock_up(seeded, "HG-001", 5)
    config = ApprovalsConfig(rules=[{"name": "gift-two-steps", "kinds": ["gift"], "steps": ["cs_lead", "manager"]}])
    orders = _intake(seeded, normalized("G1", {"HG-001": 1}), normalized("G2", {"HG-001": 1}))
    with requests.configured(config):
        with session_scope(seeded) as s:
            first = review.request_approval(s, orders["G1"].id, kind="gift", reason="送毛巾", actor=CS1).id
            second = review.request_approval(s, orders["G2"].id, kind="gift", reason="送湿巾", actor=CS1).id
        with session_scope(seeded) as s:
            decisions.decide(s, first, actor=CS_LEAD, approve=True)
            decisions.decide(s, second, actor=CS_LEAD, approve=True)
        [moved] = _requests(seeded, orders["G1"].id)
        assert (moved.step, moved.waiting_for, moved.status) == (1, ",manager,", "pending")
        with session_scope(seeded) as s, pytest.raises(PermissionDenied):
            decisions.decide(s, first, actor=CS_LEAD_2, approve=True)  # step 2 is the manager's
        with session_scope(seeded) as s:
            decisions.decide(s, first, actor=BOSS, approve=True)
            decisions.decide(s, second, actor=BOSS, approve=False, comment="本月赠品已超")
    assert _state(seeded, orders["G1"].id) == ("ready", [])
    assert _state(seeded, orders["G2"].id) == ("review", ["approval_rejected"])
    with read_session(seeded) as s:
        told = [json.loads(m.payload)["roles"] for m in s.exec(select(Outbox).where(Outbox.kind == "alert"))]
    assert told.count(["manager"]) == 2  # each request told the manager when it reached step 2


def test_an_address_change_after_picking_locks_the_order_at_the_pack_station_until_decided(seeded):
    stock_up(seeded, "HG-001", 5)
    order = _intake(seeded, normalized("AC1", {"HG-001": 1}))["AC1"]
    with session_scope(seeded) as s, pytest.raises(IllegalTransition):
        review.request_approval(s, order.id, kind="address_change", reason="买家改地址", actor=CS1)  # not picked yet
    with session_scope(seeded) as s:
        waves.create_wave(s, catalogue.get_warehouse(s, "WH1"), courier="yuantong", actor=Actor.system("li"))
    with session_scope(seeded) as s:
        request = review.request_approval(s, order.id, kind="address_change", reason="买家改到上海", actor=CS1,
                                          detail={"address": "上海市浦东新区"}).id
    assert _state(seeded, order.id) == ("picking", ["approval_pending"])
    station = packing.PackSession(station="P1", actor=Actor("li", {"warehouse"}))
    refused = station.scan(seeded, "AC1")
    assert refused.result == "refused"
    assert refused.message == ("Order AC1 waits for approval, do not pack it: "
                               f"address change after picking: 买家改到上海 (request #{request})")
    with session_scope(seeded) as s:
        decisions.decide(s, request, actor=WH_LEAD, approve=True)
        decisions.decide(s, request, actor=CS_LEAD, approve=True)
    assert _state(seeded, order.id) == ("picking", [])
    assert station.scan(seeded, "AC1").result == "order"


def test_intake_kinds_are_not_asked_for_by_hand(seeded):
    stock_up(seeded, "HG-001", 5)
    order = _intake(seeded, normalized("H1", {"HG-001": 1}))["H1"]
    with session_scope(seeded) as s, pytest.raises(ValidationError) as refused:
        review.request_approval(s, order.id, kind="large_order", reason="x", actor=CS1)
    assert "asked for by the order itself" in str(refused.value)
