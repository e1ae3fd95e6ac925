"""Waves: which ready orders a wave takes, parcels merged by receiver and address, the pick list by bin."""

import json

import pytest
from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.errors import PermissionDenied, ValidationError
from oms_tui.models import AuditEvent, Order, OrderStatus, Parcel, Wave
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.services.floor import waves
from oms_tui.services.orders import holds, lifecycle, queries
from tests.helpers.shop import assert_books_balance, ingest, stock_up


def make_wave(engine, courier="yuantong", **filters):
    with session_scope(engine) as s:
        wave = waves.create_wave(s, catalogue.get_warehouse(s, "WH1"), courier=courier, actor=Actor.system("li"), **filters)
        return wave.id


def order_rows(engine, wave_id):
    with read_session(engine) as s:
        return list(s.exec(select(Order).where(Order.wave_id == wave_id).order_by(Order.id)))


def test_candidates_are_ready_unheld_and_not_in_a_wave(seeded):
    stock_up(seeded, "HG-001", 20)
    a = ingest(seeded, "A", {"HG-001": 1})
    b = ingest(seeded, "B", {"HG-001": 1})
    ingest(seeded, "SHORT", {"MB-001": 1})  # no wipes in stock: short, not ready
    with session_scope(seeded) as s:
        holds.open_hold(s, queries.get_order(s, b.id), "buyer_remark", reason="请发顺丰", user="cs")
        lifecycle.settle_status(s, queries.get_order(s, b.id), user="cs")
    with read_session(seeded) as s:
        assert [o.platform_order_id for o in waves.candidate_orders(s)] == ["A"]
        assert waves.count_candidates(s) == 1
    wave_id = make_wave(seeded)
    assert [o.id for o in order_rows(seeded, wave_id)] == [a.id]
    with read_session(seeded) as s:
        assert waves.candidate_orders(s) == []
    with pytest.raises(ValidationError, match="no ready orders"):
        make_wave(seeded)


def test_filters_region_platform_and_item_count(no_duplicate_check, seeded):
    stock_up(seeded, "HG-001", 20)
    stock_up(seeded, "MB-001", 20)
    ingest(seeded, "ZJ1", {"HG-001": 1}, receiver_province="浙江省", receiver_city="杭州市")
    ingest(seeded, "ZJ2", {"HG-001": 2}, receiver_province="浙江", receiver_city="宁波市", platform="pdd")
    ingest(seeded, "SH1", {"HG-001": 1, "MB-001": 1}, receiver_province="上海市", receiver_city="上海市",
           platform="jd")
    with read_session(seeded) as s:
        ids = lambda **kw: sorted(o.platform_order_id for o in waves.candidate_orders(s, **kw))
        assert ids(province="浙江省") == ["ZJ1", "ZJ2"]
        assert ids(province="浙江", city="杭州") == ["ZJ1"]
        assert ids(platform="jd") == ["SH1"]
        assert ids(items="single") == ["ZJ1"]
        assert ids(items="multi") == ["SH1", "ZJ2"]
        assert ids(province="上海") == ["SH1"]
        assert waves.count_candidates(s, province="浙江", items="multi") == 1
        with pytest.raises(ValidationError):
            waves.candidate_orders(s, items="many")


def test_wave_moves_orders_to_picking_and_merges_same_receiver_and_address(seeded):
    stock_up(seeded, "HG-001", 20)
    stock_up(seeded, "MB-001", 20)
    # Same person and address spelt a little differently: one parcel.
    ingest(seeded, "M1", {"HG-001": 1}, receiver_address="文三路 100 号", receiver_province="浙江省")
    ingest(seeded, "M2", {"MB-001": 2}, receiver_address="文三路100号", receiver_province="浙江",
           receiver_phone="+86 138-0013-8000", platform="pdd")
    ingest(seeded, "OTHER", {"HG-001": 1}, receiver_address="文三路 200 号")
    ingest(seeded, "NAME", {"HG-001": 1}, receiver_name="李四")  # same address, another receiver
    wave_id = make_wave(seeded, courier="zhongtong")
    rows = {o.platform_order_id: o for o in order_rows(seeded, wave_id)}
    assert set(rows) == {"M1", "M2", "OTHER", "NAME"}
    assert all(o.status == OrderStatus.PICKING and o.courier == "zhongtong" for o in rows.values())
    assert rows["M1"].parcel_id == rows["M2"].parcel_id
    assert len({o.parcel_id for o in rows.values()}) == 3
    with read_session(seeded) as s:
        wave = s.get(Wave, wave_id)
        assert wave.status == "picking" and wave.code.startswith("W") and wave.code.endswith(f"{wave_id:05d}")
        assert wave.courier == "zhongtong"
        parcels = list(s.exec(select(Parcel).where(Parcel.wave_id == wave_id)))
        assert len(parcels) == 3 and all(p.courier == "zhongtong" and p.status == "open" for p in parcels)
        actions = [e.action for e in s.exec(select(AuditEvent))]
        assert actions.count("order.wave") == 4 and actions.count("parcel.create") == 3
        assert actions.count("wave.create") == 1
    assert_books_balance(seeded)


