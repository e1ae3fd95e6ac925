"""E-waybills at the pack station: asked of Kuaidi100 once the parcel is complete, the label queued, exactly
that number accepted — and one waybill per parcel even when the process dies between the answer and the record."""

import pytest
from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.models import Order, OrderStatus, Parcel, PrintJob, Shipment, WaybillRequest, WaybillStatus
from oms_tui.services.core.actor import Actor
from oms_tui.services.floor import labels, packing
from oms_tui.services.orders import actions, queries
from oms_tui.services.shipping import waybills
from tests.helpers.kuaidi100 import ready_parcel, station

TOWEL = "6901234567892"


def test_complete_parcel_gets_its_waybill_and_label_and_only_that_number_ships(shop, kd, kd_config, carrier):
    ready_parcel(shop, "K1", courier="zhongtong")
    pack = station(kd_config, carrier)
    assert pack.scan(shop, "K1").result == "order"
    done = pack.scan(shop, TOWEL)
    assert done.result == "ok" and done.phase == packing.WAYBILL, done.message
    (number,) = kd.kuaidi100.waybills  # asked of the courier exactly once
    assert done.params["waybill"] == number
    with read_session(shop) as s:
        request = s.exec(select(WaybillRequest)).one()
        job = s.exec(select(PrintJob)).one()
        parcel = s.get(Parcel, request.parcel_id)
    assert (request.status, request.waybill, parcel.waybill) == (WaybillStatus.ISSUED, number, number)
    assert request.label and job.document == "waybill_label" and job.printer == "label"
    # A typed number of the right shape, and a product barcode, are not this parcel's waybill.
    other = pack.scan(shop, "731234567890123")
    assert other.result == "waybill_bad" and "expected waybill" in other.message
    shipped = pack.scan(shop, number)
    assert shipped.result == "waybill", shipped.message
    with read_session(shop) as s:
        order = s.exec(select(Order).where(Order.platform_order_id == "K1")).one()
        shipment = s.exec(select(Shipment)).one()
    assert (order.status, order.waybill) == (OrderStatus.SHIPPED, number)
    assert (shipment.waybill, shipment.courier, shipment.phone_tail) == (number, "zhongtong", "8000")
    assert len(kd.kuaidi100.waybills) == 1


class DiesAfterAnswer:
    """The courier answers, then the process dies before the answer is recorded."""

    def __init__(self, real):
        self.real = real

    def create_label(self, request):
        self.real.create_label(request)
        raise KeyboardInterrupt("killed")

    def cancel_label(self, *args):
        return self.real.cancel_label(*args)

    def close(self):
        pass


def test_a_crash_between_answer_and_record_never_asks_for_a_second_waybill(shop, kd, kd_config, carrier):
    ready_parcel(shop, "K2")
    with session_scope(shop) as s:
        order = queries.find_by_reference(s, "K2")
        parcel = Parcel(courier="zhongtong")
        s.add(parcel)
        s.flush()
        order.parcel_id, parcel_id = parcel.id, parcel.id
        s.add(order)
    actor = Actor("li", {"warehouse"})
    with pytest.raises(KeyboardInterrupt):
        waybills.issue_waybill(shop, parcel_id, actor=actor, service=DiesAfterAnswer(carrier),
                               config=kd_config.kuaidi100)
    with read_session(shop) as s:
        left = s.exec(select(WaybillRequest)).one()
    assert left.status == WaybillStatus.REQUESTING and left.waybill is None
    issued = waybills.issue_waybill(shop, parcel_id, actor=actor, service=carrier, config=kd_config.kuaidi100)
    again = waybills.issue_waybill(shop, parcel_id, actor=actor, service=carrier, config=kd_config.kuaidi100)
    assert len(kd.kuaidi100.waybills) == 1 and issued.waybill in kd.kuaidi100.waybills
    assert issued.new and not again.new and again.waybill == issued.waybill
    label_calls = [form for name, form in kd.kuaidi100.calls if name == "label:order"]
    assert len(label_calls) == 2  # the retry re-sent the same request id; the third call was never made
    with read_session(shop) as s:
        request = s.exec(select(WaybillRequest)).one()
    assert request.client_order_id == left.client_order_id and request.attempts == 2


def test_refused_request_is_shown_and_retried_with_the_same_id(shop, kd, kd_config, carrier):
    ready_parcel(shop, "K3")
    pack = station(kd_config, carrier)
    pack.scan(shop, "K3")
    kd.kuaidi100.fail_next.append((503, {"error": "busy"}))
    failed = pack.scan(shop, TOWEL)
    assert failed.result == "failed" and "Scan the order again" in failed.message
    assert kd.kuaidi100.waybills == {}
    retried = pack.scan(shop, "K3")  # the order again: asked again, same request
    assert retried.result == "ok" and retried.params["waybill"] in kd.kuaidi100.waybills
    ids = {__import__("json").loads(f["param"])["thirdOrderId"] for n, f in kd.kuaidi100.calls if n == "label:order"}
    assert len(ids) == 1


def test_cancelled_parcel_waybill_is_cancelled_with_the_courier_and_label_reprints(shop, kd, kd_config, carrier):
    ready_parcel(shop, "K4")
    pack = station(kd_config, carrier)
    pack.scan(shop, "K4")
    number = pack.scan(shop, TOWEL).params["waybill"]
    lead = Actor("wang", {"warehouse_lead"})
    reprinted = labels.reprint_label(shop, "K4", actor=lead, settings=kd_config)
    assert reprinted.waybill == number and reprinted.job_id
    with session_scope(shop) as s:
        actions.cancel(s, queries.find_by_reference(s, "K4"), actor=Actor.system("cs"), reason="buyer changed mind")
    assert waybills.cancel_abandoned(shop, actor=Actor.system("scheduler"), service=carrier) == {
        "cancelled": 1, "failed": 0}
    assert kd.kuaidi100.waybills[number].cancelled
    with read_session(shop) as s:
        request = s.exec(select(WaybillRequest)).one()
        assert request.status == WaybillStatus.CANCELLED and s.get(Parcel, request.parcel_id).waybill is None
    assert waybills.cancel_abandoned(shop, actor=Actor.system("scheduler"), service=carrier)["cancelled"] == 0
