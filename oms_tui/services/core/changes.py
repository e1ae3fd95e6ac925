"""How a desk learns that someone committed: PostgreSQL tells it (LISTEN/NOTIFY), SQLite is polled.

On PostgreSQL a trigger (migration 0017) calls ``pg_notify(CHANNEL, table)`` in every transaction
that changes orders, order lines, stock levels, holds, print jobs, users or the audit trail; the notice
is delivered when that transaction commits, never for one rolled back. ``ChangeListener`` holds a
connection of its own in LISTEN and hands each burst of notices to a callback. SQLite cannot push, so
its desks poll ``change_token``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from oms_tui.models import StockMove

CHANNEL = "oms_changes"
# Notices this close behind the first are one refresh (one transaction's tables arrive together anyway).
COALESCE_SECONDS = 0.01
WAIT_SECONDS = 0.25  # how often the listening thread looks whether it should stop
RECONNECT_SECONDS = 1.0

log = logging.getLogger(__name__)


def change_token(session: Session) -> tuple[int, int]:
    """Moves when anyone, on any terminal, commits a change: every state change writes an audit row
    and every stock change a ledger row, both append-only. Two primary-key maxima: cheap to poll,
    and the same on SQLite and PostgreSQL."""
    from oms_tui.models import AuditEvent

    audit_max = session.exec(select(func.max(AuditEvent.id))).one() or 0
    ledger_max = session.exec(select(func.max(StockMove.id))).one() or 0
    return audit_max, ledger_max


def pushes_changes(engine: Engine) -> bool:
    """Whether this database tells its desks about changes (PostgreSQL) or must be polled (SQLite)."""
    return engine.dialect.name == "postgresql"


def _conninfo(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class ChangeListener:
    """LISTEN on ``CHANNEL`` in a daemon thread; ``on_change(tables)`` runs in that thread for each burst
    of notices (the names of the tables that changed). After a lost connection it reconnects and calls
    ``on_change(set())``: whatever changed meanwhile was not announced, so the desk re-reads anyway."""

    def __init__(self, engine: Engine, on_change: Callable[[set[str]], None]) -> None:
        self._conninfo = _conninfo(engine)
        self._on_change = on_change
        self._stop = threading.Event()
        self.listening = threading.Event()  # set once LISTEN is in place (tests wait for it)
        self._thread = threading.Thread(target=self._run, name="oms-change-listener", daemon=True)

    def start(self) -> ChangeListener:
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        import psycopg

        missed = False
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    if missed:
                        self._on_change(set())
                    self._listen(conn)
            except psycopg.Error as exc:
                self.listening.clear()
                missed = True
                log.info("change listener lost its connection (%s); again in %.0fs", type(exc).__name__,
                         RECONNECT_SECONDS)
                self._stop.wait(RECONNECT_SECONDS)

    def _listen(self, conn) -> None:  # noqa: ANN001 - a psycopg.Connection
        while not self._stop.is_set():
            tables = {n.payload for n in conn.notifies(timeout=WAIT_SECONDS, stop_after=1)}
            if not tables:
                continue
            # What else arrived with it, without waiting for a quiet moment that a busy shop never has:
            # notices that come while the desk refreshes are the next burst.
            tables |= {n.payload for n in conn.notifies(timeout=COALESCE_SECONDS)}
            try:
                self._on_change(tables)
            except Exception:  # noqa: BLE001 - a failing desk must not stop the listening
                log.exception("change callback failed")
