"""Returns: find the shipped order a parcel came back for, take its goods back in, owe the refund.

Resaleable units go back on hand (and may serve orders waiting for stock); damaged ones are
counted in ``damaged`` and never sold. The refund defaults to the returned lines' price × qty.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from oms_tui.errors import ValidationError
from oms_tui.i18n import N_
from oms_tui.limits import MAX_FEN, require_fen
from oms_tui.models import (
    Customer,
    Order,
    OrderLine,
    OrderStatus,
    RefundStatus,
    ReturnCondition,
    ReturnLine,
    ReturnRecord,
    Sku,
)
from oms_tui.names import CONDITION_NAMES
from oms_tui.phrases import phrase
from oms_tui.services.catalogue import couriers
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor, require
from oms_tui.services.customers import identity, normalize
from oms_tui.services.floor.print_request import PrintOutcome, request_print
from oms_tui.services.orders import after_sale, allocation, queries
from oms_tui.services.orders.queries import get_order
from oms_tui.services.stock import ledger

RETURNABLE = (OrderStatus.SHIPPED, OrderStatus.DELIVERED)
CONDITIONS = tuple(ReturnCondition)
MAX_FOUND = 50


def find_for_return(session: Session, query: str) -> list[Order]:
    """Shipped orders a waybill, a platform order id or our id names (``queries.match_reference``), or
    the buyer's phone's, newest shipped first."""
    text = (query or "").strip()
    if not text:
        raise ValidationError(N_("scan or type a waybill, an order id or a phone number"))
    found: dict[int, Order] = {}

    def take(rows) -> None:  # noqa: ANN001 - query results or a list
        for order in rows:
            if order is not None and order.status in RETURNABLE:
                found.setdefault(order.id, order)

    named = queries.match_reference(session, text, limit=MAX_FOUND)
    take(named.orders if named else [])
    mobile = normalize.normalize_mobile(text)
    if mobile:
        people = {member for found_id in session.exec(select(Customer.id).where(Customer.phone_norm == mobile))
                  for member in identity.customer_group(session, found_id)}  # merged customers too, any depth
        if people:
            take(session.exec(select(Order).where(col(Order.customer_id).in_(sorted(people)),
                                                  col(Order.status).in_([str(s) for s in RETURNABLE]))
                               .order_by(col(Order.shipped_at).desc()).limit(MAX_FOUND)))
        # Orders whose receiver phone was typed differently from the customer's: no index, but the
        # returns desk asks rarely and only among shipped orders.
        spelled = {text, mobile, f"+86{mobile}", f"+86 {mobile}", f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"}
        take(session.exec(select(Order).where(col(Order.receiver_phone).in_(spelled),
                                              col(Order.status).in_([str(s) for s in RETURNABLE]))
                          .order_by(col(Order.shipped_at).desc()).limit(MAX_FOUND)))
    return sorted(found.values(), key=lambda o: (o.shipped_at is None, -(o.shipped_at.timestamp()
                                                                         if o.shipped_at else 0), -o.id))[:MAX_FOUND]


@dataclass(frozen=True)
class ReturnableLine:
    line_id: int
    sku: str
    name: str
    qty: int  # shipped
    returned: int  # came back already
    price_fen: int

    @property
    def returnable(self) -> int:
        return self.qty - self.returned


def returnable_lines(session: Session, order: Order) -> list[ReturnableLine]:
    """The order's lines with what was shipped and what has come back so far."""
    rows = session.exec(
        select(OrderLine.id, OrderLine.sku_code, func.coalesce(Sku.name, OrderLine.title), OrderLine.qty,
               OrderLine.returned_qty, OrderLine.price_fen)
        .outerjoin(Sku, col(Sku.id) == col(OrderLine.sku_id))
        .where(OrderLine.order_id == order.id)
        .order_by(col(OrderLine.id))
    ).all()
    return [ReturnableLine(*row) for row in rows]


def refunded_so_far(session: Session, order_id: int) -> int:
    return int(session.exec(select(func.coalesce(func.sum(ReturnRecord.refund_fen), 0)).where(
        ReturnRecord.order_id == order_id, ReturnRecord.refund_status != RefundStatus.REFUSED)).one())


