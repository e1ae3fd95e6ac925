"""What crosses the database boundary: times as aware UTC, statuses as the values of their StrEnum,
on both databases, whichever way they are read."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import DateTime, func
from sqlalchemy.exc import StatementError
from sqlmodel import Session, SQLModel, select
from sqlmodel.sql.sqltypes import UTCDateTime

from oms_tui import models
from oms_tui.db import read_session, session_scope
from oms_tui.models import (
    AuditEvent,
    Hold,
    Order,
    Outbox,
    OutboxStatus,
    Wave,
    WaveStatus,
)
from oms_tui.services.core import audit

BEIJING = ZoneInfo("Asia/Shanghai")


def _datetime_columns():
    return [(table.name, column) for table in SQLModel.metadata.sorted_tables for column in table.columns
            if isinstance(column.type, DateTime) or isinstance(getattr(column.type, "impl", None), DateTime)]


def test_every_time_column_is_the_utc_type():
    columns = _datetime_columns()
    assert {(t, c.name) for t, c in columns} >= {("order", "created_at"), ("hold", "opened_at"),
                                                 ("auditevent", "at"), ("outbox", "next_attempt_at")}
    assert [f"{t}.{c.name}" for t, c in columns if not isinstance(c.type, UTCDateTime)] == []


def test_an_aware_time_comes_back_aware_utc(engine):
    beijing_noon = datetime(2026, 11, 11, 12, 0, 0, 123456, tzinfo=BEIJING)
    with session_scope(engine) as s:
        s.add(AuditEvent(at=beijing_noon, action="test.orm", entity_type="test", entity_id="1"))
    with read_session(engine) as s:
        stored = s.exec(select(AuditEvent).where(AuditEvent.action == "test.orm")).one().at
        earliest = s.exec(select(func.min(AuditEvent.at))).one()
    for value in (stored, earliest):
        assert value.utcoffset() == timedelta(0)
        assert value == beijing_noon
        assert value.hour == 4  # the UTC wall clock, not Beijing's


def test_core_inserts_and_comparisons_go_through_the_type(engine):
    with session_scope(engine) as s:
        audit.record(s, "tester", "test.core", "test", 1)
    with read_session(engine) as s:
        at = s.exec(select(AuditEvent.at).where(AuditEvent.action == "test.core")).one()
        assert at.tzinfo is not None
        later_in_beijing = (at + timedelta(seconds=1)).astimezone(BEIJING)
        assert s.exec(select(func.count()).select_from(AuditEvent)
                      .where(AuditEvent.at < later_in_beijing)).one() == 1


def test_a_naive_time_is_refused_and_nothing_is_written(engine):
    with pytest.raises(StatementError, match="timezone"):
        with session_scope(engine) as s:
            s.add(AuditEvent(at=datetime(2026, 11, 11, 12, 0), action="test.naive", entity_type="test",
                             entity_id="1"))
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(AuditEvent)).one() == 0


def test_a_naive_time_is_refused_in_a_filter_too(engine):
    with Session(engine) as s, pytest.raises(StatementError, match="timezone"):
        s.exec(select(Order.id).where(Order.created_at >= datetime(2026, 1, 1))).all()
    with Session(engine) as s:  # and an aware one in any zone is compared as the same instant
        assert s.exec(select(Hold.id).where(Hold.opened_at >= datetime(2026, 1, 1, tzinfo=timezone.utc))).all() == []


# Each column that holds one of a fixed set of strings, and the StrEnum naming them. The columns stay
# VARCHAR (no database enum type, so no migration); the enum is what code writes and compares.
ENUM_COLUMNS = {
    models.Order.status: models.OrderStatus,
    models.Hold.kind: models.HoldKind,
    models.StockMove.kind: models.MoveKind,
    models.StockReservation.purpose: models.ReservationPurpose,
    models.ShopSync.last_status: models.SyncStatus,
    models.SyncProblem.source: models.ProblemSource,
    models.Wave.status: models.WaveStatus,
    models.Parcel.status: models.ParcelStatus,
    models.ScanEvent.result: models.ScanOutcome,
    models.PrintJob.status: models.PrintStatus,
    models.ReturnRecord.refund_status: models.RefundStatus,
    models.ReturnLine.condition: models.ReturnCondition,
    models.Outbox.status: models.OutboxStatus,
    models.ApprovalRequest.status: models.ApprovalStatus,
}


@pytest.mark.parametrize("attribute", ENUM_COLUMNS, ids=lambda a: f"{a.class_.__name__}.{a.key}")
def test_every_value_of_a_status_enum_fits_its_column(attribute):
    column = attribute.property.columns[0]
    enum = ENUM_COLUMNS[attribute]
    assert max(len(member.value) for member in enum) <= column.type.length
    if column.default is not None:
        assert column.default.arg in set(enum)


def test_a_status_goes_in_as_its_value_and_compares_with_the_enum(engine):
    with session_scope(engine) as s:
        s.add(Outbox(kind="alert", status=OutboxStatus.FAILED))
        s.add(Wave(code="W1", warehouse_id=_warehouse(s)))
    with read_session(engine) as s:
        raw = s.exec(select(func.min(Outbox.status))).one()
        wave = s.exec(select(Wave)).one()
        assert s.exec(select(func.count()).select_from(Outbox).where(Outbox.status == OutboxStatus.FAILED)).one() == 1
    assert raw == "failed" and raw == OutboxStatus.FAILED  # the value, not the member's name
    assert wave.status == WaveStatus.OPEN


def _warehouse(session) -> int:
    warehouse = models.Warehouse(code="WH1", name="杭州仓")
    session.add(warehouse)
    session.flush()
    return warehouse.id
