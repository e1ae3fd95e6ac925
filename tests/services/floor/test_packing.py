"""The pack station service: order → items → waybill → shipped, and every way a scan can be wrong."""

import json

import pytest
from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.models import (
    AuditEvent,
    Order,
    OrderStatus,
    Outbox,
    Parcel,
    ScanEvent,
    StockMove,
    Wave,
)
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.services.floor import packing, ship_notices, waves
from oms_tui.services.orders import actions, holds, queries
from tests.helpers.shop import assert_books_balance, ingest, level, stock_up

TOWEL, WIPES = "6901234567892", "6920000000012"  # the seeded SKUs' barcodes (HG-001, MB-001)


@pytest.fixture
def floor(seeded):
    """Stock, three ready orders in one wave: W1 and W2 merged (same receiver), SOLO on its own."""
    stock_up(seeded, "HG-001", 20)
    stock_up(seeded, "MB-001", 20)
    ingest(seeded, "W1", {"HG-001": 2})
    ingest(seeded, "W2", {"MB-001": 1}, platform="pdd")
    ingest(seeded, "SOLO", {"HG-001": 1}, receiver_name="李四", receiver_phone="13900139000")
    with session_scope(seeded) as s:
        waves.create_wave(s, catalogue.get_warehouse(s, "WH1"), courier="yuantong", actor=Actor.system("li"))
    return seeded


def station():
    return packing.PackSession(station="P1", actor=Actor("li", {"warehouse"}))


def scan_all(engine, pack, *codes):
    return [pack.scan(engine, code) for code in codes]


def events(engine):
    with read_session(engine) as s:
        return [(e.code, e.result) for e in s.exec(select(ScanEvent).order_by(ScanEvent.id))]


def snapshot(engine):
    """Everything a wrong scan must leave alone."""
    with read_session(engine) as s:
        return (
            [(o.id, o.status, o.waybill) for o in s.exec(select(Order).order_by(Order.id))],
            len(s.exec(select(StockMove)).all()), len(s.exec(select(Outbox)).all()),
            len(s.exec(select(AuditEvent)).all()), [(p.id, p.status) for p in s.exec(select(Parcel))],
        )


def test_merged_parcel_right_items_then_waybill_ships_both_orders(floor):
    pack = station()
    first = pack.scan(floor, "W1")
    assert first.result == "order" and first.phase == packing.ITEMS
    assert first.refs == ("W1", "W2")  # the whole parcel, both orders
    assert [(l.sku, l.verified, l.needed) for l in first.lines] == [("HG-001", 0, 2), ("MB-001", 0, 1)]
    a, b, c = scan_all(floor, pack, TOWEL, "HG-001", WIPES)  # barcode or SKU code alike
    assert (a.result, a.sku, a.params["verified"]) == ("ok", "HG-001", 1)
    assert b.result == "ok" and c.result == "ok" and c.phase == packing.WAYBILL
    assert c.message == "All 3 items verified: scan the waybill"
    before = level(floor)
    shipped = pack.scan(floor, "yt1234567890123")
    assert shipped.result == "waybill" and not shipped.is_error and shipped.phase == packing.IDLE
    assert shipped.params["waybill"] == "YT1234567890123"
    with read_session(floor) as s:
        rows = {o.platform_order_id: o for o in s.exec(select(Order))}
        for ref in ("W1", "W2"):
            assert rows[ref].status == OrderStatus.SHIPPED and rows[ref].waybill == "YT1234567890123"
            assert rows[ref].courier == "yuantong"
        assert rows["SOLO"].status == OrderStatus.PICKING
        parcel = s.get(Parcel, rows["W1"].parcel_id)
        assert (parcel.status, parcel.waybill, parcel.courier) == ("shipped", "YT1234567890123", "yuantong")
        messages = list(s.exec(select(Outbox).where(Outbox.kind == "platform_ship").order_by(Outbox.id)))
        assert [(m.channel, m.order_id) for m in messages] == [("taobao", rows["W1"].id), ("pdd", rows["W2"].id)]
        assert json.loads(messages[0].payload) == {"platform_order_id": "W1", "waybill": "YT1234567890123",
                                                   "courier": "yuantong"}
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "parcel.ship")).first() is not None
    after = level(floor)
    assert (before.on_hand - after.on_hand, before.locked - after.locked) == (2, 2)
    assert [r for _c, r in events(floor)] == ["order", "ok", "ok", "ok", "waybill", "waybill"]
    assert (pack.scans, pack.errors, pack.parcels_shipped, pack.orders_shipped) == (5, 0, 1, 2)
    assert_books_balance(floor)


def test_wrong_item_unknown_code_and_extra_unit_change_nothing_but_the_scan_log(floor):
    pack = station()
    pack.scan(floor, "SOLO")
    pack.scan(floor, TOWEL)
    before = snapshot(floor)
    wrong, unknown, extra = scan_all(floor, pack, WIPES, "NOT-A-THING", TOWEL)
    assert (wrong.result, wrong.is_error, wrong.sku) == ("wrong", True, "MB-001")
    assert "not in this parcel" in wrong.message
    assert unknown.result == "unknown" and "NOT-A-THING" in unknown.message
    assert extra.result == "extra" and extra.is_error and "all verified already" in extra.message
    assert [(l.verified, l.needed) for l in extra.lines] == [(1, 1)]
    assert snapshot(floor) == before
    assert events(floor)[-3:] == [(WIPES, "wrong"), ("NOT-A-THING", "unknown"), (TOWEL, "extra")]
    assert pack.errors == 3 and pack.phase == packing.WAYBILL


