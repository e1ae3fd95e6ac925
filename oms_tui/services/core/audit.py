"""Audit trail: every state change records who, when, what and on which entity."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, col, select

from oms_tui.models import AuditEvent, utcnow

_INSERT = AuditEvent.__table__.insert()


def record(session: Session, user: str, action: str, entity_type: str, entity_id: Any, **detail: Any) -> None:
    """Append one audit row in the caller's transaction (a Core insert: audit rows are never edited)."""
    session.execute(_INSERT, {
        "at": utcnow(), "user": user, "action": action, "entity_type": entity_type, "entity_id": str(entity_id),
        "detail": json.dumps(detail, ensure_ascii=False, default=str) if detail else "",
    })


def history(session: Session, entity_type: str, entity_id: Any, limit: int = 200) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
        .order_by(col(AuditEvent.id))
        .limit(limit)
    )
    return list(session.exec(stmt))
