"""What the three simulated platforms' wire formats share, written from PROTOCOLS.md.

The simulator keeps its own copy of these facts rather than borrowing the adapters': a simulator
that signs and parses with the adapter's code agrees with the adapter's mistakes.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from oms_tui.money import yuan
from oms_tui.platforms.simulator.model import SimResponse

# The platforms speak Beijing time, a fixed UTC+8.
BEIJING = timezone(timedelta(hours=8), "CST")
BEIJING_FORMAT = "%Y-%m-%d %H:%M:%S"


def format_beijing(moment: datetime) -> str:
    """An aware datetime as the platforms write times: ``YYYY-MM-DD HH:MM:SS`` in UTC+8."""
    if moment.tzinfo is None:
        raise ValueError("times must carry their time zone")
    return moment.astimezone(BEIJING).strftime(BEIJING_FORMAT)


def parse_beijing(value: str) -> datetime | None:
    """A ``YYYY-MM-DD HH:MM:SS`` Beijing time from a request; None when it is not one."""
    try:
        return datetime.strptime(value.strip(), BEIJING_FORMAT).replace(tzinfo=BEIJING)
    except (ValueError, AttributeError):
        return None


# The last second a datetime can hold: an open-ended Unix time window (Douyin's default end) reaches this.
LATEST_UNIX_TIME = int(datetime(9999, 12, 31, tzinfo=timezone.utc).timestamp())


def unix_time(seconds: int) -> datetime:
    """A request's Unix seconds as an aware datetime, held to 1970 … 9999 (for the shops' order index)."""
    return datetime.fromtimestamp(min(max(seconds, 0), LATEST_UNIX_TIME), timezone.utc)


def to_int(value: Any, default: int | None) -> int | None:
    """A request's integer parameter: ``default`` when absent or empty, None when not an integer."""
    if value is None or value == "":
        return default
    try:
        return int(str(value))
    except ValueError:
        return None


def yuan_text(fen: int) -> str:
    """Taobao and JD send money as yuan strings with two decimals (``"123.40"``)."""
    return yuan(fen, symbol="", thousands=False)


def yuan_number(fen: int) -> float:
    """PDD sends money as JSON numbers (``188.0``)."""
    return float(Decimal(fen) / 100)


def string_to_sign(params: Mapping[str, str]) -> str:
    """S, the same on all three platforms: every parameter but ``sign``, sorted by name in byte
    order, as ``name1value1name2value2…``."""
    items = sorted(((k, v) for k, v in params.items() if k != "sign"), key=lambda kv: kv[0].encode("utf-8"))
    return "".join(k + v for k, v in items)


def md5_wrapped(secret: str, s: str) -> str:
    """``hex(MD5(secret + S + secret)).upper()``: Taobao md5, JD and PDD."""
    return hashlib.md5((secret + s + secret).encode("utf-8")).hexdigest().upper()


def sign_matches(received: str | None, expected: str) -> bool:
    """A request's ``sign`` against the one the simulator computed (hex, either case), in constant time."""
    if not received:
        return False
    # bytes, not str: compare_digest refuses a str with non-ASCII characters, and a client may send one
    return hmac.compare_digest(received.strip().upper().encode("utf-8"), expected.encode("utf-8"))


def redirect_with_code(redirect_uri: str, code: str, state: str) -> SimResponse:
    """The consent page's answer once the owner approved: back to ``redirect_uri`` with ``code`` and ``state``
    (the same on all three platforms)."""
    parts = urlsplit(redirect_uri)
    extra = urlencode({"code": code, **({"state": state} if state else {})})
    query = f"{parts.query}&{extra}" if parts.query else extra
    location = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
    return SimResponse(302, {"redirect": location}, {"Location": location})


def has_redirect_target(redirect_uri: str) -> bool:
    """A redirect_uri the consent page can send the owner back to (an absolute http(s) address)."""
    parts = urlsplit(redirect_uri or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def secret_matches(received: str | None, expected: str) -> bool:
    """A client secret sent in the clear (the OAuth token endpoints) against the app's, in constant time."""
    return bool(received) and hmac.compare_digest(received.encode("utf-8"), expected.encode("utf-8"))
