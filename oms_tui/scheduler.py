"""The background scheduler: platform sync per shop, webhook fetches, the outbox (ship notices,
alerts), the print queue, lock and quota expiry.

What runs and how often is the ``job`` table (services/core/jobs.py), one row per job, filled from
the configuration by ``job_specs`` whenever a process starts leading — a shop added to the config
gets its sync job, one removed has its job disabled. ``JOB_KINDS`` says what each kind of job does.

APScheduler ticks every second; on each tick the process asks ``Leadership`` whether it leads (so
starting the scheduler on several machines is harmless: one works, the others wait to take over),
then claims each due job in the table — a claim moves the job's ``next_due_at`` on, conditional on
it still being due, so each due run happens once however many processes watch — and runs it on a
thread pool. A job never overlaps itself in one process; its outcome goes back into its row.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from oms_tui.config import Settings, ShopConfig
from oms_tui.db import read_session, retrying_transaction
from oms_tui.errors import ConfigError, OmsError
from oms_tui.i18n import N_
from oms_tui.leadership import Leadership
from oms_tui.models import HoldKind, utcnow
from oms_tui.schema import refresh_statistics
from oms_tui.services.approvals import escalation
from oms_tui.services.core import jobs, outbox
from oms_tui.services.core.outbox import DispatchResult, MessageKind
from oms_tui.services.floor import printing, ship_notices
from oms_tui.services.intake import platform_items, refund_sync, shop_auth, sync, webhook
from oms_tui.services.messaging import delivery, routing
from oms_tui.services.messaging.channels import NotifierFactory
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.orders import allocation, holds, queries
from oms_tui.services.core.actor import Actor
from oms_tui.services.shipping import buyer_sms, stalls, tracking, waybills
from oms_tui.services.reports import rollup, tally
from oms_tui.services.portal import retention
from oms_tui.services.purchasing import supplier_mail

log = logging.getLogger(__name__)

ClientFactory = Callable[[ShopConfig], object]


def default_client_factory(shop: ShopConfig, engine: Engine | None = None):
    """The shop's adapter; with ``engine`` it sends the token `oms shop authorize` stored."""
    from oms_tui.platforms.registry import client_for

    return client_for(shop, engine=engine)


def default_notifier_factory(channel, settings: Settings):
    from oms_tui.notifiers.registry import notifier_for

    return notifier_for(channel, settings)


def default_carrier_factory(settings: Settings):
    """The Kuaidi100 adapter (e-waybills, tracking) for the settings."""
    from oms_tui.carriers.kuaidi100 import client_for

    return client_for(settings.kuaidi100)
def default_mailer_factory(smtp):
    from oms_tui.notifiers.smtp import SmtpMailer

    return SmtpMailer(smtp)


def open_notify_failed_hold(session, order_id: int, reason: str) -> None:
    """An alert about an order could not be delivered: a ``notify_failed`` hold makes a person see it."""
    holds.open_hold(session, queries.get_order(session, order_id), HoldKind.NOTIFY_FAILED, reason=reason)


# --- the outbox's dispatcher table -------------------------------------------------------------

@dataclass(frozen=True)
class Adapters:
    """How senders reach the outside: the platform clients and the alert channels (robots, SMS, e-mail)."""

    client_factory: ClientFactory = default_client_factory
    notifier_factory: NotifierFactory = default_notifier_factory
    mailer_factory: supplier_mail.MailerFactory = default_mailer_factory


