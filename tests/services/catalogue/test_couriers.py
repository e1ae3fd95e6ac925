"""Courier codes and waybill shapes (PROTOCOLS.md, Kuaidi100 section)."""

import pytest

from oms_tui import i18n
from oms_tui.errors import ValidationError
from oms_tui.services.catalogue import couriers


def test_every_kuaidi100_code_has_a_chinese_name():
    assert list(couriers.COURIERS) == ["shunfeng", "zhongtong", "yuantong", "yunda", "shentong", "jtexpress", "ems",
                                       "jd", "debangkuaidi"]
    assert couriers.COURIERS["jd"].approximate and couriers.COURIERS["debangkuaidi"].approximate
    assert not couriers.COURIERS["yuantong"].approximate


@pytest.mark.parametrize("courier, waybill", [
    ("shunfeng", "SF123456789012"), ("shunfeng", "SF1234567890123"),
    ("yuantong", "YT1234567890123"),
    ("zhongtong", "123456789012"), ("zhongtong", "123456789012345"), ("yunda", "4312345678901"),
    ("shentong", "773012345678901"),
    ("jtexpress", "JT1234567890123"),
    ("ems", "EA123456785CN"), ("ems", "RR473124829CN"), ("ems", "1234567890123"),
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
    ("EA123456785CN", "ems"), ("JDVA12345678901", "jd"), ("DPK123456789012", "debangkuaidi"),
    ("123456789012", None),  # ZTO, Yunda and STO look alike
    ("1234567890", None),  # digits only fit an approximate shape: never guessed
    ("hello", None), ("", None),
])
def test_guess_courier(waybill, expected):
    assert couriers.guess_courier(waybill) == expected


def test_one_display_name_per_courier_in_the_readers_language():
    i18n.setup_language("zh_CN")
    try:
        assert couriers.display_name("shunfeng") == "顺丰速运"
        assert couriers.display_name("zhongtong") == "中通快递"
    finally:
        i18n.setup_language("en")
    assert couriers.display_name("shunfeng") == "SF Express" and couriers.display_name("yuantong") == "YTO Express"
    assert couriers.display_name("fedex") == "fedex" and couriers.display_name(None) == ""


@pytest.mark.parametrize("code", [
    "6901234567892",  # a Chinese 690–699 prefix, valid check digit
    "6920152400388",  # another Chinese product's EAN-13
    "9787111544937",  # an ISBN: a book's EAN-13
])
def test_a_product_barcode_is_never_a_digits_only_waybill(code):
    assert couriers.COURIERS["zhongtong"].pattern.fullmatch(code)  # the shape alone would take it
    with pytest.raises(couriers.WaybillRefused, match="product barcode"):
        couriers.validate_waybill("zhongtong", code)


def test_an_ean_8_is_refused_and_a_waybill_that_is_no_ean_passes():
    with pytest.raises(couriers.WaybillRefused, match="product barcode"):
        couriers.validate_waybill("debangkuaidi", "96385074")  # EAN-8, and 8 digits fit Deppon's shape
    assert couriers.validate_waybill("yunda", "4312345678901") == "4312345678901"  # check digit would be 2
    assert couriers.is_product_barcode("6920152400388") and not couriers.is_product_barcode("6920152400389")


def test_a_genuine_13_digit_waybill_with_a_valid_ean_check_digit_still_ships():
    # One plain-digit waybill in ten ends in a valid EAN check digit; only a product prefix marks a product.
    assert couriers.ean_check_digit_ok("4006381333931")
    for courier in ("zhongtong", "yunda", "shentong"):
        assert couriers.validate_waybill(courier, "4006381333931") == "4006381333931"


def test_a_foreign_ean_13_is_a_product_for_a_courier_whose_waybills_are_never_13_digits():
    with pytest.raises(couriers.WaybillRefused, match="product barcode"):
        couriers.validate_waybill("shunfeng", "4006381333931")


def test_ems_s10_check_digit():
    assert couriers.validate_waybill("ems", "RR473124829CN") == "RR473124829CN"
    with pytest.raises(couriers.WaybillRefused, match="check digit"):
        couriers.validate_waybill("ems", "RR473124828CN")


def test_an_issued_waybill_is_the_only_one_accepted():
    with pytest.raises(couriers.WaybillRefused, match="expected waybill YT1234567890123"):
        couriers.validate_waybill("yuantong", "YT9999999999999", expected="YT1234567890123")
    # Issued by the courier, so taken as it is even when it looks like an EAN-13.
    assert couriers.validate_waybill("zhongtong", "4006381333931", expected="4006381333931") == "4006381333931"


def test_no_courier_is_refused_after_the_product_check():
    with pytest.raises(couriers.WaybillRefused, match="product barcode"):
        couriers.validate_waybill(None, "6920152400388")
    with pytest.raises(couriers.WaybillRefused, match="No courier"):
        couriers.validate_waybill(None, "123456789012")


def test_a_refusal_reads_in_the_readers_language():
    with pytest.raises(couriers.WaybillRefused) as err:
        couriers.validate_waybill("shunfeng", "SF123")
    i18n.setup_language("zh_CN")
    try:
        assert err.value.localized() == "SF123 不是顺丰速运（shunfeng）运单号：应为 SF + 12–13 位数字"
    finally:
        i18n.setup_language("en")
