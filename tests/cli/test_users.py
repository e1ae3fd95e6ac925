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


@pytest.fixture
def admin_db(monkeypatch, sqlite_url):
    monkeypatch.setenv("OMS_DATABASE_URL", sqlite_url)
    monkeypatch.delenv("OMS_CONFIG", raising=False)
    monkeypatch.delenv("OMS_CLI_USER", raising=False)
    engine = make_engine(sqlite_url)
    with session_scope(engine) as s:
        users.add_user(s, "boss", "0000", ["admin"], actor=Actor.system("test"))
        users.add_user(s, "cs1", "1111", ["cs"], actor=Actor.system("test"))
    yield engine
    engine.dispose()


def test_roles_disable_enable_and_keys_from_the_command_line(oms, admin_db, tmp_path):
    import json

    from tests.helpers.ssh_keys import make_key

    _path, line = make_key(tmp_path, "cs1")
    (tmp_path / "cs1.pub").write_text(line + "\n")
    assert oms("user", "roles", "cs1", "cs,cs_lead") == (0, "user cs1 now holds: cs, cs_lead\n", "")
    code, out, _ = oms("user", "key", "add", "cs1", str(tmp_path / "cs1.pub"))
    assert code == 0 and "added for cs1" in out
    fingerprint = out.split()[1]
    code, out, _ = oms("user", "key", "list", "--format", "json")
    assert [(k["user"], k["fingerprint"], k["comment"]) for k in json.loads(out)] == [("cs1", fingerprint, "cs1@desk")]
    assert oms("user", "disable", "cs1")[1] == "user cs1 disabled\n"
    code, out, _ = oms("user", "list", "--format", "json")
    assert {u["name"]: (u["active"], u["ssh_keys"]) for u in json.loads(out)} == {"boss": (True, 0),
                                                                                 "cs1": (False, 1)}
    assert oms("user", "enable", "cs1")[1] == "user cs1 enabled\n"
    assert oms("user", "key", "remove", "cs1", fingerprint)[0] == 0
    with read_session(admin_db) as s:
        assert [e.action for e in audit.history(s, "user", "cs1")][-5:] == [
            "user.roles", "user.key_add", "user.disable", "user.enable", "user.key_remove"]


@pytest.mark.parametrize("args, message", [
    (("user", "roles", "cs1", "king"), "roles must be among"),
    (("user", "disable", "ghost"), "unknown user"),
    (("user", "key", "add", "cs1", "/no/such/file.pub"), "cannot read /no/such/file.pub"),
    (("user", "key", "add", "cs1", "-"), "not an OpenSSH public key"),
    (("user", "key", "remove", "cs1", "SHA256:nothing"), "has no key"),
])
def test_bad_admin_input_is_one_line_and_changes_nothing(oms, admin_db, args, message, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("ssh-ed25519 this is not a key\n"))
    code, out, err = oms(*args)
    assert code == 1 and message in err and "Traceback" not in err
    with read_session(admin_db) as s:
        assert [e.action for e in audit.history(s, "user", "cs1")] == ["user.add"]


def test_a_cs_user_may_not_administer(oms, admin_db, monkeypatch):
    monkeypatch.setenv("OMS_CLI_USER", "cs1")
    code, _out, err = oms("user", "disable", "boss")
    assert code == 1 and "may not add users and administer them" in err
