"""The change token terminals poll to see that someone committed."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from oms_tui.models import StockMove


def change_token(session: Session) -> tuple[int, int]:
    """Moves when anyone, on any terminal, commits a change: every state change writes an audit row
    and every stock change a ledger row, both append-only. Two primary-key maxima: cheap to poll,
    and the same on SQLite and PostgreSQL."""
    from oms_tui.models import AuditEvent

    audit_max = session.exec(select(func.max(AuditEvent.id))).one() or 0
    ledger_max = session.exec(select(func.max(StockMove.id))).one() or 0
    return audit_max, ledger_max
