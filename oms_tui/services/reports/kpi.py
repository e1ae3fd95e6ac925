"""`oms report kpi`: the owner's three measures over a span of shop-local days.

* **order→ship hours** — payment (else the platform's creation time) to shipping, for the orders shipped
  in the span: how many, mean, p50 and p90 (nearest rank, exact to the second).
* **errors per month** — per calendar month: pack-station scan errors, wrong, missed and duplicate
  shipments (the definitions in measures.py), and their total.
* **staff-hours** — per person and day: the time between that person's consecutive actions (audit rows
  and pack-station scans under their user name) when the two are at most ``IDLE_GAP`` apart; a longer
  gap is a break and counts nothing. Only names in the user table count (the system's own jobs do not).

Each day is counted with the same functions the dashboard's rollup uses, so the two agree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlmodel import Session, col, select

from oms_tui.errors import ValidationError
from oms_tui.i18n import N_
from oms_tui.models import AuditEvent, ScanEvent, User
from oms_tui.services.core.actor import Actor, require
from oms_tui.services.reports import measures
from oms_tui.services.reports.rollup import day_bounds
from oms_tui.services.core.xlsx import Sheet

IDLE_GAP = timedelta(minutes=30)
MAX_DAYS = 366


@dataclass(frozen=True)
class ShipHours:
    orders: int
    mean_hours: float | None
    p50_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class MonthErrors:
    month: str  # YYYY-MM
    scan_errors: int
    wrong: int
    missed: int
    duplicate: int

    @property
    def total(self) -> int:
        return self.scan_errors + self.wrong + self.missed + self.duplicate


@dataclass(frozen=True)
class StaffDay:
    user: str
    day: str  # YYYY-MM-DD
    actions: int
    hours: float


@dataclass(frozen=True)
class KpiReport:
    first: date
    last: date
    timezone: str
    ship: ShipHours
    errors: list[MonthErrors]
    staff: list[StaffDay]

    @property
    def staff_hours(self) -> float:
        return round(sum(row.hours for row in self.staff), 2)

    def as_dict(self) -> dict[str, Any]:
        """For ``--format json``: plain values."""
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "timezone": self.timezone,
                "order_to_ship": asdict(self.ship),
                "errors_per_month": [asdict(row) | {"total": row.total} for row in self.errors],
                "staff_hours": [asdict(row) for row in self.staff], "staff_hours_total": self.staff_hours}


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def kpi_report(session: Session, actor: Actor, first: date, last: date, zone: tzinfo) -> KpiReport:
    """The three measures for the shop-local days ``first``..``last`` (inclusive)."""
    require(actor, "dashboard.view")
    if last < first:
        raise ValidationError(N_("the report ends ({last}) before it starts ({first})"), first=first, last=last)
    if (last - first).days >= MAX_DAYS:
        raise ValidationError(N_("a report covers at most {days} days"), days=MAX_DAYS)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    seconds: list[int] = []
    months: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for day in days:
        start, end = day_bounds(day, zone)
        seconds.extend(s for _platform, s in measures.ship_seconds(session, start, end))
        month = months[day.isoformat()[:7]]
        month[0] += measures.scan_counts(session, start, end).errors
        month[1] += measures.wrong_shipments(session, start, end)
        month[2] += measures.missed_shipments(session, start, end)
        month[3] += measures.duplicate_shipments(session, start, end)
    seconds.sort()
    ship = ShipHours(len(seconds), _hours(sum(seconds) / len(seconds)) if seconds else None,
                     _hours(measures.percentile(seconds, 50)), _hours(measures.percentile(seconds, 90)))
    errors = [MonthErrors(month, *counts) for month, counts in sorted(months.items())]
    start, _ = day_bounds(first, zone)
    _, end = day_bounds(last, zone)
    return KpiReport(first, last, getattr(zone, "key", str(zone)), ship, errors,
                     staff_days(session, start, end, zone))


def staff_days(session: Session, start: datetime, end: datetime, zone: tzinfo) -> list[StaffDay]:
    """Per person and shop-local day: actions and worked hours (gaps up to IDLE_GAP between actions)."""
    people = set(session.exec(select(User.name)).all())
    if not people:
        return []
    names = sorted(people)
    times: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for table in (AuditEvent, ScanEvent):
        for user, at in session.exec(select(table.user, table.at).where(
                col(table.at) >= start, col(table.at) < end, col(table.user).in_(names))).all():
            times[user, at.astimezone(zone).date().isoformat()].append(at)
    rows = []
    for (user, day), moments in sorted(times.items()):
        moments.sort()
        worked = sum(((b - a) for a, b in zip(moments, moments[1:]) if b - a <= IDLE_GAP), timedelta())
        rows.append(StaffDay(user, day, len(moments), round(worked.total_seconds() / 3600, 2)))
    return rows


def kpi_sheets(report: KpiReport) -> list[Sheet]:
    """The report as xlsx sheets with Chinese headers (the owner's accountant reads them)."""
    ship = report.ship
    return [
        Sheet("发货时效", ["开始日期", "结束日期", "时区", "发货订单数", "平均小时", "中位数小时 (p50)", "p90 小时"],
              [[report.first, report.last, report.timezone, ship.orders, ship.mean_hours, ship.p50_hours,
                ship.p90_hours]]),
        Sheet("每月差错", ["月份", "扫描错误", "错发", "漏发", "重复发货", "合计"],
              [[row.month, row.scan_errors, row.wrong, row.missed, row.duplicate, row.total] for row in report.errors]),
        Sheet("人员工时", ["用户", "日期", "操作数", "工时（小时）"],
              [[row.user, row.day, row.actions, row.hours] for row in report.staff]),
    ]
