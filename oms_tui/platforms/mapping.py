"""Shared helpers that turn platform payload values into NormalizedOrder values.

- Money: yuan (strings like ``"123.40"`` or JSON numbers like ``188.0``) → integer fen through
  ``Decimal`` — never float arithmetic. A float is converted through ``str()`` (its shortest
  repr), so ``19.9`` is exactly ``Decimal("19.9")``. Values with more than two decimals that are
  not whole fen, negative amounts, booleans and non-numbers are errors.
- Times: Beijing time strings (``YYYY-MM-DD HH:MM:SS``, UTC+8) → aware datetimes.
- Lines: the merchant's outer SKU code (a line without one gets ``UNMATCHED_PREFIX`` + the
  platform's own id, which never matches our catalogue) and the platform's item and SKU ids, which
  the SKU mapping (``services.catalogue.sku_mapping``) resolves first; a line nothing resolves gets
  a ``sku_unmapped`` hold instead of losing a paid order.

Each platform module holds its own constants (status maps, error codes, field lists) and its
``map_*`` function; this module holds what they share.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from oms_tui.i18n import N_
from oms_tui.money import InvalidAmount, yuan_to_fen  # noqa: F401 - re-exported: the adapters parse amounts by the same rule
from oms_tui.phrases import phrase
from oms_tui.services.orders.normalized import (
    NormalizedLine,
    NormalizedOrder,
    PlatformState,
)

# China has used a fixed UTC+8 without daylight saving since 1991.
BEIJING = timezone(timedelta(hours=8), "CST")

# A line without a merchant SKU code keeps the platform's own id behind this prefix.
UNMATCHED_PREFIX = "NO-OUTER-CODE:"

# Line refund status meaning "the refund went through" (Taobao's line refund_status).
REFUND_SUCCESS = "SUCCESS"


class MappingError(ValueError):
    """A record that cannot become a NormalizedOrder; the message is the reason shown to people."""


# --- money -----------------------------------------------------------------------------------

def optional_fen(record: Mapping[str, Any], key: str) -> int:
    """An optional money field: missing or empty is 0; present but not a number is an error."""
    value = record.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    return yuan_to_fen(value, field=key)


# --- times -----------------------------------------------------------------------------------

_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


def parse_beijing(value: Any, *, field: str = "time") -> datetime:
    """A Beijing time string (no zone) → aware datetime in UTC+8. Zoned ISO strings keep their zone."""
    if not isinstance(value, str) or not value.strip():
        raise MappingError(f"{field} is missing or not a time: {value!r}")
    text = value.strip()
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=BEIJING)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise MappingError(f"{field} is not a time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=BEIJING)


def optional_time(record: Mapping[str, Any], key: str) -> datetime | None:
    """An optional time: missing, empty or a placeholder year (``0001-01-01 …``, ``1970-…``) is None."""
    value = record.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    parsed = parse_beijing(value, field=key)
    return None if parsed.year <= 1970 else parsed


def format_beijing(moment: datetime) -> str:
    """An aware datetime → ``YYYY-MM-DD HH:MM:SS`` in Beijing time (what Taobao and JD expect)."""
    if moment.tzinfo is None:
        raise ValueError("times must carry their time zone")
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


# --- other fields ----------------------------------------------------------------------------

def text(record: Mapping[str, Any], key: str) -> str:
    """A string field as given ('' when missing); numbers become their decimal text."""
    value = record.get(key)
    if value is None:
        return ""
    return str(value).strip()


def first_text(record: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = text(record, key)
        if value:
            return value
    return ""


def order_id(value: Any, *, field: str) -> str:
    """A platform order id (number or string) → non-empty string; bool/float/empty are errors."""
    if value is None or isinstance(value, (bool, float)):
        raise MappingError(f"missing or bad {field}: {value!r}")
    result = str(value).strip()
    if not result:
        raise MappingError(f"missing {field}")
    return result


def quantity(value: Any, *, field: str) -> int:
    """A line quantity (int or digit string) → positive int."""
    if isinstance(value, bool):
        raise MappingError(f"{field} is not a quantity: {value!r}")
    if isinstance(value, int):
        qty = value
    elif isinstance(value, str) and value.strip().isdigit():
        qty = int(value.strip())
    elif isinstance(value, Decimal) and value == value.to_integral_value():
        qty = int(value)
    else:
        raise MappingError(f"{field} is not a quantity: {value!r}")
    if qty <= 0:
        raise MappingError(f"{field} must be positive: {value!r}")
    return qty


def sku_code(outer_codes: Iterable[Any], platform_ids: Iterable[Any]) -> str:
    """The first non-empty merchant code; else ``UNMATCHED_PREFIX`` + the platform's own id."""
    for code in outer_codes:
        if code is not None and str(code).strip():
            return str(code).strip()
    for pid in platform_ids:
        if pid is not None and str(pid).strip():
            return UNMATCHED_PREFIX + str(pid).strip()
    raise MappingError("a line has neither a merchant SKU code nor a platform SKU id")


def line_title(name: Any, spec: Any) -> str:
    name_s = "" if name is None else str(name).strip()
    spec_s = "" if spec is None else str(spec).strip()
    return f"{name_s} {spec_s}".strip() if spec_s else name_s


def as_list(value: Any, *, field: str) -> list[Any]:
    """A JSON array field; missing → []; anything else → error."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise MappingError(f"{field} is not a list")
    return value


def as_dict(value: Any, *, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MappingError(f"{field} is not an object")
    return value


def all_lines_refunded(refund_statuses: Iterable[str]) -> bool:
    statuses = [s for s in refund_statuses]
    return bool(statuses) and all(s == REFUND_SUCCESS for s in statuses)


def settle_state(state: PlatformState, line_refund_statuses: Iterable[str]) -> PlatformState:
    """A PAID order whose every line has refund_status SUCCESS is in fact CANCELLED."""
    if state == PlatformState.PAID and all_lines_refunded(line_refund_statuses):
        return PlatformState.CANCELLED
    return state


def platform_block(field: str, value: Any, meaning: str) -> str:
    """``NormalizedOrder.platform_block``: the field that forbids shipping and its value, as a stored phrase
    (``meaning`` is an ``N_()`` msgid, shown in the reader's language)."""
    return phrase(N_("the platform forbids shipping: {field} is {value} ({meaning})"), field=field, value=str(value),
                  meaning=meaning, translated=["meaning"])


def build_order(**fields: Any) -> NormalizedOrder:
    """NormalizedOrder(**fields), turning pydantic's validation error into a MappingError."""
    from pydantic import ValidationError as PydanticValidationError

    try:
        return NormalizedOrder(**fields)
    except PydanticValidationError as exc:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": str(exc)}
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise MappingError(f"invalid order ({where}: {first.get('msg')})") from None


def build_line(**fields: Any) -> NormalizedLine:
    from pydantic import ValidationError as PydanticValidationError

    try:
        return NormalizedLine(**fields)
    except PydanticValidationError as exc:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": str(exc)}
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise MappingError(f"invalid line ({where}: {first.get('msg')})") from None
