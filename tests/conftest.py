"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, and a small catalogue.

`engine` is parametrized over both backends. PostgreSQL comes from OMS_TEST_PG_URL (default: the
local server); each test run gets its own database, emptied between tests. Where the server is
missing the PostgreSQL cases are skipped, except under CI=true where that is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from oms_tui.db import make_engine
from oms_tui.schema import upgrade_to_head
from tests.helpers.db import PG_ADMIN_URL, create_pg_database, drop_pg_database, empty_pg_database
from tests.helpers.shop import SIM_SKUS, seed_catalogue


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    engine.dispose()
    return str(path)


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    try:
        url, name = create_pg_database("oms_test")
    except Exception as exc:  # server down, bad URL
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL needed under CI but not reachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}")
    yield url
    drop_pg_database(name)


@pytest.fixture
def sqlite_url(sqlite_template, tmp_path) -> str:
    path = tmp_path / "oms.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, sqlite_template, tmp_path) -> str:
    """A migrated, empty database: once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    url = request.getfixturevalue("pg_database_url")
    empty_pg_database(url)
    return url


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url, pool_size=20)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url):
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture
def seeded(engine):
    seed_catalogue(engine)
    return engine


@pytest.fixture
def sim():
    """All three simulated platforms on a free loopback port, stopped after the test."""
    from oms_tui.platforms.simulator import SimulatorState, run_simulator

    handle = run_simulator("127.0.0.1", 0, SimulatorState.with_demo_shops(SIM_SKUS, seed=5))
    yield handle
    handle.stop(timeout=5)


@pytest.fixture
def no_duplicate_check():
    """For scenarios about something else that use one buyer on several platforms at once: with the
    duplicate rule on (the default) those orders would wait in review for CS."""
    from oms_tui.services.orders import intake_rules as review_rules

    with review_rules.configured(duplicate_check=False):
        yield


@pytest.fixture
def listener():
    """A network printer on a free loopback port that keeps every byte it is sent."""
    from tests.helpers.printer_listener import PrinterListener

    printer = PrinterListener()
    yield printer
    printer.stop()


@pytest.fixture
def pg_engine(request):
    """A migrated, empty PostgreSQL database only (for what SQLite cannot do, such as LISTEN/NOTIFY)."""
    url = request.getfixturevalue("pg_database_url")
    empty_pg_database(url)
    engine = make_engine(url, pool_size=10)
    yield engine
    engine.dispose()
