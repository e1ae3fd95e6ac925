"""Which order a typed or scanned reference names: one rule for the CLI, the pack station, the customer
look-up, the returns desk and the palette — the platform's order id, else a waybill, else our id
(ASCII digits only); a reference that names several orders is refused, not guessed."""

import pytest

from oms_tui.db import read_session, session_scope
from oms_tui.errors import NotFound
from oms_tui.models import Parcel
from oms_tui.services.core.actor import Actor
from oms_tui.services.cs import lookup
from oms_tui.services.floor import packing
from oms_tui.services.orders import queries
from oms_tui.services.orders.queries import AmbiguousReference, ReferenceBasis
from tests.helpers.paging import read_by_keyset
from tests.helpers.shop import ingest, stock_up
from tests.helpers.rows import order_row

pytestmark = pytest.mark.usefixtures("no_duplicate_check")  # one buyer on two platforms on purpose


def full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) for ch in text)


@pytest.mark.parametrize(("text", "order_id"), [
    ("42", 42), ("2147483647", 2**31 - 1),
    ("2147483648", None), ("99999999999999999999", None),  # past the INTEGER key: a barcode, not our id
    (full_width("42"), None), ("٤٢", None), ("4²", None),  # digits to str.isdigit and int(), not to us
    ("042", None), ("0", None), ("-1", None), ("4.2", None), ("", None),
])
def test_our_order_id_is_ascii_digits_in_the_key_range(text, order_id):
    assert queries.as_order_id(text) == order_id


@pytest.fixture
def orders(seeded):
    """T1 on Taobao shipped under a waybill; X1 on Taobao and on PDD; "1" a JD order number."""
    stock_up(seeded, "HG-001", 10)
    made = {"t1": ingest(seeded, "T1", {"HG-001": 1}),
            "x1_tb": ingest(seeded, "X1", {"HG-001": 1}),
            "x1_pdd": ingest(seeded, "X1", {"HG-001": 1}, platform="pdd", receiver_phone="13911112222"),
            "jd_1": ingest(seeded, "1", {"HG-001": 1}, platform="jd")}
    with session_scope(seeded) as s:
        queries.get_order(s, made["t1"].id).waybill = "YT1234567890123"
    return seeded, made


def resolve(engine, text, **kw):
    with read_session(engine) as s:
        return queries.find_by_reference(s, text, **kw)


def test_platform_order_id_then_waybill_then_our_id(orders):
    engine, made = orders
    t1 = made["t1"].id
    assert resolve(engine, "T1").id == t1
    assert resolve(engine, " yt-1234567890123 ").id == t1  # as a gun or a person types it
    assert resolve(engine, str(made["x1_pdd"].id)).id == made["x1_pdd"].id
    # A number that is both a platform's order id and our id is the platform's: that comes first.
    assert made["t1"].id == 1 and resolve(engine, "1").id == made["jd_1"].id
    with read_session(engine) as s:
        assert queries.match_reference(s, "T1").basis == ReferenceBasis.PLATFORM_ORDER_ID
        assert queries.match_reference(s, "YT1234567890123").basis == ReferenceBasis.WAYBILL
        assert queries.match_reference(s, str(made["x1_pdd"].id)).basis == ReferenceBasis.ORDER_ID


def test_full_width_or_out_of_range_digits_are_not_our_id(orders):
    engine, made = orders
    for text in (full_width(str(made["x1_tb"].id)), "99999999999999999999", f"0{made['x1_tb'].id}", ""):
        with pytest.raises(NotFound):
            resolve(engine, text)


def test_the_same_number_on_two_platforms_is_refused_not_guessed(orders):
    engine, made = orders
    with pytest.raises(AmbiguousReference, match="matches several orders") as refused:
        resolve(engine, "X1")
    assert {o.platform for o in refused.value.orders} == {"taobao", "pdd"}
    with read_session(engine) as s:  # a search shows both
        assert [o.id for o in queries.match_reference(s, "X1", limit=10).orders] == [made["x1_tb"].id,
                                                                                      made["x1_pdd"].id]


def test_a_parcel_waybill_names_its_orders_and_a_merged_one_is_ambiguous(orders):
    engine, made = orders
    with session_scope(engine) as s:
        parcel = Parcel(waybill="ZT7312345678901")
        s.add(parcel)
        s.flush()
        for key in ("x1_tb", "x1_pdd"):
            queries.get_order(s, made[key].id).parcel_id = parcel.id
    with pytest.raises(AmbiguousReference):
        resolve(engine, "ZT7312345678901")
    with pytest.raises(NotFound):  # the pack station does not pick an order by a waybill
        resolve(engine, "YT1234567890123", waybills=False)


def test_the_pack_station_refuses_an_ambiguous_slip_and_reads_no_full_width_id(orders):
    engine, made = orders
    pack = packing.PackSession(station="P1", actor=Actor("li", {"warehouse"}))
    refused = pack.scan(engine, "X1")
    assert refused.result == "refused" and refused.is_error and pack.work is None
    assert f"taobao #{made['x1_tb'].id}" in refused.message and f"pdd #{made['x1_pdd'].id}" in refused.message
    unknown = pack.scan(engine, full_width(str(made["x1_tb"].id)))
    assert unknown.result == "unknown" and pack.work is None


def test_customer_lookup_and_palette_use_the_same_rule(orders):
    engine, made = orders
    with read_session(engine) as s:
        by_id = lookup.lookup(s, str(made["x1_pdd"].id))
        assert (by_id.kind, [o.id for o in by_id.orders if o.matched]) == ("order_id", [made["x1_pdd"].id])
        both = lookup.lookup(s, "X1")
        assert both.kind == "order" and {o.id for o in both.orders if o.matched} == {made["x1_tb"].id,
                                                                                    made["x1_pdd"].id}
        assert lookup.lookup(s, full_width(str(made["x1_pdd"].id))).kind == "none"
        hits = queries.find_orders(s, str(made["x1_pdd"].id))
        assert (hits[0].id, hits[0].exact) == (made["x1_pdd"].id, True)
        assert [(h.platform_order_id, h.exact) for h in queries.find_orders(s, "YT1234567890123")] == [("T1", True)]
        assert [(h.platform_order_id, h.exact) for h in queries.find_orders(s, "T")] == [("T1", False)]


def test_a_page_after_a_position_is_the_page_at_its_offset(engine):
    """Keyset and offset paging agree, with several orders created at the same instant (ties by id)."""
    from datetime import timedelta

    from sqlalchemy import insert

    from oms_tui.models import Order, utcnow

    now = utcnow()
    rows = [order_row(id=n, platform_order_id=f"K{n:04d}", created_at=now - timedelta(minutes=n // 3), paid_at=now,
                      ingested_at=now, updated_at=now) for n in range(1, 31)]
    with engine.begin() as conn:
        conn.execute(insert(Order.__table__), rows)
    with read_session(engine) as s:
        by_offset = [o.id for o in queries.list_orders(s, limit=100)]
        by_keyset = read_by_keyset(lambda after: queries.list_orders(s, limit=7, after=after),
                                   lambda o: o.id, lambda o: (o.created_at, o.id))
    assert by_keyset == by_offset and len(by_offset) == 30
