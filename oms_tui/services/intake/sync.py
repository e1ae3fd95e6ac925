"""Incremental order sync for one shop: fetch what changed since the cursor, upsert, advance.

Why it is safe to kill at any point: orders are upserted (unique on platform + platform order
id; taking the same order in again is an update that changes nothing), batches commit whole or
not at all, and the cursor moves only after the whole window is in. A run that dies re-reads
its window next time. The window starts ``overlap`` before the cursor so an order the platform
modified while the previous run was reading is not missed.

The platform client is passed in (an adapter from ``oms_tui.platforms``): this module never
speaks HTTP itself.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session, col, select

from oms_tui.db import retrying_transaction, session_scope
from oms_tui.errors import OmsError, Throttled
from oms_tui.i18n import N_
from oms_tui.models import ProblemSource, ShopSync, SyncProblem, SyncStatus, utcnow
from oms_tui.phrases import from_error, phrase
from oms_tui.services.approvals import requests as approval_requests
from oms_tui.services.catalogue import sku_mapping
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.orders import batch_intake, refunds, upsert
from oms_tui.services.orders.normalized import NormalizedOrder, PlatformState
from oms_tui.services.stock import ledger

DEFAULT_OVERLAP = timedelta(minutes=5)
FIRST_LOOKBACK = timedelta(days=1)
BATCH_SIZE = 50


class ChangedOrdersSource(Protocol):
    """What sync needs from a platform adapter."""

    def fetch_changed(self, start: datetime, end: datetime) -> Iterator[Any]: ...

    # Optional: how far behind now the window must end (``PlatformClient.listing_lag``); 0 when absent.


@dataclass
class SyncSummary:
    shop: str
    platform: str
    window_start: datetime | None = None
    window_end: datetime | None = None
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # unpaid or closed before we ever had them
    malformed: int = 0
    error: str | None = None
    stored_error: str = ""  # the error as a phrase, for the shop's "last error" (read in the reader's language)
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    # The platform banned calls until then (rate limit): this run met the ban, or waited for it to end.
    paused_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_dict(self) -> dict:
        return {"shop": self.shop, "platform": self.platform, "ok": self.ok, "new": self.new, "updated": self.updated,
                "unchanged": self.unchanged, "skipped": self.skipped, "malformed": self.malformed,
                "error": self.error, "seconds": round(self.seconds, 3),
                "window_start": self.window_start.isoformat() if self.window_start else None,
                "window_end": self.window_end.isoformat() if self.window_end else None,
                "paused_until": self.paused_until.isoformat() if self.paused_until else None}

    def __str__(self) -> str:
        if self.ok and self.paused_until is not None:
            return f"{self.shop} ({self.platform}): paused, rate-limited until {self.paused_until.isoformat()}"
        state = "ok" if self.ok else f"ERROR {self.error}"
        return (f"{self.shop} ({self.platform}): {self.new} new, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.malformed} malformed, {self.skipped} skipped in {self.seconds:.1f}s — {state}")


def shop_state(session: Session, shop: str, platform: str) -> ShopSync:
    state = session.exec(select(ShopSync).where(ShopSync.shop == shop)).first()
    if state is None:
        state = ShopSync(shop=shop, platform=platform)
        session.add(state)
        session.flush()
    return state


def list_shop_states(session: Session) -> list[ShopSync]:
    return list(session.exec(select(ShopSync).order_by(col(ShopSync.shop))))


def recent_problems(session: Session, *, limit: int = 50, offset: int = 0) -> list[SyncProblem]:
    return list(session.exec(select(SyncProblem).order_by(col(SyncProblem.id).desc()).limit(limit).offset(offset)))


@dataclass(frozen=True)
class ShopRow:
    """One shop's sync as the shops screen lists it."""

    shop: str
    platform: str
    status: str
    last_finished_at: datetime | None
    last_new: int
    last_updated: int
    last_malformed: int
    total_new: int
    runs: int
    errors: int
    last_error: str
    paused_until: datetime | None = None  # status "paused": rate-limited by the platform until then
    cursor_at: datetime | None = None


@dataclass(frozen=True)
class ProblemRow:
    at: datetime
    shop: str
    order: str
    source: str
    reason: str


@dataclass(frozen=True)
class SyncOverview:
    shops: list[ShopRow]
    problems: list[ProblemRow]  # newest first


def sync_overview(session: Session, *, problem_limit: int = 50) -> SyncOverview:
    """Every shop's sync state and the newest records the sync could not take in, in one read."""
    shops = [ShopRow(s.shop, s.platform, s.last_status, s.last_finished_at, s.last_new, s.last_updated,
                     s.last_malformed, s.total_new, s.runs, s.errors, s.last_error,
                     s.paused_until if s.last_status == SyncStatus.PAUSED else None, s.cursor_at)
             for s in list_shop_states(session)]
    problems = [ProblemRow(p.at, p.shop, p.platform_order_id or "", p.source, p.reason)
                for p in recent_problems(session, limit=problem_limit)]
    return SyncOverview(shops, problems)


