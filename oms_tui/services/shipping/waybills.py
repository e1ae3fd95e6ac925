"""E-waybills: one Kuaidi100 waybill per parcel, requested once and never twice.

Idempotent across a crash, in three steps (no transaction open while the courier is called):

1. a short transaction takes the parcel's row and writes (or finds) its ``WaybillRequest`` — one per
   parcel (unique) — with our ``client_order_id``; an issued request is returned as it is, no call made;
2. the call, outside any transaction, always with that same ``client_order_id``, so a request left
   ``requesting`` by a process that died after the courier answered is answered again with the number
   already issued, never with a second one;
3. another short transaction records the answer (number, courier's order id, label image) on the request
   and the parcel — the pack station then expects exactly that number — or the failure.

A waybill of a parcel cancelled before pickup is cancelled with the courier (``cancel_waybill``; the
scheduler's ``cancel_abandoned`` finds them).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from oms_tui.config import Kuaidi100Config
from oms_tui.db import read_session, session_scope
from oms_tui.errors import NotFound, ValidationError
from oms_tui.i18n import N_
from oms_tui.models import (
    Order,
    OrderStatus,
    Parcel,
    ParcelStatus,
    WaybillRequest,
    WaybillStatus,
    utcnow,
)
from oms_tui.redaction import redact
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor, require
from oms_tui.services.customers.withheld import waybill_receiver
from oms_tui.services.shipping.services import CarrierError, LabelRequest, LabelService


@dataclass(frozen=True)
class Issued:
    """A parcel's waybill as issued: the number, the courier, the label (base64) and whether it was new."""

    parcel_id: int
    waybill: str
    courier: str
    label_base64: str
    new: bool  # False: it had been issued before (nothing was asked of the courier)

    def __repr__(self) -> str:
        return f"Issued(parcel={self.parcel_id}, {self.courier} {self.waybill}, new={self.new})"


@dataclass(frozen=True)
class _Prepared:
    request_id: int
    label_request: LabelRequest | None  # None: already issued
    issued: Issued | None


def _live_orders(session: Session, parcel_id: int) -> list[Order]:
    return [o for o in session.exec(select(Order).where(Order.parcel_id == parcel_id).order_by(col(Order.id)))
            if o.status != OrderStatus.CANCELLED]


def _address(order: Order, address: str) -> str:
    parts = [order.receiver_province, order.receiver_city, order.receiver_district]
    head = "".join(p for p in parts if p and p not in address)
    return head + address


def _prepare(session: Session, parcel_id: int, user: str, config: Kuaidi100Config) -> _Prepared:
    parcel = session.get(Parcel, parcel_id, with_for_update=True)
    if parcel is None:
        raise NotFound(N_("no parcel {parcel}"), parcel=parcel_id)
    request = session.exec(select(WaybillRequest).where(WaybillRequest.parcel_id == parcel_id)).first()
    if request is not None and request.status == WaybillStatus.ISSUED:
        return _Prepared(request.id, None, Issued(parcel_id, request.waybill or "", request.courier, request.label,
                                                  False))
    if request is not None and request.status == WaybillStatus.CANCELLED:
        raise ValidationError(N_("parcel {parcel}: its waybill {waybill} was cancelled"), parcel=parcel_id,
                              waybill=request.waybill or "-")
    if parcel.status in (ParcelStatus.SHIPPED, ParcelStatus.CANCELLED):
        raise ValidationError(N_("parcel {parcel} is {status}: no waybill is requested for it"), parcel=parcel_id,
                              status=parcel.status)
    orders = _live_orders(session, parcel_id)
    if not orders:
        raise ValidationError(N_("parcel {parcel} has no order to ship"), parcel=parcel_id)
    account = config.account_for(parcel.courier or next((o.courier for o in orders if o.courier), None))
    if account is None:
        raise ValidationError(N_("no Kuaidi100 account for courier {courier} ([[kuaidi100.accounts]])"),
                              courier=parcel.courier or "-")
    if request is None:
        request = WaybillRequest(parcel_id=parcel_id, client_order_id=f"OMS{parcel_id}-{uuid.uuid4().hex[:10]}",
                                 courier=account.courier, requested_by=user[:64])
        session.add(request)
        session.flush()  # a second station inserting for the same parcel fails here (unique parcel_id)
    request.attempts += 1
    session.add(request)
    first = orders[0]
    receiver = waybill_receiver(first)
    refs = " ".join(o.platform_order_id for o in orders)
    label_request = LabelRequest(client_order_id=request.client_order_id, courier=request.courier,
                                 receiver_name=receiver.name, receiver_phone=receiver.phone,
                                 receiver_address=_address(first, receiver.address), oaid=receiver.oaid,
                                 remark=refs[:100])
    audit.record(session, user, "waybill.request", "parcel", parcel_id, courier=request.courier,
                 request=request.client_order_id, attempt=request.attempts)
    return _Prepared(request.id, label_request, None)


