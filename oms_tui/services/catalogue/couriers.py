"""Couriers: Kuaidi100 codes, Chinese names and the shape of each courier's waybill number.

The shapes come from PROTOCOLS.md (Kuaidi100 section). Those marked ``approximate`` are our best
reading (JD and Deppon codes are unconfirmed there, their waybill shapes are not given at all);
they live here, in one table, so they are easy to correct.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oms_tui.errors import ValidationError
from oms_tui.i18n import N_


@dataclass(frozen=True)
class Courier:
    code: str  # Kuaidi100 `com`
    name: str  # what the warehouse calls it
    pattern: re.Pattern[str]
    shape: str  # the pattern in words, for error messages
    approximate: bool = False  # shape (or code) not confirmed: accept, but do not rely on it to guess


def _c(code: str, name: str, regex: str, shape: str, approximate: bool = False) -> Courier:
    return Courier(code, name, re.compile(regex), shape, approximate)


COURIERS: dict[str, Courier] = {c.code: c for c in (
    _c("shunfeng", "顺丰速运", r"SF\d{12,13}", "SF + 12–13 digits"),
    _c("zhongtong", "中通快递", r"\d{12,15}", "12–15 digits"),
    _c("yuantong", "圆通速递", r"YT\d{13}", "YT + 13 digits"),
    _c("yunda", "韵达快递", r"\d{12,15}", "12–15 digits"),
    _c("shentong", "申通快递", r"\d{12,15}", "12–15 digits"),
    _c("jtexpress", "极兔速递", r"JT\d{13}", "JT + 13 digits"),
    _c("ems", "EMS", r"[A-Z]{2}\d{9}CN|\d{13}", "2 letters + 9 digits + CN, or 13 digits", approximate=True),
    # Not in PROTOCOLS.md: JD's are commonly JD + letters/digits (JDVA…, JDX…), Deppon's DPK + digits
    # or plain digits.
    _c("jd", "京东物流", r"JD[A-Z0-9]{11,16}", "JD + 11–16 letters or digits", approximate=True),
    _c("debangkuaidi", "德邦快递", r"DPK\d{9,13}|\d{8,12}", "DPK + digits, or 8–12 digits", approximate=True),
)}

_NOISE = re.compile(r"[\s\-]")


def get_courier(code: str) -> Courier:
    courier = COURIERS.get((code or "").strip().lower())
    if courier is None:
        raise ValidationError(N_("unknown courier {code!r}; one of: {couriers}"), code=code,
                              couriers=", ".join(COURIERS))
    return courier


def normalize_waybill(raw: str) -> str:
    """What a gun or a person typed, without spaces or dashes, letters in upper case."""
    return _NOISE.sub("", raw or "").upper()


def validate_waybill(courier: str, waybill: str) -> str:
    """The normalized waybill if it has ``courier``'s shape; otherwise a ValidationError saying the shape."""
    found = get_courier(courier)
    text = normalize_waybill(waybill)
    if not text:
        raise ValidationError(N_("a shipment needs a waybill number"))
    if not found.pattern.fullmatch(text):
        raise ValidationError(N_("{waybill} is not a {courier} ({code}) waybill: expected {shape}"), waybill=text,
                              courier=found.name, code=found.code, shape=found.shape)
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
