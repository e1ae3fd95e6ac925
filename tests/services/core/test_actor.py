"""Every permission is checked by the service itself: an actor without it is refused, nothing changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from oms_tui.config import Settings
from oms_tui.db import read_session, session_scope
from oms_tui.errors import PermissionDenied
from oms_tui.i18n import setup_language
from oms_tui.models import AuditEvent, Hold, HoldKind, StockMove, utcnow
from oms_tui.services.shipping import waybills
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.approvals import decisions
from oms_tui.services.core import users
from oms_tui.services.core.actor import PERMISSIONS, ROLES, Actor, require, roles_may
from oms_tui.services.cs import exceptions, review
from oms_tui.services.customers import identity
from oms_tui.services.floor import packing, printing, returns, waves
from oms_tui.services.finance import settlement_import
from oms_tui.services.intake import order_import, shop_auth
from oms_tui.services.orders import actions, allocation, queries, unmapped
from oms_tui.services.stock import ledger, reservations
from tests.helpers.shop import ingest, stock_up


def test_admin_and_system_may_do_everything_and_every_role_is_known():
    for permission, (roles, what) in PERMISSIONS.items():
        assert roles <= set(ROLES), permission
        assert what, permission
        assert Actor("root", {"admin"}).may(permission) and Actor.system("sync").may(permission)


def test_an_unknown_permission_is_a_programming_error_not_a_pass():
    with pytest.raises(KeyError):
        require(Actor("root", {"admin"}), "stock.teleport")
    assert not roles_may({"cs"}, "stock.teleport")


def test_a_refusal_names_the_user_and_the_action_in_their_language():
    with pytest.raises(PermissionDenied) as refused:
        require(Actor("wh1", {"warehouse"}), "orders.cancel")
    assert str(refused.value) == "wh1 may not cancel orders"
    try:
        setup_language("zh_CN")
        assert refused.value.localized() == "wh1 无权取消订单"
    finally:
        setup_language("en")


def _lacking(permission: str) -> Actor:
    """An actor holding every role except those with ``permission``."""
    allowed = PERMISSIONS[permission][0]
    roles = {r for r in ROLES if r not in allowed and r != "admin"}
    return Actor("intruder", roles)


def _counts(engine) -> tuple[int, int, int]:
    with read_session(engine) as s:
        return (s.exec(select(func.count()).select_from(AuditEvent)).one(),
                s.exec(select(func.count()).select_from(StockMove)).one(),
                s.exec(select(func.count()).select_from(Hold).where(Hold.resolved_at.is_(None))).one())


@pytest.fixture
def shop(seeded, tmp_path):
    """Stock, a ready order, an order with an open buyer-remark hold, and a reservation."""
    stock_up(seeded, "HG-001", 20)
    ready = ingest(seeded, "R1", {"HG-001": 1})
    held = ingest(seeded, "H1", {"HG-001": 1}, buyer_remark="请发顺丰", receiver_name="李四",
                  receiver_phone="13900139000", buyer_id="b-h1")
    with session_scope(seeded) as s:
        wh, sku = catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "HG-001")
        reservation = reservations.reserve(s, wh, sku, 2, purpose="promotion", expires_at=utcnow() + timedelta(days=1),
                                           actor=Actor.system("t"))
        hold = s.exec(select(Hold).where(Hold.order_id == held.id, Hold.kind == HoldKind.BUYER_REMARK)).one()
        users.add_user(s, "locked", "1234", ["cs"], actor=Actor.system("t"))
        request = review.request_approval(s, held.id, kind="gift", reason="送毛巾", actor=Actor.system("t"))
        ids = {"ready": ready.id, "held": held.id, "hold": hold.id, "reservation": reservation.id, "request": request.id,
               "customer": held.customer_id, "other_customer": ready.customer_id}
    export = tmp_path / "export.csv"
    export.write_text("订单编号\n", encoding="utf-8")
    ids["export"] = export
    bill = tmp_path / "jd-bill.csv"
    bill.write_text("订单编号,应结金额\nJ1,10.00\n", encoding="utf-8")
    ids["bill"] = bill
    return seeded, ids


def _in_session(engine, work):
    with session_scope(engine) as s:
        work(s)


def _wh_sku(s):
    return catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "HG-001")


# permission → what a user with the wrong role tries (the real service call)
ATTEMPTS = {
    "stock.purchase": lambda e, ids, a: _in_session(e, lambda s: ledger.purchase(s, *_wh_sku(s), 5, actor=a)),
    "stock.receive": lambda e, ids, a: _in_session(e, lambda s: allocation.receive_stock(s, *_wh_sku(s), 1, actor=a)),
    "stock.adjust": lambda e, ids, a: _in_session(e, lambda s: allocation.adjust_stock(
        s, *_wh_sku(s), counted=25, reason="count", actor=a)),
    "stock.reserve": lambda e, ids, a: _in_session(e, lambda s: allocation.release_reservation(
        s, ids["reservation"], actor=a)),
    "orders.cancel": lambda e, ids, a: _in_session(e, lambda s: actions.cancel(
        s, queries.get_order(s, ids["ready"]), actor=a, reason="no")),
    "orders.resolve_hold": lambda e, ids, a: _in_session(e, lambda s: actions.resolve_hold(
        s, ids["hold"], actor=a, resolution="ok")),
    "review.decide": lambda e, ids, a: _in_session(e, lambda s: review.accept_remark(s, ids["held"], actor=a)),
    "approvals.request": lambda e, ids, a: _in_session(e, lambda s: review.request_approval(
        s, ids["held"], kind="price_change", reason="discount", actor=a)),
    "approvals.decide": lambda e, ids, a: _in_session(e, lambda s: decisions.decide(
        s, ids["request"], actor=a, approve=True)),
    "customers.merge": lambda e, ids, a: _in_session(e, lambda s: identity.merge_customers(
        s, ids["customer"], ids["other_customer"], actor=a)),
    "customers.vip": lambda e, ids, a: _in_session(e, lambda s: identity.set_vip(
        s, identity.get_customer(s, ids["customer"]), True, actor=a)),
    "exceptions.resolve": lambda e, ids, a: _in_session(e, lambda s: exceptions.resolve(
        s, ids["hold"], actor=a, resolution="ok")),
    "exceptions.bulk_resolve": lambda e, ids, a: _in_session(e, lambda s: exceptions.bulk_resolve(
        s, "notify_failed", actor=a, resolution="ok")),
    "waves.create": lambda e, ids, a: _in_session(e, lambda s: waves.create_wave(
        s, catalogue.get_warehouse(s, "WH1"), courier="yuantong", actor=a)),
    "waves.print": lambda e, ids, a: _in_session(e, lambda s: waves.print_pick_list(s, None, actor=a)),
    "pack.ship": lambda e, ids, a: packing.PackSession(station="P1", actor=a).scan(e, "R1"),
    "returns.receive": lambda e, ids, a: _in_session(e, lambda s: returns.record_return(
        s, queries.get_order(s, ids["ready"]), [], reason="broken", actor=a)),
    "print.manage": lambda e, ids, a: printing.send_now(e, Settings(), None, actor=a),
    "intake.import": lambda e, ids, a: order_import.import_file(e, ids["export"], "taobao", actor=a),
    "users.manage": lambda e, ids, a: _in_session(e, lambda s: users.add_user(s, "mole", "1234", ["admin"], actor=a)),
    "users.unlock": lambda e, ids, a: _in_session(e, lambda s: users.unlock(s, "locked", actor=a)),
    "shops.authorize": lambda e, ids, a: _in_session(e, lambda s: shop_auth.store_grant(
        s, shop="拼多多店", platform="pdd", grant=shop_auth.TokenGrant("token"), actor=a)),
    "skus.map": lambda e, ids, a: _in_session(e, lambda s: unmapped.map_platform_sku(
        s, shop="旗舰店", platform="taobao", platform_sku_id="7000011", components=[("HG-001", 3)], actor=a)),
    # The role is checked before the courier is reached: no label service is needed to be refused.
    "waybill.cancel": lambda e, ids, a: waybills.cancel_waybill(e, 1, actor=a, service=None),
    "finance.import": lambda e, ids, a: _in_session(e, lambda s: settlement_import.import_settlement(
        s, a, "jd", "2026-10", ids["bill"])),
}

# Permissions that only gate what a screen shows (the menu reads them); nothing to attempt in a service.
VIEW_ONLY = {p for p in PERMISSIONS if p.endswith(".view")}


def test_every_action_permission_has_an_attempt():
    assert set(ATTEMPTS) == set(PERMISSIONS) - VIEW_ONLY


@pytest.mark.parametrize("permission", sorted(ATTEMPTS))
def test_a_service_refuses_the_wrong_role_and_changes_nothing(shop, permission):
    engine, ids = shop
    before = _counts(engine)
    with pytest.raises(PermissionDenied):
        ATTEMPTS[permission](engine, ids, _lacking(permission))
    assert _counts(engine) == before


@pytest.mark.parametrize("permission", ["stock.adjust", "orders.cancel", "exceptions.resolve", "users.manage",
                                        "skus.map", "approvals.decide", "finance.import"])
def test_the_right_role_gets_through(shop, permission):
    engine, ids = shop
    roles = PERMISSIONS[permission][0] or {"admin"}
    audit_rows = _counts(engine)[0]
    ATTEMPTS[permission](engine, ids, Actor("allowed", {sorted(roles)[0]}))
    assert _counts(engine)[0] > audit_rows  # the call ran and left its audit row
