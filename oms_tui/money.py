"""Money is integer fen; this is the one place it becomes text, and the one strict parser of yuan amounts."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


class InvalidAmount(ValueError):
    """An amount that is not a whole, non-negative number of fen; the message names the field."""


def yuan(fen: int | None, *, symbol: str = "¥", thousands: bool = True) -> str:
    """Integer fen as yuan with two decimals ("¥1,299.00"), never through float; None → ""."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{symbol}{whole:,}.{cents:02d}" if thousands else f"{sign}{symbol}{whole}.{cents:02d}"


def yuan_to_fen(value: Any, *, field: str = "amount") -> int:
    """Yuan as a string / int / float / Decimal → integer fen, exactly."""
    if value is None or isinstance(value, bool):
        raise InvalidAmount(f"{field} is not a number: {value!r}")
    if isinstance(value, float):
        text = repr(value)
    elif isinstance(value, (int, Decimal)):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()  # no thousands separators: "12,3" must not become 123
    else:
        raise InvalidAmount(f"{field} is not a number: {value!r}")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise InvalidAmount(f"{field} is not a number: {value!r}") from None
    if not amount.is_finite():
        raise InvalidAmount(f"{field} is not a number: {value!r}")
    if amount < 0:
        raise InvalidAmount(f"{field} is negative: {value!r}")
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise InvalidAmount(f"{field} is not a whole number of fen: {value!r}")
    return int(fen)