# One sender per message kind, built from the settings and the adapters. A new kind is a MessageKind
# with its payload model in services/core/outbox.py and a line here; job_specs gives it its own
# dispatch job (outbox:<kind>) by itself.
SENDERS: dict[MessageKind, Callable[[Settings, Adapters], outbox.Sender]] = {
    MessageKind.PLATFORM_SHIP: lambda settings, adapters: ship_notices.PlatformShipSender(
        settings.shops, adapters.client_factory),
    MessageKind.NOTIFY: lambda settings, adapters: delivery.NotifySender(
        settings, adapters.notifier_factory, order_failed=open_notify_failed_hold),
    MessageKind.BUYER_SMS: lambda settings, adapters: buyer_sms.BuyerSmsSender(settings, adapters.notifier_factory),
    MessageKind.SUPPLIER_MAIL: lambda settings, adapters: supplier_mail.SupplierMailSender(
        settings, adapters.mailer_factory),
}
# Kinds that are not sent themselves but routed into messages of another kind first: an alert becomes one
# `notify` message per channel of its roles (services/messaging/routing.py). Their job does both.
ROUTED: dict[MessageKind, MessageKind] = {MessageKind.ALERT: MessageKind.NOTIFY}
# The kinds with a dispatch job of their own (a routed kind's job also sends what it was routed into).
DISPATCH_JOBS: tuple[MessageKind, ...] = tuple(k for k in MessageKind if k not in set(ROUTED.values()))


def dispatch_outbox(engine: Engine, settings: Settings, adapters: Adapters | None = None, *,
                    kinds: Iterable[MessageKind | str] | None = None, limit: int = 100,
                    now: datetime | None = None) -> DispatchResult:
    """Send the due messages of ``kinds`` (None: every kind), each through its kind's sender; alerts are
    routed into their channel messages first, and those are sent in the same run."""
    adapters = adapters or Adapters(functools.partial(default_client_factory, engine=engine))
    chosen = [outbox.message_kind(kind) for kind in kinds] if kinds is not None else list(MessageKind)
    skipped = 0
    if MessageKind.ALERT in chosen:
        routed = routing.route_alerts(engine, routing.RoutingTable.from_settings(settings), now=now)
        skipped = routed.skipped
        for reason in routed.skipped_reasons:
            log.info("%s", reason)
    sending = list(dict.fromkeys(ROUTED.get(kind, kind) for kind in chosen))
    senders = {kind: SENDERS[kind](settings, adapters) for kind in sending}
    try:
        result = outbox.dispatch(engine, senders, limit=limit, now=now)
    finally:
        for sender in senders.values():
            sender.close()
    result.skipped += skipped
    return result


# --- the jobs ----------------------------------------------------------------------------------

class JobKind(StrEnum):
    SHOP_SYNC = "shop_sync"  # target: the shop
    WEBHOOK_FETCH = "webhook_fetch"
    OUTBOX_DISPATCH = "outbox_dispatch"  # target: the message kind (platform_ship: the ship notices; alert: alerts)
    PRINT_QUEUE = "print_queue"
    LOCK_EXPIRY = "lock_expiry"
    RESERVATION_EXPIRY = "reservation_expiry"
    TOKEN_REFRESH = "token_refresh"  # shops' platform tokens, refreshed before they expire; expiry alerts
    REFUND_SYNC = "refund_sync"  # target: the shop
    ITEM_PULL = "item_pull"  # target: the shop
    APPROVAL_ESCALATION = "approval_escalation"  # requests nobody decided in time climb a role
    TRACKING_POLL = "tracking_poll"  # shipments whose next look-up is due (interval grows with their age)
    TRACKING_NIGHTLY = "tracking_nightly"  # every undelivered shipment once, at [tracking] nightly_hour shop time
    TRACKING_SUBSCRIBE = "tracking_subscribe"  # new shipments subscribed to Kuaidi100's pushes
    STALL_CHECK = "stall_check"  # shipments without a new event for [tracking] stall_days
    WAYBILL_CANCEL = "waybill_cancel"  # waybills of parcels cancelled before pickup, cancelled with the courier
    DASHBOARD_ROLLUP = "dashboard_rollup"  # the dashboard's daily figures (services/reports/rollup.py)
    SUPPLIER_MAIL = "supplier_mail"  # the weekly mail to each supplier, queued in the outbox
    STATISTICS = "statistics"  # the query planner's statistics (ANALYZE / PRAGMA optimize), schema.py
    PORTAL_PURGE = "portal_purge"  # the buyer portal's ended sign-in codes and sessions (services/portal/retention.py)
    ORDER_TALLY = "order_tally"  # orders and open holds counted by day and kind, for "page 1 of ~N" (reports/tally.py)


