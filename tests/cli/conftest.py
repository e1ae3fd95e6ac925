"""The CLI tests' runner: `oms ARGS…` in-process, as a shell would call it."""

from __future__ import annotations

import pytest

from oms_tui.cli import main
from oms_tui.config import get_settings


@pytest.fixture
def oms(capsys):
    """Run `oms ARGS…` in-process against the database in OMS_DATABASE_URL; returns (code, out, err)."""

    def run(*args: str):
        get_settings.cache_clear()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code or 0
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    get_settings.cache_clear()


@pytest.fixture
def cli_db(monkeypatch, db_url):
    """The seeded catalogue in a migrated database (SQLite and PostgreSQL) that `oms` commands use."""
    from oms_tui.db import make_engine
    from tests.helpers.shop import seed_catalogue

    monkeypatch.setenv("OMS_DATABASE_URL", db_url)
    monkeypatch.delenv("OMS_CONFIG", raising=False)
    engine = make_engine(db_url)
    seed_catalogue(engine)
    engine.dispose()
    return db_url


@pytest.fixture
def wide_tables():
    """Tables printed wide enough that no cell is cut ("缺货：MB-…"), as a big terminal shows them."""
    from oms_tui.commands.common import console

    before = console.width
    console.width = 300
    yield
    console.width = before