def test_waybill_of_the_wrong_shape_or_too_early_is_refused(floor):
    pack = station()
    pack.scan(floor, "W2")
    early = pack.scan(floor, "YT1234567890123")
    assert early.result == "waybill_bad" and "0 of 3" in early.message
    scan_all(floor, pack, TOWEL, TOWEL, WIPES)
    before = snapshot(floor)
    bad = pack.scan(floor, "SF1234567890123")  # an SF number on a YTO parcel
    assert bad.result == "waybill_bad" and "YT + 13 digits" in bad.message and "yuantong" in bad.message
    assert snapshot(floor) == before and pack.phase == packing.WAYBILL
    assert pack.scan(floor, "YT1234567890123").result == "waybill"


def test_a_waybill_is_used_once(floor):
    pack = station()
    scan_all(floor, pack, "W1", TOWEL, TOWEL, WIPES, "YT1234567890123")
    scan_all(floor, pack, "SOLO", TOWEL)
    dup = pack.scan(floor, "YT1234567890123")
    assert dup.result == "waybill_bad" and "already" in dup.message
    assert pack.scan(floor, "YT1234567890124").result == "waybill"
    with read_session(floor) as s:
        assert s.exec(select(Wave)).one().status == "done"  # every order of the wave has shipped


def test_scanning_the_order_again_resumes_and_another_order_switches(floor):
    pack = station()
    scan_all(floor, pack, "W1", TOWEL)
    again = pack.scan(floor, "W2")  # the other order of the same parcel
    assert again.result == "double" and not again.is_error and "1 of 3" in again.message
    assert [l.verified for l in again.lines] == [1, 0]
    switch = pack.scan(floor, "SOLO")
    assert switch.result == "order" and "W1 W2" in switch.message and switch.refs == ("SOLO",)
    back = pack.scan(floor, "W1")
    assert back.result == "order" and [l.verified for l in back.lines] == [0, 0]  # put aside: start over


def test_orders_not_being_picked_or_held_are_refused_at_the_first_scan(floor):
    ingest(floor, "READY", {"HG-001": 1}, receiver_name="王五")
    with session_scope(floor) as s:
        solo = queries.find_order(s, "taobao", "SOLO")
        holds.open_hold(s, solo, "address_invalid", reason="门牌号缺失", user="cs")
    pack = station()
    ready = pack.scan(floor, "READY")
    assert ready.result == "refused" and "ready" in ready.message and pack.work is None
    held = pack.scan(floor, "SOLO")
    assert held.result == "refused" and "address_invalid" in held.message
    pack.scan(floor, "W1")
    refused = pack.scan(floor, "SOLO")
    assert refused.result == "refused" and pack.work.refs == ("W1", "W2")  # the bench is untouched
    assert pack.errors == 3
    unknown = station().scan(floor, TOWEL)  # an item with nothing open
    assert unknown.result == "unknown" and "scan the order" in unknown.message


def test_order_found_by_our_order_number(floor):
    with read_session(floor) as s:
        solo = queries.find_order(s, "taobao", "SOLO")
    result = station().scan(floor, str(solo.id))
    assert result.result == "order" and result.refs == ("SOLO",)


def test_order_picked_outside_a_wave_ships_in_a_new_parcel(floor):
    ingest(floor, "LONE", {"HG-001": 1}, receiver_name="赵六")
    with session_scope(floor) as s:
        actions.start_picking(s, queries.find_order(s, "taobao", "LONE"), user="li")
    pack = station()
    scan_all(floor, pack, "LONE", TOWEL)
    nocourier = pack.scan(floor, "123456789012")  # digits only: ZTO, Yunda or STO?
    assert nocourier.result == "waybill_bad" and "courier" in nocourier.message
    assert pack.scan(floor, "SF1234567890123").result == "waybill"  # SF says which
    with read_session(floor) as s:
        lone = queries.find_order(s, "taobao", "LONE")
        assert lone.status == OrderStatus.SHIPPED and lone.courier == "shunfeng" and lone.parcel_id
        assert s.get(Parcel, lone.parcel_id).waybill == "SF1234567890123"
    assert_books_balance(floor)


UNKNOWN_EAN = "6920152400388"  # a valid Chinese EAN-13 of no SKU of ours


def zto_parcel(engine, ref="ZTO1"):
    """One order picked in a ZTO wave: ZTO waybills are 12–15 plain digits, as many EANs are."""
    ingest(engine, ref, {"HG-001": 1}, receiver_name="周七", receiver_phone="13700137000")
    with session_scope(engine) as s:
        waves.create_wave(s, catalogue.get_warehouse(s, "WH1"), courier="zhongtong", actor=Actor.system("li"))


