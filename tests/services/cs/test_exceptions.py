"""Exceptions: open holds by kind and age, resolving one or many, the ratio, pending alerts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.errors import ValidationError
from oms_tui.models import AuditEvent, Hold, HoldKind, OrderStatus, utcnow
from oms_tui.phrases import english
from oms_tui.services.core import outbox
from oms_tui.services.core.actor import Actor
from oms_tui.services.cs import exceptions
from oms_tui.services.cs.exceptions import ExceptionFilter
from oms_tui.services.orders import allocation, holds, queries
from tests.helpers.paging import read_by_keyset
from tests.helpers.shop import assert_books_balance, ingest, level, stock_up
from tests.helpers.rows import order_row


def _age(engine, order, kind, hours):
    """Pretend the order's hold of ``kind`` was opened ``hours`` ago."""
    with session_scope(engine) as s:
        hold = s.exec(select(Hold).where(Hold.order_id == order.id, Hold.kind == kind)).one()
        hold.opened_at = utcnow() - timedelta(hours=hours)
        s.add(hold)


@pytest.fixture
def shop(seeded):
    """Five orders: a remark (review), a shortage, a failed notice, a failed print, a stalled parcel."""
    stock_up(seeded, "HG-001", 20)
    made = {
        "remark": ingest(seeded, "T1", {"HG-001": 1}, buyer_remark="请发顺丰"),
        "short": ingest(seeded, "T2", {"MB-001": 1}),
        "notify": ingest(seeded, "T3", {"HG-001": 1}),
        "print": ingest(seeded, "T4", {"HG-001": 1}),
        "stalled": ingest(seeded, "T5", {"HG-001": 1}),
    }
    with session_scope(seeded) as s:
        for key, kind in (("notify", HoldKind.NOTIFY_FAILED), ("print", HoldKind.PRINT_FAILED),
                          ("stalled", HoldKind.LOGISTICS_STALLED)):
            holds.open_hold(s, queries.get_order(s, made[key].id), kind, reason=f"{kind} for the test", user="sched")
    _age(seeded, made["notify"], HoldKind.NOTIFY_FAILED, 30)
    _age(seeded, made["remark"], HoldKind.BUYER_REMARK, 5)
    return seeded, made


def test_open_holds_by_kind_and_age_oldest_first(shop):
    engine, _made = shop
    with read_session(engine) as s:
        rows = exceptions.list_open(s)
        assert exceptions.count_open(s) == 5
        assert [exceptions.count_open(s, cap=cap) for cap in (3, 4, 5, 9)] == [4, 5, 5, 5]  # past a cap: cap + 1
        assert [r.platform_order_id for r in rows[:2]] == ["T3", "T1"]  # 30 h, then 5 h
        assert 29.9 < rows[0].age_hours() < 30.1 and not rows[0].blocking
        assert [r.kind for r in exceptions.list_open(s, ExceptionFilter(kind="stock_short"))] == ["stock_short"]
        blocking = exceptions.list_open(s, ExceptionFilter(blocking=True))
        assert {r.kind for r in blocking} == {"buyer_remark", "stock_short"}
        assert exceptions.count_open(s, ExceptionFilter(blocking=False)) == 3
        assert [r.platform_order_id for r in exceptions.list_open(s, ExceptionFilter(min_age_hours=4))] == ["T3", "T1"]
        assert len(exceptions.list_open(s, limit=2, offset=4)) == 1
        kinds = {k.kind: (k.open, k.bulk_safe) for k in exceptions.counts_by_kind(s)}
        assert kinds == {"buyer_remark": (1, False), "stock_short": (1, False), "notify_failed": (1, True),
                         "print_failed": (1, True), "logistics_stalled": (1, True)}
        with pytest.raises(ValidationError, match="unknown hold kind"):
            exceptions.list_open(s, ExceptionFilter(kind="nonsense"))


def test_resolve_one(shop):
    engine, _made = shop
    with read_session(engine) as s:
        (row,) = exceptions.list_open(s, ExceptionFilter(kind="buyer_remark"))
    with session_scope(engine) as s:
        with pytest.raises(ValidationError, match="say how"):
            exceptions.resolve(s, row.hold_id, actor=Actor.system("cs"), resolution="  ")
        order = exceptions.resolve(s, row.hold_id, actor=Actor.system("cs"), resolution="已备注顺丰")
        assert order.status == OrderStatus.READY


def test_bulk_resolve_only_where_safe(shop):
    engine, _made = shop
    with session_scope(engine) as s:
        for kind in ("buyer_remark", "stock_short", "duplicate_suspect", "ship_notice_failed"):
            with pytest.raises(ValidationError, match="need a decision per order"):
                exceptions.bulk_resolve(s, kind, actor=Actor.system("lead"), resolution="all fine")
        for kind in ("approval_pending", "approval_stalled"):
            with pytest.raises(ValidationError, match="wait for an approval decision"):
                exceptions.bulk_resolve(s, kind, actor=Actor.system("lead"), resolution="all fine")
        assert exceptions.bulk_resolve(s, "notify_failed", actor=Actor.system("lead"), resolution="补发了", min_age_hours=40) == 0
        assert exceptions.bulk_resolve(s, "notify_failed", actor=Actor.system("lead"), resolution="补发了") == 1
        assert exceptions.bulk_resolve(s, "print_failed", actor=Actor.system("lead"), resolution="重打", hold_ids=[]) == 0
        assert exceptions.bulk_resolve(s, "print_failed", actor=Actor.system("lead"), resolution="重打") == 1
    with read_session(engine) as s:
        assert exceptions.count_open(s) == 3
        (event,) = s.exec(select(AuditEvent).where(AuditEvent.action == "exceptions.bulk_resolve",
                                                   AuditEvent.entity_id == "notify_failed")).all()
        assert event.user == "lead"


