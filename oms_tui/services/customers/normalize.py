"""What a receiver field holds: mobile numbers, provinces, address keys, masked or encrypted phones."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from enum import StrEnum

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "特别行政区", "省", "市")


def normalize_mobile(raw: str | None) -> str | None:
    """An 11-digit mainland mobile number from '+86 138-0013-8000' and the like; None if masked or not one."""
    if not raw:
        return None
    digits = re.sub(r"[\s\-()]", "", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if _MOBILE.match(digits) else None


def normalize_province(name: str) -> str:
    """'浙江省' and '浙江' compare equal; so do '上海市' and '上海'."""
    name = (name or "").strip()
    for suffix in _PROVINCE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def address_key(province: str, city: str, district: str, address: str) -> str:
    """A comparable key for one delivery address: suffix-free province, no spaces or punctuation."""
    detail = re.sub(r"[\s,，.。#\-]", "", address or "")
    return "|".join([normalize_province(province), (city or "").strip(), (district or "").strip(), detail])[:200]


# --- receiver data as the platforms hand it: full, masked or encrypted -----------------------------
#
# Platforms now mask receiver data (Taobao/JD ``138****5678``, ``张**``; PDD ``1*********5``,
# ``林*坤``) or encrypt it (PDD ``~AgAAAA…~0~~``). A masked phone narrows a person down but never
# identifies one: only together with the address key (and the name mask, when both sides have a
# name) do two masked receivers count as the same customer, and every match says what it rests on.

class PhoneKind(StrEnum):
    MOBILE = "mobile"  # a full mainland mobile number
    MASKED = "masked"  # digits and '*': 138****5678, 1*********5, 0571-****6666
    LANDLINE = "landline"  # area code + number (+ extension), or a 400/800 service number
    ENCRYPTED = "encrypted"  # platform ciphertext: present, but nothing to compare
    MISSING = "missing"
    INVALID = "invalid"


@dataclass(frozen=True)
class PhoneInfo:
    kind: PhoneKind
    value: str  # the normalized mobile, the mask pattern, the landline digits, or the text as given

    @property
    def usable(self) -> bool:
        """Good enough to deliver to (or the platform has the real one behind the mask/cipher)."""
        return self.kind not in (PhoneKind.MISSING, PhoneKind.INVALID)

    @property
    def mobile_pattern(self) -> str | None:
        """11 characters of digits and '*' for a mobile or a masked mobile; None otherwise."""
        if self.kind in (PhoneKind.MOBILE, PhoneKind.MASKED) and len(self.value) == 11 and self.value[0] == "1":
            return self.value
        return None


_SPACES_PARENS = re.compile(r"[\s()（）]")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(?:[-#转]\d{1,6})?$")
_SERVICE_NUMBER = re.compile(r"^[48]00-?\d{3}-?\d{4}$")


def looks_encrypted(value: str) -> bool:
    """Platform ciphertext: present, but never shown or compared as a name, phone or address.

    PDD's shapes (``~AgAAAA…~0~~``, ``$Y/YK…$0$$``), and JD's TDE ciphertext, recognised as JD's TDE SDK
    recognises it (``looks_like_jd_tde``). The one test for it: adapters and services both use this.
    """
    if not value:
        return False
    return (len(value) > 4 and value[0] in "~$#" and value[-1] == value[0]) or looks_like_jd_tde(value)


def plain_text(value: str | None) -> str:
    """``value`` as given, or "" when it is platform ciphertext: what may be shown, stored on a customer or compared."""
    value = value or ""
    return "" if looks_encrypted(value.strip()) else value


# JD TDE ciphertext: base64 of [cipher type][...key id...][IV + AES data]. JD's TDE client (``TDEClient.
# isEncryptData``) decides "encrypted" from the shape alone, without a key: the text is base64, the first
# byte is a cipher type it knows (0 weak, 1 regular, 2 large), and a key id can be read after it — for a
# weak cipher one more byte (the algorithm) and 16 bytes of key id; for the others a 2-byte big-endian key
# id length and that many bytes. We reproduce that recognition, not the cryptography.
_BASE64 = re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)$")
TDE_WEAK, TDE_REGULAR, TDE_LARGE = 0, 1, 2
TDE_WEAK_KEY_ID_BYTES = 16


def looks_like_jd_tde(value: str) -> bool:
    """Whether ``value`` has the shape JD's TDE SDK takes for its ciphertext (see above)."""
    text = (value or "").strip()
    if len(text) < 8 or not _BASE64.match(text):
        return False
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    kind = raw[0]
    if kind == TDE_WEAK:
        return len(raw) - 2 >= TDE_WEAK_KEY_ID_BYTES
    if kind in (TDE_REGULAR, TDE_LARGE):
        if len(raw) < 3:
            return False
        key_id_length = int.from_bytes(raw[1:3], "big", signed=True)
        return 0 < key_id_length <= len(raw) - 3
    return False


def classify_phone(raw: str | None) -> PhoneInfo:
    """What a receiver phone field holds: a mobile, a masked number, a landline, ciphertext, or junk."""
    text = (raw or "").strip()
    if not text:
        return PhoneInfo(PhoneKind.MISSING, "")
    if looks_encrypted(text):
        return PhoneInfo(PhoneKind.ENCRYPTED, text)
    mobile = normalize_mobile(text)
    if mobile:
        return PhoneInfo(PhoneKind.MOBILE, mobile)
    compact = _SPACES_PARENS.sub("", text).replace("＊", "*")
    if compact.startswith("+86"):
        compact = compact[3:]
    if "*" in compact:
        bare = compact.replace("-", "")
        if bare.startswith("86") and len(bare) == 13:
            bare = bare[2:]
        digits = sum(ch.isdigit() for ch in bare)
        if re.fullmatch(r"[\d*]+", bare) and digits >= 2 and 7 <= len(bare) <= 13:
            return PhoneInfo(PhoneKind.MASKED, bare)
        return PhoneInfo(PhoneKind.INVALID, text)
    if _LANDLINE.match(compact) or _SERVICE_NUMBER.match(compact):
        return PhoneInfo(PhoneKind.LANDLINE, re.sub(r"\D", "", compact))
    return PhoneInfo(PhoneKind.INVALID, text)
