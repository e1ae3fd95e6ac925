"""Row counts kept for the screens' "page 1 of ~N": orders per shop-local day of creation, platform and
status, and open holds per day opened, kind and blocking, counted by the ``order-tally`` job.

A screen counts its rows exactly up to a cap (an index range of cap + 1 entries, milliseconds). Past the
cap it shows an estimate instead of a count(*) of hundreds of thousands of rows:

* the tally's rows that match the filter (a sum over a few thousand rows, whatever the table's size),
* plus the rows that arrived after the tally was counted (ids past its mark), counted live — at most
  ``LIVE_CAP`` of them, read off the primary key.

What the estimate misses is what changed since the count: orders that moved to another status, holds
resolved, in the minutes since the job ran. The screens say "~" in front of it. A tally older than
``FRESH_FOR`` (the job stopped) gives no estimate, and the screen says "10,000+" as before.

The count itself runs in a read transaction (it never holds SQLite's write lock for the second it takes
at a million orders); the rows are then replaced in one short writing transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, func, insert
from sqlmodel import Session, col, select

from oms_tui.db import read_session, session_scope
from oms_tui.models import Hold, OpenHoldTally, Order, OrderTally, TallyMark, TallySubject, utcnow
from oms_tui.models import OrderStatus
from oms_tui.services.cs.exceptions import ExceptionFilter, count_open
from oms_tui.services.cs.review import count_queue
from oms_tui.services.orders.queries import OrderFilter, count_orders

FRESH_FOR = timedelta(hours=1)
LIVE_CAP = 100_000
# The row of every day's sum (per platform and status, per kind and blocking): a filter without a day reads a
# few dozen rows through the (day, …) unique index instead of summing a row per day of three years. It sorts
# before every 'YYYY-MM-DD', so a range of days from one on never includes it.
ALL_DAYS = "*"


class CountKind(StrEnum):
    EXACT = "exact"
    AT_LEAST = "at_least"  # more rows than ``rows``; no estimate to hand
    ABOUT = "about"  # an estimate from the tally


@dataclass(frozen=True)
class RowCount:
    """How many rows a screen's filter matches, and how well that is known."""

    rows: int
    kind: CountKind = CountKind.EXACT


@dataclass(frozen=True)
class TallyRun:
    orders: int  # tally rows written
    open_holds: int
    order_mark: int
    hold_mark: int

    def __str__(self) -> str:
        return (f"tallied orders to #{self.order_mark} in {self.orders} row(s), open holds to #{self.hold_mark} "
                f"in {self.open_holds} row(s)")


# --- counting ------------------------------------------------------------------------------------

