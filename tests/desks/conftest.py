"""Desk servers run as real `oms serve-…` processes on loopback, against a small shop on SQLite."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from oms_tui.db import make_engine, session_scope
from oms_tui.services.core import users
from oms_tui.services.core.actor import Actor
from tests.helpers.db import seeded_sqlite_template
from tests.helpers.desks import seed_desk_shop
from tests.helpers.ssh_keys import make_key


@pytest.fixture(scope="session")
def desk_template(tmp_path_factory, sqlite_template) -> Path:
    return seeded_sqlite_template(tmp_path_factory, sqlite_template, "desks", seed_desk_shop)


@pytest.fixture(scope="module")
def desk_shop(desk_template, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The desk shop (zhang cs 1234, li warehouse 5678, boss admin 0000) with SSH keys for zhang and li;
    the database URL and zhang's private key (li's is beside it, ``li_key``). One per test module: its server is started once."""
    tmp_path = tmp_path_factory.mktemp("desk")
    path = tmp_path / "desk.db"
    shutil.copy(desk_template, path)
    url = f"sqlite:///{path}"
    key_path, line = make_key(tmp_path, "zhang_key")
    _li_path, li_line = make_key(tmp_path, "li_key")  # beside zhang's: tmp_path / "li_key"
    engine = make_engine(url)
    with session_scope(engine) as s:
        users.add_key(s, "zhang", line, actor=Actor.system("test"))
        users.add_key(s, "li", li_line, actor=Actor.system("test"))
    engine.dispose()
    yield url, key_path
