"""Platform adapters (Taobao/Tmall, JD, Pinduoduo): order intake and ship notices over HTTP.

Only this package speaks HTTP to the platforms. ``client_for(shop)`` picks the adapter;
``fetch_changed(start, end)`` yields ``NormalizedOrder`` or ``MalformedRecord``; ``ship(...)``
sends the ship notice. ``simulator`` serves all three platforms on loopback.
"""

from oms_tui.platforms.base import (
    FetchResult,
    MalformedRecord,
    PlatformClient,
    RetryPolicy,
    split_window,
)
from oms_tui.platforms.errors import (
    PlatformAuthError,
    PlatformClockError,
    PlatformError,
    PlatformPermissionError,
    PlatformRateLimited,
    PlatformResponseError,
    PlatformSignatureError,
    PlatformUnavailable,
)
from oms_tui.platforms.jd import JdClient
from oms_tui.platforms.pdd import PddClient
from oms_tui.platforms.registry import CLIENTS, client_class, client_for, register
from oms_tui.platforms.taobao import TaobaoClient

__all__ = [
    "CLIENTS",
    "FetchResult",
    "JdClient",
    "MalformedRecord",
    "PddClient",
    "PlatformAuthError",
    "PlatformClient",
    "PlatformClockError",
    "PlatformError",
    "PlatformPermissionError",
    "PlatformRateLimited",
    "PlatformResponseError",
    "PlatformSignatureError",
    "PlatformUnavailable",
    "RetryPolicy",
    "TaobaoClient",
    "client_class",
    "client_for",
    "register",
    "split_window",
]
