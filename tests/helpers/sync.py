"""Syncing the loopback simulator's shops into a seeded database."""

from __future__ import annotations

from datetime import datetime, timedelta

from oms_tui.db import session_scope
from oms_tui.models import utcnow
from oms_tui.platforms.base import RetryPolicy
from oms_tui.platforms.registry import client_for
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.services.intake import sync
from oms_tui.services.orders import allocation
from oms_tui.services.stock import ledger
from tests.helpers.shop import SIM_SKUS as SKUS


def plenty_of_stock(engine, qty=5000):
    with session_scope(engine) as s:
        wh = catalogue.get_warehouse(s, "WH1")
        for code in SKUS:
            sku = catalogue.get_sku(s, code)
            ledger.purchase(s, wh, sku, qty, actor=Actor.system("t"))
            allocation.receive_stock(s, wh, sku, qty, actor=Actor.system("t"))


def shop(sim, platform):
    return next(s for s in sim.shop_configs() if s.platform == platform)


def run_once(engine, config, **kw):
    with client_for(config, retry=RetryPolicy.no_wait(), page_size=20) as client:
        return sync.sync_shop(engine, config.name, config.platform, client, **kw)


def settled(minutes_ago: float = 5) -> datetime:
    """A moment every adapter's listing has settled on: past the longest ``listing_lag`` (PDD's 3 minutes),
    so a sync run now takes in what the platforms changed then."""
    return utcnow().replace(microsecond=0) - timedelta(minutes=minutes_ago)


def taken_in(state, platform: str) -> set[str]:
    """The simulated orders a sync takes in: paid, or closed after payment (those come in cancelled)."""
    return {o.key for o in state.orders(platform) if o.draft is not None and (
        o.draft.status == "paid" or (o.draft.status == "cancelled" and o.draft.paid_at is not None))}