def test_no_merge_order_ships_on_its_own(seeded):
    stock_up(seeded, "HG-001", 20)
    a = ingest(seeded, "N1", {"HG-001": 1})
    b = ingest(seeded, "N2", {"HG-001": 1})
    c = ingest(seeded, "N3", {"HG-001": 1})
    with session_scope(seeded) as s:
        order = queries.get_order(s, b.id)
        order.no_merge = True
        s.add(order)
    rows = {o.id: o for o in order_rows(seeded, make_wave(seeded))}
    assert rows[a.id].parcel_id == rows[c.id].parcel_id  # the others still share one parcel
    assert rows[b.id].parcel_id not in (rows[a.id].parcel_id, None)


def test_max_orders_and_courier_are_checked(seeded):
    stock_up(seeded, "HG-001", 20)
    for i in range(3):
        ingest(seeded, f"O{i}", {"HG-001": 1}, receiver_address=f"文三路 {i} 号", paid_minutes_ago=60 - i)
    with pytest.raises(ValidationError, match="unknown courier"):
        make_wave(seeded, courier="fedex")
    with pytest.raises(ValidationError):
        make_wave(seeded, max_orders=0)
    wave_id = make_wave(seeded, max_orders=2)
    assert [o.platform_order_id for o in order_rows(seeded, wave_id)] == ["O0", "O1"]  # oldest paid first


def test_bin_sort_is_natural():
    bins = ["A-10-01", "", "A-2-01", "B-01-01", "A-03-02", "A-03-10", "A-3-3", "a-01-01"]
    assert sorted(bins, key=waves.bin_sort_key) == ["a-01-01", "A-2-01", "A-03-02", "A-3-3", "A-03-10", "A-10-01",
                                                     "B-01-01", ""]


def test_pick_list_sums_skus_sorted_by_bin_and_lists_orders(seeded):
    with session_scope(seeded) as s:
        catalogue.add_sku(s, "ZZ-1", "收纳盒", bin_location="A-03-10", price_fen=990)
        catalogue.add_sku(s, "ZZ-2", "衣架", bin_location="A-3-2", price_fen=590)
    for code in ("HG-001", "MB-001", "ZZ-1", "ZZ-2"):
        stock_up(seeded, code, 20)
    ingest(seeded, "P1", {"MB-001": 1, "HG-001": 2})
    ingest(seeded, "P2", {"HG-001": 1, "ZZ-1": 1}, receiver_name="李四")
    ingest(seeded, "P3", {"ZZ-2": 3}, receiver_name="王五")
    wave_id = make_wave(seeded)
    with read_session(seeded) as s:
        wave = s.get(Wave, wave_id)
        picks = waves.pick_list(s, wave)
    assert [(l.bin, l.sku, l.qty) for l in picks.lines] == [
        ("A-01-01", "HG-001", 3), ("A-3-2", "ZZ-2", 3), ("A-03-10", "ZZ-1", 1), ("B-02-03", "MB-001", 1)]
    assert picks.units == 8 and picks.parcels == 3 and picks.warehouse == "WH1" and picks.courier == "yuantong"
    assert {(o.ref, o.receiver, o.items) for o in picks.orders} == {("P1", "张三", 3), ("P2", "李四", 2),
                                                                    ("P3", "王五", 3)}
    data = picks.as_print_data()
    assert data["wave"] == wave.code and data["warehouse"] == "WH1"
    assert data["lines"][0] == {"bin": "A-01-01", "sku": "HG-001", "name": "竹纤维毛巾", "spec": "34x76cm", "qty": 3}
    assert {"ref": "P3", "receiver": "王五", "items": 3} in data["orders"]
    assert isinstance(data["created_at"], str)


