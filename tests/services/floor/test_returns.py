"""Returns: finding the shipped order, taking units back resaleable or damaged, the refund owed."""

import pytest
from sqlmodel import select

from oms_tui.config import PrinterConfig, Settings
from oms_tui.db import read_session, session_scope
from oms_tui.errors import PermissionDenied, ValidationError
from oms_tui.models import (
    AuditEvent,
    OrderLine,
    PrintJob,
    ReturnLine,
    ReturnRecord,
    StockMove,
)
from oms_tui.services.core.actor import Actor
from oms_tui.services.floor import returns
from oms_tui.services.orders import actions, queries
from tests.helpers.shop import assert_books_balance, ingest, level, stock_up


def ship(engine, order_id, waybill):
    with session_scope(engine) as s:
        order = queries.get_order(s, order_id)
        actions.start_picking(s, order, user="li")
        actions.mark_packed(s, order, user="li")
        actions.ship(s, order, waybill=waybill, courier="yuantong", user="li")


@pytest.fixture
def shipped(seeded):
    stock_up(seeded, "HG-001", 10)
    stock_up(seeded, "MB-001", 10)
    order = ingest(seeded, "R1", {"HG-001": 3, "MB-001": 1}, receiver_phone="138 0013 8000")
    ship(seeded, order.id, "YT1234567890123")
    return seeded, order.id


def lines_by_sku(engine, order_id):
    with read_session(engine) as s:
        return {l.sku_code: l for l in s.exec(select(OrderLine).where(OrderLine.order_id == order_id))}


def find(engine, query):
    with read_session(engine) as s:
        return [o.platform_order_id for o in returns.find_for_return(s, query)]


def test_find_by_waybill_order_id_or_phone(shipped):
    engine, _ = shipped
    other = ingest(engine, "R2", {"HG-001": 1}, receiver_phone="13900139000", buyer_id="b2")
    ship(engine, other.id, "YT1234567890124")
    ingest(engine, "NOT-SHIPPED", {"HG-001": 1}, receiver_phone="13900139000", buyer_id="b2")
    assert find(engine, "yt1234567890123") == ["R1"]
    assert find(engine, "R2") == ["R2"]
    assert find(engine, "+86 139-0013-9000") == ["R2"]  # not the unshipped one
    assert find(engine, "13800138000") == ["R1"]
    assert find(engine, "NOT-SHIPPED") == []
    assert find(engine, "nothing") == []
    with pytest.raises(ValidationError):
        find(engine, "  ")


def test_resaleable_goes_on_hand_damaged_to_damaged_and_refund_defaults_to_price(shipped):
    engine, order_id = shipped
    lines = lines_by_sku(engine, order_id)
    towel_before, wipes_before = level(engine, "HG-001"), level(engine, "MB-001")
    with session_scope(engine) as s:
        record = returns.record_return(s, queries.get_order(s, order_id),
                                       [(lines["HG-001"].id, 2, "resaleable"), (lines["MB-001"].id, 1, "damaged")],
                                       reason="尺寸不合适", waybill_in="sf 1234567890123", actor=Actor.system("li"))
        record_id = record.id
    towel, wipes = level(engine, "HG-001"), level(engine, "MB-001")
    assert towel.on_hand - towel_before.on_hand == 2 and towel.damaged == 0
    assert wipes.on_hand == wipes_before.on_hand and wipes.damaged == 1
    with read_session(engine) as s:
        rec = s.get(ReturnRecord, record_id)
        assert (rec.refund_fen, rec.refund_status, rec.waybill_in, rec.reason) == (3 * 1990, "pending",
                                                                                   "SF1234567890123", "尺寸不合适")
        assert sorted((r.qty, r.condition) for r in s.exec(select(ReturnLine))) == [(1, "damaged"), (2, "resaleable")]
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "return.record")).one().entity_id == str(order_id)
        assert len(s.exec(select(StockMove).where(StockMove.kind == "return")).all()) == 2
        view = {l.sku: l for l in returns.returnable_lines(s, queries.get_order(s, order_id))}
        assert (view["HG-001"].returned, view["HG-001"].returnable, view["HG-001"].name) == (2, 1, "竹纤维毛巾")
        slip = returns.return_slip_data(s, rec)
        assert slip["order"] == "R1" and slip["refund_fen"] == 5970 and len(slip["lines"]) == 2
    assert_books_balance(engine)


def test_too_many_units_or_a_foreign_line_is_refused_and_changes_nothing(shipped):
    engine, order_id = shipped
    lines = lines_by_sku(engine, order_id)
    with session_scope(engine) as s:
        returns.record_return(s, queries.get_order(s, order_id), [(lines["HG-001"].id, 2, "resaleable")],
                              reason="", actor=Actor.system("li"))
    cases = [
        ([(lines["HG-001"].id, 2, "resaleable")], "1 more|cannot return 2"),  # 3 shipped, 2 back already
        ([(lines["HG-001"].id, 1, "resaleable"), (lines["HG-001"].id, 1, "damaged")], "cannot return 2"),
        ([(999999, 1, "resaleable")], "not on order"),
        ([(lines["MB-001"].id, 0, "resaleable")], "positive"),
        ([(lines["MB-001"].id, 1, "broken")], "condition"),
        ([], "which lines"),
    ]
    for wanted, message in cases:
        with pytest.raises(ValidationError, match=message):
            with session_scope(engine) as s:
                returns.record_return(s, queries.get_order(s, order_id), wanted, reason="", actor=Actor.system("li"))
    with pytest.raises(ValidationError, match="more than"):
        with session_scope(engine) as s:
            returns.record_return(s, queries.get_order(s, order_id), [(lines["MB-001"].id, 1, "resaleable")],
                                  reason="", refund_fen=10**6, actor=Actor.system("li"))
    with read_session(engine) as s:
        assert len(s.exec(select(ReturnRecord)).all()) == 1
    assert_books_balance(engine)


