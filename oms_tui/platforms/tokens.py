"""Where an adapter's session / access_token comes from: the shop's config, or the database.

`oms shop authorize` stores a shop's tokens in the database and the scheduler refreshes them
(services/intake/shop_auth.py); ``DatabaseToken`` hands the adapter the stored one, and the config's
``session`` only while none is stored (shops set up before authorization moved to the database). When the
platform refuses a token, the source is told, so the shop's authorization shows it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import Engine

from oms_tui.config import ShopConfig
from oms_tui.services.intake import shop_auth


class TokenSource(Protocol):
    def current(self) -> str:
        """The token to send now ('' for none); may be a moment old."""

    def fresh(self) -> str:
        """The token to send, read again now."""

    def refused(self, token: str) -> None:
        """The platform refused ``token`` (expired, revoked)."""


class ConfigToken:
    """The shop's configured ``session`` (Taobao session key, JD / Pinduoduo access_token)."""

    def __init__(self, shop: ShopConfig) -> None:
        self.shop = shop

    def current(self) -> str:
        return self.shop.session.get_secret_value()

    def fresh(self) -> str:
        return self.current()

    def refused(self, token: str) -> None:
        pass


class DatabaseToken:
    """The token `oms shop authorize` stored for the shop, else the configured one. Read again at most every
    ``max_age`` seconds, so a token the scheduler refreshed is picked up within a sync run."""

    def __init__(self, engine: Engine, shop: ShopConfig, *, max_age: float = 5.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self.shop = shop
        self.max_age = max_age
        self.monotonic = monotonic
        self._token = ""
        self._read_at: float | None = None

    def current(self) -> str:
        if self._read_at is None or self.monotonic() - self._read_at >= self.max_age:
            return self.fresh()
        return self._token

    def fresh(self) -> str:
        stored = shop_auth.stored_access_token(self.engine, self.shop.name)
        self._token = stored or self.shop.session.get_secret_value()
        self._read_at = self.monotonic()
        return self._token

    def refused(self, token: str) -> None:
        shop_auth.record_refused(self.engine, self.shop.name, self.shop.platform, token)
