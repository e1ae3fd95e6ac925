"""The pack station: scan the order, scan every item of its parcel, scan the waybill — shipped.

A ``PackSession`` is one station's state between scans (plain data, no UI). ``scan`` takes what
the gun typed and returns a ``ScanResult`` the screen draws. Every scan is one short transaction
that writes a ``ScanEvent``; a wrong, extra or unknown scan writes only that. The waybill scan
ships the whole parcel in one transaction: each order packed and shipped (stock deducted), the
parcel closed with its waybill, one ``platform_ship`` outbox row per order.

Per-scan work is kept small so a station keeps up with a gun: the parcel's SKU codes and
barcodes are held in memory once the order is scanned, so an item scan is one INSERT; anything
else is a handful of indexed look-ups (order by platform order id or id, SKU by code or barcode).

Messages are English templates marked with ``N_`` plus their fields; the screen translates them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, bindparam
from sqlmodel import Session, col, select

from oms_tui.db import retrying_transaction, session_scope
from oms_tui.errors import NotFound, OmsError
from oms_tui.i18n import N_
from oms_tui.phrases import render
from oms_tui.models import (
    SCAN_ERRORS,
    Hold,
    HoldKind,
    Order,
    OrderLine,
    OrderStatus,
    Parcel,
    ParcelStatus,
    ScanEvent,
    ScanOutcome,
    Sku,
    SkuBarcode,
    utcnow,
)
from oms_tui.services.catalogue import couriers
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core import audit
from oms_tui.services.core.actor import Actor, require
from oms_tui.services.floor import ship_notices, waves
from oms_tui.services.orders import actions, holds, queries, refunds
from oms_tui.services.shipping import tracking
from oms_tui.services.stock import ledger

# Asks the courier for the parcel's waybill and queues its label (labels.issue_and_print with the station's
# adapter and settings bound): (engine, parcel id) → what was issued. None: waybills come from elsewhere.
WaybillIssuer = Callable[[Engine, int], Any]

IDLE = "idle"  # nothing on the bench: scan an order or slip
ITEMS = "items"  # verifying the parcel's items
WAYBILL = "waybill"  # every item verified: scan the waybill
CLEARED = "cleared"  # the result of putting the parcel aside: shown, never recorded (not a ScanOutcome)

PACKABLE = (OrderStatus.PICKING, OrderStatus.PACKED)


@dataclass
class PackLine:
    """One SKU of the parcel: how many units it needs, how many were scanned."""

    sku_id: int
    sku: str
    name: str
    spec: str
    needed: int
    verified: int = 0

    @property
    def done(self) -> bool:
        return self.verified >= self.needed


@dataclass
class ParcelWork:
    """The parcel on the bench: all orders merged in it and the SKUs they need together."""

    parcel_id: int | None
    order_ids: tuple[int, ...]
    refs: tuple[str, ...]  # the platform order ids
    courier: str | None
    lines: list[PackLine]
    codes: dict[str, int]  # SKU code or barcode → index in lines
    # A waybill issued to the parcel before packing (an e-waybill service): the only one it may ship with.
    expected_waybill: str | None = None

    @property
    def units(self) -> int:
        return sum(line.needed for line in self.lines)

    @property
    def verified(self) -> int:
        return sum(min(line.verified, line.needed) for line in self.lines)

    @property
    def complete(self) -> bool:
        return all(line.done for line in self.lines)


@dataclass(frozen=True)
class LineView:
    sku: str
    name: str
    spec: str
    verified: int
    needed: int


@dataclass(frozen=True)
class ScanResult:
    """What one scan did, and the bench after it (plain values for the screen)."""

    code: str
    result: str
    template: str  # English, N_()-marked; the screen shows _(template).format(**params)
    params: dict[str, Any]
    phase: str
    refs: tuple[str, ...] = ()
    courier: str | None = None
    lines: tuple[LineView, ...] = ()
    sku: str | None = None  # the SKU this scan touched
    seconds: float = 0.0  # time spent in the service
    translated: tuple[str, ...] = ()  # params whose values are msgids themselves (a courier's name, a shape)

    @property
    def message(self) -> str:
        return self.template.format(**self.params)

    @property
    def is_error(self) -> bool:
        return self.result in SCAN_ERRORS


class _Refused(Exception):
    def __init__(self, template: str, **params: Any) -> None:
        super().__init__(template.format(**params))
        self.template, self.params = template, params


# The hot path's statements are built once: building SQLAlchemy statements costs more than
# running these indexed look-ups.
_INSERT_SCAN = ScanEvent.__table__.insert()
_PARCEL_ORDERS = select(Order).where(Order.parcel_id == bindparam("parcel")).order_by(col(Order.id))
_ORDERS_FOR_SHIP = (select(Order).where(col(Order.id).in_(bindparam("ids", expanding=True))).order_by(col(Order.id))
                    .with_for_update())
_BLOCKING_HOLDS = (select(Hold.order_id, Hold.kind)
                   .where(col(Hold.order_id).in_(bindparam("ids", expanding=True)), col(Hold.resolved_at).is_(None),
                          col(Hold.blocking).is_(True))
                   .order_by(col(Hold.id)))
_PARCEL_LINES = (select(OrderLine.order_id, OrderLine.sku_id, OrderLine.sku_code, OrderLine.qty, Sku.code, Sku.name,
                        Sku.spec)
                 .outerjoin(Sku, col(Sku.id) == col(OrderLine.sku_id))
                 .where(col(OrderLine.order_id).in_(bindparam("ids", expanding=True)))
                 .order_by(col(OrderLine.id)))
_BARCODES = select(SkuBarcode.barcode, SkuBarcode.sku_id).where(
    col(SkuBarcode.sku_id).in_(bindparam("skus", expanding=True)))
_PARCEL_COURIER = select(Parcel.courier, Parcel.waybill).where(Parcel.id == bindparam("parcel"))
# Another parcel or order with this waybill (the parcel's own issued waybill is no clash).
_PARCEL_WITH_WAYBILL = select(Parcel.id).where(Parcel.waybill == bindparam("waybill"),
                                                Parcel.id != bindparam("parcel")).limit(1)
_ORDER_WITH_WAYBILL = select(Order.id).where(Order.waybill == bindparam("waybill"),
                                              col(Order.id).not_in(bindparam("ids", expanding=True))).limit(1)


def _ensure_parcel(session: Session, work: ParcelWork) -> int:
    """The parcel the bench's orders ship in, made now for an order packed on its own (a waybill is per parcel)."""
    members = list(session.exec(_ORDERS_FOR_SHIP, params={"ids": list(work.order_ids)}))
    existing = next((o.parcel_id for o in members if o.parcel_id is not None), None)
    if existing is not None:
        return existing
    parcel = Parcel(wave_id=members[0].wave_id, address_key=waves.merge_key(members[0]), courier=work.courier)
    session.add(parcel)
    session.flush()
    for order in members:
        order.parcel_id = parcel.id
        session.add(order)
    return parcel.id


