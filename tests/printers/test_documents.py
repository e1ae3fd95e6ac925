"""Documents as ESC/POS bytes: the commands a printer needs, Chinese in GB18030 inside FS & … FS .,
barcodes and QR codes with the right data, the phone masked, and no line wider than the paper."""

from __future__ import annotations

import random

import pytest
from escpos.printer import Dummy

from oms_tui.errors import ValidationError
from oms_tui.printers import documents
from oms_tui.printers.documents import (
    CHINESE_OFF,
    CHINESE_ON,
    COLUMNS,
    TEST_BARCODE,
    TEST_CHINESE,
    clean,
    code128_data,
    mask_phone,
    render,
    render_bytes,
    text_width,
    wrap,
)
from tests.helpers.documents import PACKING_SLIP, PICK_LIST, RETURN_SLIP, SHOP
from tests.helpers.escpos_reader import read

INIT = b"\x1b@"
CUT = b"\x1bd\x06\x1dV\x00"  # feed past the cutter, full cut


def gb(text: str) -> bytes:
    return CHINESE_ON + text.encode("gb18030") + CHINESE_OFF


def code128(data: bytes) -> bytes:
    """GS k 73 n data: a CODE128 barcode (function B)."""
    return b"\x1dkI" + bytes([len(data)]) + data


