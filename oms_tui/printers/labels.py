"""E-waybill labels: the courier's label image printed as a raster on a thermal label printer.

The label comes from Kuaidi100 as an image; it is scaled to the label stock's printable width (76 or
100 mm at ``dots_per_mm``, 8 = 203 dpi), turned 1-bit, and sent either as ESC/POS raster (``GS v 0``,
through python-escpos's ``image``) or as TSPL (``SIZE``, ``GAP``, ``CLS``, ``BITMAP``, ``PRINT``) for the
TSC / Xprinter / Gprinter family. Either way the job's bytes are the same on every attempt.
"""

from __future__ import annotations

import base64
import binascii
import io

from escpos.printer import Dummy
from PIL import Image

from oms_tui.errors import ValidationError
from oms_tui.i18n import N_

LABEL_SIZES: dict[str, tuple[int, int]] = {"76x130": (76, 130), "100x180": (100, 180)}
GAP_MM = 2  # the gap between labels on the roll
MARGIN_DOTS = 8  # printers cannot print the very edge of the label


def decode_image(label_base64: str) -> Image.Image:
    """The label image; ValidationError when it is not base64 of an image Pillow reads."""
    try:
        raw = base64.b64decode(label_base64 or "", validate=True)
        image = Image.open(io.BytesIO(raw))
        image.load()
    except (binascii.Error, ValueError, OSError):
        raise ValidationError(N_("the waybill label is not an image")) from None
    return image


def fit(image: Image.Image, width_dots: int, height_dots: int) -> Image.Image:
    """``image`` scaled to fit the printable area (keeping its proportions), 1-bit, black on white."""
    if image.mode in ("RGBA", "LA", "P"):
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.split()[-1])
        image = background
    gray = image.convert("L")
    # A label drawn landscape onto portrait stock is turned.
    if gray.width > gray.height and height_dots > width_dots:
        gray = gray.rotate(90, expand=True)
    scale = min(width_dots / gray.width, height_dots / gray.height)
    size = (max(1, int(gray.width * scale)), max(1, int(gray.height * scale)))
    gray = gray.resize(size, Image.Resampling.LANCZOS)
    return gray.point(lambda v: 255 if v >= 128 else 0).convert("1")


def printable_dots(label_size: str, dots_per_mm: int) -> tuple[int, int]:
    if label_size not in LABEL_SIZES:
        raise ValidationError(N_("unknown label size {size!r}: use 76x130 or 100x180"), size=label_size)
    width_mm, height_mm = LABEL_SIZES[label_size]
    return width_mm * dots_per_mm - 2 * MARGIN_DOTS, height_mm * dots_per_mm - 2 * MARGIN_DOTS


def tspl_bitmap(image: Image.Image) -> tuple[int, bytes]:
    """(bytes a row, the rows) of a 1-bit image as TSPL BITMAP wants it: a 0 bit prints black."""
    width_bytes = (image.width + 7) // 8
    padded = Image.new("1", (width_bytes * 8, image.height), 1)
    padded.paste(image, (0, 0))
    # Pillow's "1" raw bytes: 1 = white, 0 = black, MSB first — TSPL's mode 0 (OVERWRITE) reading exactly.
    return width_bytes, padded.tobytes()


def render_tspl(image: Image.Image, label_size: str, dots_per_mm: int) -> bytes:
    width_mm, height_mm = LABEL_SIZES[label_size]
    width_bytes, data = tspl_bitmap(image)
    head = (f"SIZE {width_mm} mm,{height_mm} mm\r\nGAP {GAP_MM} mm,0 mm\r\nDIRECTION 1\r\nCLS\r\n"
            f"BITMAP {MARGIN_DOTS},{MARGIN_DOTS},{width_bytes},{image.height},0,").encode("ascii")
    return head + data + b"\r\nPRINT 1,1\r\n"


def render_escpos(image: Image.Image) -> bytes:
    printer = Dummy()
    # python-escpos prints a warning to stdout without the paper width, and shrinks images wider than it.
    printer.profile.profile_data.setdefault("media", {}).setdefault("width", {})["pixels"] = image.width
    printer.hw("INIT")
    printer.image(image, impl="bitImageRaster", center=False)
    printer.cut()
    return printer.output


def render_label(label_base64: str, *, language: str = "escpos", label_size: str = "76x130",
                 dots_per_mm: int = 8) -> bytes:
    """The bytes that print ``label_base64`` on a ``label_size`` label in the printer's ``language``."""
    width, height = printable_dots(label_size, dots_per_mm)
    image = fit(decode_image(label_base64), width, height)
    if language == "tspl":
        return render_tspl(image, label_size, dots_per_mm)
    if language == "escpos":
        return render_escpos(image)
    raise ValidationError(N_("unknown printer language {language!r}: use escpos or tspl"), language=language)