def test_print_without_a_printer_keeps_the_wave(seeded, monkeypatch):
    stock_up(seeded, "HG-001", 5)
    ingest(seeded, "P1", {"HG-001": 1})
    wave_id = make_wave(seeded)
    calls = []

    class NoPrinter:
        @staticmethod
        def enqueue(session, document, *, ref, data, printer=None, user):
            calls.append((document, ref, data))
            raise ValidationError("no printer configured")

    from oms_tui.services.floor import print_request
    monkeypatch.setattr(print_request, "printing", NoPrinter)
    with session_scope(seeded) as s:
        outcome = waves.print_pick_list(s, s.get(Wave, wave_id), actor=Actor.system("li"))
    assert outcome.no_printer and "no printer" in outcome.error
    assert calls and calls[0][0] == "pick_list"
    with read_session(seeded) as s:
        assert s.get(Wave, wave_id).status == "picking"


def test_list_waves_counts_orders(seeded):
    stock_up(seeded, "HG-001", 5)
    ingest(seeded, "L1", {"HG-001": 1})
    ingest(seeded, "L2", {"HG-001": 1}, receiver_name="李四")
    wave_id = make_wave(seeded)
    with read_session(seeded) as s:
        (summary,) = waves.list_waves(s)
    assert (summary.id, summary.orders, summary.shipped, summary.courier) == (wave_id, 2, 0, "yuantong")


def test_print_with_a_configured_printer_queues_the_pick_list(seeded, tmp_path):
    from oms_tui.config import PrinterConfig, Settings
    from oms_tui.models import PrintJob

    stock_up(seeded, "HG-001", 5)
    ingest(seeded, "P1", {"HG-001": 2})
    wave_id = make_wave(seeded)
    settings = Settings(printers=[PrinterConfig(name="floor", kind="file", device=str(tmp_path / "floor.bin"))])
    with session_scope(seeded) as s:
        outcome = waves.print_pick_list(s, s.get(Wave, wave_id), actor=Actor.system("li"), settings=settings)
    assert outcome.queued and outcome.printer == "floor"
    with read_session(seeded) as s:
        job = s.exec(select(PrintJob)).one()
        data = json.loads(job.data)
        assert (job.document, job.ref, job.printer) == ("pick_list", s.get(Wave, wave_id).code, "floor")
        assert data["orders"] == [{"ref": "P1", "receiver": "张三", "items": 2}]


def test_the_pick_list_screen_calls_in_the_configured_warehouse(seeded, tmp_path):
    """Preview, create, list, print-and-show: one call each, the warehouse named by its code (an
    unknown code falls back to the first warehouse, as intake does)."""
    from oms_tui.config import PrinterConfig, Settings

    stock_up(seeded, "HG-001", 5)
    ingest(seeded, "S1", {"HG-001": 1}, receiver_province="浙江省")
    ingest(seeded, "S2", {"HG-001": 2}, receiver_province="上海市", receiver_name="李四")
    li = Actor("li", {"warehouse"})
    with read_session(seeded) as s:
        assert waves.count_candidates_in(s, "WH1", province="浙江") == 1
        assert waves.count_candidates_in(s, "NO-SUCH") == 2
    with session_scope(seeded) as s:
        wave_id = waves.create_wave_in(s, "WH1", courier="yuantong", province="浙江", actor=li)
    with read_session(seeded) as s:
        assert [w.id for w in waves.waves_in(s, "WH1")] == [wave_id]
        assert [o.ref for o in waves.pick_list_of(s, wave_id).orders] == ["S1"]
    settings = Settings(printers=[PrinterConfig(name="floor", kind="file", device=str(tmp_path / "floor.bin"))])
    with session_scope(seeded) as s:
        printed = waves.print_and_show(s, wave_id, actor=li, settings=settings)
    assert printed.outcome.printer == "floor" and [line.qty for line in printed.picks.lines] == [1]
    with pytest.raises(PermissionDenied):
        with session_scope(seeded) as s:
            waves.create_wave_in(s, "WH1", courier="yuantong", actor=Actor("cw", {"finance"}))
    with read_session(seeded) as s:
        assert waves.count_candidates_in(s, "WH1") == 1  # S2 still waits
