"""JD orders whose receiver is TDE ciphertext, synced from the simulator into the database: what is stored and
shown, what customers are matched on, and the shop's decrypt hook (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.models import Customer, Hold, Order, OrderStatus, utcnow
from oms_tui.platforms import jd
from oms_tui.platforms.mapping import format_beijing
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.customers import matching, withheld
from oms_tui.services.customers.matching import BasisKind
from oms_tui.services.customers.normalize import looks_encrypted
from oms_tui.services.orders import upsert
from tests.helpers.platforms import JD_TDE_ORDER, tde_shaped
from tests.helpers.shop import SIM_SKUS as SKUS
from tests.helpers.sync import plenty_of_stock, run_once, settled, shop

RECEIVER = ("receiver_name", "receiver_phone", "receiver_province", "receiver_city", "receiver_district",
            "receiver_address")


def _jd_orders(engine) -> list[Order]:
    with read_session(engine) as s:
        return list(s.exec(select(Order).where(Order.platform == "jd")))


def test_a_jd_order_with_ciphertext_is_stored_masked_and_still_ships(seeded, sim):
    plenty_of_stock(seeded)
    sim.state.generate(12, settled(), random.Random(4), SKUS, platforms=["jd"])
    assert run_once(seeded, shop(sim, "jd")).ok
    payloads = {o.key: o.payload["consigneeInfo"] for o in sim.state.orders("jd") if o.draft}
    orders = _jd_orders(seeded)
    assert orders
    with read_session(seeded) as s:
        customers = {c.id: c for c in s.exec(select(Customer))}
        address_holds = s.exec(select(Hold).where(Hold.kind == "address_invalid")).all()
    assert address_holds == []  # a withheld phone and address can be shipped to: the platform holds them
    for order in orders:
        consignee = payloads[order.platform_order_id]
        assert order.receiver_phone == consignee["desen_mobile"] and order.receiver_name == ""
        assert not any(looks_encrypted(getattr(order, field)) for field in RECEIVER)
        customer = customers[order.customer_id]
        assert not any(looks_encrypted(v) for v in (customer.name, customer.address, customer.address_key))
        # What a waybill request gets: the platform's ciphertext for its waybill service to decrypt.
        receiver = withheld.waybill_receiver(order)
        assert (receiver.name, receiver.phone, receiver.address) == (
            consignee["fullname"], consignee["mobile"], consignee["fullAddress"])
        assert receiver.withheld
    assert any(o.status == OrderStatus.READY for o in orders)


def _order(number: str, *, pin: str, phone: str, town: str = "华侨路街道", cipher: str | None = None):
    consignee = {**JD_TDE_ORDER["consigneeInfo"], "desen_mobile": phone, "desen_telephone": phone, "town": town}
    if cipher is not None:  # the same ciphertext on two orders (as a deterministic encryption would give)
        consignee.update(fullname=cipher, mobile=cipher, telephone=cipher, fullAddress=cipher)
    paid = format_beijing(utcnow() - timedelta(minutes=30))
    return jd.map_order({**JD_TDE_ORDER, "orderId": number, "pin": pin, "consigneeInfo": consignee,
                         "orderStartTime": paid, "paymentConfirmTime": paid, "modified": paid,
                         "itemInfoList": [{"skuId": "1", "outerSkuId": "HG-001", "skuName": "毛巾",
                                           "itemTotal": "1", "jdPrice": "19.90"}]})


def _ingest(engine, *records):
    with session_scope(engine) as s:
        wh = catalogue.get_warehouse(s, "WH1")
        return [upsert.upsert_order(s, r, warehouse=wh).order.id for r in records]


def _related(engine, order_id):
    with read_session(engine) as s:
        order = s.get(Order, order_id)
        found = matching.related_orders(s, order, since=order.created_at - timedelta(days=1),
                                         until=order.created_at + timedelta(days=1))
        return [(o.platform_order_id, b.kind) for o, b in found]


@pytest.mark.usefixtures("no_duplicate_check")
def test_customer_matching_ignores_the_ciphertext(seeded):
    cipher = tde_shaped(b"one-ciphertext-for-both" * 2)
    a, b, c = _ingest(seeded,
                      _order("310000000001", pin="jd_buyer_a", phone="138****5678", cipher=cipher),
                      # another buyer, the very same ciphertext: nothing says they are one person
                      _order("310000000002", pin="jd_buyer_b", phone="139****1111", cipher=cipher),
                      # another pin, but the same masked phone and address key: as for Taobao, a likely match
                      _order("310000000003", pin="jd_buyer_c", phone="138****5678"))
    with read_session(seeded) as s:
        ids = {o.platform_order_id: o.customer_id for o in s.exec(select(Order))}
    assert len(set(ids.values())) == 3  # identified by buyer id: three customers, none merged
    assert _related(seeded, b) == []
    assert _related(seeded, a) == [("310000000003", BasisKind.MASKED)]
    with read_session(seeded) as s:
        basis = matching.match_basis(matching.order_identity(s.get(Order, a)), matching.order_identity(s.get(Order, c)))
    assert "138****5678" in basis.text and "华侨路街道" in basis.text and cipher not in basis.text


def test_the_decrypt_hook_stores_the_real_receiver(seeded, sim):
    plenty_of_stock(seeded)
    sim.state.generate(8, settled(), random.Random(6), SKUS, platforms=["jd"])
    config = shop(sim, "jd").model_copy(update={"decrypt_url": sim.decrypt_url()})
    assert run_once(seeded, config).ok
    drafts = {o.key: o.draft for o in sim.state.orders("jd") if o.draft}
    orders = _jd_orders(seeded)
    assert orders
    with read_session(seeded) as s:
        phones = {c.id: c.phone_norm for c in s.exec(select(Customer))}
    for order in orders:
        receiver = drafts[order.platform_order_id].receiver
        assert (order.receiver_name, order.receiver_phone) == (receiver.name, receiver.phone)
        assert phones[order.customer_id] == receiver.phone  # now a full mobile: the strongest match there is
        assert withheld.waybill_receiver(order).phone == receiver.phone
