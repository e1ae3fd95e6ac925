"""Refund sync for one shop: read the refunds the platform says changed since the cursor, apply each to
its order (``orders.refunds``), advance — on the schedule, like the order sync.

The same guarantees as ``sync``: the window starts ``overlap`` before the cursor, each batch commits
whole, the cursor moves only once the whole window is in, and applying a refund twice changes
nothing. The platform's I/O happens outside any transaction (the adapter's generator is drained batch
by batch between them). For JD, whose refund list cannot be asked by modified time, the refunds still
open on our side are read again by id every run.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from oms_tui.db import read_session, retrying_transaction, session_scope
from oms_tui.errors import OmsError
from oms_tui.models import PlatformRefund, ProblemSource, RefundCursor, RefundState, SyncStatus, utcnow
from oms_tui.services.intake.sync import record_problem
from oms_tui.services.orders import refunds
from oms_tui.services.orders.refunds import Outcome, RefundNotice

DEFAULT_OVERLAP = timedelta(minutes=5)
FIRST_LOOKBACK = timedelta(days=1)
BATCH_SIZE = 50
MAX_OPEN_IDS = 500  # open refunds read again by id per run (JD); the oldest first


class RefundSource(Protocol):
    """What the refund sync needs from a platform adapter."""

    def fetch_refunds(self, start: datetime, end: datetime, *,
                      open_refund_ids: Sequence[str] = ()) -> Iterator[Any]: ...


@dataclass
class RefundSyncSummary:
    shop: str
    platform: str
    window_start: datetime | None = None
    window_end: datetime | None = None
    seen: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # Outcome → how many
    malformed: int = 0
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    def __str__(self) -> str:
        done = ", ".join(f"{n} {k}" for k, n in sorted(self.counts.items())) or "nothing new"
        state = "ok" if self.ok else f"ERROR {self.error}"
        return (f"{self.shop} ({self.platform}) refunds: {self.seen} read, {done}, {self.malformed} malformed in "
                f"{self.seconds:.1f}s — {state}")


def cursor_of(session: Session, shop: str, platform: str) -> RefundCursor:
    row = session.exec(select(RefundCursor).where(RefundCursor.shop == shop)).first()
    if row is None:
        row = RefundCursor(shop=shop, platform=platform)
        session.add(row)
        session.flush()
    return row


def open_refund_ids(session: Session, shop: str, platform: str, limit: int = MAX_OPEN_IDS) -> list[str]:
    """The shop's refunds still undecided on our side, the longest open first."""
    return list(session.exec(select(PlatformRefund.refund_id).where(
        PlatformRefund.shop == shop, PlatformRefund.platform == platform,
        PlatformRefund.state == RefundState.REQUESTED).order_by(col(PlatformRefund.updated_at)).limit(limit)))


def apply_batch(engine: Engine, shop: str, platform: str, records: Iterable[Any], summary: RefundSyncSummary, *,
                user: str) -> None:
    """Apply one batch of fetched refunds in one transaction; a record that cannot be mapped is kept as a
    sync problem and never sinks the batch."""
    records = list(records)

    def attempt(session: Session) -> tuple[dict[str, int], int]:
        counts: dict[str, int] = {}
        malformed = 0
        for record in records:
            if not isinstance(record, RefundNotice):
                malformed += 1
                record_problem(session, shop=shop, platform=platform, source=ProblemSource.SYNC,
                               platform_order_id=getattr(record, "platform_order_id", None),
                               reason=getattr(record, "reason", str(record)), raw=getattr(record, "raw", None))
                continue
            try:
                with session.begin_nested():
                    outcome = refunds.apply_refund(session, record, shop=shop, user=user)
            except OmsError as exc:  # refused by a rule of ours: kept for a person, the batch goes on
                malformed += 1
                record_problem(session, shop=shop, platform=platform, source=ProblemSource.SYNC,
                               platform_order_id=record.platform_order_id,
                               reason=f"refund {record.refund_id} refused: {exc}")
                continue
            counts[outcome] = counts.get(outcome, 0) + 1
        return counts, malformed

    counts, malformed = retrying_transaction(engine, attempt)
    summary.seen += len(records)
    summary.malformed += malformed
    for outcome, n in counts.items():
        if outcome != Outcome.UNCHANGED:
            summary.counts[outcome] = summary.counts.get(outcome, 0) + n


def sync_refunds(engine: Engine, shop: str, platform: str, client: RefundSource, *, now: datetime | None = None,
                 overlap: timedelta = DEFAULT_OVERLAP, first_lookback: timedelta = FIRST_LOOKBACK,
                 batch_size: int = BATCH_SIZE, user: str = "refund-sync") -> RefundSyncSummary:
    """One incremental refund run for one shop; platform errors end up on its cursor row, not as a crash."""
    started = time.perf_counter()
    now = now or utcnow()
    summary = RefundSyncSummary(shop=shop, platform=platform)
    with session_scope(engine) as session:
        cursor = cursor_of(session, shop, platform)
        start = (cursor.cursor_at - overlap) if cursor.cursor_at else now - first_lookback
        cursor.last_status, cursor.last_started_at = SyncStatus.RUNNING, utcnow()
        session.add(cursor)
    with read_session(engine) as session:
        still_open = open_refund_ids(session, shop, platform)
    summary.window_start, summary.window_end = start, now
    try:
        batch: list[Any] = []
        for record in client.fetch_refunds(start, now, open_refund_ids=still_open):
            batch.append(record)
            if len(batch) >= batch_size:
                apply_batch(engine, shop, platform, batch, summary, user=user)
                batch = []
        if batch:
            apply_batch(engine, shop, platform, batch, summary, user=user)
    except OmsError as exc:  # expired session, bad signature, rate limit outlasting the retries, unreachable
        summary.error = str(exc)
    except Exception as exc:  # a bug: leave the cursor honest, then let it surface
        summary.error = f"unexpected error: {exc!r}"
        _finish(engine, summary, now, started)
        raise
    _finish(engine, summary, now, started)
    return summary


def _finish(engine: Engine, summary: RefundSyncSummary, now: datetime, started: float) -> None:
    summary.seconds = time.perf_counter() - started
    with session_scope(engine) as session:
        cursor = cursor_of(session, summary.shop, summary.platform)
        cursor.last_finished_at = utcnow()
        cursor.last_status = SyncStatus.OK if summary.ok else SyncStatus.ERROR
        cursor.last_error = summary.error or ""
        cursor.last_seen = summary.seen
        cursor.runs += 1
        if summary.ok:
            cursor.cursor_at = now  # only a complete window moves the cursor
        else:
            cursor.errors += 1
        session.add(cursor)


def as_dict(summary: RefundSyncSummary) -> dict[str, Any]:
    """A run for ``--format json`` and the jobs table."""
    return {"shop": summary.shop, "platform": summary.platform, "ok": summary.ok, "seen": summary.seen,
            "counts": dict(summary.counts), "malformed": summary.malformed, "error": summary.error,
            "window_start": summary.window_start.isoformat() if summary.window_start else None,
            "window_end": summary.window_end.isoformat() if summary.window_end else None}
