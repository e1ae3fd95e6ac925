"""PostgreSQL tells listening desks what changed, when it commits; SQLite desks poll the change token."""

import threading

import pytest

from oms_tui.db import read_session, session_scope
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core import changes
from oms_tui.services.core.actor import Actor
from oms_tui.services.stock import ledger
from tests.helpers.shop import seed_catalogue

WAIT = 5.0  # generous bound for a loaded CI machine; the notice itself takes milliseconds


class Inbox:
    def __init__(self) -> None:
        self.bursts: list[set[str]] = []
        self.arrived = threading.Event()

    def __call__(self, tables: set[str]) -> None:
        self.bursts.append(tables)
        self.arrived.set()


@pytest.fixture
def listening(pg_engine):
    seed_catalogue(pg_engine)
    inbox = Inbox()
    listener = changes.ChangeListener(pg_engine, inbox).start()
    assert listener.listening.wait(WAIT)
    yield pg_engine, inbox
    listener.stop()


def _purchase(session) -> None:
    wh, sku = catalogue.get_warehouse(session, "WH1"), catalogue.get_sku(session, "HG-001")
    ledger.purchase(session, wh, sku, 5, actor=Actor.system("test"))


def test_a_commit_is_announced_with_the_tables_it_changed(listening):
    engine, inbox = listening
    with session_scope(engine) as s:
        _purchase(s)
    assert inbox.arrived.wait(WAIT)
    assert "stocklevel" in set().union(*inbox.bursts)


def test_a_rolled_back_change_is_never_announced(listening):
    engine, inbox = listening
    with pytest.raises(RuntimeError):
        with session_scope(engine) as s:
            _purchase(s)
            raise RuntimeError("changed my mind")
    assert not inbox.arrived.wait(0.5)


def test_sqlite_is_polled(sqlite_engine):
    assert not changes.pushes_changes(sqlite_engine)
    seed_catalogue(sqlite_engine)
    with read_session(sqlite_engine) as s:
        before = changes.change_token(s)
    with session_scope(sqlite_engine) as s:
        _purchase(s)
    with read_session(sqlite_engine) as s:
        assert changes.change_token(s) != before
