"""Receiver data a platform withholds: its ciphertexts and opaque receiver ids, kept as one opaque value.

Platforms send the real name, phone and address encrypted (JD's TDE, Pinduoduo) or behind an opaque receiver
id (Taobao's and JD's ``oaid``), with masked copies beside them. The masked copies (or what the shop's
decrypt hook gave back) are what people see and what customers are matched on; the ciphertexts and ids are
kept together, as one small JSON object in ``Order.receiver_opaque``, for the one thing that needs them: a
waybill request, which the platform's own waybill service decrypts. Nothing shows it, nothing compares it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from oms_tui.services.customers.normalize import looks_encrypted

# The parts a platform may withhold, by our names (each adapter maps its own field names onto these).
PARTS = ("oaid", "name", "mobile", "telephone", "address")
PHONE_PARTS = ("mobile", "telephone")


def seal(**parts: str | None) -> str:
    """The withheld parts as the stored opaque value (compact JSON of the non-empty ones; "" when none)."""
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise ValueError(f"not a withheld receiver part: {', '.join(sorted(unknown))}")
    kept = {name: str(parts[name]).strip() for name in PARTS if parts.get(name) and str(parts[name]).strip()}
    return json.dumps(kept, ensure_ascii=False, separators=(",", ":")) if kept else ""


def unseal(stored: str | None) -> dict[str, str]:
    """The withheld parts of a stored opaque value (empty for "" or anything unreadable)."""
    if not stored:
        return {}
    try:
        data = json.loads(stored)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {name: str(data[name]) for name in PARTS if isinstance(data.get(name), str) and data[name]}


def phone_withheld(stored: str | None) -> bool:
    """Whether the platform holds the receiver's phone behind ciphertext (it can still deliver)."""
    parts = unseal(stored)
    return any(parts.get(name) for name in PHONE_PARTS)


@dataclass(frozen=True)
class WaybillReceiver:
    """What an e-waybill request gets for the receiver: plain values where we have them, else the platform's
    ciphertext (its waybill service decrypts), and the opaque receiver id where the platform gave one."""

    name: str
    phone: str
    address: str
    oaid: str = ""

    @property
    def withheld(self) -> bool:
        """True when the waybill service must decrypt something (a ciphertext or an oaid is in it)."""
        return bool(self.oaid) or any(_is_ciphertext(v) for v in (self.name, self.phone, self.address))


def _is_ciphertext(value: str) -> bool:
    return looks_encrypted(value)


def _shown_is_plain(value: str) -> bool:
    """A shown receiver value that is the real one (not a mask, not empty)."""
    return bool(value) and "*" not in value and not _is_ciphertext(value)


def waybill_receiver(order: Any) -> WaybillReceiver:
    """The receiver a waybill request for ``order`` (an Order) carries: the shown value when it is the real one
    (the shop decrypted it, or the platform sent it plain), otherwise the platform's ciphertext."""
    parts = unseal(getattr(order, "receiver_opaque", ""))

    def pick(shown: str, *withheld: str) -> str:
        if _shown_is_plain(shown):
            return shown
        return next((parts[name] for name in withheld if parts.get(name)), shown)

    return WaybillReceiver(name=pick(order.receiver_name or "", "name"),
                           phone=pick(order.receiver_phone or "", "mobile", "telephone"),
                           address=pick(order.receiver_address or "", "address"),
                           oaid=parts.get("oaid", ""))
