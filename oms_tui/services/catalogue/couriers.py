"""Couriers: Kuaidi100 codes, display names and the rules a waybill number must meet.

Everything the system knows about a courier's waybill lives in ``COURIERS`` (one row per courier:
shape, check digit) and in ``validate_waybill``, which the pack station (and whatever else takes a
waybill) asks. The shapes come from PROTOCOLS.md (Kuaidi100 section). Those
marked ``approximate`` are our best reading (JD and Deppon codes are unconfirmed there, their waybill
shapes are not given at all); they live here, in one table, so they are easy to correct.

A product barcode is never a waybill: ZTO, Yunda and STO waybills are plain digits, so an EAN-13
off a box fits their shape; ``is_product_barcode`` refuses what looks like one (PROTOCOLS.md, "Data
the platforms hand us"). A waybill issued to the parcel in advance (an e-waybill) is the one
exception: when the station expects it, exactly that number is accepted, whatever it looks like.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from oms_tui.errors import ValidationError
from oms_tui.i18n import N_, _


class WaybillRefused(ValidationError):
    """A scanned or typed waybill that cannot be this parcel's; the courier and shape are msgids."""

    translated_params = ("courier", "shape")


def ean_check_digit_ok(digits: str) -> bool:
    """EAN-13 / EAN-8: the last digit is the mod-10 check of the others, weighted 3 and 1 from the right."""
    if not digits.isdigit() or len(digits) not in (8, 13):
        return False
    body = [int(d) for d in digits[:-1]]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == int(digits[-1])


# GS1 prefixes of the goods these shops sell and the books they never ship as waybills: China (690–699)
# and ISBN (978/979, "Bookland").
_DOMESTIC_PRODUCT_PREFIXES = tuple(str(p) for p in range(690, 700)) + ("978", "979")


def is_product_barcode(code: str, courier: str | None = None) -> bool:
    """An EAN-13 or EAN-8 (valid check digit: a scanner never reads one without): a product, not a waybill.

    About one plain-digit waybill in ten also ends in a valid EAN check digit, so for a courier whose
    waybills are 13 plain digits (ZTO, Yunda, STO, EMS) only a Chinese or ISBN prefix marks a product:
    refusing every valid EAN-13 would stop a tenth of those parcels at the station. Our own products'
    barcodes are refused before this by the SKU lookup, whatever their prefix. ``courier`` None: the
    careful reading (the parcel's courier is not known yet).
    """
    text = normalize_waybill(code)
    if not text.isdigit() or not ean_check_digit_ok(text):
        return False
    if len(text) == 8:
        return True
    takes_13_digits = courier is None or (courier in COURIERS and COURIERS[courier].pattern.fullmatch(text))
    return not takes_13_digits or text.startswith(_DOMESTIC_PRODUCT_PREFIXES)


def _s10_check_digit_ok(waybill: str) -> bool:
    """UPU S10 (EMS: 2 letters, 8 digits, a check digit, CN): weights 8 6 4 2 3 5 9 7, mod 11.

    Only the lettered form carries one; EMS's plain-digit numbers have no documented check digit.
    """
    if not waybill[:2].isalpha():
        return True
    digits = [int(d) for d in waybill[2:11]]
    check = 11 - sum(d * w for d, w in zip(digits[:8], (8, 6, 4, 2, 3, 5, 9, 7))) % 11
    return digits[8] == {10: 0, 11: 5}.get(check, check)


@dataclass(frozen=True)
class Courier:
    code: str  # Kuaidi100 `com`
    name: str  # N_() msgid: "SF Express" (顺丰速运 in Chinese); shown through display_name
    pattern: re.Pattern[str]
    shape: str  # N_() msgid: the pattern in words, for error messages
    approximate: bool = False  # shape (or code) not confirmed: accept, but do not rely on it to guess
    check_digit: Callable[[str], bool] | None = None  # where the courier's numbers carry one


def _c(code: str, name: str, regex: str, shape: str, approximate: bool = False,
       check_digit: Callable[[str], bool] | None = None) -> Courier:
    return Courier(code, name, re.compile(regex), shape, approximate, check_digit)