def record_return(session: Session, order: Order, lines: list[tuple[int, int, str]], *, reason: str,
                  refund_fen: int | None = None, waybill_in: str = "", actor: Actor) -> ReturnRecord:
    """Record returned units ``[(order_line_id, qty, condition)]``: stock back, a refund owed, audited.

    ``refund_fen`` defaults to the returned lines' price × qty; it can never exceed what the order
    paid less what was refunded before.
    """
    require(actor, "returns.receive")
    user = actor.name
    if order.status not in RETURNABLE:
        raise ValidationError(N_("order {order} has not shipped; cancel it instead"), order=order.platform_order_id)
    if not lines:
        raise ValidationError(N_("say which lines came back"))
    own = {line.id: line for line in session.exec(select(OrderLine).where(OrderLine.order_id == order.id))}
    wanted: dict[int, int] = defaultdict(int)
    for line_id, qty, condition in lines:
        line = own.get(line_id)
        if line is None:
            raise ValidationError(N_("line {line} is not on order {order}"), line=line_id,
                                  order=order.platform_order_id)
        ledger.require_positive(qty, f"{line.sku_code} quantity")
        if condition not in CONDITIONS:
            raise ValidationError(N_("condition must be one of {conditions}, got {condition!r}"),
                                  conditions=", ".join(CONDITIONS), condition=condition)
        if line.sku_id is None:
            raise ValidationError(N_("{sku} is not a SKU we stock; it cannot come back into stock"), sku=line.sku_code)
        wanted[line_id] += qty
    for line_id, qty in wanted.items():
        line = own[line_id]
        if line.returned_qty + qty > line.qty:
            raise ValidationError(N_("{sku}: {shipped} shipped, {returned} already returned; cannot return {qty} more"),
                                  sku=line.sku_code, shipped=line.qty, returned=line.returned_qty, qty=qty)
    value = sum(own[line_id].price_fen * qty for line_id, qty in wanted.items())
    already = refunded_so_far(session, order.id)
    ceiling = max(order.paid_fen, sum(l.price_fen * l.qty for l in own.values())) - already
    if refund_fen is None:
        refund_fen = max(0, min(value, ceiling, MAX_FEN))
    elif require_fen(refund_fen, N_("refund")) > ceiling:
        raise ValidationError(N_("refund {refund} fen is more than the {left} fen left to refund on order {order}"),
                              refund=refund_fen, left=max(ceiling, 0), order=order.platform_order_id)
    record = ReturnRecord(order_id=order.id, waybill_in=couriers.normalize_waybill(waybill_in)[:64],
                          reason=(reason or "").strip()[:300], refund_fen=refund_fen, created_by=user)
    session.add(record)
    session.flush()
    for line_id, qty, condition in lines:
        session.add(ReturnLine(return_id=record.id, order_line_id=line_id, qty=qty, condition=condition))
        allocation.return_stock(session, order, own[line_id], qty, condition=condition, user=user,
                               reason=phrase(N_("return #{record}: {condition}, {reason}") if record.reason
                                             else N_("return #{record}: {condition}"), record=record.id,
                                             condition=CONDITION_NAMES.get(condition, condition),
                                             reason=record.reason, translated=("condition",)))
    session.flush()
    audit.record(session, user, "return.record", "order", order.id, return_id=record.id, refund_fen=refund_fen,
                 waybill_in=record.waybill_in, reason=record.reason,
                 lines=[{"sku": own[i].sku_code, "qty": q, "condition": c} for i, q, c in lines])
    return record


def lines_of_return(session: Session, record: ReturnRecord) -> list[tuple[ReturnLine, OrderLine]]:
    return list(session.exec(
        select(ReturnLine, OrderLine).join(OrderLine, col(OrderLine.id) == col(ReturnLine.order_line_id))
        .where(ReturnLine.return_id == record.id).order_by(col(ReturnLine.id))
    ).all())


def return_slip_data(session: Session, record: ReturnRecord) -> dict:
    """The ``return_slip`` document's data for the printing service."""
    order = session.get(Order, record.order_id)
    names = dict(session.exec(select(OrderLine.id, func.coalesce(Sku.name, OrderLine.title))
                              .outerjoin(Sku, col(Sku.id) == col(OrderLine.sku_id))
                              .where(OrderLine.order_id == record.order_id)).all())
    return {
        "order": order.platform_order_id if order else str(record.order_id), "return_id": record.id,
        "reason": record.reason, "refund_fen": record.refund_fen,
        "lines": [{"sku": line.sku_code, "name": names.get(line.id, ""), "qty": ret.qty, "condition": ret.condition}
                  for ret, line in lines_of_return(session, record)],
    }


