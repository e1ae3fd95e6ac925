import pytest

from oms_tui.db import read_session, session_scope
from oms_tui.errors import ValidationError
from oms_tui.services import users


def test_pin_is_hashed_and_checked(engine):
    with session_scope(engine) as s:
        users.add_user(s, "cs1", "1234", ["cs"])
    with read_session(engine) as s:
        user = users.get_user(s, "cs1")
        assert "1234" not in user.pin_hash
        assert users.authenticate(s, "cs1", "1234").name == "cs1"
        assert users.authenticate(s, "cs1", "9999") is None
        assert users.authenticate(s, "nobody", "1234") is None


@pytest.mark.parametrize("pin, roles", [("12", ["cs"]), ("abcd", ["cs"]), ("1234", ["king"]), ("1234", [])])
def test_bad_pin_or_role_is_refused(engine, pin, roles):
    with pytest.raises(ValidationError):
        with session_scope(engine) as s:
            users.add_user(s, "x", pin, roles)
