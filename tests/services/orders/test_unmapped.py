"""Platform SKUs at intake: bundles become their components for locks, the pick list and the pack station;
an unknown platform SKU holds the order until CS maps it, and mapping it releases every order held for it."""

import pytest
from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.errors import PermissionDenied, ValidationError
from oms_tui.models import HoldKind, OrderLine, OrderStatus
from oms_tui.phrases import english
from oms_tui.services.catalogue import sku_mapping
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.services.floor import packing, waves
from oms_tui.services.orders import actions, holds, queries, unmapped
from tests.helpers.shop import assert_books_balance, ingest_lines, level, platform_line, stock_up

CS = Actor("zhang", {"cs"})
SHOP = "旗舰店"
TOWEL = "6901234567892"  # HG-001's barcode


def map_sku(engine, components, *, sku="7000011", item="600001", shop=SHOP, actor=CS):
    with session_scope(engine) as s:
        return unmapped.map_platform_sku(s, shop=shop, platform="taobao", platform_item_id=item, platform_sku_id=sku,
                                         components=components, title="毛巾三条装", actor=actor)


def lines_of(engine, order_id):
    with read_session(engine) as s:
        return [(l.sku_code, l.qty, l.locked_qty, l.platform_qty, l.price_fen)
                for l in s.exec(select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id))]


def status_and_holds(engine, order_id):
    with read_session(engine) as s:
        order = queries.get_order(s, order_id)
        return order.status, [h.kind for h in holds.open_holds(s, order_id)]


def test_a_bundle_locks_picks_and_verifies_its_components_and_the_books_balance(seeded):
    stock_up(seeded, "HG-001", 10)
    with session_scope(seeded) as s:
        sku_mapping.save_mapping(s, shop=SHOP, platform="taobao", platform_item_id="600001",
                                 platform_sku_id="7000011", components=[("HG-001", 3)], actor=CS)
    order = ingest_lines(seeded, "B1", [platform_line("TW-SET3", 2, item="600001", sku="7000011", price_fen=4990)])
    assert lines_of(seeded, order.id) == [("HG-001", 6, 6, 2, 1663)]  # 49.90 a set, a third of it a towel
    assert order.status == OrderStatus.READY
    assert (level(seeded).locked, level(seeded).available) == (6, 4)
    with session_scope(seeded) as s:
        wave = waves.create_wave(s, catalogue.get_warehouse(s, "WH1"), courier="yuantong", actor=Actor.system("li"))
        pick = waves.pick_list(s, wave)
    assert [(line.sku, line.qty) for line in pick.lines] == [("HG-001", 6)]
    pack = packing.PackSession(station="P1", actor=Actor("li", {"warehouse"}))
    opened = pack.scan(seeded, "B1")
    assert [(l.sku, l.needed) for l in opened.lines] == [("HG-001", 6)]
    scans = [pack.scan(seeded, TOWEL) for _ in range(6)]
    assert [s.result for s in scans] == ["ok"] * 6 and scans[-1].phase == packing.WAYBILL
    assert pack.scan(seeded, "YT1234567890123").result == "waybill"
    after = level(seeded)
    assert (after.on_hand, after.locked) == (4, 0)
    assert_books_balance(seeded)


def test_a_mixed_bundle_shares_the_price_by_list_price_and_is_short_all_or_nothing(seeded):
    stock_up(seeded, "HG-001", 10)  # no wipes in stock
    with session_scope(seeded) as s:
        sku_mapping.save_mapping(s, shop=SHOP, platform="taobao", platform_item_id="600002",
                                 platform_sku_id="7000021", components=[("HG-001", 2), ("MB-001", 1)], actor=CS)
    order = ingest_lines(seeded, "B2", [platform_line("GIFT", 1, item="600002", sku="7000021", price_fen=6000)])
    # list prices 19.90 × 2 and 29.90: the towels' share 60.00 × 39.80 / 69.70 = 34.26, 17.13 each
    assert lines_of(seeded, order.id) == [("HG-001", 2, 0, 1, 1713), ("MB-001", 1, 0, 1, 2573)]
    assert status_and_holds(seeded, order.id) == (OrderStatus.SHORT, [HoldKind.STOCK_SHORT])
    assert level(seeded).locked == 0  # nothing of the bundle is locked while a component is short
    assert_books_balance(seeded)


