import pytest
from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.errors import ValidationError
from oms_tui.services.core import users
from oms_tui.services.core.actor import Actor


def test_pin_is_hashed_and_checked(engine):
    with session_scope(engine) as s:
        users.add_user(s, "cs1", "1234", ["cs"], actor=Actor.system("test"))
    with session_scope(engine) as s:
        user = users.get_user(s, "cs1")
        assert "1234" not in user.pin_hash
        assert users.authenticate(s, "cs1", "1234").name == "cs1"
        assert users.authenticate(s, "cs1", "9999") is None
        assert users.authenticate(s, "nobody", "1234") is None


@pytest.mark.parametrize("pin, roles", [("12", ["cs"]), ("abcd", ["cs"]), ("1234", ["king"]), ("1234", []),
                                       ("１２３４", ["cs"]), ("12²4", ["cs"])])  # digits a keypad cannot type
def test_bad_pin_or_role_is_refused(engine, pin, roles):
    with pytest.raises(ValidationError):
        with session_scope(engine) as s:
            users.add_user(s, "x", pin, roles, actor=Actor.system("test"))


def test_five_wrong_pins_lock_the_name_for_a_while(engine):
    from datetime import timedelta

    from oms_tui.errors import AccountLocked
    from oms_tui.models import User

    with session_scope(engine) as s:
        users.add_user(s, "wh1", "2222", ["warehouse"], actor=Actor.system("test"))
    for _ in range(users.MAX_WRONG_PINS):
        with session_scope(engine) as s:
            assert users.authenticate(s, "wh1", "0000") is None
    with pytest.raises(AccountLocked, match="too many wrong PINs"):
        with session_scope(engine) as s:
            users.authenticate(s, "wh1", "2222")  # even the right PIN waits
    with session_scope(engine) as s:  # the pause is over
        user = s.exec(select(User).where(User.name == "wh1")).one()
        user.locked_until = user.locked_until - timedelta(minutes=users.LOCK_MINUTES + 1)
        s.add(user)
    with session_scope(engine) as s:
        assert users.authenticate(s, "wh1", "2222").name == "wh1"
    with read_session(engine) as s:
        assert s.exec(select(User).where(User.name == "wh1")).one().locked_until is None


def _locked_out(engine, name: str = "wh1") -> None:
    from oms_tui.errors import AccountLocked

    with session_scope(engine) as s:
        users.add_user(s, name, "2222", ["warehouse"], actor=Actor.system("test"))
        users.add_user(s, "whlead", "2323", ["warehouse_lead"], actor=Actor.system("test"))
        users.add_user(s, "cs1", "1111", ["cs"], actor=Actor.system("test"))
    for _ in range(users.MAX_WRONG_PINS):
        with session_scope(engine) as s:
            users.authenticate(s, name, "0000")
    with pytest.raises(AccountLocked), session_scope(engine) as s:
        users.authenticate(s, name, "2222")


def test_a_lead_unlocks_a_locked_out_user_and_it_is_audited(engine):
    from oms_tui.services.core import audit

    _locked_out(engine)
    with session_scope(engine) as s:
        assert users.unlock(s, "wh1", actor=Actor("whlead", frozenset({"warehouse_lead"}))) is True
    with session_scope(engine) as s:
        assert users.authenticate(s, "wh1", "2222").name == "wh1"
        assert users.unlock(s, "wh1", actor=Actor("whlead", frozenset({"warehouse_lead"}))) is False  # not locked
    with read_session(engine) as s:
        events = [e for e in audit.history(s, "user", "wh1") if e.action == "user.unlock"]
    assert [(e.user, e.detail) for e in events] == [("whlead", '{"was_locked": true}')]


def test_only_leads_and_managers_unlock(engine):
    from oms_tui.errors import AccountLocked, NotFound, PermissionDenied

    _locked_out(engine)
    with pytest.raises(PermissionDenied, match="cs1 may not unlock locked-out users"), session_scope(engine) as s:
        users.unlock(s, "wh1", actor=Actor("cs1", frozenset({"cs"})))
    with pytest.raises(NotFound), session_scope(engine) as s:
        users.unlock(s, "ghost", actor=Actor("whlead", frozenset({"warehouse_lead"})))
    with pytest.raises(AccountLocked), session_scope(engine) as s:  # still locked
        users.authenticate(s, "wh1", "2222")


def test_unlock_by_lead_checks_the_leads_pin_and_counts_a_wrong_one(engine):
    from oms_tui.models import User

    _locked_out(engine)
    with session_scope(engine) as s:
        assert users.unlock_by_lead(s, "wh1", lead="whlead", lead_pin="9999") is None
    with read_session(engine) as s:
        assert s.exec(select(User).where(User.name == "whlead")).one().failed_pins == 1  # guessing is limited too
    with session_scope(engine) as s:
        assert users.unlock_by_lead(s, "wh1", lead="whlead", lead_pin="2323") is True
    with session_scope(engine) as s:
        assert users.authenticate(s, "wh1", "2222").name == "wh1"
