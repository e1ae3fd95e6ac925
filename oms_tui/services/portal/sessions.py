"""Signed-in buyers: a random token in an HttpOnly cookie, its keyed hash in ``PortalSession``, an end time."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from oms_tui.models import PortalSession
from oms_tui.services.core import audit
from oms_tui.services.portal.codes import keyed_hash, masked


def open_session(session: Session, phone: str, *, ip: str, key: bytes, minutes: float, now: datetime) -> str:
    """A new session for the proven ``phone``; returns the token the cookie carries (only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    row = PortalSession(token_hash=keyed_hash(key, "session", token), phone=phone, ip=ip[:64], created_at=now,
                        expires_at=now + timedelta(minutes=minutes))
    session.add(row)
    session.flush()
    audit.record(session, "portal", "portal.session", "portalsession", row.id, phone=masked(phone))
    return token


def session_phone(session: Session, token: str | None, *, key: bytes, now: datetime) -> str | None:
    """The phone a live session token proved; None for no token, an unknown, ended or expired one."""
    if not token or len(token) > 100:
        return None
    row = session.exec(select(PortalSession).where(PortalSession.token_hash == keyed_hash(key, "session", token),
                                                   col(PortalSession.ended_at).is_(None))).first()
    if row is None or row.expires_at <= now:
        return None
    return row.phone


def end_session(session: Session, token: str | None, *, key: bytes, now: datetime) -> bool:
    """Sign out: the token stops working at once."""
    if not token or len(token) > 100:
        return False
    row = session.exec(select(PortalSession).where(PortalSession.token_hash == keyed_hash(key, "session", token),
                                                   col(PortalSession.ended_at).is_(None))).first()
    if row is None:
        return False
    row.ended_at = now
    session.add(row)
    audit.record(session, "portal", "portal.signed_out", "portalsession", row.id)
    return True
