"""Exactly one scheduler does the work, however many are started.

PostgreSQL: a session-level advisory lock held on a dedicated connection — if the process dies
the connection closes and the lock is gone. SQLite: a lease row (holder, expires_at) renewed
well before it expires; a dead holder's lease simply runs out.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from datetime import timedelta

from sqlalchemy import Engine, text

from oms_tui.db import session_scope
from oms_tui.models import SchedulerLease, utcnow

ADVISORY_KEY = 0x0_0305_C4ED  # "oms scheduler"; any constant shared by all our processes


class Leadership:
    def __init__(self, engine: Engine, name: str = "scheduler", *, lease_seconds: float = 60.0) -> None:
        self.engine = engine
        self.name = name
        self.lease = timedelta(seconds=lease_seconds)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._pg_conn = None
        self._lock = threading.Lock()
        self.is_leader = False

    def try_acquire(self) -> bool:
        """Take or renew leadership; returns whether this process leads now.

        Scheduler jobs call this from several threads at once; they share one PostgreSQL
        connection, which must not be used by two threads together.
        """
        with self._lock:
            if self.engine.dialect.name == "postgresql":
                self.is_leader = self._pg_acquire()
            else:
                self.is_leader = self._lease_acquire()
            return self.is_leader

    def release(self) -> None:
        with self._lock:
            self._release()

    def _release(self) -> None:
        if self.engine.dialect.name == "postgresql":
            if self._pg_conn is not None:
                try:
                    self._pg_conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
                finally:
                    self._pg_conn.close()
                    self._pg_conn = None
        elif self.is_leader:
            with session_scope(self.engine) as session:
                lease = session.get(SchedulerLease, self.name)
                if lease is not None and lease.holder == self.holder:
                    session.delete(lease)
        self.is_leader = False

    def _pg_acquire(self) -> bool:
        if self._pg_conn is not None:
            try:
                self._pg_conn.execute(text("SELECT 1"))
                return True  # still our connection, still our lock
            except Exception:  # connection lost: so is the lock; try again below
                try:
                    self._pg_conn.invalidate()
                    self._pg_conn.close()
                except Exception:  # noqa: BLE001 - already gone
                    pass
                self._pg_conn = None
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar()
        if got:
            self._pg_conn = conn
            return True
        conn.close()
        return False

    def _lease_acquire(self) -> bool:
        now = utcnow()
        with session_scope(self.engine) as session:  # BEGIN IMMEDIATE: one contender at a time
            lease = session.get(SchedulerLease, self.name)
            if lease is None:
                session.add(SchedulerLease(name=self.name, holder=self.holder, expires_at=now + self.lease))
                return True
            if lease.holder == self.holder or lease.expires_at <= now:
                lease.holder = self.holder
                lease.expires_at = now + self.lease
                session.add(lease)
                return True
            return False
