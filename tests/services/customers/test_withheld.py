"""The receiver data a platform withholds: kept as one opaque value, handed to a waybill request, never shown."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from oms_tui.phrases import english
from oms_tui.platforms import pdd, taobao
from oms_tui.services.customers import withheld
from oms_tui.services.orders.intake_rules import address_problems
from tests.helpers.platforms import PDD_ORDER, TRADE, tde_shaped


def test_seal_keeps_the_non_empty_parts_and_unseal_reads_them_back():
    sealed = withheld.seal(name="~AgAAAAn~0~~", mobile="", address=" ~AgAAAAa~0~~ ", oaid=None)
    assert withheld.unseal(sealed) == {"name": "~AgAAAAn~0~~", "address": "~AgAAAAa~0~~"}
    assert withheld.seal() == "" and withheld.unseal("") == {} and withheld.unseal("not json") == {}
    assert withheld.unseal('["a list"]') == {}
    with pytest.raises(ValueError):
        withheld.seal(email="x")


def test_a_phone_only_the_platform_holds_is_shippable():
    sealed = withheld.seal(mobile=tde_shaped())
    assert withheld.phone_withheld(sealed) and not withheld.phone_withheld(withheld.seal(name=tde_shaped()))
    kwargs = dict(province="江苏", city="南京市", address="华侨路街道****", phone="")
    assert [english(p) for p in address_problems(**kwargs)] == ["no phone"]
    assert address_problems(**kwargs, phone_withheld=True) == []


def test_taobao_and_pdd_keep_their_oaid_and_ciphertexts_for_the_waybill():
    trade = taobao.map_trade({**TRADE, "oaid": "1ctFfHOw-oaid"})
    assert withheld.unseal(trade.receiver_opaque) == {"oaid": "1ctFfHOw-oaid"}
    order = pdd.map_order(PDD_ORDER)
    assert withheld.unseal(order.receiver_opaque) == {
        "name": PDD_ORDER["receiver_name"], "mobile": PDD_ORDER["receiver_phone"],
        "address": PDD_ORDER["receiver_address"]}
    receiver = withheld.waybill_receiver(order)
    assert (receiver.name, receiver.phone, receiver.address) == (
        PDD_ORDER["receiver_name"], PDD_ORDER["receiver_phone"], PDD_ORDER["receiver_address"])


def test_the_waybill_gets_plain_values_when_the_shop_has_them():
    order = SimpleNamespace(receiver_name="李小明", receiver_phone="13912341234", receiver_address="中山北路 8 号",
                            receiver_opaque=withheld.seal(name=tde_shaped(), mobile=tde_shaped(), oaid="oaid-1"))
    receiver = withheld.waybill_receiver(order)
    assert (receiver.name, receiver.phone, receiver.address, receiver.oaid) == (
        "李小明", "13912341234", "中山北路 8 号", "oaid-1")
    masked = SimpleNamespace(receiver_name="李**", receiver_phone="139****1234", receiver_address="华侨路街道****",
                             receiver_opaque="")
    assert withheld.waybill_receiver(masked).phone == "139****1234"  # nothing withheld: what we have
    assert not withheld.waybill_receiver(masked).withheld
