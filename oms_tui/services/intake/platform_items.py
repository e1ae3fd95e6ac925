"""Pulling a shop's items and SKUs from its platform (the scheduler's ``items:SHOP`` job, ``oms sku pull``):
the listing the SKU mapping screen suggests matches from (``catalogue.sku_mapping.suggest``).

The platform is read first, outside any transaction; the listing is then stored in one short one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine

from oms_tui.db import retrying_transaction
from oms_tui.services.catalogue import sku_mapping
from oms_tui.services.catalogue.sku_mapping import ListedSku


class ItemSource(Protocol):
    def list_items(self) -> Iterator[ListedSku]: ...


@dataclass(frozen=True)
class PullSummary:
    shop: str
    platform: str
    listed: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.shop} ({self.platform}): {self.listed} platform SKUs pulled in {self.seconds:.1f}s"


def pull_items(engine: Engine, shop: str, platform: str, client: ItemSource) -> PullSummary:
    """Read the shop's listing from the platform and keep it; platform errors propagate (the job records them)."""
    started = time.perf_counter()
    listed = list(client.list_items())
    stored = retrying_transaction(engine, lambda session: sku_mapping.record_listing(session, shop, platform, listed))
    return PullSummary(shop, platform, stored, time.perf_counter() - started)
