"""Documents rendered to ESC/POS through a python-escpos printer object.

``render(printer, document, data, width_mm=…, shop_name=…)`` writes one document; ``render_bytes``
renders into an ``escpos.printer.Dummy`` and returns the bytes, which is what the print queue sends
(so a job prints the same bytes on every attempt, and a reprint is byte-for-byte the original).

Chinese: most Chinese ESC/POS printers print GB18030/GBK bytes while their Chinese mode is on
(FS & = 1C 26; off: FS . = 1C 2E). python-escpos's own text() goes through its code-page "magic"
encoder, which does not handle CJK, so every text line is written here as raw bytes in the printer's
encoding (``PrinterConfig.encoding``, default gb18030), wrapped in FS & … FS . when it is not ASCII.

Layout: 58 mm paper has 32 columns of ASCII at normal size, 80 mm has 48. In Chinese mode every
non-ASCII character is printed as a full-width GB glyph and takes 2 columns, so widths are counted
that way (stricter than ``unicodedata.east_asian_width``, which calls ×, ·, ① "ambiguous"). Long
values wrap inside their column; no line is ever wider than the paper. User text is cleaned first:
control characters are dropped (a buyer remark must never cut the paper or switch modes) and
characters the printer's font lacks become "?".

Data each document takes (other modules enqueue jobs with exactly these dictionaries):

``test_page``
    ``{"printer": str, "requested_by": str, "at": iso str}`` — all optional.
``pick_list``
    ``{"wave": str, "warehouse": str, "created_at": iso str,
    "lines": [{"bin", "sku", "name", "spec", "qty"}],  # printed in the order given (sorted by bin)
    "orders": [{"ref": str, "receiver": str, "items": int}]}`` — ``ref`` is what the order's CODE128
    barcode encodes: the platform order id.
``packing_slip``
    ``{"order": str (platform order id), "platform": str, "shop": str, "receiver_name": str,
    "receiver_phone": str, "address": str, "remark": str, "items": [{"sku", "name", "spec", "qty"}]}``
    — the phone is printed masked (first 3 and last 4 digits); the slip carries a QR code of the order.
``waybill_label``
    ``{"waybill": str, "courier": str, "image": base64 of the courier's label image}`` — printed as a raster
    on the printer's label stock (oms_tui/printers/labels.py), ESC/POS or TSPL as the printer speaks.
``return_slip``
    ``{"order": str, "return_id": int, "reason": str, "refund_fen": int,
    "lines": [{"sku", "name", "qty", "condition"}]}`` — condition ``resaleable`` or ``damaged``.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime
from itertools import zip_longest
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from escpos.constants import QR_ECLEVEL_M
from escpos.escpos import Escpos
from escpos.printer import Dummy

from oms_tui import money
from oms_tui.errors import ValidationError
from oms_tui.i18n import N_
from oms_tui.printers import labels

DOCUMENTS = ("test_page", "pick_list", "packing_slip", "return_slip", "waybill_label")
COLUMNS = {58: 32, 80: 48}  # ASCII columns at normal size (font A, 12 dots)
DOTS = {58: 384, 80: 576}  # printable dots per line, for fitting barcodes

CHINESE_ON = b"\x1c&"  # FS &
CHINESE_OFF = b"\x1c."  # FS .

TEST_CHINESE = "中文打印测试：家居母婴旗舰店"
TEST_BARCODE = "OMS-TEST"
DEFAULT_ZONE = "Asia/Shanghai"

PLATFORM_NAMES = {"taobao": "淘宝/天猫", "jd": "京东", "pdd": "拼多多", "douyin": "抖店"}
CONDITION_NAMES = {"resaleable": "可售", "damaged": "破损"}

_GB_FAMILY = {"gb18030", "gbk", "gb2312"}
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me"}


# --- text measuring and cleaning -------------------------------------------------------------

def char_width(ch: str) -> int:
    """Columns ``ch`` takes on the printer: ASCII 1, anything else one full-width GB glyph (2)."""
    return 1 if ch < "\x80" else 2


def text_width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def clean(value: object, encoding: str = "gb18030") -> str:
    """User data made safe to print: one line, no control bytes, nothing the font lacks."""
    if value is None:
        return ""
    gb_font = codecs.lookup(encoding).name in _GB_FAMILY
    out: list[str] = []
    for ch in str(value):
        if ch.isspace():
            out.append(" ")
            continue
        if unicodedata.category(ch) in _DROPPED_CATEGORIES:
            continue
        if ch >= "\x80":
            try:
                encoded = ch.encode(encoding)
            except UnicodeEncodeError:
                ch = "?"
            else:
                # GB18030's four-byte forms (emoji, rare ideographs) are not in the printers' fonts.
                if gb_font and len(encoded) != 2:
                    ch = "?"
        out.append(ch)
    return re.sub(r" {2,}", " ", "".join(out)).strip()


def wrap(text: str, width: int) -> list[str]:
    """``text`` broken into lines of at most ``width`` columns; ASCII words stay whole where they can."""
    if width < 2:
        raise ValueError("a column must be at least 2 wide (one CJK character)")
    lines: list[str] = []
    line, used = "", 0
    for ch in text:
        w = char_width(ch)
        if used + w > width:
            head, line = _break(line, ch)
            lines.append(head)
            used = text_width(line)
            if ch == " " and not line:
                continue
        line += ch
        used += w
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def _break(line: str, ch: str) -> tuple[str, str]:
    """Where a full line breaks: at its last space when ``ch`` would continue an ASCII word."""
    in_word = ch != " " and ch < "\x80" and line and line[-1] != " " and line[-1] < "\x80"
    cut = line.rfind(" ")
    if in_word and cut > 0:
        return line[:cut].rstrip(), line[cut + 1:]
    return line.rstrip(), ""


def pad(text: str, width: int, align: str = "l") -> str:
    gap = max(0, width - text_width(text))
    return " " * gap + text if align == "r" else text + " " * gap


def mask_phone(phone: object) -> str:
    """A phone as the slip shows it: first 3 and last 4 digits, ``138****5678``, whatever the input
    form (spaces, dashes, +86, already masked by the platform); never more digits than that."""
    text = str(phone or "").strip()
    if not text:
        return ""
    if "*" in text:  # masked by the platform already: keep what it kept, at most 3 + 4 digits
        head = re.match(r"[^*]*", text).group(0)
        tail = re.search(r"[^*]*$", text).group(0)
        head_digits, tail_digits = re.sub(r"\D", "", head)[:3], re.sub(r"\D", "", tail)[-4:]
        return f"{head_digits}****{tail_digits}"
    digits = re.sub(r"\D", "", text)
    if digits[:-11] in ("86", "0086") and digits[-11:].startswith("1"):
        digits = digits[-11:]  # +86 / 0086 before a mainland mobile number
    if len(digits) >= 8:
        return f"{digits[:3]}****{digits[-4:]}"
    return "****" + (digits[-2:] if len(digits) > 4 else "")  # a short number: most of it stays hidden


def yuan(fen: int) -> str:
    """Printed amounts: "1299.00" (the slip's column says ¥; a narrow roll has no room for commas)."""
    return money.yuan(fen, symbol="", thousands=False)


# --- CODE128 ---------------------------------------------------------------------------------

def code128_data(ref: str) -> bytes | None:
    """The data bytes of an ESC/POS CODE128 barcode (GS k 73) for ``ref``: code set C (two digits a
    byte) for runs of digits, code set B for the rest, so long order numbers fit 58 mm paper.
    None when ``ref`` has characters CODE128 B cannot carry."""
    if not ref or any(not (" " <= ch <= "~") for ch in ref):
        return None
    segments: list[tuple[str, str]] = []  # (code set, text)

    def add(code_set: str, text: str) -> None:
        if segments and segments[-1][0] == code_set:
            segments[-1] = (code_set, segments[-1][1] + text)
        else:
            segments.append((code_set, text))

    whole_digits = ref.isdigit()
    for match in re.finditer(r"\d+|\D+", ref):
        run = match.group(0)
        if run.isdigit() and (len(run) >= 4 or (whole_digits and len(run) >= 2)):
            if len(run) % 2:
                add("B", run[0])
                run = run[1:]
            add("C", run)
        else:
            add("B", run)
    out = bytearray()
    for code_set, text in segments:
        out += b"{" + code_set.encode()
        if code_set == "C":
            out += bytes(int(text[i:i + 2]) for i in range(0, len(text), 2))
        else:
            out += text.replace("{", "{{").encode("ascii")
    return bytes(out)


def code128_modules(data: bytes) -> int:
    """Width of the barcode for ``data`` in modules, quiet zones included."""
    symbols = 1  # the check symbol; the start and each code switch are their "{X" pairs below
    i = 0
    while i < len(data):
        symbols += 1
        i += 2 if data[i:i + 1] == b"{" else 1  # "{A", "{B", "{C" or an escaped "{{": one symbol
    return 11 * symbols + 13 + 20  # stop symbol is 13 modules; 10 modules of quiet zone each side


# --- the sheet: lines that fit the paper --------------------------------------------------------

class Sheet:
    """One document being written to ``printer``: lines that fit the paper, barcodes, QR codes, cut."""

    def __init__(self, printer: Escpos, *, width_mm: int, encoding: str = "gb18030") -> None:
        if width_mm not in COLUMNS:
            raise ValidationError(N_("paper width must be 58 or 80 mm, not {width}"), width=width_mm)
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ValidationError(N_("unknown printer encoding {encoding!r} (use gb18030)"),
                                  encoding=encoding) from None
        self.printer = printer
        self.width_mm = width_mm
        self.columns = COLUMNS[width_mm]
        self.dots = DOTS[width_mm]
        self.encoding = encoding
        self._align = ""

    def clean(self, value: object) -> str:
        return clean(value, self.encoding)

    def start(self) -> None:
        self.printer.hw("INIT")  # ESC @: a known state whatever the last job left behind
        self._align = "left"

    def align(self, how: str) -> None:
        if how != self._align:
            self.printer.set(align=how)
            self._align = how

    def emit(self, line: str) -> None:
        """One physical line; Chinese mode around it when it is not plain ASCII."""
        if line.isascii():
            self.printer._raw(line.encode("ascii") + b"\n")
        else:
            self.printer._raw(CHINESE_ON + line.encode(self.encoding, errors="replace") + CHINESE_OFF + b"\n")

    def text(self, text: str, *, align: str = "left", bold: bool = False, size: int = 1) -> None:
        """``text`` wrapped to the paper; ``size`` 2 prints double width and height."""
        self.align(align)
        if bold:
            self.printer.set(bold=True)
        if size != 1:
            self.printer.set(custom_size=True, width=size, height=size)
        for line in wrap(text, self.columns // size):
            self.emit(line)
        if size != 1:
            self.printer.set(custom_size=True, width=1, height=1)
        if bold:
            self.printer.set(bold=False)

    def field(self, label: str, value: str) -> None:
        """``label`` then ``value``; continuation lines are indented under the value."""
        self.align("left")
        indent = min(text_width(label), self.columns // 3)
        text = label + value
        first = wrap(text, self.columns)[0]  # always a prefix of ``text``
        self.emit(first)
        rest = text[len(first):].strip()
        if rest:
            for line in wrap(rest, self.columns - indent):
                self.emit(" " * indent + line)

    def rule(self, char: str = "-") -> None:
        self.align("left")
        self.emit(char * self.columns)

    def row(self, cells: Sequence[str], widths: Sequence[int], aligns: str = "") -> None:
        """A table row: each cell wrapped inside its column, columns one space apart."""
        assert sum(widths) + len(widths) - 1 <= self.columns, "table wider than the paper"
        self.align("left")
        aligns = aligns or "l" * len(widths)
        wrapped = [wrap(cell, width) for cell, width in zip(cells, widths)]
        for parts in zip_longest(*wrapped, fillvalue=""):
            line = " ".join(pad(part, width, how) for part, width, how in zip(parts, widths, aligns))
            self.emit(line.rstrip())

    def feed(self, lines: int = 1) -> None:
        self.printer._raw(b"\n" * lines)

    def barcode(self, ref: str) -> None:
        """A CODE128 barcode of ``ref`` with its text below; a QR code when it cannot fit the paper."""
        data = code128_data(ref)
        width = None
        if data is not None:
            modules = code128_modules(data)
            width = next((w for w in (3, 2) if modules * w <= self.dots), None)
        if data is None or width is None:
            self.qr(ref)
            self.text(self.clean(ref), align="center")
            return
        # Straight to the hardware renderer: barcode() would print to stdout and may fall back to
        # rendering an image; this is GS h, GS w, GS f, GS H, then GS k 73 n data.
        self.printer._hw_barcode(data.decode("ascii"), "CODE128", height=60, width=width, pos="BELOW",
                                 font="A", align_ct=True, function_type="B", check=True)
        self._align = "center"
        self.feed()

    def qr(self, content: str) -> None:
        """A QR code of ``content``, drawn by the printer itself (GS ( k), centred."""
        self.align("center")
        self.printer.qr(content, native=True, size=5 if self.width_mm == 58 else 6, ec=QR_ECLEVEL_M)
        self.feed()

    def cut(self) -> None:
        self.printer.cut()  # ESC d 6 (feed past the cutter), GS V 0


# --- documents -------------------------------------------------------------------------------

def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def _local_time(value: object, zone: ZoneInfo) -> str:
    """An ISO time as the shop reads it; text that is not a time is shown as it is."""
    if not value:
        return ""
    try:
        when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if when.tzinfo is not None:
        when = when.astimezone(zone)
    return when.strftime("%Y-%m-%d %H:%M")


def _qty(value: object) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationError(N_("quantity must be a whole number, got {value!r}"), value=value) from None


def _test_page(sheet: Sheet, data: dict[str, Any], *, shop_name: str, zone: ZoneInfo) -> None:
    sheet.text(sheet.clean(shop_name), align="center", bold=True, size=2)
    sheet.text("打印测试 / Printer test", align="center")
    sheet.rule("=")
    sheet.text(TEST_CHINESE)
    sheet.text(f"{sheet.width_mm}mm 纸: 每行{sheet.columns}字母/{sheet.columns // 2}汉字")
    digits = "1234567890" * (sheet.columns // 10 + 1)
    sheet.emit(digits[:sheet.columns])
    hanzi = "一二三四五六七八九十" * (sheet.columns // 20 + 1)
    sheet.emit(hanzi[:sheet.columns // 2])
    if data.get("printer"):
        sheet.field("打印机：", sheet.clean(data["printer"]))
    if data.get("requested_by"):
        sheet.field("操作人：", sheet.clean(data["requested_by"]))
    if data.get("at"):
        sheet.field("时间：", _local_time(data["at"], zone))
    sheet.rule()
    sheet.text("条码 CODE128:", align="center")
    sheet.barcode(TEST_BARCODE)
    sheet.text("二维码 QR:", align="center")
    sheet.qr(TEST_BARCODE)


def _pick_list(sheet: Sheet, data: dict[str, Any], *, shop_name: str, zone: ZoneInfo) -> None:
    lines = data.get("lines") or []
    orders = data.get("orders") or []
    sheet.text("拣货单", align="center", bold=True, size=2)
    sheet.text(sheet.clean(shop_name), align="center")
    sheet.field("波次：", sheet.clean(data.get("wave")))
    if data.get("warehouse"):
        sheet.field("仓库：", sheet.clean(data["warehouse"]))
    if data.get("created_at"):
        sheet.field("时间：", _local_time(data["created_at"], zone))
    total = sum(_qty(line.get("qty")) for line in lines)
    sheet.field("合计：", f"{len(orders)} 单 {len(lines)} 种 {total} 件")
    sheet.rule()
    if sheet.width_mm == 80:
        widths, aligns = (9, 12, 20, 4), "lllr"
        sheet.row(("库位", "SKU", "品名/规格", "数量"), widths, aligns)
        sheet.rule()
        for line in lines:
            name = f"{sheet.clean(line.get('name'))} {sheet.clean(line.get('spec'))}".strip()
            sheet.row((sheet.clean(line.get("bin")) or "-", sheet.clean(line.get("sku")), name,
                       str(_qty(line.get("qty")))), widths, aligns)
    else:  # 58 mm: bin, SKU and quantity on one line, the name under them
        widths, aligns = (9, 17, 4), "llr"
        sheet.row(("库位", "SKU", "数量"), widths, aligns)
        sheet.rule()
        for line in lines:
            sheet.row((sheet.clean(line.get("bin")) or "-", sheet.clean(line.get("sku")),
                       str(_qty(line.get("qty")))), widths, aligns)
            name = f"{sheet.clean(line.get('name'))} {sheet.clean(line.get('spec'))}".strip()
            if name:
                sheet.row(("", name), (2, sheet.columns - 3))
    sheet.rule()
    for number, order in enumerate(orders, 1):
        ref = sheet.clean(order.get("ref"))
        sheet.row((f"{number}/{len(orders)}", sheet.clean(order.get("receiver")),
                   f"{_qty(order.get('items', 0))}件"), (7, sheet.columns - 15, 6), "llr")
        sheet.barcode(ref)


def _packing_slip(sheet: Sheet, data: dict[str, Any], *, shop_name: str, zone: ZoneInfo) -> None:
    items = data.get("items") or []
    order = sheet.clean(data.get("order"))
    sheet.text(sheet.clean(shop_name), align="center", bold=True)
    sheet.text("发货单", align="center", bold=True, size=2)
    sheet.field("订单号：", order)
    platform = str(data.get("platform") or "")
    shop = sheet.clean(data.get("shop"))
    sheet.field("平台：", " ".join(part for part in (sheet.clean(PLATFORM_NAMES.get(platform, platform)),
                                                       shop) if part))
    sheet.rule()
    qty_width = 5
    widths = (sheet.columns - qty_width - 1, qty_width)
    sheet.row(("商品", "数量"), widths, "lr")
    sheet.rule()
    for item in items:
        name = " ".join(part for part in (sheet.clean(item.get("name")), sheet.clean(item.get("spec"))) if part)
        sku = sheet.clean(item.get("sku"))
        sheet.row((f"{name} ({sku})" if sku else name, str(_qty(item.get("qty")))), widths, "lr")
    sheet.rule()
    sheet.field("合计：", f"{sum(_qty(item.get('qty')) for item in items)} 件")
    sheet.field("收件人：", " ".join(part for part in (sheet.clean(data.get("receiver_name")),
                                                        mask_phone(data.get("receiver_phone"))) if part))
    sheet.field("地址：", sheet.clean(data.get("address")))
    if data.get("remark"):
        sheet.field("买家留言：", sheet.clean(data["remark"]))
    sheet.rule()
    if order:
        sheet.qr(order)
        sheet.text(order, align="center")


def _return_slip(sheet: Sheet, data: dict[str, Any], *, shop_name: str, zone: ZoneInfo) -> None:
    lines = data.get("lines") or []
    sheet.text(sheet.clean(shop_name), align="center", bold=True)
    sheet.text("退货单", align="center", bold=True, size=2)
    sheet.field("退货单号：", sheet.clean(data.get("return_id")))
    sheet.field("订单号：", sheet.clean(data.get("order")))
    if data.get("reason"):
        sheet.field("原因：", sheet.clean(data["reason"]))
    sheet.rule()
    widths = (sheet.columns - 15, 5, 8)
    sheet.row(("商品", "数量", "状态"), widths, "lrl")
    sheet.rule()
    for line in lines:
        name = " ".join(part for part in (sheet.clean(line.get("sku")), sheet.clean(line.get("name"))) if part)
        condition = str(line.get("condition") or "")
        sheet.row((name, str(_qty(line.get("qty"))), sheet.clean(CONDITION_NAMES.get(condition, condition))),
                  widths, "lrl")
    sheet.rule()
    sheet.field("退款金额：", f"{yuan(int(data.get('refund_fen') or 0))} 元")


Renderer = Callable[..., None]
RENDERERS: dict[str, Renderer] = {
    "test_page": _test_page,
    "pick_list": _pick_list,
    "packing_slip": _packing_slip,
    "return_slip": _return_slip,
}

_REQUIRED: dict[str, tuple[tuple[str, type], ...]] = {
    "test_page": (),
    "pick_list": (("wave", str), ("lines", list)),
    "packing_slip": (("order", str), ("items", list)),
    "return_slip": (("order", str), ("lines", list)),
    "waybill_label": (("waybill", str), ("image", str)),
}
_ROWS = {"pick_list": ("lines", "orders"), "packing_slip": ("items",), "return_slip": ("lines",)}


def validate(document: str, data: object) -> None:
    """Raise ValidationError when ``document`` is unknown or ``data`` lacks what it needs."""
    if document not in _REQUIRED:
        raise ValidationError(N_("unknown document {document!r}: use one of {documents}"), document=document,
                              documents=", ".join(DOCUMENTS))
    if not isinstance(data, dict):
        raise ValidationError(N_("{document} data must be a JSON object"), document=document)
    for key, kind in _REQUIRED[document]:
        if not isinstance(data.get(key), kind):
            raise ValidationError(N_("{document} data needs {key!r} ({kind})"), document=document, key=key,
                                  kind="list" if kind is list else "text")
    for key in _ROWS.get(document, ()):
        rows = data.get(key) or []
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise ValidationError(N_("{document} data: {key!r} must be a list of objects"), document=document, key=key)
        for row in rows:
            if key == "orders":
                if not str(row.get("ref") or "").strip():
                    raise ValidationError(N_("pick_list data: every order needs its 'ref' (platform order id)"))
                _qty(row.get("items", 0))
            else:
                _qty(row.get("qty"))
    if document == "return_slip":
        try:
            int(data.get("refund_fen") or 0)
        except (TypeError, ValueError):
            raise ValidationError(N_("return_slip data: 'refund_fen' must be whole fen")) from None


def render(printer: Escpos, document: str, data: dict[str, Any], *, width_mm: int, shop_name: str,
           encoding: str = "gb18030", timezone: str | None = None) -> None:
    """Write ``document`` to ``printer``: ESC @, the content, a cut. Times show in ``timezone``."""
    validate(document, data)
    if document == "waybill_label":
        printer._raw(labels.render_label(data["image"]))
        return
    sheet = Sheet(printer, width_mm=width_mm, encoding=encoding)
    sheet.start()
    RENDERERS[document](sheet, data, shop_name=shop_name, zone=_zone(timezone))
    sheet.cut()


def render_bytes(document: str, data: dict[str, Any], *, width_mm: int, shop_name: str,
                 encoding: str = "gb18030", timezone: str | None = None, language: str = "escpos",
                 label_size: str = "76x130", dots_per_mm: int = 8) -> bytes:
    """The bytes of ``document``: ESC/POS rendered into a python-escpos Dummy; a waybill label as a raster in
    the printer's ``language`` (escpos or tspl) on its ``label_size`` stock."""
    if document == "waybill_label":
        validate(document, data)
        return labels.render_label(data["image"], language=language, label_size=label_size,
                                   dots_per_mm=dots_per_mm)
    if language != "escpos":
        raise ValidationError(N_("a {language} printer prints waybill labels only, not {document}"),
                              language=language, document=document)
    printer = Dummy()
    render(printer, document, data, width_mm=width_mm, shop_name=shop_name, encoding=encoding, timezone=timezone)
    return printer.output
