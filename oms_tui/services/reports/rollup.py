"""The dashboard's daily rollup: each shop-local day's figures summed into ``DashboardRollup`` rows by a
scheduler job (``dashboard_rollup``, every two minutes), so the dashboard reads a few hundred rows
whatever the number of orders.

A run recomputes the last ``REFRESH_DAYS`` days (today as far as it has gone, and the days before it,
for late-arriving data) and any day after the last one rolled up; on an empty rollup it starts at the
first order's day (at most ``MAX_BACKFILL_DAYS`` back). Each day is replaced whole in its own short
transaction. An order ingested with a platform time older than that window is counted in the live
figures, not in the older day's row until ``refresh_rollup(…, since=day)`` runs again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from enum import StrEnum

from sqlalchemy import Engine, delete, func
from sqlmodel import Session, col, select

from oms_tui.db import read_session, session_scope
from oms_tui.models import DashboardRollup, Order, utcnow
from oms_tui.services.reports import measures

REFRESH_DAYS = 3
MAX_BACKFILL_DAYS = 400
# Order→ship times are kept as counts per tenth of an hour, so a percentile over any set of days is
# exact at that resolution (the dashboard shows hours with one decimal).
TENTH_SECONDS = 360


class Figure(StrEnum):
    """What a rollup row counts (``key`` in brackets)."""

    ORDERS = "orders"  # [platform] orders created
    SHIPPED = "shipped"  # [platform] orders shipped
    SHIP_SECONDS = "ship_seconds"  # payment → shipping, seconds summed over the orders shipped
    SHIP_TENTHS = "ship_tenths"  # [whole tenths of an hour, payment → shipping] orders shipped
    HOLDS_OPENED = "holds_opened"  # [hold kind]
    SCANS = "scans"
    SCAN_ERRORS = "scan_errors"
    WRONG = "wrong_shipments"
    MISSED = "missed_shipments"
    DUPLICATE = "duplicate_shipments"
    APPROVALS_DECIDED = "approvals_decided"
    APPROVAL_SECONDS = "approval_seconds"


def day_bounds(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The UTC span of a shop-local calendar day."""
    start = datetime.combine(day, time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def local_day(moment: datetime, zone: tzinfo) -> date:
    return moment.astimezone(zone).date()


def day_figures(session: Session, start: datetime, end: datetime) -> dict[tuple[Figure, str], int]:
    """Every figure of the span ``[start, end)``: (figure, key) → value (zeros left out but the scans)."""
    figures: Counter[tuple[Figure, str]] = Counter()
    for platform, count in measures.orders_created(session, start, end).items():
        figures[Figure.ORDERS, platform] += count
    for platform, seconds in measures.ship_seconds(session, start, end):
        figures[Figure.SHIPPED, platform] += 1
        figures[Figure.SHIP_SECONDS, ""] += seconds
        figures[Figure.SHIP_TENTHS, str(seconds // TENTH_SECONDS)] += 1
    for kind, count in measures.holds_opened(session, start, end).items():
        figures[Figure.HOLDS_OPENED, kind] += count
    scans = measures.scan_counts(session, start, end)
    figures[Figure.SCANS, ""] += scans.scans
    figures[Figure.SCAN_ERRORS, ""] += scans.errors
    figures[Figure.WRONG, ""] += measures.wrong_shipments(session, start, end)
    figures[Figure.MISSED, ""] += measures.missed_shipments(session, start, end)
    figures[Figure.DUPLICATE, ""] += measures.duplicate_shipments(session, start, end)
    decided = measures.approval_seconds(session, start, end)
    figures[Figure.APPROVALS_DECIDED, ""] += len(decided)
    figures[Figure.APPROVAL_SECONDS, ""] += sum(decided)
    # The scan count stays even at zero: every rolled-up day has that row (computed_at reads it).
    return {key: value for key, value in figures.items() if value or key == (Figure.SCANS, "")}


@dataclass(frozen=True)
class RollupRun:
    days: int
    first: date | None = None
    last: date | None = None

    def __str__(self) -> str:
        return f"rolled up {self.days} day(s)" + (f" {self.first}..{self.last}" if self.first else "")


def days_to_refresh(session: Session, zone: tzinfo, today: date) -> list[date]:
    """The days a run recomputes: the last REFRESH_DAYS, and every day since the last one rolled up."""
    last = session.exec(select(func.max(DashboardRollup.day))).one()
    if last is not None:
        start = min(date.fromisoformat(last), today - timedelta(days=REFRESH_DAYS - 1))
    else:
        first_order = session.exec(select(func.min(Order.created_at))).one()
        start = local_day(first_order, zone) if first_order else today
        start = min(start, today - timedelta(days=REFRESH_DAYS - 1))
    start = max(start, today - timedelta(days=MAX_BACKFILL_DAYS))
    return [start + timedelta(days=n) for n in range((today - start).days + 1)]


def write_day(session: Session, day: date, figures: dict[tuple[Figure, str], int], *, now: datetime) -> None:
    """Replace ``day``'s rows with ``figures``."""
    text = day.isoformat()
    session.execute(delete(DashboardRollup).where(col(DashboardRollup.day) == text))
    session.add_all([DashboardRollup(day=text, figure=figure.value, key=key, value=value, computed_at=now)
                     for (figure, key), value in sorted(figures.items())])


def refresh_rollup(engine: Engine, zone: tzinfo, *, now: datetime | None = None,
                   days: Iterable[date] | None = None) -> RollupRun:
    """Recompute the rollup's recent days (or the given ``days``), each in its own transaction."""
    now = now or utcnow()
    today = local_day(now, zone)
    if days is None:
        with read_session(engine) as session:
            days = days_to_refresh(session, zone, today)
    done = sorted(set(days))
    for day in done:
        start, end = day_bounds(day, zone)
        with session_scope(engine) as session:
            write_day(session, day, day_figures(session, start, end), now=now)
    return RollupRun(len(done), done[0] if done else None, done[-1] if done else None)


def totals(session: Session, figures: Iterable[Figure], first: date, last: date) -> dict[Figure, dict[str, int]]:
    """Figure → (key → the figure summed over the days ``first``..``last``, inclusive), in one query."""
    wanted = list(figures)
    found: dict[Figure, dict[str, int]] = {figure: {} for figure in wanted}
    for figure, key, total in session.exec(
            select(DashboardRollup.figure, DashboardRollup.key, func.sum(DashboardRollup.value)).where(
                col(DashboardRollup.figure).in_([figure.value for figure in wanted]),
                col(DashboardRollup.day) >= first.isoformat(), col(DashboardRollup.day) <= last.isoformat())
            .group_by(DashboardRollup.figure, DashboardRollup.key)).all():
        found[Figure(figure)][key] = int(total)  # PostgreSQL sums a BIGINT as a NUMERIC
    return found


def by_day(session: Session, figures: Iterable[Figure], first: date, last: date) -> list[tuple[str, Figure, str, int]]:
    """(day, figure, key, value) of the figures for each day ``first``..``last`` that has them, in one query."""
    return [(day, Figure(figure), key, value) for day, figure, key, value in session.exec(
        select(DashboardRollup.day, DashboardRollup.figure, DashboardRollup.key, DashboardRollup.value).where(
            col(DashboardRollup.figure).in_([figure.value for figure in figures]),
            col(DashboardRollup.day) >= first.isoformat(), col(DashboardRollup.day) <= last.isoformat())
        .order_by(col(DashboardRollup.day), col(DashboardRollup.figure), col(DashboardRollup.key)))]


def computed_at(session: Session) -> datetime | None:
    """When the newest rollup row was written (the dashboard's "as of")."""
    # A run writes today last, all its rows with one time: the newest day's row says when (index: figure, day).
    return session.exec(select(DashboardRollup.computed_at).where(DashboardRollup.figure == Figure.SCANS.value)
                        .order_by(col(DashboardRollup.day).desc()).limit(1)).first()
