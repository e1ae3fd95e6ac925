"""Pick the adapter for a shop by ``ShopConfig.platform``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from oms_tui.config import ShopConfig
from oms_tui.errors import ConfigError
from oms_tui.platforms.base import PlatformClient
from oms_tui.platforms.douyin import DouyinClient
from oms_tui.platforms.jd import JdClient
from oms_tui.platforms.pdd import PddClient
from oms_tui.platforms.taobao import TaobaoClient
from oms_tui.platforms.tokens import DatabaseToken

CLIENTS: dict[str, type[PlatformClient]] = {
    "taobao": TaobaoClient,
    "jd": JdClient,
    "pdd": PddClient,
    "douyin": DouyinClient,
}


def register(platform: str, cls: type[PlatformClient]) -> None:
    CLIENTS[platform] = cls


def client_class(platform: str) -> type[PlatformClient]:
    try:
        return CLIENTS[platform]
    except KeyError:
        raise ConfigError(f"no adapter for platform {platform!r} (known: {', '.join(sorted(CLIENTS))})") from None


def client_for(shop: ShopConfig, *, engine: Engine | None = None, **kwargs: Any) -> PlatformClient:
    """A client for ``shop``; keyword arguments go to the client (http, retry, page_size, clock...).

    With ``engine`` the client sends the token `oms shop authorize` stored for the shop (the configured
    ``session`` while none is stored), and a token the platform refuses shows on the shop's authorization."""
    if engine is not None and "tokens" not in kwargs:
        kwargs["tokens"] = DatabaseToken(engine, shop)
    return client_class(shop.platform)(shop, **kwargs)
