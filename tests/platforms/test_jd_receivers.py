"""JD's encrypted receivers (PROTOCOLS.md): TDE ciphertext in fullname / telephone / mobile / fullAddress, masked
desen_mobile / desen_telephone. The simulator sends them so; the adapter recognises the ciphertext as JD's TDE
SDK does, keeps it only as the order's opaque receiver value, shows the masked values, and lets a shop's decrypt
service put the real receiver in their place."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

import httpx

from oms_tui.config import ShopConfig
from oms_tui.platforms import RetryPolicy, client_for, jd
from oms_tui.platforms.simulator import jd as sim_jd
from oms_tui.services.customers import withheld
from oms_tui.services.customers.normalize import PhoneKind, classify_phone, looks_encrypted, looks_like_jd_tde
from oms_tui.services.orders.normalized import NormalizedOrder
from tests.helpers.platforms import JD_TDE_ORDER, SKUS, tde_shaped

ENCRYPTED = ("fullname", "mobile", "telephone", "fullAddress")


def jd_config(sim, **overrides) -> ShopConfig:
    shop = next(s for s in sim.state.shops if s.platform == "jd")
    return sim.state.shop_config(shop, sim.base_url, **overrides)


def fetch(sim, now, **overrides) -> list[NormalizedOrder]:
    with client_for(jd_config(sim, **overrides), retry=RetryPolicy.no_wait(), timeout=5.0) as client:
        return [r for r in client.fetch_changed(now - timedelta(minutes=10), now + timedelta(seconds=1))
                if isinstance(r, NormalizedOrder)]


def test_the_simulator_sends_tde_ciphertext_and_masked_phones(state, now, rng) -> None:
    state.generate(12, now, rng, SKUS, platforms=["jd"])
    consignees = [o.payload["consigneeInfo"] for o in state.orders("jd") if o.draft]
    assert consignees
    for c in consignees:
        # The shape JD's TDE SDK recognises, checked by the adapter's recognition (never the simulator's own).
        assert all(looks_like_jd_tde(c[field]) for field in ENCRYPTED), c
        assert re.fullmatch(r"1\d\d\*{4}\d{4}", c["desen_mobile"]) and c["desen_telephone"] == c["desen_mobile"]
        assert c["province"] and c["city"] and c["county"] and c["town"]
    # Encrypted with a fresh IV each time: one buyer's phone in mobile and telephone differs.
    assert all(c["mobile"] != c["telephone"] for c in consignees)


def test_tde_recognition_follows_the_sdk_shape() -> None:
    assert looks_like_jd_tde(tde_shaped()) and looks_encrypted(tde_shaped())
    assert looks_like_jd_tde(tde_shaped(cipher_type=1)) and looks_like_jd_tde(tde_shaped(cipher_type=2))
    assert not looks_like_jd_tde(tde_shaped(cipher_type=3))  # a cipher type the SDK does not know
    assert not looks_like_jd_tde(tde_shaped(b"", key_id=bytes(15)))  # weak: fewer than 16 key-id bytes
    for plain in ("李**", "139****1234", "江苏南京市鼓楼区华侨路街道中山北****", "13800138000", "ABCDabcd", "", "Zhang San"):
        assert not looks_like_jd_tde(plain), plain
    assert classify_phone(tde_shaped(b"mobile" * 4)).kind == PhoneKind.ENCRYPTED


def test_a_jd_order_with_ciphertext_is_mapped_to_masked_display_values() -> None:
    order = jd.map_order(JD_TDE_ORDER, "京东店")
    consignee = JD_TDE_ORDER["consigneeInfo"]
    assert (order.receiver_name, order.receiver_phone) == ("", "139****1234")
    assert (order.receiver_province, order.receiver_city, order.receiver_district) == ("江苏", "南京市", "鼓楼区")
    assert order.receiver_address == "华侨路街道****"  # the town; the detail line only the ciphertext holds
    shown = " ".join(str(v) for k, v in order.model_dump().items() if k != "receiver_opaque")
    assert not any(consignee[field] in shown for field in ENCRYPTED)
    assert withheld.unseal(order.receiver_opaque) == {
        "name": consignee["fullname"], "mobile": consignee["mobile"], "telephone": consignee["telephone"],
        "address": consignee["fullAddress"]}
    assert consignee["fullname"] not in repr(order)  # the opaque value stays out of reprs and logs


def test_a_masked_phone_only_in_mobile_still_shows_and_a_hex_desen_value_is_not_a_phone() -> None:
    """Seen in a real payload: mobile/telephone masked plain ("136*******5") with a hex desen_mobile."""
    consignee = {**JD_TDE_ORDER["consigneeInfo"], "mobile": "136*******5", "telephone": "136*******5",
                 "desen_mobile": "656233eb3c9d6035653f5a6d7f5965ac0c5381", "desen_telephone": ""}
    order = jd.map_order({**JD_TDE_ORDER, "consigneeInfo": consignee})
    assert order.receiver_phone == "136*******5"
    assert set(withheld.unseal(order.receiver_opaque)) == {"name", "address"}


def test_sync_from_the_simulator_never_shows_ciphertext(sim, state, now, rng) -> None:
    state.generate(10, now, rng, SKUS, platforms=["jd"])
    orders = fetch(sim, now)
    assert orders
    payloads = {o.key: o.payload["consigneeInfo"] for o in state.orders("jd") if o.draft}
    for order in orders:
        consignee = payloads[order.platform_order_id]
        assert order.receiver_phone == consignee["desen_mobile"] and order.receiver_name == ""
        assert order.receiver_address == consignee["town"] + "****"
        assert not any(looks_encrypted(v) for v in (order.receiver_name, order.receiver_phone, order.receiver_address))
        assert withheld.unseal(order.receiver_opaque)["mobile"] == consignee["mobile"]


def test_the_decrypt_hook_replaces_the_display_values(sim, state, now, rng) -> None:
    state.generate(6, now, rng, SKUS, platforms=["jd"])
    orders = fetch(sim, now, decrypt_url=sim.decrypt_url())
    drafts = {o.key: o.draft for o in state.orders("jd") if o.draft}
    assert orders
    for order in orders:
        receiver = drafts[order.platform_order_id].receiver
        assert (order.receiver_name, order.receiver_phone) == (receiver.name, receiver.phone)
        assert order.receiver_address.endswith(receiver.street) and "*" not in order.receiver_address
        assert withheld.unseal(order.receiver_opaque)["mobile"]  # the ciphertext is still kept
    decrypts = [c for c in state.calls if c.api == "tde/decrypt"]
    assert len(decrypts) == 1  # one call for the page, not one per field
    assert decrypts[0].params["access_token"] == jd_config(sim).session.get_secret_value()


def test_without_a_working_decrypt_service_the_orders_still_come_in_masked(sim, state, now, rng, caplog) -> None:
    state.generate(4, now, rng, SKUS, platforms=["jd"])
    caplog.set_level(logging.WARNING)
    orders = fetch(sim, now, decrypt_url=sim.base_url + "/no/such/service")
    assert orders and all(o.receiver_phone.count("*") == 4 and o.receiver_name == "" for o in orders)
    assert "receivers stay masked" in caplog.text
    session = jd_config(sim).session.get_secret_value()
    assert session not in caplog.text


def test_the_simulators_decrypt_service_needs_a_live_token(sim, state, now, rng) -> None:
    state.generate(5, now, rng, SKUS, platforms=["jd"])
    config = jd_config(sim)
    ciphertext = next(o for o in state.orders("jd") if o.draft).payload["consigneeInfo"]["mobile"]
    body = {"app_key": config.app_key, "access_token": "not-a-token", "ciphertexts": [ciphertext]}
    assert httpx.post(sim.decrypt_url(), json=body, timeout=5).status_code == 403
    body["access_token"] = config.session.get_secret_value()
    answer = httpx.post(sim.decrypt_url(), json=body, timeout=5).json()
    assert answer["plaintexts"][0] == next(o for o in state.orders("jd") if o.draft).draft.receiver.phone
    assert sim_jd.tde_decrypt("AAAA") is None and json.dumps(answer)