def test_mapping_an_unknown_platform_sku_releases_every_order_held_for_it(seeded):
    stock_up(seeded, "HG-001", 10)
    first = ingest_lines(seeded, "U1", [platform_line("TW-SET3", 1, item="600001", sku="7000011")])
    second = ingest_lines(seeded, "U2", [platform_line("NO-OUTER-CODE:7000011", 2, item="600001", sku="7000011"),
                                         platform_line("HG-001", 1)])
    elsewhere = ingest_lines(seeded, "U3", [platform_line("TW-SET3", 1, item="600001", sku="7000011")],
                             shop="另一家店")
    assert status_and_holds(seeded, first.id) == (OrderStatus.REVIEW, [HoldKind.SKU_UNMAPPED])
    with read_session(seeded) as s:
        (hold,) = holds.open_holds(s, first.id)
        listed = unmapped.unmapped_skus(s, shop=SHOP)
    assert "TW-SET3 (item 600001 / SKU 7000011)" in english(hold.reason)
    assert [(u.platform_sku_id, u.orders, u.units) for u in listed] == [("7000011", 2, 3)]
    assert level(seeded).locked == 1  # U2's own HG-001 line is locked already

    outcome = map_sku(seeded, [("HG-001", 3)])

    assert outcome.components == "HG-001*3"
    assert (outcome.rerun.released, outcome.rerun.ready) == (["U1", "U2"], ["U1", "U2"])
    assert status_and_holds(seeded, first.id) == (OrderStatus.READY, [])
    assert lines_of(seeded, second.id) == [("HG-001", 6, 6, 2, 663), ("HG-001", 1, 1, 1, 1990)]
    assert status_and_holds(seeded, elsewhere.id) == (OrderStatus.REVIEW, [HoldKind.SKU_UNMAPPED])  # other shop
    assert level(seeded).locked == 10
    with read_session(seeded) as s:
        assert unmapped.unmapped_skus(s, shop=SHOP) == []
    assert_books_balance(seeded)


def test_an_order_with_two_unknown_skus_stays_held_for_the_other_one(seeded):
    stock_up(seeded, "HG-001", 10)
    order = ingest_lines(seeded, "U1", [platform_line("TW-SET3", 1, item="600001", sku="7000011"),
                                        platform_line("ODD-1", 1, item="600005", sku="7000051")])
    result = map_sku(seeded, [("HG-001", 3)])
    assert (result.rerun.orders, result.rerun.released) == (["U1"], [])
    assert status_and_holds(seeded, order.id) == (OrderStatus.REVIEW, [HoldKind.SKU_UNMAPPED])
    with read_session(seeded) as s:
        (hold,) = holds.open_holds(s, order.id)
    assert "ODD-1" in english(hold.reason) and "TW-SET3" not in english(hold.reason)
    assert level(seeded).locked == 3  # what is known is locked already


def test_mapped_without_stock_the_order_waits_short(seeded):
    order = ingest_lines(seeded, "U1", [platform_line("TW-SET3", 1, item="600001", sku="7000011")])
    result = map_sku(seeded, [("HG-001", 3)])
    assert result.rerun.short == ["U1"]
    assert status_and_holds(seeded, order.id) == (OrderStatus.SHORT, [HoldKind.STOCK_SHORT])
    stock_up(seeded, "HG-001", 3)
    assert status_and_holds(seeded, order.id) == (OrderStatus.READY, [])
    assert_books_balance(seeded)


def test_the_unmapped_hold_cannot_be_released_by_hand_and_mapping_needs_the_role(seeded):
    order = ingest_lines(seeded, "U1", [platform_line("TW-SET3", 1, item="600001", sku="7000011")])
    with read_session(seeded) as s:
        (hold,) = holds.open_holds(s, order.id)
    with pytest.raises(ValidationError, match="SKU mapping"), session_scope(seeded) as s:
        actions.resolve_hold(s, hold.id, actor=CS, resolution="发了吧")
    with pytest.raises(PermissionDenied):
        map_sku(seeded, [("HG-001", 3)], actor=Actor("li", {"warehouse"}))
    assert status_and_holds(seeded, order.id) == (OrderStatus.REVIEW, [HoldKind.SKU_UNMAPPED])


def test_a_line_without_platform_ids_is_mapped_by_its_code(seeded):
    """An imported file gives only the merchant's code: the mapping is kept for that code."""
    stock_up(seeded, "HG-001", 10)
    order = ingest_lines(seeded, "F1", [platform_line("毛巾三条装", 2)])
    with read_session(seeded) as s:
        (listed,) = unmapped.unmapped_skus(s)
    assert (listed.platform_item_id, listed.platform_sku_id, listed.code) == ("", "", "毛巾三条装")
    with session_scope(seeded) as s:
        outcome = unmapped.map_platform_sku(s, shop=SHOP, platform="taobao", components=[("HG-001", 3)],
                                            outer_code=listed.code, actor=CS)
    assert outcome.rerun.ready == ["F1"]
    assert lines_of(seeded, order.id) == [("HG-001", 6, 6, 2, 663)]
    later = ingest_lines(seeded, "F2", [platform_line("毛巾三条装", 1)])  # the next file's line resolves at once
    assert status_and_holds(seeded, later.id) == (OrderStatus.READY, [])
