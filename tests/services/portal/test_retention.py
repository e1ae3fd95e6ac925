"""The portal keeps its sign-in rows a day after they end: the purge deletes older codes and sessions, keeps
what a buyer can still use or the rate limits still count, and leaves an audit row."""

from datetime import timedelta

from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.models import AuditEvent, PortalCode, PortalSession
from oms_tui.services.portal import codes, retention, sessions
from tests.helpers.portal import KEY, T0, add_order

PHONE = "13800138000"


def test_codes_and_sessions_go_a_day_after_they_end_and_live_ones_stay(engine):
    add_order(engine, "T1", PHONE)
    with session_scope(engine) as s:  # a code and a session from two days ago, long over
        codes.request_code(s, PHONE, ip="10.0.0.1", key=KEY, limits=codes.CodeLimits(),
                           text=codes.CodeText("短信", "SMS_CODE"), now=T0 - timedelta(days=2))
        sessions.open_session(s, PHONE, ip="10.0.0.1", key=KEY, minutes=30, now=T0 - timedelta(days=2))
        ended = sessions.open_session(s, PHONE, ip="10.0.0.1", key=KEY, minutes=60 * 24 * 7,
                                      now=T0 - timedelta(days=3))
    with session_scope(engine) as s:  # signed out two days ago: its week of life does not keep it
        assert sessions.end_session(s, ended, key=KEY, now=T0 - timedelta(days=2))
    with session_scope(engine) as s:  # from an hour ago: a code the limits still count, a live session
        codes.request_code(s, PHONE, ip="10.0.0.1", key=KEY, limits=codes.CodeLimits(),
                           text=codes.CodeText("短信", "SMS_CODE"), now=T0 - timedelta(hours=1))
        live = sessions.open_session(s, PHONE, ip="10.0.0.1", key=KEY, minutes=120, now=T0 - timedelta(hours=1))

    with session_scope(engine) as s:
        run = retention.purge_expired(s, now=T0)
    assert (run.codes, run.sessions) == (1, 2)

    with read_session(engine) as s:
        assert [c.created_at for c in s.exec(select(PortalCode))] == [T0 - timedelta(hours=1)]
        assert len(s.exec(select(PortalSession)).all()) == 1
        assert sessions.session_phone(s, live, key=KEY, now=T0) == PHONE
        purge = s.exec(select(AuditEvent).where(AuditEvent.action == "portal.purge")).one()
    assert '"codes": 1' in purge.detail and '"sessions": 2' in purge.detail and PHONE not in purge.detail

    with session_scope(engine) as s:  # nothing more to delete: no second audit row
        assert (retention.purge_expired(s, now=T0).codes, retention.purge_expired(s, now=T0).sessions) == (0, 0)
    with read_session(engine) as s:
        assert len(s.exec(select(AuditEvent).where(AuditEvent.action == "portal.purge")).all()) == 1
