"""The background scheduler: platform sync per shop, webhook fetches, ship notices, print queue, lock and
quota expiry.

APScheduler runs each job with ``max_instances=1`` (a shop's sync never overlaps itself) and
``coalesce=True`` (runs missed while the machine slept collapse into one). Every job first asks
``Leadership`` whether this process leads, so starting the scheduler on several machines is
harmless: one works, the others wait to take over.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from oms_tui.config import Settings, ShopConfig
from oms_tui.db import retrying_transaction
from oms_tui.errors import ConfigError
from oms_tui.leadership import Leadership
from oms_tui.services.floor import printing, ship_notices
from oms_tui.services.intake import sync, webhook
from oms_tui.services.orders import allocation

log = logging.getLogger(__name__)

ClientFactory = Callable[[ShopConfig], object]


def default_client_factory(shop: ShopConfig):
    from oms_tui.platforms.registry import client_for

    return client_for(shop)


class OmsScheduler:
    def __init__(self, engine: Engine, settings: Settings, *, client_factory: ClientFactory = default_client_factory,
                 leadership: Leadership | None = None, housekeeping_minutes: float = 10.0,
                 webhook_seconds: float = 15.0) -> None:
        self.engine = engine
        self.settings = settings
        self.client_factory = client_factory
        self.leadership = leadership or Leadership(engine)
        self.housekeeping_minutes = housekeeping_minutes
        self.webhook_seconds = webhook_seconds
        self.scheduler = BackgroundScheduler(timezone="UTC", job_defaults={
            "max_instances": 1, "coalesce": True, "misfire_grace_time": 300,
        })
        self.last_summaries: dict[str, sync.SyncSummary] = {}
        self._lock = threading.Lock()

    # jobs -----------------------------------------------------------------------------------

    def _leading(self) -> bool:
        try:
            return self.leadership.try_acquire()
        except Exception:  # database away: nobody leads until it is back
            log.exception("leadership check failed")
            return False

    def sync_job(self, shop: ShopConfig) -> sync.SyncSummary | None:
        if not self._leading():
            return None
        client = self.client_factory(shop)
        try:
            summary = sync.sync_shop(self.engine, shop.name, shop.platform, client,
                                     warehouse_code=self.settings.default_warehouse)
        finally:
            close = getattr(client, "close", None)
            if close:
                close()
        with self._lock:
            self.last_summaries[shop.name] = summary
        log.info("sync %s", summary)
        return summary

    def housekeeping_job(self) -> dict[str, int] | None:
        if not self._leading():
            return None
        # Both release stock and serve short orders, which can meet a cancel or a sync batch head on.
        expired_locks = retrying_transaction(
            self.engine, lambda session: allocation.expire_locks(session, hours=self.settings.lock_expiry_hours))
        expired_reservations = retrying_transaction(self.engine, allocation.expire_reservations)
        return {"expired_locks": expired_locks, "expired_reservations": expired_reservations}

    def webhook_job(self) -> sync.SyncSummary | None:
        """Fetch the full orders that pushed notifications named."""
        if not self._leading():
            return None
        shops = {shop.name: shop for shop in self.settings.shops}

        def fetch(shop_name: str, platform_order_id: str):
            shop = shops.get(shop_name)
            if shop is None:
                raise ConfigError(f"webhook event for shop {shop_name!r}, which is no longer configured")
            client = self.client_factory(shop)
            try:
                return client.fetch_one(platform_order_id)
            finally:
                client.close()

        return webhook.process_pending(self.engine, fetch, warehouse_code=self.settings.default_warehouse)

    def ship_notice_job(self):
        """Tell the platforms about shipped parcels (outbox rows written at the pack station)."""
        if not self._leading():
            return None
        return ship_notices.dispatch(self.engine, self.settings.shops, self.client_factory)

    def print_job(self):
        """Send queued print jobs; a printer that is off keeps its jobs queued for the next round."""
        if not self._leading() or not self.settings.printers:
            return None
        return printing.process_queue(self.engine, self.settings)

    # lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        for shop in self.settings.shops:
            self.scheduler.add_job(self.sync_job, "interval", args=[shop], id=f"sync:{shop.name}",
                                   minutes=shop.sync_minutes, next_run_time=_soon())
        self.scheduler.add_job(self.webhook_job, "interval", id="webhook", seconds=self.webhook_seconds,
                               next_run_time=_soon())
        self.scheduler.add_job(self.ship_notice_job, "interval", id="ship-notices", seconds=self.webhook_seconds,
                               next_run_time=_soon())
        self.scheduler.add_job(self.print_job, "interval", id="printing", seconds=self.webhook_seconds,
                               next_run_time=_soon())
        self.scheduler.add_job(self.housekeeping_job, "interval", id="housekeeping",
                               minutes=self.housekeeping_minutes, next_run_time=_soon())
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.leadership.release()


def _soon():
    from oms_tui.models import utcnow

    return utcnow() + timedelta(seconds=1)
