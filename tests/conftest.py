"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, and a small catalogue.

`engine` is parametrized over both backends. PostgreSQL comes from OMS_TEST_PG_URL (default: the
local server); each test run gets its own database, emptied between tests. Where the server is
missing the PostgreSQL cases are skipped, except under CI=true where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from oms_tui.db import make_engine, normalize_url, session_scope
from oms_tui.schema import upgrade_to_head
from oms_tui.services.catalogue import skus as catalogue

PG_ADMIN_URL = os.environ.get("OMS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    engine.dispose()
    return str(path)


def create_pg_database(prefix: str) -> tuple[str, str]:
    """A new, migrated PostgreSQL database next to PG_ADMIN_URL: (its URL, its name)."""
    admin_url = normalize_url(PG_ADMIN_URL)
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    upgrade_to_head(engine)
    engine.dispose()
    return url, name


def drop_pg_database(name: str) -> None:
    admin = create_engine(normalize_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


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


def _truncate_pg(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


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
    _truncate_pg(url)
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


def seed_catalogue(engine) -> None:
    """Two warehouses-worth of nothing but one warehouse, a supplier and three SKUs."""
    with session_scope(engine) as s:
        catalogue.add_warehouse(s, "WH1", "杭州仓", province="浙江", city="杭州市")
        catalogue.add_supplier(s, "SUP1", "宁波家居供应链")
        catalogue.add_sku(s, "HG-001", "竹纤维毛巾", barcodes=["6901234567892"], spec="34x76cm", bin_location="A-01-01",
                          supplier_code="SUP1", cost_fen=900, price_fen=1990)
        catalogue.add_sku(s, "MB-001", "婴儿湿巾", barcodes=["6920000000012"], spec="80抽x3包", bin_location="B-02-03",
                          cost_fen=1200, price_fen=2990)
        catalogue.add_sku(s, "HG-CUSTOM", "定制刻字砧板", spec="40x28cm", tags=["custom"], bin_location="C-01-01",
                          cost_fen=3000, price_fen=8800)


@pytest.fixture
def seeded(engine):
    seed_catalogue(engine)
    return engine


def normalized(platform_order_id: str, lines: dict[str, int], *, platform: str = "taobao", state: str = "paid",
               paid_minutes_ago: int = 60, **fields):
    """A NormalizedOrder as an adapter would hand it over; ``lines`` maps SKU code to quantity."""
    from datetime import datetime, timedelta, timezone

    from oms_tui.services.orders.normalized import (
        NormalizedLine,
        NormalizedOrder,
        PlatformState,
    )

    paid = datetime.now(timezone.utc) - timedelta(minutes=paid_minutes_ago)
    defaults = dict(receiver_name="张三", receiver_phone="13800138000", receiver_province="浙江省",
                    receiver_city="杭州市", receiver_district="西湖区", receiver_address="文三路 100 号",
                    buyer_id=f"buyer-{platform_order_id}", total_fen=1990 * sum(lines.values()),
                    paid_fen=1990 * sum(lines.values()))
    defaults.update(fields)
    return NormalizedOrder(
        platform=platform, platform_order_id=platform_order_id, state=PlatformState(state), created_at=paid,
        paid_at=paid, modified_at=paid,
        lines=[NormalizedLine(sku_code=code, qty=qty, price_fen=1990) for code, qty in lines.items()],
        **defaults,
    )


SIM_SKUS = {"HG-001": ("竹纤维毛巾", 1990), "MB-001": ("婴儿湿巾", 2990)}


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
    from tests.printers.listener import PrinterListener

    printer = PrinterListener()
    yield printer
    printer.stop()
