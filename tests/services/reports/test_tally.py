"""The tally behind "page 1 of ~N": right after a count every estimate equals the exact count, rows that
came since are counted live, and what it misses (status changes since the count) is only what changed."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, update
from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.models import Hold, Order, OrderStatus, OrderTally, TallyMark
from oms_tui.services.cs.exceptions import ExceptionFilter, count_open
from oms_tui.services.orders.queries import OrderFilter, count_orders
from oms_tui.services.reports import tally
from oms_tui.services.reports.tally import CountKind, RowCount
from tests.helpers.rows import order_row

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 11, 12, 0, tzinfo=timezone.utc)
PLATFORMS = ("taobao", "jd", "pdd")
STATUSES = (OrderStatus.SHIPPED, OrderStatus.READY, OrderStatus.REVIEW)


def add_orders(engine, rows: list[tuple[str, str, datetime]], *, first: int = 0) -> list[int]:
    """Orders of (platform, status, created_at); returns their ids."""
    values = [order_row(platform=platform, platform_order_id=f"T{first + i:06d}", status=status, created_at=created,
                        ingested_at=NOW, updated_at=NOW)
              for i, (platform, status, created) in enumerate(rows)]
    with engine.begin() as conn:
        conn.execute(insert(Order.__table__), values)
    with read_session(engine) as s:
        codes = [v["platform_order_id"] for v in values]
        return list(s.exec(select(Order.id).where(Order.platform_order_id.in_(codes)).order_by(Order.id)))


def mixed_orders(n: int) -> list[tuple[str, str, datetime]]:
    """n orders spread over platforms, statuses and the ten days before NOW, some at a shop-local day's
    first hour (UTC the evening before), so a day counted in UTC would put them on the wrong day."""
    combos = itertools.cycle(itertools.product(PLATFORMS, STATUSES))
    rows = []
    for i in range(n):
        platform, status = next(combos)
        day = NOW - timedelta(days=i % 10)
        created = day.replace(hour=16, minute=30) if i % 4 == 0 else day - timedelta(minutes=7 * i)
        rows.append((platform, status, created))
    return rows


def local_midnight(days_back: int) -> datetime:
    day = (NOW.astimezone(ZONE) - timedelta(days=days_back)).date()
    return datetime(day.year, day.month, day.day, tzinfo=ZONE).astimezone(timezone.utc)


FILTERS = [OrderFilter()] + [OrderFilter(status=s) for s in STATUSES] + [OrderFilter(platform=p) for p in PLATFORMS] + [
    OrderFilter(status=OrderStatus.SHIPPED, platform="jd"), OrderFilter(since=local_midnight(0)),
    OrderFilter(since=local_midnight(3), status=OrderStatus.READY),
    OrderFilter(since=local_midnight(6), platform="pdd", status=OrderStatus.REVIEW)]


def estimates(engine, now=NOW) -> list[int | None]:
    with read_session(engine) as s:
        return [tally.estimate_orders(s, flt, ZONE, now=now) for flt in FILTERS]


def exact(engine) -> list[int]:
    with read_session(engine) as s:
        return [count_orders(s, flt) for flt in FILTERS]


def test_after_a_count_each_estimate_is_the_exact_count(engine):
    add_orders(engine, mixed_orders(120))
    run = tally.refresh(engine, ZONE, now=NOW)
    assert run.orders > 0 and run.order_mark > 0
    assert estimates(engine) == exact(engine)
    assert all(n > 0 for n in exact(engine))  # every filter matches something: a wrong sum would show


def test_a_shop_local_day_counts_its_first_hours(engine):
    # 2026-11-10 16:30 UTC is 00:30 on the 11th in Shanghai: "since the 11th" includes it.
    add_orders(engine, [("taobao", OrderStatus.READY, datetime(2026, 11, 10, 16, 30, tzinfo=timezone.utc)),
                        ("taobao", OrderStatus.READY, datetime(2026, 11, 10, 15, 30, tzinfo=timezone.utc))])
    tally.refresh(engine, ZONE, now=NOW)
    with read_session(engine) as s:
        assert s.exec(select(OrderTally.day, OrderTally.orders).where(OrderTally.day != tally.ALL_DAYS)
                      .order_by(OrderTally.day)).all() == [
            ("2026-11-10", 1), ("2026-11-11", 1)]
        assert tally.estimate_orders(s, OrderFilter(since=local_midnight(0)), ZONE, now=NOW) == 1


def test_orders_that_came_since_the_count_are_counted_live(engine):
    add_orders(engine, mixed_orders(60))
    tally.refresh(engine, ZONE, now=NOW)
    add_orders(engine, mixed_orders(45), first=1000)
    assert estimates(engine, NOW + timedelta(minutes=3)) == exact(engine)


def test_a_status_change_since_the_count_is_what_the_estimate_misses(engine):
    ids = add_orders(engine, mixed_orders(60))
    tally.refresh(engine, ZONE, now=NOW)
    with engine.begin() as conn:
        conn.execute(update(Order.__table__).where(Order.__table__.c.id.in_(ids[:5]))
                     .values(status=OrderStatus.CANCELLED))
    with read_session(engine) as s:
        cancelled = tally.estimate_orders(s, OrderFilter(status=OrderStatus.CANCELLED), ZONE, now=NOW)
        everything = tally.estimate_orders(s, OrderFilter(), ZONE, now=NOW)
    assert cancelled == 0 and everything == 60  # the move is not seen, nothing is lost or counted twice
    tally.refresh(engine, ZONE, now=NOW + timedelta(minutes=5))
    assert estimates(engine, NOW + timedelta(minutes=5)) == exact(engine)
    with read_session(engine) as s:
        assert tally.estimate_orders(s, OrderFilter(status=OrderStatus.CANCELLED), ZONE, now=NOW) == 5


def test_no_estimate_without_a_fresh_count_or_for_a_search(engine):
    add_orders(engine, mixed_orders(30))
    with read_session(engine) as s:
        assert tally.estimate_orders(s, OrderFilter(), ZONE, now=NOW) is None  # never counted
    tally.refresh(engine, ZONE, now=NOW)
    with read_session(engine) as s:
        assert tally.estimate_orders(s, OrderFilter(search="张"), ZONE, now=NOW) is None
        assert tally.estimate_orders(s, OrderFilter(), ZONE, now=NOW + tally.FRESH_FOR + timedelta(seconds=1)) is None
        assert tally.estimate_orders(s, OrderFilter(), ZONE, now=NOW + tally.FRESH_FOR) == 30


def test_a_count_replaces_the_last_one(engine):
    add_orders(engine, mixed_orders(30))
    first = tally.refresh(engine, ZONE, now=NOW)
    second = tally.refresh(engine, ZONE, now=NOW + timedelta(minutes=5))
    assert (first.orders, first.order_mark) == (second.orders, second.order_mark)
    with read_session(engine) as s:
        assert sum(s.exec(select(OrderTally.orders).where(OrderTally.day == tally.ALL_DAYS))) == 30
        assert s.get(TallyMark, "orders").computed_at == NOW + timedelta(minutes=5)


def test_order_count_is_exact_up_to_the_cap_then_the_estimate(engine):
    add_orders(engine, mixed_orders(40))
    with read_session(engine) as s:
        assert tally.order_count(s, OrderFilter(), cap=50, zone=ZONE, now=NOW) == RowCount(40)
        assert tally.order_count(s, OrderFilter(), cap=10, zone=ZONE, now=NOW) == RowCount(10, CountKind.AT_LEAST)
    tally.refresh(engine, ZONE, now=NOW)
    add_orders(engine, mixed_orders(3), first=500)
    with read_session(engine) as s:
        assert tally.order_count(s, OrderFilter(), cap=10, zone=ZONE, now=NOW) == RowCount(43, CountKind.ABOUT)
        shipped = count_orders(s, OrderFilter(status=OrderStatus.SHIPPED))
        assert tally.order_count(s, OrderFilter(status=OrderStatus.SHIPPED), cap=5, zone=ZONE,
                                 now=NOW) == RowCount(shipped, CountKind.ABOUT)
        assert tally.review_queue_count(s, cap=5, zone=ZONE, now=NOW) == RowCount(
            count_orders(s, OrderFilter(status=OrderStatus.REVIEW)), CountKind.ABOUT)
    with session_scope(engine) as s:  # a stale estimate below what the exact count saw is not believed
        s.exec(update(OrderTally).values(orders=0))
    with read_session(engine) as s:
        assert tally.order_count(s, OrderFilter(), cap=10, zone=ZONE, now=NOW) == RowCount(11, CountKind.ABOUT)


def test_open_holds_estimate(engine):
    ids = add_orders(engine, mixed_orders(40))
    kinds = itertools.cycle([("stock_short", True), ("buyer_remark", False), ("address_invalid", True)])
    holds = []
    for i, order_id in enumerate(ids):
        kind, blocking = next(kinds)
        opened = NOW - timedelta(hours=5 * i)
        holds.append(dict(order_id=order_id, kind=kind, blocking=blocking, reason="", opened_at=opened,
                          opened_by="system", resolved_at=NOW if i % 5 == 0 else None))
    with engine.begin() as conn:
        conn.execute(insert(Hold.__table__), holds)
    filters = [ExceptionFilter(), ExceptionFilter(kind="stock_short"), ExceptionFilter(blocking=False),
               ExceptionFilter(kind="address_invalid", blocking=True)]
    tally.refresh(engine, ZONE, now=NOW)
    with read_session(engine) as s:
        for flt in filters:
            assert tally.estimate_open_holds(s, flt, ZONE, now=NOW) == count_open(s, flt, now=NOW), flt
        # An age limit counts the whole local day it falls on: at least the exact figure, at most a day more.
        aged = ExceptionFilter(min_age_hours=48)
        about = tally.estimate_open_holds(s, aged, ZONE, now=NOW)
        assert count_open(s, aged, now=NOW) <= about <= count_open(s, ExceptionFilter(min_age_hours=24), now=NOW)
        assert tally.open_hold_count(s, ExceptionFilter(), cap=5, zone=ZONE, now=NOW) == RowCount(
            count_open(s, ExceptionFilter(), now=NOW), CountKind.ABOUT)
    # A hold opened since the count is counted live; one resolved since is still in the tally.
    with engine.begin() as conn:
        conn.execute(insert(Hold.__table__), [dict(order_id=ids[0], kind="stock_short", blocking=True, reason="",
                                                   opened_at=NOW, opened_by="system")])
        conn.execute(update(Hold.__table__).where(Hold.__table__.c.id == 2).values(resolved_at=NOW))
    with read_session(engine) as s:
        assert tally.estimate_open_holds(s, ExceptionFilter(), ZONE, now=NOW) == count_open(s, ExceptionFilter(),
                                                                                             now=NOW) + 1


def test_a_bad_filter_is_refused_as_by_the_exact_count(engine):
    tally.refresh(engine, ZONE, now=NOW)
    with read_session(engine) as s, pytest.raises(Exception) as refused:
        tally.estimate_open_holds(s, ExceptionFilter(kind="no-such-kind"), ZONE, now=NOW)
    assert "no-such-kind" in str(refused.value)
