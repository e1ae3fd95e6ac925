"""Pick the adapter for a shop by ``ShopConfig.platform``."""

from __future__ import annotations

from typing import Any

from ..config import ShopConfig
from ..errors import ConfigError
from .base import PlatformClient
from .jd import JdClient
from .pdd import PddClient
from .taobao import TaobaoClient

CLIENTS: dict[str, type[PlatformClient]] = {
    "taobao": TaobaoClient,
    "jd": JdClient,
    "pdd": PddClient,
}


def register(platform: str, cls: type[PlatformClient]) -> None:
    CLIENTS[platform] = cls


def client_class(platform: str) -> type[PlatformClient]:
    try:
        return CLIENTS[platform]
    except KeyError:
        raise ConfigError(f"no adapter for platform {platform!r} (known: {', '.join(sorted(CLIENTS))})") from None


def client_for(shop: ShopConfig, **kwargs: Any) -> PlatformClient:
    """A client for ``shop``; keyword arguments go to the client (http, retry, page_size, clock...)."""
    return client_class(shop.platform)(shop, **kwargs)
