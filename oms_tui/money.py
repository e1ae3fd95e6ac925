"""Money is integer fen; this is the one place it becomes text."""

from __future__ import annotations


def yuan(fen: int | None, *, symbol: str = "¥", thousands: bool = True) -> str:
    """Integer fen as yuan with two decimals ("¥1,299.00"), never through float; None → ""."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{symbol}{whole:,}.{cents:02d}" if thousands else f"{sign}{symbol}{whole}.{cents:02d}"
