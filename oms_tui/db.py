"""Engines and sessions.

SQLite runs in WAL mode with foreign keys on and a busy timeout; a writing transaction starts
with ``BEGIN IMMEDIATE`` so two terminals never both believe they hold the last unit (the second
waits for the first instead of failing at commit). Read-only sessions start a deferred
transaction so a screen reading stock never blocks the pack station. PostgreSQL goes through
psycopg 3.

Two transactions can still collide: PostgreSQL picks one as a deadlock victim, SQLite gives up
with "database is locked" after the busy timeout. ``retrying_transaction`` runs a unit of work
again from the start in that case, a bounded number of times.
"""

from __future__ import annotations

import logging
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from oms_tui.errors import StorageError
from oms_tui.redaction import redact

SQLITE_BUSY_TIMEOUT_MS = 30_000
_READ_ONLY = "oms_read_only"
_WRITES_ALONE = "oms_writes_alone"  # set on engines whose writing transactions start with BEGIN IMMEDIATE
TRANSACTION_ATTEMPTS = 3
RETRY_BACKOFF_SECONDS = 0.05  # doubled per attempt, jittered so two victims do not collide again
# PostgreSQL: deadlock_detected, serialization_failure.
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})

log = logging.getLogger(__name__)
T = TypeVar("T")


def normalize_url(url: str) -> str:
    """Accept the common spellings of a PostgreSQL URL and route them to psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, echo: bool = False, pool_size: int = 5) -> Engine:
    """Create an engine for ``url``; a malformed URL or unknown driver is a StorageError."""
    url = normalize_url(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise StorageError(f"bad database URL {redact(url)!r}: expected sqlite:///PATH or postgresql://…") from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise StorageError(f"unsupported database {backend!r}: use sqlite:///PATH or postgresql://…")
    try:
        if backend == "sqlite":
            database = parsed.database
            # A file named by path (not in memory, not a file: URI): made private, and checkpointed by a thread.
            file = Path(database) if database and database != ":memory:" and not database.startswith("file:") else None
            if file is not None:
                create_private_file(file)
            engine = create_engine(
                url,
                echo=echo,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
                poolclass=NullPool if database in (None, "", ":memory:") else None,
            )
            _configure_sqlite(engine, file)
        else:
            engine = create_engine(
                url, echo=echo, pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=True
            )
    except (ArgumentError, NoSuchModuleError) as exc:
        raise StorageError(redact(f"cannot use database URL {url!r}: {exc}")) from None
    return engine


def create_private_file(path: Path) -> None:
    """Create the SQLite file readable by its owner only (0600), if it is not there yet.

    It holds the users' PIN hashes. SQLite gives the -wal and -shm files it makes beside it the
    database file's own mode, so they are private too. An existing file keeps the mode it has.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def writes_alone(bind: Engine) -> bool:
    """Whether a writing transaction on ``bind`` has the database to itself from its first statement
    (SQLite with ``BEGIN IMMEDIATE``): whatever it reads is current until it commits."""
    options = bind.get_execution_options()
    return bool(options.get(_WRITES_ALONE)) and not options.get(_READ_ONLY)