def print_return_slip(session: Session, record: ReturnRecord, *, actor: Actor, printer: str | None = None,
                      settings=None) -> PrintOutcome:
    """Queue the return slip; without a printer the outcome says so and the return stands."""
    require(actor, "returns.receive")
    user = actor.name
    outcome = request_print(session, "return_slip", ref=f"R{record.id}", data=return_slip_data(session, record),
                            printer=printer, user=user, settings=settings)
    if outcome.queued:
        audit.record(session, user, "return.print", "order", record.order_id, return_id=record.id,
                     job=outcome.job_id)
    return outcome


# --- the returns desk: one call per key ---------------------------------------------------------

def lines_for_return(session: Session, order_id: int) -> list[ReturnableLine]:
    """``returnable_lines`` of the order with this id (NotFound for an unknown id)."""
    return returnable_lines(session, get_order(session, order_id))


@dataclass(frozen=True)
class RecordedReturn:
    """What the returns desk shows once a return is confirmed."""

    return_id: int
    refund_fen: int
    units: int
    print_outcome: PrintOutcome
    lines: list[ReturnableLine]  # the order's lines as they stand now, for a further return


def record_and_print(session: Session, order_id: int, lines: list[tuple[int, int, str]], *, reason: str,
                     refund_fen: int | None = None, waybill_in: str = "", actor: Actor, printer: str | None = None,
                     settings=None) -> RecordedReturn:  # noqa: ANN001 - the app's Settings, or None
    """Confirm a return in one transaction: ``record_return``, then queue its slip (a missing printer is
    an outcome and never undoes the return); the lines are read again for the next return."""
    order = get_order(session, order_id)
    record = record_return(session, order, lines, reason=reason, refund_fen=refund_fen, waybill_in=waybill_in,
                           actor=actor)
    outcome = print_return_slip(session, record, actor=actor, printer=printer, settings=settings)
    return RecordedReturn(record.id, record.refund_fen, sum(qty for _line, qty, _condition in lines), outcome,
                          returnable_lines(session, order))


# --- after-sales the platforms reported (refund requests after shipping) -----------------------

@dataclass(frozen=True)
class AfterSaleRow:
    """An after-sale the platform reported for a shipped order whose goods have not come back (yet)."""

    return_id: int
    order_id: int
    platform: str
    platform_order_id: str
    reason: str  # what the platform said (the buyer's reason), without our marker
    refund_fen: int
    refund_status: str
    created_at: datetime


def platform_after_sales(session: Session, *, limit: int = 50) -> list[AfterSaleRow]:
    """The platforms' after-sales of orders the returns desk has received nothing back for, not refused by
    the platform, newest first: what may still come back."""
    received = (select(ReturnRecord.order_id)
                .join(ReturnLine, col(ReturnLine.return_id) == col(ReturnRecord.id)))
    rows = session.exec(
        select(ReturnRecord, Order.platform, Order.platform_order_id)
        .join(Order, col(Order.id) == col(ReturnRecord.order_id))
        .where(col(ReturnRecord.reason).startswith(after_sale.PLATFORM_REASON_PREFIX),
               ReturnRecord.refund_status != RefundStatus.REFUSED, col(ReturnRecord.order_id).not_in(received))
        .order_by(col(ReturnRecord.created_at).desc(), col(ReturnRecord.id).desc()).limit(limit)).all()
    return [AfterSaleRow(r.id, r.order_id, platform, ref, r.reason.removeprefix(after_sale.PLATFORM_REASON_PREFIX),
                         r.refund_fen, r.refund_status, r.created_at) for r, platform, ref in rows]


def parse_yuan(text: str) -> int | None:
    """'12.5' or '¥12.50' → 1250 fen (never through float); empty → None."""
    cleaned = re.sub(r"[\s¥￥,]", "", text or "")
    if not cleaned:
        return None
    match = re.fullmatch(r"(\d+)(?:\.(\d{1,2}))?", cleaned)
    if not match:
        raise ValidationError(N_("not an amount in yuan: {text!r}"), text=text)
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
