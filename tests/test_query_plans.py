"""The screens' first pages and intake's duplicate check read the indexes migration 0017 adds.

Each test runs the service's own query on a small database (a few thousand rows, statistics refreshed
as after `oms init`), captures the statements it sent and asks the database for their plan: EXPLAIN
QUERY PLAN on SQLite, EXPLAIN on PostgreSQL. Nothing here is timed; `oms bench screens` measures.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import event, insert, text

from oms_tui.db import read_session
from oms_tui.models import Customer, Hold, HoldKind, Order, OrderStatus, utcnow
from oms_tui.schema import refresh_statistics
from oms_tui.services.cs import exceptions
from oms_tui.services.customers import identity
from oms_tui.services.orders import queries
from tests.helpers.rows import order_row

N_ORDERS = 3000
PLATFORMS = ("taobao", "jd", "pdd")


@pytest.fixture
def loaded(engine):
    """3,000 orders (four in five shipped), a hold on one in ten (open on the unshipped), 300 customers
    (one in three merged into another); statistics refreshed."""
    now = utcnow()
    orders, holds = [], []
    for n in range(1, N_ORDERS + 1):
        shipped = n % 5 != 0
        created = now - timedelta(minutes=N_ORDERS - n)
        orders.append(order_row(id=n, platform=PLATFORMS[n % 3], platform_order_id=f"P{n:08d}",
                                status=OrderStatus.SHIPPED if shipped else OrderStatus.REVIEW,
                                receiver_name=f"收件人{n:05d}", created_at=created))
        if n % 10 == 0 or n % 5 == 0:
            holds.append(dict(order_id=n, kind=HoldKind.BUYER_REMARK, blocking=True, reason="", opened_at=created,
                              opened_by="t", resolved_at=created if shipped else None))
    customers = [dict(id=n, name="", address="", province="", city="", district="", address_key="", is_vip=False,
                      merged_into_id=n - 1 if n % 3 == 0 else None, created_at=now) for n in range(1, 301)]
    with engine.begin() as conn:
        conn.execute(insert(Order.__table__), orders)
        conn.execute(insert(Hold.__table__), holds)
        for row in customers:  # one at a time: a row points at the one before it
            conn.execute(insert(Customer.__table__), row)
    refresh_statistics(engine)
    return engine


def plans_of(engine, run: Callable, *, priced_out=("enable_seqscan", "enable_sort", "enable_incremental_sort"),
             ) -> list[tuple[str, str]]:
    """(statement, its plan as text) for every statement ``run(session)`` sends."""
    sent: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with read_session(engine) as session:
            run(session)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    plans = []
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            # At a few thousand rows PostgreSQL rightly prefers a scan and a sort; priced out, the plan
            # shows whether an index delivers the page in order (at a million rows it is the cheap plan).
            for setting in priced_out:
                conn.exec_driver_sql(f"SET {setting} = off")
        for statement, parameters in sent:
            rows = conn.exec_driver_sql(explain + statement, parameters).all()
            plans.append((statement, "\n".join(str(row[-1]) for row in rows)))
    return plans


def plan_reading(plans: list[tuple[str, str]], table: str) -> str:
    """The plan of the first statement that reads ``table``."""
    for statement, plan in plans:
        if f"FROM {table}" in statement or f'FROM "{table}"' in statement:
            return plan
    raise AssertionError(f"no statement read {table}: {[s for s, _p in plans]}")


def test_orders_by_status_newest_first_read_the_status_created_index_without_a_sort(loaded):
    plan = plan_reading(plans_of(loaded, lambda s: queries.list_order_rows(
        s, queries.OrderFilter(status="shipped"), limit=50)), "order")
    assert "ix_order_status_created" in plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan


def test_orders_by_platform_newest_first_read_the_platform_created_index_without_a_sort(loaded):
    plan = plan_reading(plans_of(loaded, lambda s: queries.list_order_rows(
        s, queries.OrderFilter(platform="jd"), limit=50)), "order")
    assert "ix_order_platform_created" in plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan


def test_the_receiver_name_search_reads_a_prefix_of_the_name_index(loaded):
    found = []
    plan = plan_reading(plans_of(loaded, lambda s: found.extend(queries.list_order_rows(
        s, queries.OrderFilter(search="收件人0123"), limit=50)), priced_out=("enable_seqscan",)), "order")
    assert "ix_order_receiver_name" in plan
    assert sorted(row.receiver_name for row in found) == [f"收件人0123{d}" for d in range(10)]


def test_an_orders_open_holds_read_the_order_resolved_index(loaded):
    plans = plans_of(loaded, lambda s: queries.open_holds_of(s, [10, 20, 30]), priced_out=("enable_seqscan",))
    assert "ix_hold_order_resolved" in plan_reading(plans, "hold")


def test_the_exceptions_queue_reads_the_partial_index_of_open_holds_in_order(loaded):
    rows = []
    plans = plans_of(loaded, lambda s: rows.extend(exceptions.list_open(s, limit=50)))
    plan = plan_reading(plans, "hold")
    assert "ix_hold_open_opened" in plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan and "Sort" not in plan
    assert len(rows) == 50


def test_a_customers_group_reads_the_merged_into_index(loaded):
    group = []
    plans = plans_of(loaded, lambda s: group.extend(identity.customer_group(s, 2)))
    reading_children = [plan for statement, plan in plans if "merged_into_id IN" in statement]
    assert reading_children and all("ix_customer_merged_into_id" in plan for plan in reading_children)
    assert group == [2, 3]  # customer 3 was merged into 2


def test_refreshing_statistics_leaves_the_planner_statistics(loaded):
    with loaded.connect() as conn:
        if loaded.dialect.name == "sqlite":
            analysed = {row[0] for row in conn.execute(text("SELECT tbl FROM sqlite_stat1"))}
        else:
            analysed = {row[0] for row in conn.execute(text(
                "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"))}
    assert {"order", "hold", "customer"} <= analysed


def test_duplicate_candidates_come_through_the_customers_index_not_every_open_order_of_the_window(loaded):
    """related_orders (and the batch's duplicate screen, which shares ``window_terms``) reads the orders of
    the customers it found, not the (status, created_at) range of every open order of the window: on a
    Double 11 day that range is a hundred thousand orders per batch. SQLite only: PostgreSQL weighs the
    two with its statistics (at a few thousand rows it rightly ANDs both indexes)."""
    if loaded.dialect.name != "sqlite":
        pytest.skip("PostgreSQL chooses by its statistics; SQLite had to be told")
    from oms_tui.models import OPEN_STATUSES
    from oms_tui.services.customers import matching

    with loaded.begin() as conn:  # ten orders per customer, a fifth of them open (in review)
        conn.execute(text('UPDATE "order" SET customer_id = id % 300 + 1'))
    refresh_statistics(loaded)
    probe = Order(id=0, platform="taobao", platform_order_id="probe", customer_id=2, created_at=utcnow())
    found = []
    plans = plans_of(loaded, lambda s: found.extend(matching.related_orders(
        s, probe, since=utcnow() - timedelta(days=3), until=utcnow(), statuses=OPEN_STATUSES)))
    reading_orders = [plan for statement, plan in plans if "customer_id IN" in statement]
    assert reading_orders and all("ix_order_customer_id" in plan and "ix_order_status" not in plan
                                  for plan in reading_orders), reading_orders