# What each kind of job does: (scheduler, target) → what the run did.
JOB_KINDS: dict[JobKind, Callable[[OmsScheduler, str], Any]] = {
    JobKind.SHOP_SYNC: lambda scheduler, shop: scheduler.run_sync(shop),
    JobKind.WEBHOOK_FETCH: lambda scheduler, _target: scheduler.run_webhook(),
    JobKind.OUTBOX_DISPATCH: lambda scheduler, kind: scheduler.run_outbox(kind),
    JobKind.PRINT_QUEUE: lambda scheduler, _target: scheduler.run_printing(),
    JobKind.LOCK_EXPIRY: lambda scheduler, _target: scheduler.run_lock_expiry(),
    JobKind.RESERVATION_EXPIRY: lambda scheduler, _target: scheduler.run_reservation_expiry(),
    JobKind.TOKEN_REFRESH: lambda scheduler, _target: scheduler.run_token_refresh(),
    JobKind.REFUND_SYNC: lambda scheduler, shop: scheduler.run_refund_sync(shop),
    JobKind.ITEM_PULL: lambda scheduler, shop: scheduler.run_item_pull(shop),
    JobKind.APPROVAL_ESCALATION: lambda scheduler, _target: scheduler.run_approval_escalation(),
    JobKind.TRACKING_POLL: lambda scheduler, _target: scheduler.run_tracking_poll(),
    JobKind.TRACKING_NIGHTLY: lambda scheduler, _target: scheduler.run_tracking_nightly(),
    JobKind.TRACKING_SUBSCRIBE: lambda scheduler, _target: scheduler.run_tracking_subscribe(),
    JobKind.STALL_CHECK: lambda scheduler, _target: scheduler.run_stall_check(),
    JobKind.WAYBILL_CANCEL: lambda scheduler, _target: scheduler.run_waybill_cancel(),
    JobKind.DASHBOARD_ROLLUP: lambda scheduler, _target: scheduler.run_dashboard_rollup(),
    JobKind.SUPPLIER_MAIL: lambda scheduler, _target: scheduler.run_supplier_mail(),
    JobKind.STATISTICS: lambda scheduler, _target: scheduler.run_statistics(),
    JobKind.PORTAL_PURGE: lambda scheduler, _target: scheduler.run_portal_purge(),
    JobKind.ORDER_TALLY: lambda scheduler, _target: scheduler.run_order_tally(),
}
NIGHTLY_JOB = "tracking-nightly"

# Requests climb within a minute of their due time (they wait hours, so a minute is close enough).
APPROVAL_ESCALATION_SECONDS = 60.0

# The dashboard's day figures lag the data by at most this (the live ones not at all).
DASHBOARD_ROLLUP_SECONDS = 120.0

# The planner's statistics follow the data's shape (a day's orders, the shipped share), which moves slowly;
# a refresh takes milliseconds on SQLite (approximate) and seconds on PostgreSQL at a million orders.
STATISTICS_HOURS = 6.0

# The screens' estimated totals miss what changed since the last count; a count takes about a second at a
# million orders on SQLite (a read: it holds no write lock).
ORDER_TALLY_MINUTES = 5.0

# The portal's codes and sessions are deleted a day after they end (retention.KEEP_AFTER); looking hourly
# keeps the tables at about a day's sign-ins.
PORTAL_PURGE_HOURS = 1.0

# A shop's items change rarely; the SKU mapping screen only suggests from them.
ITEM_PULL_HOURS = 6.0
# The suppliers hear from us once a week (queue_weekly sends at most one mail per supplier and ISO week).
SUPPLIER_MAIL_DAYS = 7.0


