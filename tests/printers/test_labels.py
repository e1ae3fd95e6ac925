"""Waybill labels: the courier's image as TSPL or ESC/POS raster, fitted to 76×130 or 100×180 mm stock,
through the print queue like any job."""

import base64
import io

import pytest
from PIL import Image, ImageDraw

from oms_tui.config import PrinterConfig, Settings
from oms_tui.db import session_scope
from oms_tui.errors import ValidationError
from oms_tui.printers import labels
from oms_tui.printers.transports import DummyPrinters
from oms_tui.services.floor import printing


def label_image(width=380, height=650) -> str:
    image = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(image).rectangle((0, 0, 40, 40), fill="black")  # a black square top left
    out = io.BytesIO()
    image.save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


@pytest.mark.parametrize("size, mm", [("76x130", (76, 130)), ("100x180", (100, 180))])
def test_tspl_label_fills_the_stock_with_a_bitmap(size, mm):
    data = labels.render_label(label_image(), language="tspl", label_size=size)
    head, _, rest = data.partition(b"BITMAP ")
    assert head.startswith(f"SIZE {mm[0]} mm,{mm[1]} mm\r\nGAP 2 mm,0 mm\r\n".encode()) and b"CLS\r\n" in head
    x, y, width_bytes, height, mode, bitmap = rest.split(b",", 5)
    width_bytes, height = int(width_bytes), int(height)
    assert width_bytes * 8 <= mm[0] * 8 and height <= mm[1] * 8 and mode == b"0"
    assert bitmap.endswith(b"\r\nPRINT 1,1\r\n")
    pixels = bitmap[:width_bytes * height]
    assert len(pixels) == width_bytes * height
    assert pixels[0] == 0x00 and pixels[-1] == 0xFF  # black (0 bits) top left, white at the end


def test_escpos_label_is_a_raster_image_then_a_cut():
    data = labels.render_label(label_image(), language="escpos", label_size="76x130")
    assert data.startswith(b"\x1b@\x1dv0\x00")  # ESC @, then GS v 0 (raster)
    width_bytes, rows = data[6] + 256 * data[7], data[8] + 256 * data[9]  # GS v 0 m xL xH yL yH
    assert 60 * 8 <= width_bytes * 8 <= 76 * 8 and rows > 0  # fitted to the 76 mm stock
    assert data.endswith(b"\x1dV\x00")  # ESC d (feed), GS V 0 (cut)


def test_a_label_that_is_not_an_image_is_refused():
    with pytest.raises(ValidationError):
        labels.render_label(base64.b64encode(b"not an image").decode())


def test_the_print_queue_sends_a_label_in_its_printers_language(sqlite_engine):
    printer = PrinterConfig(name="label", kind="network", host="127.0.0.1", language="tspl", label_size="100x180",
                            documents=["waybill_label"])
    settings = Settings(database_url="sqlite://", printers=[printer])
    with session_scope(sqlite_engine) as s:
        printing.enqueue(s, "waybill_label", ref="YT1", data={"waybill": "YT1", "courier": "yuantong",
                                                               "image": label_image()}, user="li", settings=settings)
    dummies = DummyPrinters()
    run = printing.process_queue(sqlite_engine, settings, transport_factory=dummies)
    assert run.printed == 1
    assert dummies.output("label") == labels.render_label(label_image(), language="tspl", label_size="100x180")