def qr_store(content: bytes) -> bytes:
    """GS ( k … 1 P 0 data: store the QR code's data."""
    size = len(content) + 3
    return b"\x1d(k" + bytes([size % 256, size // 256]) + b"1P0" + content


ALL = [("test_page", {"printer": "打包台1", "requested_by": "li", "at": "2026-11-11T01:30:00Z"}),
       ("pick_list", PICK_LIST), ("packing_slip", PACKING_SLIP), ("return_slip", RETURN_SLIP)]


def chinese_only(reading) -> str:
    """The printed text without ASCII: a name wrapped over lines beside other columns, in one piece."""
    return "".join(ch for line in reading.texts() for ch in line if not ch.isascii())


def assert_fits(payload: bytes, width_mm: int) -> None:
    for line in read(payload).lines:
        assert line.columns <= COLUMNS[width_mm], f"{line.text!r} is {line.columns} columns on {width_mm} mm"


@pytest.mark.parametrize("width_mm", [58, 80])
@pytest.mark.parametrize(("document", "data"), ALL, ids=[name for name, _ in ALL])
def test_every_document_starts_initialised_ends_cut_and_fits_the_paper(document, data, width_mm):
    payload = render_bytes(document, data, width_mm=width_mm, shop_name=SHOP)
    assert payload.startswith(INIT)
    assert payload.endswith(CUT)
    assert payload.count(b"\x1dV") == 1
    assert_fits(payload, width_mm)
    reading = read(payload)
    assert reading.names().count("FS &") == reading.names().count("FS .") > 0
    # Everything between FS & and FS . is GB18030 text that decodes cleanly.
    for segment in reading.chinese_segments:
        segment.decode("gb18030")


@pytest.mark.parametrize("width_mm", [58, 80])
def test_test_page(width_mm):
    printer = Dummy()
    render(printer, "test_page", {}, width_mm=width_mm, shop_name=SHOP)
    payload = printer.output
    assert payload.startswith(INIT)
    assert gb(TEST_CHINESE) in payload
    assert b"\x1d!\x11" + gb(SHOP) in payload  # the shop name at double width and height
    assert code128(b"{B" + TEST_BARCODE.encode()) in payload
    assert qr_store(TEST_BARCODE.encode()) in payload
    assert b"\x1d(k\x03\x001Q0" in payload  # print the stored QR code
    assert payload.endswith(CUT)
    reading = read(payload)
    texts = reading.texts()
    columns = COLUMNS[width_mm]
    assert ("1234567890" * 5)[:columns] in texts  # a ruler of exactly one line
    assert ("一二三四五六七八九十" * 3)[:columns // 2] in texts
    assert max(line.columns for line in reading.lines) == COLUMNS[width_mm]  # the rulers fill the line exactly


def test_gb18030_bytes_of_the_chinese_line_are_the_standard_ones():
    payload = render_bytes("test_page", {}, width_mm=80, shop_name=SHOP)
    expected = bytes.fromhex("d6d0cec4b4f2d3a1b2e2cad4a3babcd2bed3c4b8d3a4c6ecbda2b5ea")  # 中文打印测试：家居母婴旗舰店
    assert CHINESE_ON + expected + CHINESE_OFF in payload


@pytest.mark.parametrize("width_mm", [58, 80])
def test_pick_list(width_mm):
    payload = render_bytes("pick_list", PICK_LIST, width_mm=width_mm, shop_name=SHOP)
    reading = read(payload)
    text = "\n".join(reading.texts())
    assert "W20261111-003" in text and "WH1 杭州仓" in text
    assert "2026-11-11 09:30" in text  # 01:30 UTC in Shanghai
    # Lines in the order given (the caller sorts by bin).
    assert text.index("A-01-01") < text.index("B-02-03") < text.index("C-01-01")
    # Long names wrap instead of running off the paper; every part of them is printed.
    joined = "".join(line.replace(" ", "") for line in reading.texts())
    assert "竹纤维毛巾加厚加大款浴室家用吸水速干不掉毛" in chinese_only(reading)
    sku_lines = [line for line in reading.texts() if "MB-001" in line]
    assert sku_lines and "MB-001-EXTRA-LONG-SKU-CODE" not in text  # wrapped inside its column, not cut
    assert all(part in joined for part in ("MB-001-", "SKU-CODE"))
    # One CODE128 barcode per order, of its platform order id.
    assert [data for _m, data in reading.barcodes] == [code128_data(o["ref"]) for o in PICK_LIST["orders"]]
    for order in PICK_LIST["orders"]:
        assert code128(code128_data(order["ref"])) in payload
    assert_fits(payload, width_mm)


def test_a_long_taobao_order_number_still_fits_58mm_as_code128():
    data = code128_data("3456789012345678901")
    assert data == b"{B3{C" + bytes([45, 67, 89, 1, 23, 45, 67, 89, 1])  # code set C: two digits a byte
    payload = render_bytes("pick_list", PICK_LIST, width_mm=58, shop_name=SHOP)
    assert code128(data) in payload
    assert b"\x1dw\x02" in payload  # narrow bars, so it fits 384 dots


def test_code128_data():
    assert code128_data("OMS-TEST") == b"{BOMS-TEST"
    assert code128_data("TB00000001") == b"{BTB{C\x00\x00\x00\x01"
    assert code128_data("12") == b"{C\x0c"
    assert code128_data("a{b") == b"{Ba{{b"
    assert code128_data("订单1") is None
    assert code128_data("") is None


def test_a_reference_code128_cannot_carry_becomes_a_qr_code():
    data = dict(PICK_LIST, orders=[{"ref": "售后-001", "receiver": "王", "items": 1}])
    payload = render_bytes("pick_list", data, width_mm=58, shop_name=SHOP)
    assert read(payload).barcodes == []
    assert qr_store("售后-001".encode()) in payload
    assert gb("售后-001") in payload


@pytest.mark.parametrize("width_mm", [58, 80])
def test_packing_slip(width_mm):
    payload = render_bytes("packing_slip", PACKING_SLIP, width_mm=width_mm, shop_name=SHOP)
    reading = read(payload)
    text = "\n".join(reading.texts())
    assert "TB2026111100001" in text and "淘宝/天猫" in text and "旗舰店" in text
    assert "139****4321" in text
    assert b"8765" not in payload and b"13987654321" not in payload  # the hidden digits never leave
    assert qr_store(b"TB2026111100001") in payload
    joined = "".join(line.replace(" ", "") for line in reading.texts())
    assert "浙江省杭州市西湖区文三路100号华星时代广场A座1201室（前台代收）" in joined
    assert "请发顺丰，谢谢！" in joined and "周末不在家" in joined
    assert "婴儿湿巾超柔软加厚款手口专用大包装家庭装" in chinese_only(reading)
    # The remark's control bytes were dropped: one reset at the start, one cut at the end.
    assert reading.names().count("ESC @") == 1 and reading.names().count("GS V") == 1
    assert_fits(payload, width_mm)


@pytest.mark.parametrize(("phone", "shown"), [
    ("13987654321", "139****4321"),
    ("139 8765 4321", "139****4321"),
    ("139-8765-4321", "139****4321"),
    ("+86 139 8765 4321", "139****4321"),
    ("008613987654321", "139****4321"),
    ("139****4321", "139****4321"),  # masked by the platform already
    ("*******4321", "****4321"),
    ("0571-88886666", "057****6666"),
    ("", ""),
])
def test_mask_phone(phone, shown):
    assert mask_phone(phone) == shown


@pytest.mark.parametrize("width_mm", [58, 80])
def test_return_slip(width_mm):
    payload = render_bytes("return_slip", RETURN_SLIP, width_mm=width_mm, shop_name=SHOP)
    text = "\n".join(read(payload).texts())
    assert "JD300012345678" in text and "42" in text
    assert "29.90 元" in text
    assert "可售" in text and "破损" in text
    assert "尺寸不合适" in text
    assert gb("退款金额：29.90 元") in payload
    assert_fits(payload, width_mm)


def test_wrap_never_exceeds_the_width():
    rng = random.Random(7)
    alphabet = "abc DEF 123-_/ 中文打印测试，。（）毛巾湿巾"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        width = rng.randint(2, 48)
        lines = wrap(text, width)
        assert all(text_width(line) <= width for line in lines)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_words_stay_whole_where_they_fit():
    assert wrap("hello world this is long", 12) == ["hello world", "this is long"]


def test_clean_drops_control_bytes_and_what_the_font_lacks():
    assert clean("a\x1b@b\x1dV\x00c\n d") == "a@b Vc d"
    assert clean("好评😀返现") == "好评?返现"  # a four-byte GB18030 character is not in the printer's font
    assert clean("毛巾", "gbk") == "毛巾"


def test_bad_documents_and_data_are_refused():
    with pytest.raises(ValidationError, match="unknown document"):
        render_bytes("invoice", {}, width_mm=80, shop_name=SHOP)
    with pytest.raises(ValidationError, match="'wave'"):
        documents.validate("pick_list", {"lines": []})
    with pytest.raises(ValidationError, match="whole number"):
        documents.validate("packing_slip", {"order": "TB1", "items": [{"sku": "A", "qty": "two"}]})
    with pytest.raises(ValidationError, match="ref"):
        documents.validate("pick_list", {"wave": "W1", "lines": [], "orders": [{"receiver": "王"}]})
    with pytest.raises(ValidationError, match="58 or 80"):
        render_bytes("test_page", {}, width_mm=76, shop_name=SHOP)