def job_specs(settings: Settings, *, webhook_seconds: float = 15.0, housekeeping_minutes: float = 10.0,
              token_minutes: float = 30.0) -> list[jobs.JobSpec]:
    """The jobs the configuration asks for."""
    specs = [jobs.JobSpec(f"sync:{shop.name}", JobKind.SHOP_SYNC, shop.sync_minutes * 60, target=shop.name)
             for shop in settings.shops]
    # Refunds as often as orders: a refund request must stop the order before the next wave takes it.
    specs += [jobs.JobSpec(f"refunds:{shop.name}", JobKind.REFUND_SYNC, shop.sync_minutes * 60, target=shop.name)
              for shop in settings.shops]
    specs += [jobs.JobSpec(f"items:{shop.name}", JobKind.ITEM_PULL, ITEM_PULL_HOURS * 3600, target=shop.name)
              for shop in settings.shops]
    specs.append(jobs.JobSpec("webhook", JobKind.WEBHOOK_FETCH, webhook_seconds))
    specs += [jobs.JobSpec(f"outbox:{kind.value}", JobKind.OUTBOX_DISPATCH, webhook_seconds, target=kind.value)
              for kind in DISPATCH_JOBS]
    specs.append(jobs.JobSpec("printing", JobKind.PRINT_QUEUE, webhook_seconds, enabled=bool(settings.printers)))
    specs.append(jobs.JobSpec("lock-expiry", JobKind.LOCK_EXPIRY, housekeeping_minutes * 60))
    specs.append(jobs.JobSpec("reservation-expiry", JobKind.RESERVATION_EXPIRY, housekeeping_minutes * 60))
    specs.append(jobs.JobSpec("approval-escalation", JobKind.APPROVAL_ESCALATION, APPROVAL_ESCALATION_SECONDS))
    specs.append(jobs.JobSpec("dashboard-rollup", JobKind.DASHBOARD_ROLLUP, DASHBOARD_ROLLUP_SECONDS))
    specs.append(jobs.JobSpec("statistics", JobKind.STATISTICS, STATISTICS_HOURS * 3600))
    specs.append(jobs.JobSpec("portal-purge", JobKind.PORTAL_PURGE, PORTAL_PURGE_HOURS * 3600))
    specs.append(jobs.JobSpec("order-tally", JobKind.ORDER_TALLY, ORDER_TALLY_MINUTES * 60))
    specs.append(jobs.JobSpec("supplier-mail", JobKind.SUPPLIER_MAIL, SUPPLIER_MAIL_DAYS * 86400,
                              enabled=bool(settings.smtp.host)))
    specs.append(jobs.JobSpec("token-refresh", JobKind.TOKEN_REFRESH, token_minutes * 60, enabled=bool(settings.shops)))
    kd = settings.kuaidi100
    specs.append(jobs.JobSpec("tracking-poll", JobKind.TRACKING_POLL, 60, enabled=kd.tracking_enabled))
    # Checked every quarter hour; it runs in the nightly hour and then waits for the next night (run_tracking_nightly).
    specs.append(jobs.JobSpec(NIGHTLY_JOB, JobKind.TRACKING_NIGHTLY, 900, enabled=kd.tracking_enabled))
    specs.append(jobs.JobSpec("tracking-subscribe", JobKind.TRACKING_SUBSCRIBE, 60,
                              enabled=kd.tracking_enabled and bool(kd.callback_url)))
    specs.append(jobs.JobSpec("stall-check", JobKind.STALL_CHECK, 1800, enabled=kd.tracking_enabled))
    specs.append(jobs.JobSpec("waybill-cancel", JobKind.WAYBILL_CANCEL, 300, enabled=kd.enabled))
    return specs


def describe_outcome(result: Any) -> tuple[str, str | None]:
    """One line saying what a run did, and its error if it reported one."""
    if result is None:
        return "", None
    if isinstance(result, (sync.SyncSummary, refund_sync.RefundSyncSummary)):
        return str(result), result.error
    if isinstance(result, tracking.PollRun):
        return ", ".join(f"{key} {value}" for key, value in result.as_dict().items()), result.stopped or None
    if isinstance(result, printing.QueueRun):
        return f"printed {result.printed}, retrying {result.retrying}, failed {result.failed}", None
    if isinstance(result, DispatchResult):
        return str(result), None
    if isinstance(result, shop_auth.RefreshRun):
        text = ", ".join(f"{key} {value}" for key, value in result.as_dict().items())
        return text, "; ".join(result.errors) or None
    if isinstance(result, dict):
        return ", ".join(f"{key} {value}" for key, value in result.items()), None
    return str(result), None


