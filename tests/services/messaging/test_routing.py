"""Routing: an alert becomes one message per channel of its roles — by the event's roles, the roles it
names, `[notify.events]`, the "*" route and `alert_recipients` — exactly once, and the same subject on a
channel within the window once; a bad route is an error naming the entry. No network here."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from oms_tui.config import load_settings
from oms_tui.db import read_session, session_scope
from oms_tui.errors import ConfigError
from oms_tui.i18n import N_
from oms_tui.models import Outbox, utcnow
from oms_tui.phrases import english
from oms_tui.services.core import outbox
from oms_tui.services.messaging import alerts, events, routing
from tests.helpers.shop import ingest

CHANNELS = [
    {"name": "仓库群", "kind": "dingtalk", "token": "t1"},
    {"name": "客服群", "kind": "wecom", "key": "k1"},
    {"name": "老板短信", "kind": "sms", "access_key_id": "id", "secret": "s", "sign_name": "店", "template_code": "SMS_1",
     "phones": ["13800138000"]},
    {"name": "采购邮件", "kind": "email", "recipients": ["cg@example.cn"]},
]
ROUTES = {"purchasing": ["采购邮件"], "warehouse_lead": ["仓库群"], "cs_lead": ["客服群"], "manager": ["老板短信", "客服群"]}


def table(**notify) -> routing.RoutingTable:
    config = {"channels": CHANNELS, "routes": ROUTES} | notify
    return routing.RoutingTable.from_settings(load_settings(database_url="sqlite://", notify=config))


def raise_(engine, event: str, subject: str = "", **kw) -> int:
    with session_scope(engine) as s:
        return alerts.raise_alert(s, event, subject or f"{event} subject", **kw).id


def messages(engine, alert_id: int | None = None) -> list[Outbox]:
    stmt = select(Outbox).where(Outbox.kind == "notify").order_by(Outbox.id)
    if alert_id is not None:
        stmt = stmt.where(Outbox.alert_id == alert_id)
    with read_session(engine) as s:
        return s.exec(stmt).all()


def alert_row(engine, alert_id: int) -> Outbox:
    with read_session(engine) as s:
        return s.get(Outbox, alert_id)


def test_a_shortage_goes_to_purchasing_and_the_warehouse_leads_channels(seeded):
    order = ingest(seeded, "TB-SHORT-1", {"HG-001": 2})  # allocation raises stock_short
    result = routing.route_alerts(seeded, table())
    assert (result.routed, result.messages, result.skipped) == (1, 2, 0)
    sent = messages(seeded)
    assert [m.channel for m in sent] == ["采购邮件", "仓库群"]
    assert {m.order_id for m in sent} == {order.id} and {m.target for m in sent} == {",purchasing,warehouse_lead,"}
    payload = outbox.parse_payload("notify", sent[0].payload)
    assert (payload.event, payload.order, payload.skus, payload.roles) == (
        "stock_short", "TB-SHORT-1", ["HG-001"], ["purchasing", "warehouse_lead"])


def test_an_alert_that_names_its_roles_goes_to_those_only(seeded):
    first = raise_(seeded, events.APPROVAL_WAITING, "TB-1 waits for a manager", roles=["manager"])
    second = raise_(seeded, events.APPROVAL_WAITING, "TB-2 waits")  # no step role given: the event's default, cs_lead
    routing.route_alerts(seeded, table())
    assert [m.channel for m in messages(seeded, first)] == ["老板短信", "客服群"]
    assert [m.channel for m in messages(seeded, second)] == ["客服群"]
    assert alert_row(seeded, first).target == ",manager,"


def test_notify_events_replace_an_events_roles_and_star_catches_every_other_role(seeded):
    printer = raise_(seeded, events.PRINTER_OFFLINE)
    unknown = raise_(seeded, "parcel_lost")  # an event nobody listed yet: still told, to the manager
    finance = raise_(seeded, "month_end", roles=["finance"])
    routes = ROUTES | {"*": ["仓库群"]}
    routing.route_alerts(seeded, table(routes=routes, events={"printer_offline": ["cs_lead", "warehouse"]}))
    assert [m.channel for m in messages(seeded, printer)] == ["客服群", "仓库群"]  # cs_lead; warehouse via "*"
    assert [m.channel for m in messages(seeded, unknown)] == ["老板短信", "客服群"]
    assert [m.channel for m in messages(seeded, finance)] == ["仓库群"]


def test_alert_recipients_get_every_alert_by_email_besides_the_channels(seeded):
    alert = raise_(seeded, events.SYNC_FAILING)
    settings = load_settings(database_url="sqlite://", alert_recipients=["ops@example.cn"],
                             notify={"channels": CHANNELS, "routes": ROUTES})
    routing.route_alerts(seeded, routing.RoutingTable.from_settings(settings))
    assert [m.channel for m in messages(seeded, alert)] == ["客服群", "老板短信", routing.LEGACY_EMAIL]


def test_an_alert_no_channel_is_configured_for_is_not_sent_and_says_why(seeded):
    alert = raise_(seeded, events.STOCK_SHORT, roles=["finance"])
    result = routing.route_alerts(seeded, table())
    assert (result.routed, result.skipped) == (0, 1)
    row = alert_row(seeded, alert)
    assert row.status == "skipped" and english(row.last_error) == (
        "not sent: no channel is configured for finance ([notify.routes])")
    assert messages(seeded) == []


def test_each_channel_gets_an_alert_exactly_once(seeded):
    alert = raise_(seeded, events.SHIP_NOTICE_FAILED)
    first = routing.route_alerts(seeded, table())
    again = routing.route_alerts(seeded, table(), now=utcnow() + timedelta(hours=1))
    assert (first.messages, again.messages) == (2, 0)
    assert [m.channel for m in messages(seeded)] == ["客服群", "老板短信"]
    # Even a router that got past its own check could not add a second copy: the database refuses it.
    with pytest.raises(IntegrityError), session_scope(seeded) as s:
        outbox.enqueue(s, "notify", channel="客服群", subject="x", payload={"event": "x"}, alert_id=alert)


def test_the_same_subject_on_a_channel_within_the_window_is_one_message(seeded):
    subject = alerts.subject_phrase(N_("stock short: {skus}"), skus="HG-001")
    first = raise_(seeded, events.STOCK_SHORT, subject)
    now = utcnow()
    routing.route_alerts(seeded, table(), now=now)
    second = raise_(seeded, events.STOCK_SHORT, subject)
    later = raise_(seeded, events.STOCK_SHORT, subject, roles=["purchasing", "manager"])  # manager's are new
    result = routing.route_alerts(seeded, table(), now=now + timedelta(minutes=29))
    assert (result.routed, result.skipped) == (1, 1)
    assert len(messages(seeded, first)) == 2 and messages(seeded, second) == []
    assert alert_row(seeded, second).status == "skipped"
    assert english(alert_row(seeded, second).last_error) == (
        "not sent again: the same subject went to 采购邮件, 仓库群 within 30 minutes")
    assert [m.channel for m in messages(seeded, later)] == ["老板短信", "客服群"]
    assert "采购邮件" in english(alert_row(seeded, later).last_error)
    # after the window the subject goes out again
    third = raise_(seeded, events.STOCK_SHORT, subject)
    routing.route_alerts(seeded, table(), now=now + timedelta(minutes=31))
    assert [m.channel for m in messages(seeded, third)] == ["采购邮件", "仓库群"]


def test_two_orders_short_of_the_same_sku_make_one_message_per_channel(seeded):
    ingest(seeded, "TB-SHORT-1", {"HG-001": 2})
    routing.route_alerts(seeded, table())
    ingest(seeded, "TB-SHORT-2", {"HG-001": 1})
    routing.route_alerts(seeded, table())
    assert [m.channel for m in messages(seeded)] == ["采购邮件", "仓库群"]


def test_dedupe_can_be_switched_off(seeded):
    for _ in range(2):
        raise_(seeded, events.PRINTER_OFFLINE, "打包台 offline")
        routing.route_alerts(seeded, table(dedupe_minutes=0))
    assert [m.channel for m in messages(seeded)] == ["仓库群", "仓库群"]


@pytest.mark.parametrize("notify, names", [
    ({"routes": {"buyer": ["仓库群"]}}, "[notify.routes] buyer: not a role"),
    ({"events": {"stock_short": ["purchasing", "boss"]}}, "[notify.events] stock_short: boss is not a role"),
])
def test_a_route_or_event_naming_no_role_is_an_error_naming_it(notify, names):
    with pytest.raises(ConfigError) as refused:
        table(**notify)
    assert names in str(refused.value) and "purchasing" in str(refused.value)  # and lists the roles


@pytest.mark.parametrize("notify, names", [
    ({"channels": CHANNELS, "routes": {"cs": ["不存在的群"]}}, "routes.cs: no channel named '不存在的群'"),
    ({"channels": [{"name": "仓库群", "kind": "dingtalk", "secret": "SECx"}]}, "channel '仓库群' (dingtalk) needs token"),
    ({"channels": [{"name": "a", "kind": "wecom", "key": "k"}, {"name": "a", "kind": "wecom", "key": "k"}]},
     "channel name 'a' is used twice"),
    ({"channels": [{"name": "a", "kind": "fax"}]}, "notify.channels.0.kind"),
    ({"channels": [{"name": "短信", "kind": "sms", "access_key_id": "i", "secret": "s3cr3t-sms", "sign_name": "n",
                    "template_code": "t", "phones": ["1380013800"]}]}, "not a mainland mobile number: '1380013800'"),
])
def test_a_bad_channel_or_route_is_a_clear_error_without_the_secret(notify, names):
    with pytest.raises(ConfigError) as refused:
        load_settings(database_url="sqlite://", notify=notify)
    assert names in str(refused.value)
    assert "SECx" not in str(refused.value) and "s3cr3t-sms" not in str(refused.value)