def test_explicit_refund_and_unshipped_order(shipped):
    engine, order_id = shipped
    lines = lines_by_sku(engine, order_id)
    with session_scope(engine) as s:
        rec = returns.record_return(s, queries.get_order(s, order_id), [(lines["MB-001"].id, 1, "damaged")],
                                    reason="破损", refund_fen=500, actor=Actor.system("li"))
        assert rec.refund_fen == 500
    pending = ingest(engine, "R9", {"HG-001": 1}, receiver_name="李四")
    with pytest.raises(ValidationError, match="has not shipped"):
        with session_scope(engine) as s:
            line = s.exec(select(OrderLine).where(OrderLine.order_id == pending.id)).one()
            returns.record_return(s, queries.get_order(s, pending.id), [(line.id, 1, "resaleable")], reason="",
                                  actor=Actor.system("li"))


def test_record_and_print_is_the_desks_confirm_in_one_call(shipped):
    engine, order_id = shipped
    lines = lines_by_sku(engine, order_id)
    slip_printer = Settings(database_url="sqlite://", printers=[
        PrinterConfig(name="desk", kind="file", device="/dev/null", documents=["return_slip"])])
    with read_session(engine) as s:
        before = {line.sku: line.returnable for line in returns.lines_for_return(s, order_id)}
    with session_scope(engine) as s:
        done = returns.record_and_print(s, order_id, [(lines["HG-001"].id, 2, "resaleable")], reason="不喜欢",
                                        actor=Actor("li", {"warehouse"}), settings=slip_printer)
    assert (done.units, done.refund_fen, done.print_outcome.printer) == (2, 2 * 1990, "desk")
    assert before == {"HG-001": 3, "MB-001": 1}
    assert {line.sku: line.returnable for line in done.lines} == {"HG-001": 1, "MB-001": 1}
    with read_session(engine) as s:
        assert s.get(ReturnRecord, done.return_id).reason == "不喜欢"
        assert s.get(PrintJob, done.print_outcome.job_id).ref == f"R{done.return_id}"
    with session_scope(engine) as s:  # no printer configured: the return stands, the outcome says so
        unprinted = returns.record_and_print(s, order_id, [(lines["MB-001"].id, 1, "damaged")], reason="",
                                             actor=Actor("li", {"warehouse"}),
                                             settings=Settings(database_url="sqlite://"))
    assert unprinted.print_outcome.no_printer and unprinted.lines[1].returnable == 0
    with pytest.raises(PermissionDenied):  # nothing recorded for someone who may not receive returns
        with session_scope(engine) as s:
            returns.record_and_print(s, order_id, [(lines["HG-001"].id, 1, "resaleable")], reason="",
                                     actor=Actor("cw", {"finance"}))
    with read_session(engine) as s:
        assert len(s.exec(select(ReturnRecord)).all()) == 2
    assert_books_balance(engine)


def test_parse_yuan():
    assert returns.parse_yuan("12.5") == 1250
    assert returns.parse_yuan("¥1,234.05") == 123405
    assert returns.parse_yuan(" ") is None
    with pytest.raises(ValidationError):
        returns.parse_yuan("12.345")


def test_the_platforms_after_sales_wait_until_goods_come_back_or_the_platform_refuses(shipped):
    from oms_tui.models import RefundState
    from oms_tui.services.orders import refunds

    engine, order_id = shipped
    other = ingest(engine, "R2", {"HG-001": 1}, receiver_phone="13900139000", buyer_id="b2")
    ship(engine, other.id, "YT1234567890124")

    def report(refund_id, order, state, minutes=0):
        from datetime import datetime, timedelta, timezone

        with session_scope(engine) as s:
            refunds.apply_refund(s, refunds.RefundNotice(
                platform="taobao", refund_id=refund_id, platform_order_id=order, status=str(state), state=state,
                reason="质量问题", amount_fen=1990,
                modified_at=datetime(2026, 11, 29, tzinfo=timezone.utc) + timedelta(minutes=minutes)))

    def waiting():
        with read_session(engine) as s:
            return [(r.platform_order_id, r.reason, r.refund_fen) for r in returns.platform_after_sales(s)]

    report("A1", "R1", RefundState.REQUESTED)
    report("A2", "R2", RefundState.REQUESTED)
    assert sorted(waiting()) == [("R1", "A1 质量问题", 1990), ("R2", "A2 质量问题", 1990)]
    report("A2", "R2", RefundState.CLOSED, minutes=1)  # the platform refused it: nothing will come back
    with session_scope(engine) as s:
        line = next(l for l in lines_by_sku(engine, order_id).values() if l.sku_code == "HG-001")
        returns.record_return(s, queries.get_order(s, order_id), [(line.id, 1, "resaleable")], reason="质量问题",
                              actor=Actor("li", {"warehouse"}))
    assert waiting() == []
