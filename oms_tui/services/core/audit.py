"""Audit trail: every state change records who, when, what and on which entity.

A row keeps its action code and its details as values (codes, numbers, stored phrases); ``describe``
turns it into the reader's language when it is shown, so a history written by the sync at night
reads in Chinese for CS in the morning and in English for the owner."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection
from sqlmodel import Session, col, select

from oms_tui.i18n import N_, _
from oms_tui.models import AuditEvent, utcnow
from oms_tui.money import yuan
from oms_tui.names import (
    APPROVAL_KIND_NAMES,
    CONDITION_NAMES,
    HOLD_NAMES,
    ORDER_FIELD_NAMES,
    PLATFORM_NAMES,
    STATUS_NAMES,
    named,
)
from oms_tui.phrases import is_phrase, render
from oms_tui.services.core import held_writes

_INSERT = AuditEvent.__table__.insert()
# One encoder for every row: ``json.dumps`` with these options builds a new one per call.
_encode_detail = json.JSONEncoder(ensure_ascii=False, default=str).encode


def _send_rows(connection: Connection, rows: list[dict]) -> None:
    connection.execute(_INSERT, rows[0] if len(rows) == 1 else rows)


# Audit rows are held until the transaction commits (or something reads the trail), then go in one
# multi-row INSERT (a Core insert: audit rows are never edited).
AUDIT_ROWS = held_writes.WriteKind("audit rows", frozenset({AuditEvent.__tablename__}), _send_rows)


def record(session: Session, user: str, action: str, entity_type: str, entity_id: Any, **detail: Any) -> None:
    """Append one audit row in the caller's transaction: it commits with it, or not at all."""
    held_writes.hold(session, AUDIT_ROWS, row(user, action, entity_type, entity_id, **detail))


def row(user: str, action: str, entity_type: str, entity_id: Any, *, at: Any = None, **detail: Any) -> dict:
    """One audit row as ``record`` writes it, for ``record_many``."""
    return {"at": at or utcnow(), "user": user, "action": action, "entity_type": entity_type,
            "entity_id": str(entity_id),
            "detail": _encode_detail(detail) if detail else ""}


def record_many(session: Session, rows: list[dict]) -> None:
    """Append many audit rows (``row``) in the caller's transaction (with ``record``'s, in one INSERT)."""
    for one in rows:
        held_writes.hold(session, AUDIT_ROWS, one)


def history(session: Session, entity_type: str, entity_id: Any, limit: int = 200) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
        .order_by(col(AuditEvent.id))
        .limit(limit)
    )
    return list(session.exec(stmt))


# --- reading the trail: what a screen, a command or a slip shows ----------------------------------

# What each action is called where people read an order's (or a SKU's) history.
ACTION_NAMES: dict[str, str] = {
    "order.create": N_("order taken in"),
    "order.update": N_("changed on the platform"),
    "order.status": N_("status"),
    "order.lock": N_("stock locked"),
    "order.unlock": N_("stock released"),
    "order.lock_expire": N_("lock expired"),
    "order.wave": N_("put in a wave"),
    "order.after_sale": N_("after-sale"),
    "order.return": N_("return"),
    "hold.open": N_("hold opened"),
    "hold.resolve": N_("hold resolved"),
    "review.address": N_("address corrected"),
    "review.address_confirmed": N_("address confirmed"),
    "review.remark_accepted": N_("remark accepted"),
    "review.duplicate": N_("duplicate decided"),
    "review.release": N_("hold released"),
    "review.cancel": N_("cancelled by CS"),
    "approval.request": N_("approval asked"),
    "approval.decide": N_("approval decided"),
    "return.record": N_("return recorded"),
    "return.print": N_("return slip printed"),
    "ship_notice.resend": N_("ship notice sent again"),
    "stock.purchase": N_("purchase"),
    "stock.receive": N_("receive"),
    "stock.adjust": N_("adjust"),
    "stock.reserve": N_("reserve"),
    "stock.unreserve": N_("unreserve"),
    "stock.count": N_("stock count"),
    "po.create": N_("purchase order placed"),
    "po.receive": N_("received on a purchase order"),
    "settlement.import": N_("bill imported"),
    "supplier.change": N_("supplier changed"),
    "sku.purchasing": N_("purchasing settings changed"),
}

# What each detail is called.
DETAIL_NAMES: dict[str, str] = {
    "reason": N_("reason"), "kind": N_("kind"), "hold": N_("hold"), "resolution": N_("resolution"),
    "request": N_("request"), "comment": N_("comment"), "decision": N_("decision"), "fields": N_("fields"),
    "lines": N_("lines"), "platform": N_("platform"), "platform_order_id": N_("platform order"),
    "total_fen": N_("total"), "refund_fen": N_("refund"), "wave": N_("wave"), "parcel": N_("parcel"),
    "waybill": N_("waybill"), "waybill_in": N_("return waybill"), "courier": N_("courier"), "note": N_("note"),
    "remark": N_("remark"), "changes": N_("changes"), "orders": N_("orders"), "qty": N_("quantity"), "sku": N_("SKU"),
    "condition": N_("condition"), "return_id": N_("return"), "job": N_("print job"), "printer": N_("printer"),
    "platform_status": N_("platform status"), "duplicate_of": N_("duplicate of"), "message": N_("message"),
    "detail": N_("detail"), "warehouse": N_("warehouse"), "delta": N_("change"), "purpose": N_("purpose"),
    "parcels": N_("parcels"),
    "supplier": N_("supplier"), "month": N_("month"), "file": N_("file"), "rows": N_("rows"),
    "amount_fen": N_("amount"), "safety_stock": N_("safety stock"), "lead_days": N_("lead time (days)"),
    "email": N_("e-mail"),
}

_DECISIONS = {"merge": N_("one parcel"), "keep_both": N_("keep both"), "approved": N_("approved"),
              "rejected": N_("rejected")}


def _value(action: str, key: str, value: Any) -> str:
    """One detail value as people read it: phrases rendered, codes named, lists joined."""
    if isinstance(value, str) and is_phrase(value):
        return render(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        if key == "fields":
            return ", ".join(named(ORDER_FIELD_NAMES, str(v)) for v in value)
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_value(action, str(k), v) if not isinstance(v, dict) else v}" for k, v in value.items())
    if key.endswith("_fen") and isinstance(value, int):
        return yuan(value)
    text = "" if value is None else str(value)
    if key in ("from", "to", "status"):
        return named(STATUS_NAMES, text)
    if key == "kind":
        return named(APPROVAL_KIND_NAMES if action.startswith("approval.") else HOLD_NAMES, text)
    if key == "decision":
        return named(_DECISIONS, text)
    if key == "condition":
        return named(CONDITION_NAMES, text)
    if key == "platform":
        return named(PLATFORM_NAMES, text)
    return text


def describe(action: str, detail: str) -> tuple[str, str]:
    """An audit row as people read it in their language: the action's name, and its details."""
    name = named(ACTION_NAMES, action)
    if not detail:
        return name, ""
    try:
        data = json.loads(detail)
    except ValueError:
        return name, detail
    if not isinstance(data, dict):
        return name, str(data)
    if action == "order.status" and "from" in data and "to" in data:
        text = f"{_value(action, 'from', data['from'])} → {_value(action, 'to', data['to'])}"
        reason = _value(action, "reason", data.get("reason", ""))
        return name, f"{text}: {reason}" if reason else text
    parts = []
    for key, value in data.items():
        if value in ("", None, [], {}):
            continue
        parts.append(f"{named(DETAIL_NAMES, key)}: {_value(action, key, value)}")
    return name, "; ".join(parts)
