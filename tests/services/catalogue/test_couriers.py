"""Courier codes and waybill shapes (PROTOCOLS.md, Kuaidi100 section)."""

import pytest

from oms_tui.errors import ValidationError
from oms_tui.services.catalogue import couriers


def test_every_kuaidi100_code_has_a_chinese_name():
    assert list(couriers.COURIERS) == ["shunfeng", "zhongtong", "yuantong", "yunda", "shentong", "jtexpress", "ems",
                                       "jd", "debangkuaidi"]
    assert couriers.COURIERS["shunfeng"].name == "顺丰速运"
    assert couriers.COURIERS["jd"].approximate and couriers.COURIERS["debangkuaidi"].approximate
    assert not couriers.COURIERS["yuantong"].approximate


@pytest.mark.parametrize("courier, waybill", [
    ("shunfeng", "SF123456789012"), ("shunfeng", "SF1234567890123"),
    ("yuantong", "YT1234567890123"),
    ("zhongtong", "123456789012"), ("zhongtong", "123456789012345"), ("yunda", "4312345678901"),
    ("shentong", "773012345678901"),
    ("jtexpress", "JT1234567890123"),
    ("ems", "EA123456789CN"), ("ems", "1234567890123"),
    ("jd", "JDVA12345678901"), ("debangkuaidi", "DPK123456789012"),
])
def test_good_waybills_pass(courier, waybill):
    assert couriers.validate_waybill(courier, waybill) == waybill


def test_waybills_are_normalized():
    assert couriers.validate_waybill("yuantong", " yt 1234-5678-90123 ") == "YT1234567890123"
    assert couriers.validate_waybill("SHUNFENG", "sf123456789012") == "SF123456789012"


@pytest.mark.parametrize("courier, waybill", [
    ("shunfeng", "SF12345678901"), ("shunfeng", "SF12345678901234"), ("shunfeng", "123456789012"),
    ("yuantong", "YT123456789012"), ("yuantong", "JT1234567890123"),
    ("zhongtong", "12345678901"), ("zhongtong", "1234567890123456"), ("zhongtong", "ZT123456789012"),
    ("jtexpress", "JT123456789012"), ("ems", "EA12345678CN"), ("ems", "EA123456789US"),
])
def test_bad_waybills_say_what_was_expected(courier, waybill):
    with pytest.raises(ValidationError) as err:
        couriers.validate_waybill(courier, waybill)
    message = str(err.value)
    assert couriers.COURIERS[courier].shape in message and courier in message


def test_unknown_courier_and_empty_waybill():
    with pytest.raises(ValidationError, match="unknown courier"):
        couriers.validate_waybill("fedex", "123456789012")
    with pytest.raises(ValidationError, match="needs a waybill"):
        couriers.validate_waybill("yunda", "  ")


@pytest.mark.parametrize("waybill, expected", [
    ("SF1234567890123", "shunfeng"), ("yt1234567890123", "yuantong"), ("JT1234567890123", "jtexpress"),
    ("EA123456789CN", "ems"), ("JDVA12345678901", "jd"), ("DPK123456789012", "debangkuaidi"),
    ("123456789012", None),  # ZTO, Yunda and STO look alike
    ("1234567890", None),  # digits only fit an approximate shape: never guessed
    ("hello", None), ("", None),
])
def test_guess_courier(waybill, expected):
    assert couriers.guess_courier(waybill) == expected
