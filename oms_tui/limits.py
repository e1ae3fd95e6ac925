"""The bounds on the numbers and days the shop takes in, in one place.

Services refuse a value outside them (``require_quantity``, ``require_fen``), the CLI's options carry
them (typer ``min=``/``max=``), and CHECK constraints in the schema (models.py, migration 0007) back
them on both databases. More than ``MAX_QUANTITY`` units of one SKU, or an amount above ``MAX_FEN``,
is a slip of the finger or a corrupt payload, never a real order: refusing it at the door keeps every
stored value, and every sum or product of two of them, inside a signed 64-bit column (SQLite turns an
overflowing integer into a float, after which the ledger no longer balances).

This module imports nothing heavy: the CLI reads the bounds while it builds ``oms --help``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from oms_tui.errors import ValidationError
from oms_tui.i18n import N_

MAX_QUANTITY = 1_000_000_000
"""Units of one SKU in a stock bucket, an order line, a move, a reservation or a return line."""

MAX_FEN = 1_000_000_000
"""Ten million yuan: one price, order amount or refund. A line's qty × price stays below 2**63."""

MAX_ID = 2**31 - 1
"""Our row ids are INTEGER keys (32 bits on PostgreSQL); a longer number names no row of ours."""

INT64_MAX = 2**63 - 1
"""The largest number any column of ours can hold; options that are not ids or quantities stop here."""

EARLIEST_DAY = date(1970, 1, 1)
"""No order, move or job of the shop is older; a day typed before it is a typing error."""

LATEST_DAY = date(9999, 12, 30)
"""The last day whose start is still a valid UTC instant in every time zone."""


class OutOfBounds(ValidationError):
    """A number outside its bounds. ``what`` names it with a msgid, translated with the template."""

    translated_params = ("what",)


def _whole(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise OutOfBounds(N_("{what} must be a whole number, got {value!r}"), what=what, value=value)
    return value


def require_quantity(value: Any, what: str = N_("quantity"), *, allow_zero: bool = False) -> int:
    """``value`` if it is a whole number of units from 1 (or 0) to MAX_QUANTITY; else OutOfBounds."""
    value = _whole(value, what)
    if value < 0 or (value == 0 and not allow_zero):
        template = N_("{what} must be zero or more, got {value}") if allow_zero else N_(
            "{what} must be positive, got {value}")
        raise OutOfBounds(template, what=what, value=value)
    if value > MAX_QUANTITY:
        raise OutOfBounds(N_("{what} must be at most {limit} units, got {value}"), what=what, value=value,
                          limit=MAX_QUANTITY)
    return value


def require_delta(value: Any, what: str = N_("adjustment")) -> int:
    """A change of a quantity: a whole number of units, at most MAX_QUANTITY either way."""
    value = _whole(value, what)
    if abs(value) > MAX_QUANTITY:
        raise OutOfBounds(N_("{what} must be at most {limit} units either way, got {value}"), what=what,
                          value=value, limit=MAX_QUANTITY)
    return value


def require_fen(value: Any, what: str = N_("amount")) -> int:
    """``value`` if it is a whole number of fen from 0 to MAX_FEN; else OutOfBounds."""
    value = _whole(value, what)
    if value < 0:
        raise OutOfBounds(N_("{what} must be zero or more fen, got {value}"), what=what, value=value)
    if value > MAX_FEN:
        raise OutOfBounds(N_("{what} must be at most {limit} fen, got {value}"), what=what, value=value,
                          limit=MAX_FEN)
    return value


def require_day(day: date, what: str = N_("date")) -> date:
    """``day`` if it lies between EARLIEST_DAY and LATEST_DAY; else OutOfBounds."""
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise OutOfBounds(N_("{what} must be between {earliest} and {latest}, got {value}"), what=what,
                          value=day.isoformat(), earliest=EARLIEST_DAY.isoformat(), latest=LATEST_DAY.isoformat())
    return day