COURIERS: dict[str, Courier] = {c.code: c for c in (
    _c("shunfeng", N_("SF Express"), r"SF\d{12,13}", N_("SF + 12–13 digits")),
    _c("zhongtong", N_("ZTO Express"), r"\d{12,15}", N_("12–15 digits")),
    _c("yuantong", N_("YTO Express"), r"YT\d{13}", N_("YT + 13 digits")),
    _c("yunda", N_("Yunda Express"), r"\d{12,15}", N_("12–15 digits")),
    _c("shentong", N_("STO Express"), r"\d{12,15}", N_("12–15 digits")),
    _c("jtexpress", N_("J&T Express"), r"JT\d{13}", N_("JT + 13 digits")),
    _c("ems", N_("China Post EMS"), r"[A-Z]{2}\d{9}CN|\d{13}", N_("2 letters + 9 digits + CN, or 13 digits"),
       approximate=True, check_digit=_s10_check_digit_ok),
    # Not in PROTOCOLS.md: JD's are commonly JD + letters/digits (JDVA…, JDX…), Deppon's DPK + digits
    # or plain digits.
    _c("jd", N_("JD Logistics"), r"JD[A-Z0-9]{11,16}", N_("JD + 11–16 letters or digits"), approximate=True),
    _c("debangkuaidi", N_("Deppon Express"), r"DPK\d{9,13}|\d{8,12}", N_("DPK + digits, or 8–12 digits"),
       approximate=True),
)}

_NOISE = re.compile(r"[\s\-]")


def get_courier(code: str) -> Courier:
    courier = COURIERS.get((code or "").strip().lower())
    if courier is None:
        raise ValidationError(N_("unknown courier {code!r}; one of: {couriers}"), code=code,
                              couriers=", ".join(COURIERS))
    return courier


def display_name(code: str | None) -> str:
    """The courier as people call it, in the current language (顺丰速运 / SF Express); unknown codes as they are.

    Every screen, slip and CLI table that shows a courier uses this, so they all say the same.
    """
    if not code:
        return ""
    courier = COURIERS.get(code.strip().lower())
    return _(courier.name) if courier else code


def normalize_waybill(raw: str) -> str:
    """What a gun or a person typed, without spaces or dashes, letters in upper case."""
    return _NOISE.sub("", raw or "").upper()


def validate_waybill(courier: str | None, waybill: str, *, expected: str | None = None) -> str:
    """The normalized waybill if it can be ``courier``'s; otherwise a ``WaybillRefused`` saying why.

    ``expected``: the number already issued to the parcel (an e-waybill): only exactly that one passes.
    Otherwise a product barcode is refused, then the courier's shape and check digit are checked.
    ``courier`` None (nobody chose one) is refused once the number is known not to be a product's.
    The caller checks that no other parcel or order already carries it (that needs the database).
    """
    text = normalize_waybill(waybill)
    if not text:
        raise WaybillRefused(N_("a shipment needs a waybill number"))
    expected = normalize_waybill(expected or "")
    if expected and text != expected:
        raise WaybillRefused(N_("{waybill} is not this parcel's waybill: expected waybill {expected}"),
                             waybill=text, expected=expected)
    if not expected and is_product_barcode(text, courier):
        raise WaybillRefused(N_("{waybill}: this is a product barcode, not a waybill"), waybill=text)
    if courier is None:
        raise WaybillRefused(N_("No courier set for this parcel and {waybill} does not say which"), waybill=text)
    found = get_courier(courier)
    if expected:
        return text
    if not found.pattern.fullmatch(text):
        raise WaybillRefused(N_("{waybill} is not a {courier} ({code}) waybill: expected {shape}"), waybill=text,
                             courier=found.name, code=found.code, shape=found.shape)
    if found.check_digit is not None and not found.check_digit(text):
        raise WaybillRefused(N_("{waybill} is not a {courier} waybill: its check digit is wrong"), waybill=text,
                             courier=found.name)
    return text


def matching_couriers(waybill: str) -> list[str]:
    """Every courier whose waybill shape fits, in table order."""
    text = normalize_waybill(waybill)
    return [c.code for c in COURIERS.values() if text and c.pattern.fullmatch(text)]


def guess_courier(waybill: str) -> str | None:
    """The courier a waybill belongs to when its shape says so unambiguously (SF, YT, JT, JD…), else None.

    Plain digits fit ZTO, Yunda and STO alike, so they are never guessed; an approximate shape is
    trusted only when it has a letter prefix (EMS …CN, JD…, DPK…).
    """
    matches = matching_couriers(waybill)
    confirmed = [code for code in matches if not COURIERS[code].approximate]
    if len(confirmed) == 1:
        return confirmed[0]
    if not confirmed and len(matches) == 1 and not normalize_waybill(waybill).isdigit():
        return matches[0]
    return None