def record_problem(session: Session, *, shop: str, platform: str, platform_order_id: str | None, reason: str,
                   raw: Any = None, source: str = ProblemSource.SYNC) -> bool:
    """Keep a record we could not take in; the same problem seen again is not stored twice."""
    reason = reason[:500]
    seen = session.exec(select(SyncProblem.id).where(
        SyncProblem.shop == shop, SyncProblem.platform_order_id == platform_order_id, SyncProblem.reason == reason,
    )).first()
    if seen is not None:
        return False
    session.add(SyncProblem(shop=shop, platform=platform, platform_order_id=platform_order_id, reason=reason,
                            source=source, raw=json.dumps(raw, ensure_ascii=False, default=str)[:20000] if raw else ""))
    return True


def ingest_batch(engine: Engine, shop: str, platform: str, records: Iterable[Any], summary: SyncSummary, *,
                 warehouse_code: str | None, user: str, source: str = ProblemSource.SYNC) -> None:
    """Take one batch of fetched records in, in one transaction; one bad record never sinks the batch.

    The batch's new paid orders go in as a set (``orders.batch_intake``: a few statements per batch, not
    per order); updates and the rarer cases go order by order (``upsert_order``) after them.

    The batch's order rows and then its stock rows are taken up front, each in one global order, so
    two batches (or a batch and the pack station) wanting the same rows queue instead of deadlocking.
    A batch the database still picks as a deadlock victim runs again whole (``retrying_transaction``),
    and only the attempt that commits is counted.
    """
    records = list(records)

    def attempt(session: Session) -> SyncSummary:
        tally = SyncSummary(shop=shop, platform=platform)
        warehouse = catalogue.default_warehouse(session, warehouse_code)
        orders = [record for record in records if isinstance(record, NormalizedOrder)]
        existing = upsert.lock_existing(session, orders)
        # The stock rows the batch will lock: its lines' SKUs as the mapping resolves them (a bundle's components),
        # the mapping read for the whole batch at once.
        resolver = sku_mapping.Resolver(session)
        resolver.prefetch((record.shop or shop, line.platform_item_id, line.platform_sku_id, line.sku_code)
                          for record in orders for line in record.lines)
        sku_ids = {part.sku_id for record in orders for line in record.lines
                   for resolution in [resolver.resolve(record.shop or shop, line.platform_item_id,
                                                       line.platform_sku_id, line.sku_code)]
                   if resolution is not None for part in resolution.parts}
        ledger.lock_levels(session, [(warehouse.id, sku_id) for sku_id in sku_ids])
        done = _take_in_new(session, orders, existing, tally, warehouse=warehouse, user=user, resolver=resolver)
        for record in records:
            if not isinstance(record, NormalizedOrder):
                tally.malformed += 1
                # The adapter's reason is technical English (a field name, a value): framed for the reader.
                reason = phrase(N_("the platform's record cannot be read: {detail}"),
                                detail=getattr(record, "reason", str(record)))
                tally.problems.append(str(record))
                record_problem(session, shop=shop, platform=platform, source=source,
                               platform_order_id=getattr(record, "platform_order_id", None), reason=reason,
                               raw=getattr(record, "raw", None))
                continue
            if id(record) in done:
                continue
            try:
                with session.begin_nested():
                    result = upsert.upsert_order(session, record, warehouse=warehouse, user=user, resolver=resolver)
                    if result.created:  # a large order or a custom item stops itself for approval
                        approval_requests.on_new_order(session, result.order, user=user)
            except (OmsError, PydanticValidationError, IntegrityError) as exc:
                tally.malformed += 1
                tally.problems.append(f"{record.platform_order_id}: {exc}")
                record_problem(session, shop=shop, platform=platform, platform_order_id=record.platform_order_id,
                               reason=phrase(N_("refused: {error}"), error=from_error(exc)),
                               raw=record.model_dump(mode="json"), source=source)
                continue
            setattr(tally, result.outcome, getattr(tally, result.outcome) + 1)
        return tally

    tally = retrying_transaction(engine, attempt)
    for outcome in ("new", "updated", "unchanged", "skipped", "malformed"):
        setattr(summary, outcome, getattr(summary, outcome) + getattr(tally, outcome))
    summary.problems.extend(tally.problems)