def _holds_refusal(session: Session, ref: str, order_id: int, kinds: list[str]) -> _Refused:
    """Why a parcel may not be packed or shipped: a buyer's refund request says so with the buyer's reason."""
    if HoldKind.REFUND_REQUESTED in kinds:
        return _Refused(N_("Order {order}: the buyer asked for a refund ({reason}); do not pack or ship it"),
                        order=ref, reason=refunds.refund_reason(session, order_id) or "-")
    if set(kinds) & holds.APPROVAL_KINDS:  # an address change after picking, say: wait for the decision
        waiting = next(h for h in holds.open_holds(session, order_id) if h.kind in holds.APPROVAL_KINDS)
        return _Refused(N_("Order {order} waits for approval, do not pack it: {reason}"), order=ref,
                        reason=render(waiting.reason))
    return _Refused(N_("Order {order} has open holds: {holds}"), order=ref, holds=", ".join(kinds))


@dataclass
class PackSession:
    """One pack station's state: the parcel on the bench and the shift's counters."""

    actor: Actor  # who packs: the scans, ledger and audit trail name them, and "pack.ship" is checked
    station: str = ""
    work: ParcelWork | None = None
    scans: int = 0
    errors: int = 0
    parcels_shipped: int = 0
    orders_shipped: int = 0
    # The e-waybill service: once every item is verified the station asks it for the waybill and prints the
    # label, and then accepts exactly that number. None: the waybill is scanned from a label made elsewhere.
    issuer: WaybillIssuer | None = None

    @property
    def user(self) -> str:
        """The name the scans, ledger and audit trail record for this station's work."""
        return self.actor.name

    @property
    def phase(self) -> str:
        if self.work is None:
            return IDLE
        return WAYBILL if self.work.complete else ITEMS

    # --- the one entry point -------------------------------------------------------------------

    def scan(self, engine: Engine, code: str) -> ScanResult:
        """Handle one scan; database failures propagate (nothing is counted then)."""
        require(self.actor, "pack.ship")
        started = time.perf_counter()
        code = (code or "").strip()
        if not code:
            return self._result(code, "", N_("Nothing scanned"), {}, started=started)
        work = self.work
        index = None
        if work is not None:
            index = work.codes.get(code)
            if index is None and code.upper() != code:
                index = work.codes.get(code.upper())
        if index is not None:
            result = self._item(engine, code, index, started)
        else:
            # Nothing in memory changes before the database has done its part, so a transaction the
            # database picked as a deadlock victim can simply run again.
            result = retrying_transaction(engine, lambda session: self._classify(session, code, started))
        work = self.work
        if (self.issuer is not None and work is not None and work.complete and not work.expected_waybill
                and not result.is_error):
            result = self._issue(engine, code, started)
        self.scans += 1
        if result.is_error:
            self.errors += 1
        return result

    def clear(self) -> ScanResult:
        """Put the parcel on the bench aside (Escape); nothing is written."""
        refs = self.work.refs if self.work else ()
        self.work = None
        return self._result("", CLEARED, N_("Cleared: scan the next order"), {"orders": " ".join(refs)})

    # --- items (in memory, one INSERT) ----------------------------------------------------------

    def _item(self, engine: Engine, code: str, index: int, started: float) -> ScanResult:
        work = self.work
        assert work is not None
        line = work.lines[index]
        if line.done:
            template, params, kind = (N_("Extra {sku} {name}: {needed} needed, all verified already"),
                                      {"sku": line.sku, "name": line.name, "needed": line.needed}, ScanOutcome.EXTRA)
        elif line.verified + 1 == line.needed and work.verified + 1 == work.units:
            template, params, kind = (N_("All {units} items verified: scan the waybill"), {"units": work.units},
                                      ScanOutcome.OK)
        else:
            template, params, kind = (N_("{sku} {name}: {verified} of {needed}"),
                                      {"sku": line.sku, "name": line.name, "verified": line.verified + 1,
                                       "needed": line.needed}, ScanOutcome.OK)
        with session_scope(engine) as session:
            self._record(session, code, kind, template.format(**params), work.order_ids[0], work.parcel_id)
        if kind == ScanOutcome.OK:
            line.verified += 1  # only once the scan is on record
        return self._result(code, kind, template, params, sku=line.sku, started=started)

    # --- the e-waybill: asked for once the parcel is complete ----------------------------------------

    def _issue(self, engine: Engine, code: str, started: float) -> ScanResult:
        """Get the parcel's waybill and label from the courier (outside any transaction); the station then
        expects exactly that number. A failure is shown; scanning the order again asks again (same request)."""
        work = self.work
        assert work is not None and self.issuer is not None
        try:
            if work.parcel_id is None:
                work.parcel_id = retrying_transaction(engine, lambda session: _ensure_parcel(session, work))
            outcome = self.issuer(engine, work.parcel_id)
        except OmsError as exc:
            template, params = N_("No e-waybill yet: {error}. Scan the order again to ask again"), {"error": str(exc)}
            with session_scope(engine) as session:
                self._record(session, code, ScanOutcome.FAILED, template.format(**params), work.order_ids[0],
                             work.parcel_id)
            return self._result(code, ScanOutcome.FAILED, template, params, started=started)
        work.expected_waybill = couriers.normalize_waybill(outcome.waybill)
        work.courier = outcome.courier
        params = {"units": work.units, "waybill": outcome.waybill, "courier": outcome.courier}
        if outcome.job_id is None and outcome.new:
            template = N_("All {units} items verified: waybill {waybill}, but no label printer took the label "
                          "(reprint it from the order), then scan it")
        else:
            template = N_("All {units} items verified: label {courier} {waybill} printing, scan it")
        return self._result(code, ScanOutcome.OK, template, params, started=started)

    # --- anything that is not one of the parcel's items ------------------------------------------

    def _classify(self, session: Session, code: str, started: float) -> ScanResult:
        try:
            order = self._find_order(session, code)
        except queries.AmbiguousReference as ambiguous:
            return self._error(session, code, ScanOutcome.REFUSED,
                               N_("{code} is the number of several orders ({orders}): type our order number"),
                               {"code": code, "orders": ", ".join(f"{o.platform} #{o.id}" for o in ambiguous.orders)},
                               started)
        if order is not None:
            return self._order_scanned(session, code, order, started)
        work = self.work
        sku = catalogue.find_sku(session, code)
        if sku is not None:
            if work is None:
                return self._error(session, code, ScanOutcome.UNKNOWN,
                                   N_("No parcel open: scan the order or slip first ({sku})"), {"sku": sku.code},
                                   started)
            return self._error(session, code, ScanOutcome.WRONG, N_("Wrong item {sku} {name}: not in this parcel"),
                               {"sku": sku.code, "name": sku.name}, started, sku=sku.code)
        if work is None:
            return self._error(session, code, ScanOutcome.UNKNOWN, N_("Unknown code {code}: scan an order or slip"),
                               {"code": code}, started)
        waybill = couriers.normalize_waybill(code)
        expected = work.expected_waybill
        if not work.complete:
            if couriers.is_product_barcode(waybill, work.courier) and waybill != expected:
                return self._error(session, code, ScanOutcome.WRONG,
                                   N_("{code}: this is a product barcode we do not know, not in this parcel"),
                                   {"code": code}, started)
            if couriers.matching_couriers(waybill) or waybill == expected:
                return self._error(session, code, ScanOutcome.WAYBILL_BAD,
                                   N_("Scan every item before the waybill: {verified} of {units} verified"),
                                   {"verified": work.verified, "units": work.units}, started)
            return self._error(session, code, ScanOutcome.UNKNOWN, N_("Unknown code {code}"), {"code": code}, started)
        if not (expected or couriers.matching_couriers(waybill) or couriers.is_product_barcode(waybill, work.courier)):
            return self._error(session, code, ScanOutcome.UNKNOWN, N_("Unknown code {code}: scan the waybill"),
                               {"code": code}, started)
        courier = work.courier or couriers.guess_courier(waybill)
        try:
            waybill = couriers.validate_waybill(courier, waybill, expected=expected)
        except couriers.WaybillRefused as refused:
            return self._error(session, code, ScanOutcome.WAYBILL_BAD, refused.template, refused.params, started,
                               translated=refused.translated_params)
        assert courier is not None  # validate_waybill refuses a parcel without one
        return self._ship(session, code, waybill, courier, started)

    def _order_scanned(self, session: Session, code: str, order: Order, started: float) -> ScanResult:
        work = self.work
        if work is not None and order.id in work.order_ids:
            params = {"orders": " ".join(work.refs), "verified": work.verified, "units": work.units}
            template = N_("Parcel {orders} resumed: {verified} of {units} verified")
            self._record(session, code, ScanOutcome.DOUBLE, template.format(**params), order.id, work.parcel_id)
            return self._result(code, ScanOutcome.DOUBLE, template, params, started=started)
        try:
            new = self._load_parcel(session, order)
        except _Refused as refused:
            return self._error(session, code, ScanOutcome.REFUSED, refused.template, refused.params, started,
                               order_id=order.id, parcel_id=order.parcel_id)
        params = {"orders": " ".join(new.refs), "units": new.units}
        template = N_("Parcel {orders}: {units} items to verify")
        if work is not None:
            template = N_("Parcel {orders}: {units} items to verify ({previous} put aside unfinished)")
            params["previous"] = " ".join(work.refs)
        self._record(session, code, ScanOutcome.ORDER, template.format(**params), order.id, new.parcel_id)
        self.work = new
        return self._result(code, ScanOutcome.ORDER, template, params, started=started)

    def _load_parcel(self, session: Session, scanned: Order) -> ParcelWork:
        if scanned.parcel_id is not None:
            members = list(session.exec(_PARCEL_ORDERS, params={"parcel": scanned.parcel_id}))
        else:
            members = [scanned]
        live = [o for o in members if o.status != OrderStatus.CANCELLED]
        if not live:
            raise _Refused(N_("Order {order} is {status}: only orders being picked can be packed"),
                           order=scanned.platform_order_id, status=scanned.status)
        for order in live:
            if order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
                raise _Refused(N_("Order {order} already shipped with waybill {waybill}"),
                               order=order.platform_order_id, waybill=order.waybill or "")
            if order.status not in PACKABLE:
                raise _Refused(N_("Order {order} is {status}: only orders being picked can be packed"),
                               order=order.platform_order_id, status=order.status)
        ids = [o.id for o in live]
        blocking = session.exec(_BLOCKING_HOLDS, params={"ids": ids}).all()
        if blocking:
            order_id = blocking[0][0]
            ref = next(o.platform_order_id for o in live if o.id == order_id)
            raise _holds_refusal(session, ref, order_id, [kind for oid, kind in blocking if oid == order_id])
        rows = session.exec(_PARCEL_LINES, params={"ids": ids}).all()
        lines: dict[int, PackLine] = {}
        for order_id, sku_id, line_code, qty, code, name, spec in rows:
            if sku_id is None:
                ref = next(o.platform_order_id for o in live if o.id == order_id)
                raise _Refused(N_("Order {order} has a line with an unknown SKU ({sku})"), order=ref, sku=line_code)
            if sku_id in lines:
                lines[sku_id].needed += qty
            else:
                lines[sku_id] = PackLine(sku_id, code, name, spec, qty)
        if not lines:
            raise _Refused(N_("Order {order} has nothing to pack"), order=scanned.platform_order_id)
        ordered = list(lines.values())
        codes = {line.sku: i for i, line in enumerate(ordered)}
        position = {line.sku_id: i for i, line in enumerate(ordered)}
        for barcode, sku_id in session.exec(_BARCODES, params={"skus": list(lines)}):
            codes[barcode] = position[sku_id]
        courier = issued = None
        if scanned.parcel_id is not None:
            found = session.exec(_PARCEL_COURIER, params={"parcel": scanned.parcel_id}).first()
            courier, issued = found if found is not None else (None, None)
        courier = courier or next((o.courier for o in live if o.courier), None)
        # None of them has shipped (checked above), so a waybill on the parcel or an order was issued in advance.
        issued = issued or next((o.waybill for o in live if o.waybill), None)
        return ParcelWork(scanned.parcel_id, tuple(ids), tuple(o.platform_order_id for o in live), courier, ordered,
                          codes, expected_waybill=couriers.normalize_waybill(issued) if issued else None)

    # --- the waybill: ship the parcel ------------------------------------------------------------

    def _ship(self, session: Session, code: str, waybill: str, courier: str, started: float) -> ScanResult:
        work = self.work
        assert work is not None
        used = (session.exec(_PARCEL_WITH_WAYBILL, params={"waybill": waybill, "parcel": work.parcel_id or 0}).first()
                or session.exec(_ORDER_WITH_WAYBILL, params={"waybill": waybill, "ids": list(work.order_ids)}).first())
        if used is not None:
            return self._error(session, code, ScanOutcome.WAYBILL_BAD,
                               N_("Waybill {waybill} is already on another parcel"), {"waybill": waybill}, started)
        try:
            with session.begin_nested():
                shipped = self._ship_parcel(session, work, waybill, courier)
        except _Refused as refused:
            return self._error(session, code, ScanOutcome.REFUSED, refused.template, refused.params, started)
        except OmsError as exc:
            # The service's own template and values: the screen shows them in the packer's language.
            return self._error(session, code, ScanOutcome.FAILED, exc.template or str(exc), exc.params, started)
        params = {"orders": " ".join(o.platform_order_id for o in shipped), "courier": courier, "waybill": waybill}
        template = N_("Shipped {orders}: {courier} {waybill}")
        for order in shipped:
            self._record(session, code, ScanOutcome.SHIPPED, template.format(**params), order.id, order.parcel_id)
        self.work = None
        self.parcels_shipped += 1
        self.orders_shipped += len(shipped)
        return self._result(code, ScanOutcome.SHIPPED, template, params, started=started, refs=work.refs,
                            courier=courier)

    def _ship_parcel(self, session: Session, work: ParcelWork, waybill: str, courier: str) -> list[Order]:
        members = list(session.exec(_ORDERS_FOR_SHIP, params={"ids": list(work.order_ids)}))
        # Read again under a row lock: another station or CS may have moved them since the order scan.
        for order in members:
            if order.status not in PACKABLE:
                raise _Refused(N_("Order {order} is {status}: only orders being picked can be packed"),
                               order=order.platform_order_id, status=order.status)
        blocking = session.exec(_BLOCKING_HOLDS, params={"ids": list(work.order_ids)}).all()
        if blocking:
            order_id = blocking[0][0]
            ref = next(o.platform_order_id for o in members if o.id == order_id)
            raise _holds_refusal(session, ref, order_id, [kind for oid, kind in blocking if oid == order_id])
        parcel = session.get(Parcel, work.parcel_id, with_for_update=True) if work.parcel_id else None
        if parcel is None:
            parcel = Parcel(wave_id=members[0].wave_id, address_key=waves.merge_key(members[0]), courier=courier)
            session.add(parcel)
            session.flush()
        if parcel.status == ParcelStatus.SHIPPED:
            raise _Refused(N_("Order {order} already shipped with waybill {waybill}"),
                           order=members[0].platform_order_id, waybill=parcel.waybill or "")
        # Every member's stock rows in the global order before the first is shipped: a merged parcel's
        # orders would otherwise take them order by order, not in the order other transactions do.
        ledger.lock_levels(session, [(o.warehouse_id, sku_id) for o in members
                                     for sku_id in {line.sku_id for line in ledger.order_lines(session, o.id)}
                                     if sku_id is not None])
        now = utcnow()
        for order in members:
            if order.status == OrderStatus.PICKING:
                actions.mark_packed(session, order, user=self.user)
            actions.ship(session, order, waybill=waybill, courier=courier, user=self.user, shipped_at=now)
            order.parcel_id = parcel.id
            session.add(order)
            ship_notices.enqueue_notice(session, order)  # the platform is told, through the outbox
        parcel.status = ParcelStatus.SHIPPED
        parcel.waybill = waybill
        parcel.courier = courier
        parcel.shipped_at = now
        session.add(parcel)
        session.flush()
        audit.record(session, self.user, "parcel.ship", "parcel", parcel.id, waybill=waybill, courier=courier,
                     station=self.station, orders=[o.platform_order_id for o in members])
        tracking.register(session, parcel, members, now=now)  # followed from now on (push and poll)
        for wave_id in sorted({o.wave_id for o in members if o.wave_id is not None}):
            waves.close_if_done(session, wave_id, user=self.user)
        return members

    # --- look-ups and records --------------------------------------------------------------------

    def _find_order(self, session: Session, code: str) -> Order | None:
        """The order a scan names by the platform's order id (the slip's barcode) or our order number, by
        the rule every look-up shares; AmbiguousReference when it names several."""
        try:
            return queries.find_by_reference(session, code, waybills=False)
        except NotFound:
            return None

    def _record(self, session: Session, code: str, result: str, message: str, order_id: int | None,
                parcel_id: int | None) -> None:
        session.execute(_INSERT_SCAN, {"at": utcnow(), "station": self.station[:32], "user": self.user[:64],
                                       "order_id": order_id, "parcel_id": parcel_id, "code": code[:128],
                                       "result": result, "message": message[:300]})

    def _error(self, session: Session, code: str, result: str, template: str, params: dict[str, Any],
               started: float, *, sku: str | None = None, order_id: int | None = None,
               parcel_id: int | None = None, translated: tuple[str, ...] = ()) -> ScanResult:
        work = self.work
        if work is not None:
            order_id = order_id or work.order_ids[0]
            parcel_id = parcel_id or work.parcel_id
        self._record(session, code, result, template.format(**params), order_id, parcel_id)
        return self._result(code, result, template, params, sku=sku, started=started, translated=translated)

    def _result(self, code: str, result: str, template: str, params: dict[str, Any], *, sku: str | None = None,
                started: float | None = None, refs: tuple[str, ...] | None = None,
                courier: str | None = None, translated: tuple[str, ...] = ()) -> ScanResult:
        work = self.work
        lines = tuple(LineView(l.sku, l.name, l.spec, l.verified, l.needed) for l in work.lines) if work else ()
        return ScanResult(
            code=code, result=result, template=template, params=params, phase=self.phase,
            refs=work.refs if work else (refs or ()), courier=work.courier if work else courier, lines=lines,
            sku=sku, seconds=time.perf_counter() - started if started is not None else 0.0,
            translated=tuple(name for name in translated if name in params),
        )