def test_bulk_resolving_expired_locks_allocates_again(seeded):
    stock_up(seeded, "HG-001", 3)
    a = ingest(seeded, "T1", {"HG-001": 1})
    b = ingest(seeded, "T2", {"HG-001": 2})
    with session_scope(seeded) as s:
        assert allocation.expire_locks(s, hours=1, now=utcnow() + timedelta(hours=2)) == 2
    assert level(seeded).locked == 0
    with session_scope(seeded) as s:
        assert exceptions.bulk_resolve(s, "lock_expired", actor=Actor.system("lead"), resolution="重新占用库存") == 2
    with read_session(seeded) as s:
        assert {queries.get_order(s, o.id).status for o in (a, b)} == {OrderStatus.READY}
    assert level(seeded).locked == 3
    assert_books_balance(seeded)


def test_exception_ratio(seeded):
    stock_up(seeded, "HG-001", 20)
    ingest(seeded, "OLD", {"HG-001": 1}, paid_minutes_ago=60 * 48, buyer_remark="旧单")  # before the period
    for n in range(7):
        ingest(seeded, f"T{n}", {"HG-001": 1}, buyer_remark="留言" if n < 2 else "")
    ingest(seeded, "S1", {"MB-001": 1})  # short
    with read_session(seeded) as s:
        ratio = exceptions.exception_ratio(s, since=utcnow() - timedelta(hours=24))
        assert (ratio.orders, ratio.with_holds) == (8, 3) and round(ratio.percent, 1) == 37.5
        empty = exceptions.exception_ratio(s, since=utcnow() + timedelta(hours=1), until=utcnow() + timedelta(hours=2))
        assert (empty.orders, empty.percent) == (0, 0.0)
        with pytest.raises(ValidationError):
            exceptions.exception_ratio(s, since=utcnow(), until=utcnow() - timedelta(hours=1))


def test_pending_alerts(seeded):
    ingest(seeded, "T1", {"HG-001": 1})
    ingest(seeded, "T2", {"MB-001": 2})
    with session_scope(seeded) as s:
        outbox.enqueue(s, "platform_ship", target="tb-main", subject="not an alert",
                       payload={"platform_order_id": "T1", "waybill": "YT1", "courier": "yuantong"})
        sent = outbox.enqueue(s, "alert", target="operations", subject="already sent", payload={"event": "test"})
        s.flush()
        outbox.mark_sent(s, sent)
    with read_session(seeded) as s:
        alerts = exceptions.pending_alerts(s)
        assert exceptions.count_alerts(s) == 2
    assert [a.platform_order_id for a in alerts] == ["T2", "T1"]  # newest first
    assert english(alerts[0].subject) == "stock short: MB-001" and alerts[0].channel == ""  # not routed yet


def test_desk_summary_is_the_header_and_the_alerts_in_one_read(shop):
    engine, _made = shop
    with read_session(engine) as s:
        desk = exceptions.desk_summary(s, since=utcnow() - timedelta(hours=24), alert_limit=1)
        ratio = exceptions.exception_ratio(s, since=desk.ratio.since, until=desk.ratio.until)
    assert (desk.ratio.orders, desk.ratio.with_holds) == (ratio.orders, ratio.with_holds) == (5, 4)  # T3: 30 h ago
    assert desk.open_holds == 5 and desk.alerts == 1  # the shortage's alert
    assert [english(a.subject) for a in desk.pending] == ["stock short: MB-001"]


def test_open_holds_paged_by_position_are_the_holds_paged_by_offset(engine):
    """Keyset paging of the exceptions queue (opened_at, id) agrees with the offset pages, ties included."""
    from sqlalchemy import insert

    from oms_tui.models import Order

    now = utcnow()
    order = order_row(id=1, platform_order_id="H0001", status="review", created_at=now)
    holds = [dict(order_id=1, kind="buyer_remark", blocking=True, reason="", opened_at=now - timedelta(hours=n // 3),
                  opened_by="t", resolved_at=now if n % 7 == 0 else None) for n in range(1, 24)]
    with engine.begin() as conn:
        conn.execute(insert(Order.__table__), [order])
        conn.execute(insert(Hold.__table__), holds)
    with read_session(engine) as s:
        by_offset = [row.hold_id for row in exceptions.list_open(s, limit=100)]
        by_keyset = read_by_keyset(lambda after: exceptions.list_open(s, limit=5, after=after),
                                   lambda row: row.hold_id, lambda row: (row.opened_at, row.hold_id))
    assert by_keyset == by_offset and len(by_offset) == 20