def _configure_sqlite(engine: Engine, path: Path | None = None) -> None:
    engine.update_execution_options(**{_WRITES_ALONE: True})
    checkpointer = WalCheckpointer.for_file(path) if path is not None else None
    if checkpointer is not None:
        @event.listens_for(engine, "commit")
        def _on_commit(_conn):  # noqa: ANN001
            checkpointer.wrote()

        @event.listens_for(engine, "close")
        def _on_close(_dbapi_connection, _record):  # noqa: ANN001
            checkpointer.pause()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own would be deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if checkpointer is not None:  # the checkpointer's thread does it; a commit only past the backstop
            cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_BACKSTOP_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        if conn.get_execution_options().get(_READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


# --- SQLite: checkpoints off the writers' path ---------------------------------------------------------

WAL_BACKSTOP_PAGES = 8192  # ~32 MB of WAL: a commit checkpoints only if the checkpointer fell this far behind
CHECKPOINT_AFTER_SECONDS = 0.2  # a checkpoint covers the commits of this long (one copy of a page written often)
CHECKPOINTER_IDLE_SECONDS = 5.0  # no commit for this long: the thread ends (the next commit starts another)


class WalCheckpointer:
    """Copies a SQLite database's write-ahead log back into its file from a thread of its own.

    By default SQLite does this inside the commit that takes the log past 1,000 pages, so a writer pays for
    it, with two fsyncs, several times a second under load; the bigger the database the more pages a commit
    touches (the indexes' leaves are spread over more of the file) and the more often it pays. Measured taking
    in 10,000 orders (``oms bench intake --into``): into a copy of a million-order database intake ran at
    ~0.7 of its rate into an empty one, ~0.9 with checkpoints out of the commits. So the writers of this
    process only note that they committed; ``CHECKPOINT_AFTER_SECONDS`` later this thread runs a PASSIVE
    checkpoint (it never waits for or blocks a reader or writer) on a connection of its own. ``WAL_BACKSTOP_PAGES`` keeps
    SQLite's own checkpoint as the backstop, should this thread fall behind or no process run one.
    One per database file per process."""

    _registry: dict[Path, WalCheckpointer] = {}
    _registry_lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path
        self.checkpoints = 0
        self._wrote = threading.Event()
        self._lock = threading.Lock()  # starting and ending the thread
        self._checkpointing = threading.Lock()  # held while a checkpoint's connection is open
        self._thread: threading.Thread | None = None

    @classmethod
    def for_file(cls, path: Path) -> WalCheckpointer:
        key = path.resolve()
        with cls._registry_lock:
            checkpointer = cls._registry.get(key)
            if checkpointer is None:
                checkpointer = cls._registry[key] = cls(key)
            return checkpointer

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def wrote(self) -> None:
        """A transaction on the file is committing: checkpoint soon."""
        self._wrote.set()
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name=f"wal-checkpoint {self.path.name}",
                                                    daemon=True)
                    self._thread.start()

    def pause(self) -> None:
        """A connection of the file is closing (an engine disposed): no checkpoint runs until the next commit,
        and one under way finishes first. The last connection to close then checkpoints the log and removes
        it, as SQLite does, and a copy of the file made right after is whole."""
        with self._checkpointing:
            self._wrote.clear()

    def _run(self) -> None:
        try:
            while self._wrote.wait(CHECKPOINTER_IDLE_SECONDS):
                time.sleep(CHECKPOINT_AFTER_SECONDS)
                with self._checkpointing:
                    if not self._wrote.is_set():  # paused meanwhile
                        continue
                    self._wrote.clear()
                    # A connection of its own for each checkpoint, none kept open between them. mode=rw: a file
                    # removed meanwhile is not created again, empty.
                    connection = sqlite3.connect(f"{self.path.as_uri()}?mode=rw", uri=True, isolation_level=None,
                                                 timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
                    try:
                        connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    finally:
                        connection.close()
                    self.checkpoints += 1
        except sqlite3.Error as exc:  # the file went away, or is no database: its writers will say so
            log.debug("WAL checkpoints of %s stopped: %s", self.path.name, exc)
        finally:
            with self._lock:
                self._thread = None
            if self._wrote.is_set():  # a commit came as the thread was ending
                self.wrote()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One writing transaction: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


_CONNECTION = "oms.connection"  # session.info: (the innermost transaction, its connection)


def connection_for(session: Session) -> Connection:
    """The connection of ``session``'s current transaction, for the Core writes of the hot paths (a stock
    move, its ledger row, an audit row, a guarded status UPDATE): through ``session.execute`` each costs
    a quarter more in options, events and a check for unsaved changes.

    A statement sent this way does not flush the session's unsaved ORM changes before it: only for
    writes that no such change must precede (reads go through the session, which flushes first).
    The connection is asked of the session again whenever the innermost transaction changed: a
    savepoint the session began is only sent to the database when the session hands out its connection.
    """
    innermost = session.get_nested_transaction() or session.get_transaction()
    cached = session.info.get(_CONNECTION)
    if innermost is not None and cached is not None and cached[0] is innermost:
        return cached[1]
    connection = session.connection()
    session.info[_CONNECTION] = (session.get_nested_transaction() or session.get_transaction(), connection)
    return connection


def reader_for(session: Session) -> Session | Connection:
    """Where a hot-path Core read goes: the transaction's connection when the session has nothing unsaved
    (nothing a flush would have to send first), else the session, which flushes before it reads."""
    return session if session.new or session.dirty or session.deleted else connection_for(session)


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reading only; on SQLite it does not take the write lock."""
    # Closing (not rolling back) ends the transaction without expiring what was read, so callers
    # may use the returned objects after the block.
    with Session(engine.execution_options(**{_READ_ONLY: True}), expire_on_commit=False) as session:
        yield session


def is_retryable(exc: BaseException) -> bool:
    """Whether the database refused ``exc``'s transaction only because another one was in the way:
    a PostgreSQL deadlock victim or serialization failure, or SQLite still locked after busy_timeout."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _RETRYABLE_SQLSTATES:
        return True
    return isinstance(orig, sqlite3.OperationalError) and "database is locked" in str(orig)


def retrying_transaction(engine: Engine, work: Callable[[Session], T], *,
                         attempts: int = TRANSACTION_ATTEMPTS) -> T:
    """Run ``work(session)`` in one writing transaction; when the database rolls it back as a deadlock
    victim (or SQLite stays locked), run it again from the start, up to ``attempts`` times in all.

    ``work`` must keep its effects inside the transaction (count into locals, not the caller's
    objects), since a failed attempt leaves nothing behind. The last failure propagates.
    """
    for attempt in range(1, attempts + 1):
        try:
            with session_scope(engine) as session:
                return work(session)
        except DBAPIError as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            delay = RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)
            log.info("transaction attempt %d of %d lost to a concurrent one (%s); again in %.2fs", attempt,
                     attempts, str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")  # the loop returns or raises
