"""`oms approvals …`: the waiting requests, and a decision taken by a lead who did not ask."""

from __future__ import annotations

import json

from oms_tui.db import make_engine, session_scope
from oms_tui.services.core import users
from oms_tui.services.core.actor import Actor
from oms_tui.services.cs import review
from tests.helpers.shop import ingest, stock_up


def test_list_approve_and_reject_from_the_command_line(oms, cli_db, monkeypatch):
    engine = make_engine(cli_db)
    stock_up(engine, "HG-001", 5)
    first, second = ingest(engine, "A1", {"HG-001": 1}), ingest(engine, "A2", {"HG-001": 1})
    with session_scope(engine) as s:
        for name, roles in (("cs1", ["cs"]), ("lead", ["cs_lead"])):
            users.add_user(s, name, "1234", roles, actor=Actor.system("t"))
        asked = [review.request_approval(s, o.id, kind="price_change", reason="老客户", actor=Actor("cs1", {"cs"})).id
                 for o in (first, second)]
    engine.dispose()
    code, out, _ = oms("approvals", "list", "--format", "json")
    assert code == 0 and [(r["id"], r["platform_order_id"], r["requested_by"]) for r in json.loads(out)] == [
        (asked[0], "A1", "cs1"), (asked[1], "A2", "cs1")]
    monkeypatch.setenv("OMS_CLI_USER", "cs1")
    code, _, err = oms("approvals", "approve", str(asked[0]))
    assert code == 1 and "may not approve or reject requests" in err  # cs is no approver
    monkeypatch.setenv("OMS_CLI_USER", "lead")
    assert oms("approvals", "approve", str(asked[0]), "--comment", "ok")[0] == 0
    code, _, err = oms("approvals", "reject", str(asked[1]))
    assert code == 2  # --reason is required: CS reads it
    code, out, _ = oms("approvals", "reject", str(asked[1]), "--reason", "超出权限")
    assert code == 0 and "rejected" in out
    statuses = {o["platform_order_id"]: (o["status"], [h["kind"] for h in o["holds"]])
                for o in json.loads(oms("orders", "list", "--format", "json")[1])}
    assert statuses == {"A1": ("ready", []), "A2": ("review", ["approval_rejected"])}
    assert json.loads(oms("approvals", "list", "--format", "json")[1]) == []


def test_a_co_sign_from_the_command_line_and_only_mine(oms, cli_db, monkeypatch):
    engine = make_engine(cli_db)
    stock_up(engine, "HG-001", 5)
    order = ingest(engine, "C1", {"HG-001": 1})
    with session_scope(engine) as s:
        for name, roles in (("cs1", ["cs"]), ("lead", ["cs_lead"]), ("wl", ["warehouse_lead"])):
            users.add_user(s, name, "1234", roles, actor=Actor.system("t"))
        asked = review.request_approval(s, order.id, kind="presale_delay", reason="预售延期 7 天",
                                        actor=Actor("cs1", {"cs"})).id
    engine.dispose()
    [row] = json.loads(oms("approvals", "list", "--format", "json")[1])
    assert (row["waiting_for"], row["step"], row["steps"], row["rule"]) == (
        ["warehouse_lead", "cs_lead"], 1, 1, "transfer-or-presale")
    monkeypatch.setenv("OMS_CLI_USER", "wl")
    code, out, _ = oms("approvals", "approve", str(asked))
    assert code == 0 and "waiting for the next signature" in out
    assert json.loads(oms("approvals", "list", "--mine", "--format", "json")[1]) == []  # nothing left for wl
    monkeypatch.setenv("OMS_CLI_USER", "lead")
    assert [r["id"] for r in json.loads(oms("approvals", "list", "--mine", "--format", "json")[1])] == [asked]
    code, out, _ = oms("approvals", "approve", str(asked), "--comment", "同意延期")
    assert code == 0 and "approved" in out