def issue_waybill(engine: Engine, parcel_id: int, *, actor: Actor, service: LabelService,
                  config: Kuaidi100Config) -> Issued:
    """The parcel's waybill: the one already issued, or a new one asked of the courier (see the module docstring).

    Raises the courier's ``CarrierError`` (recorded on the request) when it gave none; calling again retries
    with the same request id."""
    require(actor, "pack.ship")
    if not config.enabled:
        raise ValidationError(N_("Kuaidi100 e-waybills are not configured ([kuaidi100] key, secret, accounts)"))
    try:
        with session_scope(engine) as session:
            prepared = _prepare(session, parcel_id, actor.name, config)
    except IntegrityError:
        raise ValidationError(N_("parcel {parcel}: its waybill is being requested at another station right now"),
                              parcel=parcel_id) from None
    if prepared.issued is not None:
        return prepared.issued
    assert prepared.label_request is not None
    try:
        answer = service.create_label(prepared.label_request)
    except CarrierError as exc:
        with session_scope(engine) as session:
            request = session.get(WaybillRequest, prepared.request_id)
            if request.status != WaybillStatus.ISSUED:
                request.status = WaybillStatus.FAILED
                request.last_error = redact(str(exc), config.secret_values())[:500]
                session.add(request)
        raise
    with session_scope(engine) as session:
        request = session.get(WaybillRequest, prepared.request_id, with_for_update=True)
        parcel = session.get(Parcel, parcel_id, with_for_update=True)
        request.status = WaybillStatus.ISSUED
        request.waybill = answer.waybill
        request.courier_order_id = answer.courier_order_id[:64]
        request.label = answer.label_base64
        request.issued_at = utcnow()
        request.last_error = ""
        session.add(request)
        parcel.waybill = answer.waybill
        parcel.courier = request.courier
        session.add(parcel)
        audit.record(session, actor.name, "waybill.issue", "parcel", parcel_id, courier=request.courier,
                     waybill=answer.waybill, request=request.client_order_id)
        return Issued(parcel_id, answer.waybill, request.courier, answer.label_base64, True)


def request_of(session: Session, parcel_id: int) -> WaybillRequest | None:
    return session.exec(select(WaybillRequest).where(WaybillRequest.parcel_id == parcel_id)).first()


def cancel_waybill(engine: Engine, parcel_id: int, *, actor: Actor, service: LabelService,
                   reason: str = "parcel cancelled") -> WaybillRequest:
    """Cancel the parcel's issued waybill with the courier (only before it shipped); the parcel forgets it."""
    require(actor, "waybill.cancel")
    with read_session(engine) as session:
        request = request_of(session, parcel_id)
        parcel = session.get(Parcel, parcel_id)
        if request is None or request.status != WaybillStatus.ISSUED:
            raise ValidationError(N_("parcel {parcel} has no issued waybill to cancel"), parcel=parcel_id)
        if parcel is not None and parcel.status == ParcelStatus.SHIPPED:
            raise ValidationError(N_("parcel {parcel} has shipped with waybill {waybill}: it cannot be cancelled"),
                                  parcel=parcel_id, waybill=request.waybill or "")
    service.cancel_label(request.courier, request.waybill or "", request.courier_order_id, reason)
    with session_scope(engine) as session:
        request = session.get(WaybillRequest, request.id, with_for_update=True)
        parcel = session.get(Parcel, parcel_id, with_for_update=True)
        request.status = WaybillStatus.CANCELLED
        request.cancelled_at = utcnow()
        session.add(request)
        if parcel is not None and parcel.waybill == request.waybill and parcel.status != ParcelStatus.SHIPPED:
            parcel.waybill = None
            session.add(parcel)
        audit.record(session, actor.name, "waybill.cancel", "parcel", parcel_id, waybill=request.waybill,
                     reason=reason)
        return request


def abandoned(session: Session, limit: int = 50) -> list[int]:
    """Parcels with an issued waybill whose every order was cancelled before shipping: their waybills go back."""
    rows = session.exec(select(WaybillRequest.parcel_id).where(WaybillRequest.status == WaybillStatus.ISSUED)
                        .order_by(col(WaybillRequest.id))).all()
    out = []
    for parcel_id in rows:
        statuses = set(session.exec(select(Order.status).where(Order.parcel_id == parcel_id)).all())
        if statuses == {OrderStatus.CANCELLED}:
            out.append(parcel_id)
            if len(out) >= limit:
                break
    return out


def cancel_abandoned(engine: Engine, *, actor: Actor, service: LabelService) -> dict[str, int]:
    """The scheduler's sweep: cancel the waybills of parcels cancelled before pickup; errors wait for the next run."""
    with read_session(engine) as session:
        parcels = abandoned(session)
    done = failed = 0
    for parcel_id in parcels:
        try:
            cancel_waybill(engine, parcel_id, actor=actor, service=service, reason="order cancelled before pickup")
            done += 1
        except (CarrierError, ValidationError):
            failed += 1
    return {"cancelled": done, "failed": failed}