class OmsScheduler:
    def __init__(self, engine: Engine, settings: Settings, *, client_factory: ClientFactory = default_client_factory,
                 notifier_factory: NotifierFactory = default_notifier_factory, leadership: Leadership | None = None,
                 carrier_factory: Callable[[Settings], Any] = default_carrier_factory,
                 mailer_factory: supplier_mail.MailerFactory = default_mailer_factory,
                 housekeeping_minutes: float = 10.0,
                 webhook_seconds: float = 15.0, tick_seconds: float = 1.0, max_workers: int = 8) -> None:
        self.engine = engine
        self.settings = settings
        if client_factory is default_client_factory:  # the adapters send the tokens stored in this database
            client_factory = functools.partial(default_client_factory, engine=engine)
        self.client_factory = client_factory
        self.notifier_factory = notifier_factory
        self.carrier_factory = carrier_factory
        self.mailer_factory = mailer_factory
        self.leadership = leadership or Leadership(engine)
        self.housekeeping_minutes = housekeeping_minutes
        self.webhook_seconds = webhook_seconds
        self.tick_seconds = tick_seconds
        self.holder = getattr(self.leadership, "holder", "scheduler")
        self.scheduler = BackgroundScheduler(timezone="UTC", job_defaults={
            "max_instances": 1, "coalesce": True, "misfire_grace_time": 30,
        })
        self.pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="oms-job")
        self.last_summaries: dict[str, sync.SyncSummary] = {}
        self._lock = threading.Lock()
        self._running: set[str] = set()
        self._synced_while_leading = False

    # the jobs table -------------------------------------------------------------------------

    def _leading(self) -> bool:
        try:
            leads = self.leadership.try_acquire()
        except Exception:  # database away: nobody leads until it is back
            log.exception("leadership check failed")
            leads = False
        if not leads:
            self._synced_while_leading = False
        return leads

    def sync_jobs(self) -> None:
        """Write the configuration's jobs into the table (the leader's configuration is the one that counts)."""
        jobs.sync_specs(self.engine, job_specs(self.settings, webhook_seconds=self.webhook_seconds,
                                               housekeeping_minutes=self.housekeeping_minutes))
        self._synced_while_leading = True

    def tick(self) -> list[str]:
        """If this process leads, start every due job not already running here; returns their names."""
        if not self._leading():
            return []
        if not self._synced_while_leading:
            self.sync_jobs()
        with read_session(self.engine) as session:
            names = [job.name for job in jobs.due(session)]
        started = []
        for name in names:
            with self._lock:
                if name in self._running:
                    continue
                self._running.add(name)
            try:
                self.pool.submit(self.run_job, name)
            except RuntimeError:  # the pool is shutting down
                with self._lock:
                    self._running.discard(name)
                break
            started.append(name)
        return started

    def run_job(self, name: str) -> bool:
        """Claim job ``name`` if it is due and run it, recording the outcome; returns whether it ran."""
        try:
            job = jobs.claim(self.engine, name, holder=self.holder)
            if job is None:
                return False  # another process ran it, or it is not due any more
            runner = JOB_KINDS.get(job.kind)
            try:
                if runner is None:
                    raise ConfigError(N_("unknown job kind {kind!r}"), kind=job.kind)
                text, error = describe_outcome(runner(self, job.target))
            except Exception as exc:  # noqa: BLE001 - one job's failure is its row's business, not the scheduler's
                if not isinstance(exc, OmsError):
                    log.exception("job %s failed", name)
                text, error = "", str(exc) or type(exc).__name__
            jobs.finish(self.engine, name, error=error, result=text)
            return True
        except Exception:  # noqa: BLE001 - the database went away mid-run; the next tick tries again
            log.exception("job %s: claiming or recording failed", name)
            return False
        finally:
            with self._lock:
                self._running.discard(name)

    # what the jobs do -----------------------------------------------------------------------

    def run_sync(self, shop_name: str) -> sync.SyncSummary:
        shop = next((s for s in self.settings.shops if s.name == shop_name), None)
        if shop is None:
            raise ConfigError(N_("shop {shop!r} is no longer configured"), shop=shop_name)
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

    def _shop(self, shop_name: str) -> ShopConfig:
        shop = next((s for s in self.settings.shops if s.name == shop_name), None)
        if shop is None:
            raise ConfigError(N_("shop {shop!r} is no longer configured"), shop=shop_name)
        return shop

    def run_refund_sync(self, shop_name: str) -> refund_sync.RefundSyncSummary:
        """Read the shop's refund requests that changed and apply them to its orders."""
        shop = self._shop(shop_name)
        client = self.client_factory(shop)
        try:
            summary = refund_sync.sync_refunds(self.engine, shop.name, shop.platform, client)
        finally:
            close = getattr(client, "close", None)
            if close:
                close()
        log.info("refunds %s", summary)
        return summary

    def run_item_pull(self, shop_name: str) -> platform_items.PullSummary:
        """Pull the shop's items and SKUs for the SKU mapping's suggestions."""
        shop = self._shop(shop_name)
        client = self.client_factory(shop)
        try:
            return platform_items.pull_items(self.engine, shop.name, shop.platform, client)
        finally:
            close = getattr(client, "close", None)
            if close:
                close()

    def run_webhook(self) -> sync.SyncSummary:
        """Fetch the full orders that pushed notifications named."""
        shops = {shop.name: shop for shop in self.settings.shops}

        def fetch(shop_name: str, platform_order_id: str):
            shop = shops.get(shop_name)
            if shop is None:
                raise ConfigError(N_("webhook event for shop {shop!r}, which is no longer configured"), shop=shop_name)
            client = self.client_factory(shop)
            try:
                return client.fetch_one(platform_order_id)
            finally:
                client.close()

        return webhook.process_pending(self.engine, fetch, warehouse_code=self.settings.default_warehouse)

    def run_supplier_mail(self, *, now: datetime | None = None) -> dict[str, int]:
        """Queue this week's mail to each supplier (sent by the ``outbox:supplier_mail`` job)."""
        def queue(session):  # noqa: ANN001, ANN202
            warehouse = catalogue.default_warehouse(session, self.settings.default_warehouse)
            return supplier_mail.queue_weekly(session, warehouse, now=now, timezone=self.settings.timezone)

        return {"supplier_mails": retrying_transaction(self.engine, queue)}

    def run_outbox(self, kind: str | None = None) -> DispatchResult:
        """Send due outbox messages of ``kind`` (None: every kind): ship notices, alerts."""
        kinds = [MessageKind(kind)] if kind else None
        return dispatch_outbox(self.engine, self.settings, Adapters(self.client_factory, self.notifier_factory,
                                                                    self.mailer_factory), kinds=kinds)

    def run_printing(self) -> printing.QueueRun | None:
        """Send queued print jobs; a printer that is off keeps its jobs queued for the next round."""
        if not self.settings.printers:
            return None
        return printing.process_queue(self.engine, self.settings)

    def run_lock_expiry(self) -> dict[str, int]:
        # Releasing stock serves short orders, which can meet a cancel or a sync batch head on.
        return {"expired_locks": retrying_transaction(
            self.engine, lambda session: allocation.expire_locks(session, hours=self.settings.lock_expiry_hours))}

    def run_reservation_expiry(self) -> dict[str, int]:
        return {"expired_reservations": retrying_transaction(self.engine, allocation.expire_reservations)}

    def run_approval_escalation(self, *, now: datetime | None = None) -> escalation.EscalationRun:
        return retrying_transaction(self.engine, lambda session: escalation.escalate_due(session, now=now))
    def run_dashboard_rollup(self) -> rollup.RollupRun:
        """Recompute the dashboard's recent days in the shop's time zone."""
        return rollup.refresh_rollup(self.engine, ZoneInfo(self.settings.timezone))

    def run_statistics(self) -> dict[str, object]:
        """Refresh the query planner's statistics, so the screens' first pages keep their indexed plans."""
        return refresh_statistics(self.engine)

    def run_order_tally(self, *, now: datetime | None = None) -> tally.TallyRun:
        """Count the orders and open holds again for the screens' estimated totals."""
        return tally.refresh(self.engine, ZoneInfo(self.settings.timezone), now=now)

    def run_portal_purge(self, *, now: datetime | None = None) -> retention.PurgeRun:
        moment = now or utcnow()
        return retrying_transaction(self.engine, lambda session: retention.purge_expired(session, now=moment))

    def run_token_refresh(self, *, now: datetime | None = None) -> shop_auth.RefreshRun:
        """Refresh the shops' tokens before they expire; alert, days ahead, on an authorization about to end."""
        from oms_tui.platforms.oauth import refresh_with

        now = now or utcnow()
        return shop_auth.refresh_tokens(self.engine, self.settings.shops,
                                        refresh_with(self.settings.oauth, clock=lambda: now), now=now,
                                        refresh_hours=self.settings.token_refresh_hours,
                                        alert_days=self.settings.token_alert_days)

    def _with_carrier(self, work: Callable[[Any], Any]) -> Any:
        carrier = self.carrier_factory(self.settings)
        try:
            return work(carrier)
        finally:
            carrier.close()

    def run_tracking_poll(self, *, now: datetime | None = None) -> tracking.PollRun:
        """Look up the shipments whose poll is due, at most [tracking] queries_per_run; then check for stalls."""
        config = self.settings.tracking
        run = self._with_carrier(lambda carrier: tracking.poll_due(
            self.engine, carrier, now=now, limit=config.queries_per_run, give_up_days=config.give_up_days))
        return run

    def run_tracking_nightly(self, *, now: datetime | None = None) -> tracking.PollRun | dict[str, str]:
        """In the nightly hour (shop time): every undelivered shipment once; then wait for the next night."""
        now = now or utcnow()
        config = self.settings.tracking
        zone = self.settings.timezone
        try:
            if not tracking.in_nightly_window(now, zone, config.nightly_hour):
                return {"waiting": tracking.next_nightly(now, zone, config.nightly_hour).isoformat()}
            return self._with_carrier(lambda carrier: tracking.nightly_batch(
                self.engine, carrier, now=now, limit=config.nightly_max, give_up_days=config.give_up_days))
        finally:
            jobs.defer_until(self.engine, NIGHTLY_JOB, tracking.next_nightly(now, zone, config.nightly_hour))

    def run_tracking_subscribe(self) -> dict[str, int]:
        return self._with_carrier(lambda carrier: tracking.subscribe_pending(self.engine, carrier))

    def run_stall_check(self, *, now: datetime | None = None) -> dict[str, int]:
        config = self.settings.tracking
        return stalls.check_stalls(self.engine, now=now, stall_days=config.stall_days,
                                   text=stalls.BuyerText(config.sms_channel, config.stall_sms_template))

    def run_waybill_cancel(self) -> dict[str, int]:
        return self._with_carrier(lambda carrier: waybills.cancel_abandoned(
            self.engine, actor=Actor.system("scheduler"), service=carrier))

    # the same, run by hand: only on the leader ---------------------------------------------------

    def sync_job(self, shop: ShopConfig) -> sync.SyncSummary | None:
        return self.run_sync(shop.name) if self._leading() else None

    def webhook_job(self) -> sync.SyncSummary | None:
        return self.run_webhook() if self._leading() else None

    def ship_notice_job(self) -> DispatchResult | None:
        """Tell the platforms about shipped parcels (outbox rows written at the pack station)."""
        return self.run_outbox(MessageKind.PLATFORM_SHIP) if self._leading() else None

    def print_job(self) -> printing.QueueRun | None:
        return self.run_printing() if self._leading() else None

    def housekeeping_job(self) -> dict[str, int] | None:
        if not self._leading():
            return None
        return self.run_lock_expiry() | self.run_reservation_expiry()

    # lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        routing.RoutingTable.from_settings(self.settings)  # a route naming no role stops us here, named
        if self._leading():
            self.sync_jobs()
        self.scheduler.add_job(self.tick, "interval", id="tick", seconds=self.tick_seconds,
                               next_run_time=utcnow() + timedelta(milliseconds=100))
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.leadership.release()
