"""Administering users: roles, disabling, SSH keys — admins only, every change audited."""

import pytest
from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.errors import NotFound, PermissionDenied, ValidationError
from oms_tui.models import AuditEvent
from oms_tui.services.core import users
from oms_tui.services.core.actor import Actor
from tests.helpers.ssh_keys import make_key

ADMIN = Actor("boss", frozenset({"admin"}))
LEAD = Actor("lead", frozenset({"cs_lead"}))


@pytest.fixture
def staff(engine):
    with session_scope(engine) as s:
        users.add_user(s, "boss", "0000", ["admin"], actor=Actor.system("test"))
        users.add_user(s, "zhang", "1234", ["cs"], actor=Actor.system("test"))
    return engine


def _actions(engine) -> list[tuple[str, str, str]]:
    with read_session(engine) as s:
        return [(e.user, e.action, e.entity_id) for e in s.exec(select(AuditEvent).order_by(AuditEvent.id))
                if e.action.startswith("user.") and e.action != "user.add"]


def test_roles_disable_enable_are_audited(staff):
    with session_scope(staff) as s:
        assert users.set_roles(s, "zhang", ["cs", "cs_lead"], actor=ADMIN) == ["cs", "cs_lead"]
        assert users.disable(s, "zhang", actor=ADMIN) is True
        assert users.disable(s, "zhang", actor=ADMIN) is False  # already: nothing more recorded
    with read_session(staff) as s:
        assert not users.is_active(s, "zhang")
        assert users.authenticate(s, "zhang", "1234") is None
    with session_scope(staff) as s:
        assert users.enable(s, "zhang", actor=ADMIN) is True
    with read_session(staff) as s:
        assert users.is_active(s, "zhang")
        assert users.get_user(s, "zhang").role_list == ["cs", "cs_lead"]
    assert _actions(staff) == [("boss", "user.roles", "zhang"), ("boss", "user.disable", "zhang"),
                               ("boss", "user.enable", "zhang")]


@pytest.mark.parametrize("change", [
    lambda s: users.set_roles(s, "zhang", ["manager"], actor=LEAD),
    lambda s: users.disable(s, "zhang", actor=LEAD),
    lambda s: users.add_key(s, "zhang", "ssh-ed25519 AAAA", actor=LEAD),
])
def test_only_admins_administer(staff, change):
    with pytest.raises(PermissionDenied):
        with session_scope(staff) as s:
            change(s)
    assert _actions(staff) == []


@pytest.mark.parametrize("change, error", [
    (lambda s: users.disable(s, "boss", actor=ADMIN), ValidationError),  # the last admin stays
    (lambda s: users.set_roles(s, "boss", ["cs"], actor=ADMIN), ValidationError),
    (lambda s: users.set_roles(s, "zhang", ["king"], actor=ADMIN), ValidationError),
    (lambda s: users.disable(s, "nobody", actor=ADMIN), NotFound),
])
def test_bad_changes_are_refused_and_change_nothing(staff, change, error):
    with pytest.raises(error):
        with session_scope(staff) as s:
            change(s)
    assert _actions(staff) == []


def test_a_key_maps_to_its_user_until_removed(staff, tmp_path):
    _path, line = make_key(tmp_path, "zhang")
    with session_scope(staff) as s:
        row = users.add_key(s, "zhang", line, actor=ADMIN)
    assert row.fingerprint.startswith("SHA256:") and row.comment == "zhang@desk"
    with read_session(staff) as s:
        assert users.user_for_key(s, "zhang", line).name == "zhang"
        assert users.user_for_key(s, "boss", line) is None  # the key is zhang's, not boss's
        assert [k.fingerprint for k in users.list_keys(s, "zhang")] == [row.fingerprint]
        assert users.key_counts(s) == {"zhang": 1}
    with pytest.raises(ValidationError, match="already belongs"):
        with session_scope(staff) as s:
            users.add_key(s, "boss", line, actor=ADMIN)
    with session_scope(staff) as s:
        users.disable(s, "zhang", actor=ADMIN)
    with read_session(staff) as s:
        assert users.user_for_key(s, "zhang", line) is None  # a disabled user's key opens nothing
    with session_scope(staff) as s:
        users.enable(s, "zhang", actor=ADMIN)
        users.remove_key(s, "zhang", row.fingerprint, actor=ADMIN)
    with read_session(staff) as s:
        assert users.user_for_key(s, "zhang", line) is None
        assert users.list_keys(s) == []
    with session_scope(staff) as s:  # the same key may come back, to the same or another user
        users.add_key(s, "boss", line, actor=ADMIN)
    with read_session(staff) as s:
        assert users.user_for_key(s, "boss", line).name == "boss"
    assert [a for _u, a, _e in _actions(staff)] == ["user.key_add", "user.disable", "user.enable",
                                                    "user.key_remove", "user.key_add"]


def test_the_fingerprint_is_the_one_ssh_keygen_prints(tmp_path):
    import shutil
    import subprocess

    if not shutil.which("ssh-keygen"):
        pytest.skip("ssh-keygen is not installed")
    path, line = make_key(tmp_path, "k")
    printed = subprocess.run(["ssh-keygen", "-l", "-f", str(path) + ".pub"], capture_output=True, text=True,
                             check=True, timeout=30).stdout.split()[1]
    assert users.parse_public_key(line).fingerprint == printed


@pytest.mark.parametrize("text", ["", "hello", "ssh-ed25519 not-base64!", "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIA==",
                                  "-----BEGIN OPENSSH PRIVATE KEY-----"])
def test_what_is_not_a_public_key_is_refused_clearly(text):
    with pytest.raises(ValidationError, match="not an OpenSSH public key"):
        users.parse_public_key(text)