def test_an_unknown_product_barcode_is_never_the_waybill(floor):
    zto_parcel(floor)
    pack = station()
    pack.scan(floor, "ZTO1")
    early = pack.scan(floor, UNKNOWN_EAN)  # while items are being verified: an item we do not know
    assert early.result == "wrong" and "product barcode" in early.message and early.is_error
    pack.scan(floor, TOWEL)
    before = snapshot(floor)
    late = pack.scan(floor, UNKNOWN_EAN)  # after the last item, where the waybill is expected
    assert late.result == "waybill_bad" and late.message == f"{UNKNOWN_EAN}: this is a product barcode, not a waybill"
    assert pack.scan(floor, WIPES).result == "wrong"  # a barcode we know is another SKU's, never a waybill
    assert snapshot(floor) == before and pack.phase == packing.WAYBILL and pack.errors == 3
    assert pack.scan(floor, "731234567890").result == "waybill"


def test_an_issued_waybill_is_the_one_the_station_expects(floor):
    zto_parcel(floor)
    with session_scope(floor) as s:  # an e-waybill service gave the parcel its number before packing
        parcel = s.get(Parcel, queries.find_order(s, "taobao", "ZTO1").parcel_id)
        parcel.waybill = UNKNOWN_EAN  # a real waybill may look like an EAN: issued, so it is taken as it is
        s.add(parcel)
    pack = station()
    scan_all(floor, pack, "ZTO1", TOWEL)
    before = snapshot(floor)
    other = pack.scan(floor, "731234567890")  # a well-formed ZTO waybill, but not the issued one
    assert other.result == "waybill_bad" and f"expected waybill {UNKNOWN_EAN}" in other.message
    assert snapshot(floor) == before
    shipped = pack.scan(floor, UNKNOWN_EAN)
    assert shipped.result == "waybill" and not shipped.is_error
    with read_session(floor) as s:
        order = queries.find_order(s, "taobao", "ZTO1")
        assert (order.status, order.waybill) == (OrderStatus.SHIPPED, UNKNOWN_EAN)


def test_shipment_and_outbox_are_one_transaction(floor, monkeypatch):
    pack = station()
    scan_all(floor, pack, "W1", TOWEL, TOWEL, WIPES)
    before = snapshot(floor)
    real = ship_notices.outbox.enqueue
    calls = []

    def fail_second(session, kind, **kw):
        calls.append(kind)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(session, kind, **kw)

    monkeypatch.setattr(ship_notices.outbox, "enqueue", fail_second)
    with pytest.raises(RuntimeError):
        pack.scan(floor, "YT1234567890123")
    assert snapshot(floor) == before  # the first order's shipment rolled back with the failed outbox row
    monkeypatch.setattr(ship_notices.outbox, "enqueue", real)
    assert pack.phase == packing.WAYBILL
    assert pack.scan(floor, "YT1234567890123").result == "waybill"
    with read_session(floor) as s:
        assert len(s.exec(select(Outbox).where(Outbox.kind == "platform_ship")).all()) == 2
    assert_books_balance(floor)


def test_cancelled_member_is_left_out_of_the_parcel(floor):
    with session_scope(floor) as s:
        actions.cancel(s, queries.find_order(s, "pdd", "W2"), actor=Actor.system("cs"), reason="买家取消")
    pack = station()
    first = pack.scan(floor, "W1")
    assert first.refs == ("W1",) and [l.sku for l in first.lines] == ["HG-001"]
    scan_all(floor, pack, TOWEL, TOWEL)
    assert pack.scan(floor, "YT1234567890123").result == "waybill"
    with read_session(floor) as s:
        assert queries.find_order(s, "pdd", "W2").status == OrderStatus.CANCELLED
    assert_books_balance(floor)


def test_already_shipped_order_is_refused(floor):
    pack = station()
    scan_all(floor, pack, "SOLO", TOWEL, "YT1234567890123")
    again = pack.scan(floor, "SOLO")
    assert again.result == "refused" and "YT1234567890123" in again.message


def test_a_ship_the_service_refuses_reaches_the_screen_as_its_own_template(floor, monkeypatch):
    """The packer reads the real reason in their language, not an English text wrapped in a Chinese one."""
    from oms_tui.errors import InsufficientStock
    from oms_tui.i18n import N_, _, setup_language

    def short(*_args, **_kw):
        raise InsufficientStock(N_("{sku}: not enough on hand to ship {qty}"), sku="HG-001", qty=2)

    monkeypatch.setattr(actions, "ship", short)
    pack = station()
    scan_all(floor, pack, "W1", TOWEL, TOWEL, WIPES)
    failed = pack.scan(floor, "YT1234567890123")
    assert failed.result == "failed" and failed.is_error
    assert (failed.template, failed.params) == ("{sku}: not enough on hand to ship {qty}", {"sku": "HG-001", "qty": 2})
    try:
        setup_language("zh_CN")
        shown = _(failed.template).format(**failed.params)
    finally:
        setup_language("en")
    assert shown != failed.message and "HG-001" in shown  # translated, values kept