def local_day(column, dialect: str, zone: ZoneInfo, now: datetime):  # noqa: ANN001, ANN201 - a column expression
    """The shop-local calendar day of a stored UTC time, as 'YYYY-MM-DD'. PostgreSQL converts with the zone
    itself; SQLite knows no zones, so it shifts by the zone's offset now (exact for a zone without summer
    time, as the platforms' China time is; elsewhere a day's edge may be an hour off in the other season)."""
    if dialect == "postgresql":
        return func.to_char(func.timezone(zone.key, column), "YYYY-MM-DD")
    minutes = int(zone.utcoffset(now.replace(tzinfo=None)).total_seconds() // 60)
    return func.date(column, f"{minutes:+d} minutes")


def refresh(engine: Engine, zone: ZoneInfo, *, now: datetime | None = None) -> TallyRun:
    """Count the orders and the open holds again and replace both tallies."""
    now = now or utcnow()
    dialect = engine.dialect.name
    with read_session(engine) as session:
        # The mark first, then only rows up to it: a row committed in between is counted live later,
        # never twice.
        order_mark = session.exec(select(func.max(Order.id))).one() or 0
        order_day = local_day(col(Order.created_at), dialect, zone, now)
        orders = session.exec(
            select(order_day, Order.platform, Order.status, func.count())
            .where(col(Order.id) <= order_mark).group_by(order_day, Order.platform, Order.status)).all()
        hold_mark = session.exec(select(func.max(Hold.id))).one() or 0
        hold_day = local_day(col(Hold.opened_at), dialect, zone, now)
        holds = session.exec(
            select(hold_day, Hold.kind, Hold.blocking, func.count())
            .where(col(Hold.resolved_at).is_(None), col(Hold.id) <= hold_mark)
            .group_by(hold_day, Hold.kind, Hold.blocking)).all()
    order_rows = _with_all_days(orders)
    hold_rows = _with_all_days((day, kind, bool(blocking), n) for day, kind, blocking, n in holds)
    with session_scope(engine) as session:
        session.exec(delete(OrderTally))
        session.exec(delete(OpenHoldTally))
        if order_rows:
            session.exec(insert(OrderTally), params=[
                {"day": day, "platform": platform, "status": status, "orders": n}
                for day, platform, status, n in order_rows])
        if hold_rows:
            session.exec(insert(OpenHoldTally), params=[
                {"day": day, "kind": kind, "blocking": blocking, "holds": n} for day, kind, blocking, n in hold_rows])
        for subject, mark in ((TallySubject.ORDERS, order_mark), (TallySubject.OPEN_HOLDS, hold_mark)):
            row = session.get(TallyMark, subject.value) or TallyMark(subject=subject.value, computed_at=now)
            row.computed_at, row.last_id = now, mark
            session.add(row)
    return TallyRun(len(orders), len(holds), order_mark, hold_mark)


def _with_all_days(rows) -> list[tuple]:  # noqa: ANN001 - (day, key, key, count) rows
    """The rows, and per pair of keys one ``ALL_DAYS`` row of their sum."""
    rows = list(rows)
    totals: dict[tuple, int] = {}
    for _day, first, second, n in rows:
        totals[first, second] = totals.get((first, second), 0) + n
    return rows + [(ALL_DAYS, first, second, n) for (first, second), n in sorted(totals.items())]


def _fresh_mark(session: Session, subject: TallySubject, now: datetime) -> TallyMark | None:
    mark = session.get(TallyMark, subject.value)
    if mark is None or now - mark.computed_at > FRESH_FOR:
        return None
    return mark


# --- orders --------------------------------------------------------------------------------------

def estimate_orders(session: Session, flt: OrderFilter | None, zone: ZoneInfo, *,
                    now: datetime | None = None) -> int | None:
    """About how many orders match ``flt`` (None: no fresh tally, or a filter it cannot answer — a search)."""
    flt = flt or OrderFilter()
    now = now or utcnow()
    if flt.search:
        return None
    mark = _fresh_mark(session, TallySubject.ORDERS, now)
    if mark is None:
        return None
    tallied = select(func.coalesce(func.sum(OrderTally.orders), 0))
    if flt.status:
        tallied = tallied.where(OrderTally.status == flt.status)
    if flt.platform:
        tallied = tallied.where(OrderTally.platform == flt.platform)
    if flt.since:
        tallied = tallied.where(col(OrderTally.day) >= flt.since.astimezone(zone).date().isoformat())
    else:
        tallied = tallied.where(OrderTally.day == ALL_DAYS)
    # The rows since the mark, off the primary key (ORDER BY id … LIMIT keeps the planner there: on the
    # status index it would walk every shipped order to find the few new ones).
    recent = (select(Order.id, Order.status, Order.platform, Order.created_at)
              .where(col(Order.id) > mark.last_id).order_by(col(Order.id)).limit(LIVE_CAP).subquery())
    live = select(func.count()).select_from(recent)
    if flt.status:
        live = live.where(recent.c.status == flt.status)
    if flt.platform:
        live = live.where(recent.c.platform == flt.platform)
    if flt.since:
        live = live.where(recent.c.created_at >= flt.since)
    return int(session.exec(tallied).one()) + int(session.exec(live).one())


def order_count(session: Session, flt: OrderFilter | None, *, cap: int, zone: ZoneInfo,
                now: datetime | None = None) -> RowCount:
    """The orders ``flt`` matches: exact up to ``cap``, past it the tally's estimate (or "more than cap")."""
    return beyond_cap(count_orders(session, flt, cap=cap), cap, lambda: estimate_orders(session, flt, zone, now=now))


def review_queue_count(session: Session, *, cap: int, zone: ZoneInfo, now: datetime | None = None) -> RowCount:
    """The orders waiting in review: exact up to ``cap``, past it the tally's estimate."""
    return beyond_cap(count_queue(session, cap=cap), cap,
                      lambda: estimate_orders(session, OrderFilter(status=OrderStatus.REVIEW), zone, now=now))


# --- open holds ----------------------------------------------------------------------------------

def estimate_open_holds(session: Session, flt: ExceptionFilter | None, zone: ZoneInfo, *,
                        now: datetime | None = None) -> int | None:
    """About how many open holds match ``flt`` (None: no fresh tally). Holds resolved since the count are
    still in it; an age filter counts the whole day its limit falls on."""
    flt = flt or ExceptionFilter()
    now = now or utcnow()
    flt.apply(select(Hold.id), now)  # the same checks of the filter as the exact count
    mark = _fresh_mark(session, TallySubject.OPEN_HOLDS, now)
    if mark is None:
        return None
    opened_by = now - timedelta(hours=flt.min_age_hours) if flt.min_age_hours else None
    tallied = select(func.coalesce(func.sum(OpenHoldTally.holds), 0))
    if flt.kind:
        tallied = tallied.where(OpenHoldTally.kind == flt.kind)
    if flt.blocking is not None:
        tallied = tallied.where(col(OpenHoldTally.blocking).is_(flt.blocking))
    if opened_by is not None:
        tallied = tallied.where(col(OpenHoldTally.day) <= opened_by.astimezone(zone).date().isoformat(),
                                col(OpenHoldTally.day) > ALL_DAYS)
    else:
        tallied = tallied.where(OpenHoldTally.day == ALL_DAYS)
    recent = (select(Hold.id, Hold.kind, Hold.blocking, Hold.opened_at, Hold.resolved_at)
              .where(col(Hold.id) > mark.last_id).order_by(col(Hold.id)).limit(LIVE_CAP).subquery())
    live = select(func.count()).select_from(recent).where(recent.c.resolved_at.is_(None))
    if flt.kind:
        live = live.where(recent.c.kind == flt.kind)
    if flt.blocking is not None:
        live = live.where(recent.c.blocking.is_(flt.blocking))
    if opened_by is not None:
        live = live.where(recent.c.opened_at <= opened_by)
    return int(session.exec(tallied).one()) + int(session.exec(live).one())


def open_hold_count(session: Session, flt: ExceptionFilter | None, *, cap: int, zone: ZoneInfo,
                    now: datetime | None = None) -> RowCount:
    """The open holds ``flt`` matches: exact up to ``cap``, past it the tally's estimate (or "more than cap")."""
    now = now or utcnow()
    return beyond_cap(count_open(session, flt, now=now, cap=cap), cap,
                      lambda: estimate_open_holds(session, flt, zone, now=now))


def beyond_cap(counted: int, cap: int, estimate: Callable[[], int | None]) -> RowCount:
    """A count capped at ``cap`` (``cap + 1`` when it went past): exact up to the cap, past it ``estimate()``
    (None: none to hand, "more than cap")."""
    if counted <= cap:
        return RowCount(counted)
    about = estimate()
    if about is None:
        return RowCount(cap, CountKind.AT_LEAST)
    # The exact count already saw more than ``cap`` rows: an estimate below that is stale, not better.
    return RowCount(max(about, cap + 1), CountKind.ABOUT)
