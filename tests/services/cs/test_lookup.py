"""Look-up by phone (full or masked), platform order number, waybill and buyer id: the customer and all
their orders on every platform, newest first, with status and tracking."""

from __future__ import annotations

import json

import pytest

from oms_tui.db import read_session, session_scope
from oms_tui.errors import ValidationError
from oms_tui.models import Parcel
from oms_tui.phrases import english
from oms_tui.services.core.actor import Actor
from oms_tui.services.cs import lookup
from oms_tui.services.customers import identity
from oms_tui.services.orders import actions, queries
from tests.helpers.shop import ingest, stock_up

# The customer here orders on three platforms at once on purpose; lookup is the subject, not duplicates.
pytestmark = pytest.mark.usefixtures("no_duplicate_check")


def _ship(engine, order, waybill, courier="yuantong"):
    with session_scope(engine) as s:
        o = queries.get_order(s, order.id)
        actions.start_picking(s, o, user="w")
        actions.mark_packed(s, o, user="w")
        actions.ship(s, o, waybill=waybill, courier=courier, user="w")


@pytest.fixture
def shop(seeded):
    """张三 on three platforms (PDD masked, merged by CS), and 李四 with a masked Taobao order."""
    stock_up(seeded, "HG-001", 20)
    made = {
        "tb": ingest(seeded, "3001234567890123456", {"HG-001": 1}, paid_minutes_ago=300),
        "jd": ingest(seeded, "300001234567", {"HG-001": 1}, platform="jd", receiver_phone="+86 138-0013-8000",
                     paid_minutes_ago=200),
        "pdd": ingest(seeded, "241124-123456789012345", {"HG-001": 2}, platform="pdd", buyer_id="",
                      receiver_phone="1*********0", receiver_name="张*", paid_minutes_ago=100),
        "li": ingest(seeded, "3009999999999999999", {"HG-001": 1}, receiver_phone="139****9000", receiver_name="李**",
                     buyer_id="tb_lisi", receiver_address="莫干山路 8 号", paid_minutes_ago=50),
    }
    _ship(seeded, made["tb"], "YT1234567890123")
    with session_scope(seeded) as s:
        identity.merge_customers(s, made["tb"].customer_id, made["pdd"].customer_id, actor=Actor.system("cs"))
    return seeded, made


def run(engine, query):
    with read_session(engine) as s:
        return lookup.lookup(s, query)


@pytest.mark.parametrize("query", ["13800138000", "+86 138 0013 8000", "3001234567890123456", "300001234567",
                                   "241124-123456789012345", "YT1234567890123"])
def test_every_key_finds_the_customer_and_all_their_orders(shop, query):
    engine, made = shop
    result = run(engine, query)
    assert [c.id for c in result.customers] == [made["tb"].customer_id]
    assert result.customers[0].merged_ids == [made["pdd"].customer_id]
    assert [o.platform for o in result.orders] == ["pdd", "jd", "taobao"]  # newest first, every platform
    shipped = result.orders[-1]
    assert (shipped.status, shipped.courier, shipped.waybill) == ("shipped", "yuantong", "YT1234567890123")


def test_what_each_query_was_taken_for(shop):
    engine, made = shop
    assert (run(engine, "138-0013-8000").kind, english(run(engine, "138-0013-8000").basis)) == ("mobile", "mobile 13800138000")
    by_order = run(engine, "300001234567")
    assert by_order.kind == "order" and [o.matched for o in by_order.orders] == [False, True, False]
    assert run(engine, "YT1234567890123").kind == "waybill"
    buyer = run(engine, "tb_lisi")
    assert buyer.kind == "buyer_id" and [o.platform_order_id for o in buyer.orders] == ["3009999999999999999"]
    nothing = run(engine, "nobody-here")
    assert (nothing.kind, nothing.found, nothing.orders) == ("none", False, [])
    with read_session(engine) as s, pytest.raises(ValidationError):
        lookup.lookup(s, "  ")


def test_masked_phones_find_possible_matches_and_say_so(shop):
    engine, made = shop
    # The Taobao-style mask of 李四's number: the order showing it, and nothing certain.
    result = run(engine, "139****9000")
    assert result.kind == "masked_phone" and "cannot identify alone" in english(result.basis)
    assert [o.platform_order_id for o in result.orders] == ["3009999999999999999"]
    # PDD's mask: the order showing it, and customers whose number fits it (张三's 13800138000).
    pdd = run(engine, "1*********0")
    assert [c.id for c in pdd.customers] == [made["tb"].customer_id]
    assert english(pdd.customers[0].basis) == "shows the mask 1*********0"
    assert [o.platform for o in pdd.orders] == ["pdd", "jd", "taobao"]
    assert [o.matched for o in pdd.orders] == [True, False, False]
    # A full number also finds orders showing its Taobao mask, marked as resting on the mask only.
    stock_up(engine, "HG-001", 2)
    masked = ingest(engine, "3005555555555555555", {"HG-001": 1}, receiver_phone="139****9000", buyer_id="tb_x",
                    receiver_address="莫干山路 8 号")
    other = ingest(engine, "3006666666666666666", {"HG-001": 1}, receiver_phone="13900001234", buyer_id="tb_y")
    assert [o.platform_order_id for o in run(engine, "13900001234").orders] == [other.platform_order_id]
    li = run(engine, "13912349000")  # a number whose mask is 139****9000
    assert {o.platform_order_id for o in li.orders} == {"3009999999999999999", masked.platform_order_id}
    assert len(li.customers) == 2 and all("(mask only: possible)" in english(c.basis) for c in li.customers)


def test_waybill_of_a_merged_parcel_finds_its_orders(shop):
    engine, made = shop
    with session_scope(engine) as s:
        parcel = Parcel(waybill="SF1234567890123", courier="shunfeng")
        s.add(parcel)
        s.flush()
        order = queries.get_order(s, made["li"].id)
        order.parcel_id = parcel.id
        s.add(order)
    result = run(engine, "SF1234567890123")
    assert result.kind == "waybill" and [o.platform_order_id for o in result.orders] == ["3009999999999999999"]


def test_dict_form_is_json(shop):
    engine, made = shop
    with read_session(engine) as s:
        data = lookup.lookup_as_dict(s, "13800138000")
    text = json.dumps(data, ensure_ascii=False)
    assert data["found"] and data["kind"] == "mobile" and len(data["orders"]) == 3
    assert data["orders"][0]["created_at"].endswith("+00:00") and "YT1234567890123" in text
    assert set(data["customers"][0]) >= {"id", "name", "phone", "basis", "merged_ids"}