def _take_in_new(session: Session, orders: list[NormalizedOrder], existing: set[tuple[str, str]], tally: SyncSummary,
                 *, warehouse, user: str, resolver: sku_mapping.Resolver) -> set[int]:  # noqa: ANN001
    """Create the batch's new paid orders as a set (``orders.batch_intake``); the ids (``id()``) of the records
    done. Left to the order-by-order path: updates, an order met twice in the batch (the second is an update
    of the first), one closed before we saw it, one a refund was waiting for — and the whole batch when the
    set cannot be written as planned (its savepoint undone: one bad record never sinks the batch)."""
    seen: set[tuple[str, str]] = set(existing)
    fresh = []
    for record in orders:
        key = (record.platform, record.platform_order_id)
        if key not in seen and record.state == PlatformState.PAID:
            fresh.append(record)
        seen.add(key)
    waiting = refunds.waiting_for(session, [(r.platform, r.platform_order_id) for r in fresh])
    fresh = [r for r in fresh if (r.platform, r.platform_order_id) not in waiting]
    if not fresh:
        return set()
    try:
        with session.begin_nested():
            created = batch_intake.create_orders(session, fresh, warehouse=warehouse, user=user, resolver=resolver)
            # A large order or a custom item stops itself for approval.
            approval_requests.on_new_orders(session, [(new.order_id, new.data.total_fen, new.data.shop,
                                                       new.data.platform, new.sku_ids) for new in created], user=user)
    except (OmsError, IntegrityError, DataError):
        return set()
    tally.new += len(created)
    return {id(record) for record in fresh}


def sync_shop(engine: Engine, shop: str, platform: str, client: ChangedOrdersSource, *,
              warehouse_code: str | None = None, now: datetime | None = None, overlap: timedelta = DEFAULT_OVERLAP,
              first_lookback: timedelta = FIRST_LOOKBACK, batch_size: int = BATCH_SIZE,
              user: str = "sync") -> SyncSummary:
    """One incremental run for one shop. Platform errors end up on the shop's sync state, not as a crash."""
    started = time.perf_counter()
    now = now or utcnow()
    # The window ends the adapter's listing_lag before now: an order changing while its listing is read
    # then leaves the window rather than moving inside it (see platforms.base.list_window).
    end = now - getattr(client, "listing_lag", timedelta(0))
    summary = SyncSummary(shop=shop, platform=platform)
    with session_scope(engine) as session:
        state = shop_state(session, shop, platform)
        if state.paused_until is not None and state.paused_until > now:
            # Banned by the platform (rate limit): calling now would only be refused and lengthen the ban.
            summary.paused_until = state.paused_until
            summary.seconds = time.perf_counter() - started
            return summary
        start = (state.cursor_at - overlap) if state.cursor_at else end - first_lookback
        start = min(start, end)
        state.last_status = SyncStatus.RUNNING
        state.last_started_at = utcnow()
        session.add(state)
    summary.window_start, summary.window_end = start, end
    try:
        batch: list[Any] = []
        for record in client.fetch_changed(start, end):
            batch.append(record)
            if len(batch) >= batch_size:
                ingest_batch(engine, shop, platform, batch, summary, warehouse_code=warehouse_code, user=user)
                batch = []
        if batch:
            ingest_batch(engine, shop, platform, batch, summary, warehouse_code=warehouse_code, user=user)
    except Throttled as exc:  # still banned after the retries ("This ban will last for N more seconds")
        summary.error, summary.stored_error = str(exc), from_error(exc)
        if exc.retry_after:  # no call before the ban ends: each one would be refused (and may lengthen it)
            summary.paused_until = (now + timedelta(seconds=exc.retry_after)).replace(microsecond=0)
    except OmsError as exc:  # PlatformError and friends: expired session, bad signature, unreachable
        summary.error, summary.stored_error = str(exc), from_error(exc)
    except Exception as exc:  # a bug: still leave the shop's state honest, then let it surface
        summary.error = f"unexpected error: {exc!r}"
        _finish(engine, summary, end, started)
        raise
    _finish(engine, summary, end, started)
    return summary


def _finish(engine: Engine, summary: SyncSummary, window_end: datetime, started: float) -> None:
    shop, platform = summary.shop, summary.platform
    summary.seconds = time.perf_counter() - started
    with session_scope(engine) as session:
        state = shop_state(session, shop, platform)
        state.last_finished_at = utcnow()
        state.last_status = (SyncStatus.OK if summary.ok else SyncStatus.PAUSED if summary.paused_until
                             else SyncStatus.ERROR)
        state.paused_until = summary.paused_until
        state.last_error = summary.stored_error or summary.error or ""
        state.last_new, state.last_updated = summary.new, summary.updated
        state.last_unchanged, state.last_malformed = summary.unchanged, summary.malformed
        state.total_new += summary.new
        state.total_updated += summary.updated
        state.runs += 1
        if summary.ok:
            state.cursor_at = window_end  # only a complete window moves the cursor
        elif summary.paused_until is None:  # a pause the platform asked for is not a failure to count
            state.errors += 1
        session.add(state)
