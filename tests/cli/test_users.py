"""`oms user unlock NAME`: a lead (or the operator) lets a user locked out by wrong PINs sign in again."""

from __future__ import annotations

import pytest

from oms_tui.db import make_engine, read_session, session_scope
from oms_tui.errors import AccountLocked
from oms_tui.services.core import audit, users
from oms_tui.services.core.actor import Actor


@pytest.fixture
def locked_out(monkeypatch, sqlite_url):
    """wh1 locked out after five wrong PINs; whlead a warehouse lead, cs1 customer service."""
    monkeypatch.setenv("OMS_DATABASE_URL", sqlite_url)
    monkeypatch.delenv("OMS_CONFIG", raising=False)
    monkeypatch.delenv("OMS_CLI_USER", raising=False)
    engine = make_engine(sqlite_url)
    with session_scope(engine) as s:
        for name, pin, role in (("wh1", "2222", "warehouse"), ("whlead", "2323", "warehouse_lead"),
                                ("cs1", "1111", "cs")):
            users.add_user(s, name, pin, [role], actor=Actor.system("test"))
    for _ in range(users.MAX_WRONG_PINS):
        with session_scope(engine) as s:
            users.authenticate(s, "wh1", "0000")
    yield engine
    engine.dispose()


def can_sign_in(engine) -> bool:
    try:
        with session_scope(engine) as s:
            return users.authenticate(s, "wh1", "2222") is not None
    except AccountLocked:
        return False


def test_a_lead_unlocks_from_the_command_line(oms, locked_out, monkeypatch):
    monkeypatch.setenv("OMS_CLI_USER", "whlead")
    assert not can_sign_in(locked_out)
    assert oms("user", "unlock", "wh1") == (0, "user wh1 unlocked\n", "")
    assert can_sign_in(locked_out)
    assert oms("user", "unlock", "wh1") == (0, "user wh1 was not locked out\n", "")
    with read_session(locked_out) as s:
        assert [e.user for e in audit.history(s, "user", "wh1") if e.action == "user.unlock"] == ["whlead"]


def test_customer_service_may_not_unlock(oms, locked_out, monkeypatch):
    monkeypatch.setenv("OMS_CLI_USER", "cs1")
    code, out, err = oms("user", "unlock", "wh1")
    assert (code, out, err) == (1, "", "oms: error: cs1 may not unlock locked-out users\n")
    assert not can_sign_in(locked_out)
