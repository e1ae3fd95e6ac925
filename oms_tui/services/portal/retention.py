"""How long the portal keeps its sign-in rows: codes and sessions are deleted a day after they stopped
mattering, by the ``portal-purge`` job.

A code matters while it can be typed (until ``expires_at``) and while the rate limits count it (they look
back an hour, codes.check_limits); a session while its cookie can still open it (until ``expires_at``,
or ``ended_at`` when the buyer signed out). Each row keeps a buyer's phone number, so none is kept for
longer than that plus a day's margin — and without the purge both tables only grow, one row per code
texted and per sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlmodel import Session, col

from oms_tui.models import PortalCode, PortalSession
from oms_tui.services.core import audit

KEEP_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class PurgeRun:
    codes: int
    sessions: int

    def __str__(self) -> str:
        return f"deleted {self.codes} sign-in code(s) and {self.sessions} session(s)"


def purge_expired(session: Session, *, now: datetime, keep_after: timedelta = KEEP_AFTER) -> PurgeRun:
    """Delete the codes and sessions that ended more than ``keep_after`` before ``now`` (one audit row)."""
    cutoff = now - keep_after
    # A code's rate-limit hour starts at its creation, which is before its expiry: the cutoff covers both.
    codes = session.execute(delete(PortalCode).where(col(PortalCode.expires_at) < cutoff)).rowcount
    sessions = session.execute(delete(PortalSession).where(or_(
        col(PortalSession.expires_at) < cutoff, col(PortalSession.ended_at) < cutoff))).rowcount
    if codes or sessions:
        audit.record(session, "system", "portal.purge", "portal", "", codes=codes, sessions=sessions,
                     before=cutoff.isoformat())
    return PurgeRun(codes, sessions)
