"""The print queue on SQLite and PostgreSQL: jobs survive an offline printer, print when it is back,
keep their order per printer, back off, and reprint byte for byte."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from oms_tui.config import PrinterConfig
from oms_tui.db import read_session, session_scope
from oms_tui.errors import NotFound, PermissionDenied, ValidationError
from oms_tui.models import AuditEvent, PrintJob, utcnow
from oms_tui.printers.transports import DummyPrinters
from oms_tui.services.core.actor import Actor
from oms_tui.services.floor import printing
from tests.helpers.documents import PACKING_SLIP, PICK_LIST
from tests.helpers.printing import expected_bytes, network, settings_with


def dummy(name: str, **kw) -> PrinterConfig:
    return PrinterConfig(name=name, kind="file", device="/dev/null", **kw)


def enqueue(engine, settings, document="packing_slip", data=None, *, ref="TB2026111100001", printer=None) -> int:
    with session_scope(engine) as session:
        job = printing.enqueue(session, document, ref=ref, data=PACKING_SLIP if data is None else data,
                               printer=printer, user="li", settings=settings)
        return job.id


def job(engine, job_id) -> PrintJob:
    with read_session(engine) as session:
        return printing.get_job(session, job_id)


# --- choosing the printer and queueing -------------------------------------------------------

def test_default_printer_is_the_one_naming_the_document_else_a_general_one_else_the_first():
    settings = settings_with(dummy("拣货", documents=["pick_list"]), dummy("打包台"), dummy("退货", documents=["return_slip"]))
    assert printing.choose_printer(settings, "pick_list").name == "拣货"
    assert printing.choose_printer(settings, "return_slip").name == "退货"
    assert printing.choose_printer(settings, "packing_slip").name == "打包台"
    assert printing.choose_printer(settings, "packing_slip", "退货").name == "退货"
    only_special = settings_with(dummy("拣货", documents=["pick_list"]), dummy("退货", documents=["return_slip"]))
    assert printing.choose_printer(only_special, "packing_slip").name == "拣货"
    with pytest.raises(ValidationError, match="no printer named 'x'"):
        printing.choose_printer(settings, "pick_list", "x")
    with pytest.raises(ValidationError, match="no printer is configured"):
        printing.choose_printer(settings_with(), "pick_list")
    with pytest.raises(ValidationError, match="unknown document"):
        printing.choose_printer(settings, "invoice")


def test_enqueue_stores_the_job_in_the_callers_transaction(engine):
    settings = settings_with(dummy("拣货", documents=["pick_list"]), dummy("打包台"))
    with pytest.raises(RuntimeError):
        with session_scope(engine) as session:
            printing.enqueue(session, "packing_slip", ref="TB1", data=PACKING_SLIP, user="li", settings=settings)
            raise RuntimeError("the shipment failed")
    with read_session(engine) as session:
        assert printing.count_jobs(session) == 0
    job_id = enqueue(engine, settings, "pick_list", PICK_LIST, ref="W20261111-003")
    stored = job(engine, job_id)
    assert (stored.printer, stored.document, stored.ref, stored.status, stored.attempts, stored.created_by) == (
        "拣货", "pick_list", "W20261111-003", "queued", 0, "li")
    assert printing.job_data(stored) == PICK_LIST


def test_enqueue_refuses_what_could_never_print(engine):
    settings = settings_with(dummy("打包台"))
    with session_scope(engine) as session:
        with pytest.raises(ValidationError, match="unknown document"):
            printing.enqueue(session, "invoice", ref="x", data={}, user="li", settings=settings)
        with pytest.raises(ValidationError, match="no printer named"):
            printing.enqueue(session, "packing_slip", ref="x", data=PACKING_SLIP, printer="nope", user="li",
                             settings=settings)
        with pytest.raises(ValidationError, match="'items'"):
            printing.enqueue(session, "packing_slip", ref="x", data={"order": "TB1"}, user="li", settings=settings)
    with pytest.raises(ValidationError, match="no printer is configured"):
        with session_scope(engine) as session:
            printing.enqueue(session, "packing_slip", ref="x", data=PACKING_SLIP, user="li", settings=settings_with())


# --- sending ---------------------------------------------------------------------------------

def test_offline_printer_keeps_the_job_queued_then_prints_it_when_back(engine, listener):
    config = network("打包台", listener)
    settings = settings_with(config)
    job_id = enqueue(engine, settings)
    now = utcnow()

    run = printing.process_queue(engine, settings, now=now)  # the listener is not listening yet
    assert (run.printed, run.retrying) == (0, 1)
    offline = job(engine, job_id)
    assert offline.status == "queued" and offline.attempts == 1 and offline.printed_at is None
    assert "打包台" in offline.last_error and "refused" in offline.last_error.lower()
    assert offline.next_attempt_at == now + timedelta(seconds=printing.BACKOFF.base_seconds)

    listener.start()
    assert printing.process_queue(engine, settings, now=now).printed == 0  # not due yet: backing off
    run = printing.process_queue(engine, settings, now=offline.next_attempt_at)
    assert (run.printed, run.retrying, run.errors) == (1, 0, [])
    printed = job(engine, job_id)
    assert printed.status == "done" and printed.attempts == 2 and printed.printed_at is not None
    assert printed.last_error == ""
    assert listener.received == expected_bytes("packing_slip", PACKING_SLIP, config)


def test_reprint_is_a_new_job_with_identical_bytes(engine, listener):
    listener.start()
    config = network("打包台", listener)
    settings = settings_with(config)
    original_id = enqueue(engine, settings)
    assert printing.process_queue(engine, settings).printed == 1
    listener.wait_idle()
    first = listener.connections[-1]

    with session_scope(engine) as session:
        copy = printing.reprint(session, original_id, user="boss")
        copy_id = copy.id
    assert copy_id != original_id
    copied = job(engine, copy_id)
    assert (copied.reprint_of, copied.status, copied.created_by, copied.data) == (
        original_id, "queued", "boss", job(engine, original_id).data)
    assert printing.process_queue(engine, settings).printed == 1
    listener.wait_idle()
    assert listener.connections[-1] == first
    assert len(listener.connections) == 2
    with pytest.raises(NotFound), session_scope(engine) as session:
        printing.reprint(session, 999_999, user="boss")


def test_one_printer_down_does_not_stop_another_and_its_own_jobs_keep_their_order(engine):
    settings = settings_with(dummy("打包台"), dummy("拣货", documents=["pick_list"]))
    first = enqueue(engine, settings, ref="TB1", data=dict(PACKING_SLIP, order="TB1"))
    pick = enqueue(engine, settings, "pick_list", PICK_LIST, ref="W1")
    second = enqueue(engine, settings, ref="TB2", data=dict(PACKING_SLIP, order="TB2"))
    printers = DummyPrinters(offline={"打包台"})
    now = utcnow()

    run = printing.process_queue(engine, settings, now=now, transport_factory=printers)
    assert (run.printed, run.retrying) == (1, 1)
    assert job(engine, pick).status == "done"
    assert printers.output("拣货") == expected_bytes("pick_list", PICK_LIST, settings.printers[1])
    assert (job(engine, first).status, job(engine, first).attempts) == ("queued", 1)
    assert (job(engine, second).status, job(engine, second).attempts) == ("queued", 0)  # waits behind TB1

    printers.offline.clear()
    run = printing.process_queue(engine, settings, now=now + timedelta(minutes=1), transport_factory=printers)
    assert run.printed == 2
    out = printers.output("打包台")
    tb1 = expected_bytes("packing_slip", dict(PACKING_SLIP, order="TB1"), settings.printers[0])
    tb2 = expected_bytes("packing_slip", dict(PACKING_SLIP, order="TB2"), settings.printers[0])
    assert out == tb1 + tb2  # in the order they were queued


def test_back_off_doubles_and_is_capped(engine):
    settings = settings_with(dummy("打包台"))
    job_id = enqueue(engine, settings)
    printers = DummyPrinters(offline={"打包台"})
    now = utcnow()
    waits = []
    for _attempt in range(8):
        printing.process_queue(engine, settings, now=now, transport_factory=printers)
        stored = job(engine, job_id)
        waits.append((stored.next_attempt_at - now).total_seconds())
        now = stored.next_attempt_at
    assert waits == [10, 20, 40, 80, 160, 300, 300, 300]
    stored = job(engine, job_id)
    assert stored.status == "queued" and stored.attempts == 8  # never given up, never dropped


def test_a_job_that_cannot_render_fails_without_blocking_the_printer(engine):
    settings = settings_with(dummy("打包台"))
    broken = enqueue(engine, settings)
    good = enqueue(engine, settings, ref="TB2")
    with session_scope(engine) as session:
        session.get(PrintJob, broken).data = '{"order": "TB1", "items": "not a list"}'  # damaged row
    printers = DummyPrinters()
    run = printing.process_queue(engine, settings, transport_factory=printers)
    assert (run.printed, run.failed) == (1, 1)
    assert job(engine, broken).status == "failed" and "cannot render" in job(engine, broken).last_error
    assert job(engine, good).status == "done"

    with session_scope(engine) as session:
        assert printing.retry_now(session, broken, user="li").status == "queued"
        with pytest.raises(ValidationError, match="already printed"):
            printing.retry_now(session, good)


def test_retry_now_makes_a_backing_off_job_due(engine):
    settings = settings_with(dummy("打包台"))
    job_id = enqueue(engine, settings)
    printers = DummyPrinters(offline={"打包台"})
    printing.process_queue(engine, settings, transport_factory=printers)
    printers.offline.clear()
    assert printing.process_queue(engine, settings, transport_factory=printers).printed == 0  # backing off
    with session_scope(engine) as session:
        printing.retry_now(session, job_id, user="li")
    assert printing.process_queue(engine, settings, transport_factory=printers).printed == 1


def test_retry_now_on_a_later_job_tries_the_earlier_ones_first(engine):
    settings = settings_with(dummy("打包台"))
    first = enqueue(engine, settings, ref="TB1", data=dict(PACKING_SLIP, order="TB1"))
    second = enqueue(engine, settings, ref="TB2", data=dict(PACKING_SLIP, order="TB2"))
    printers = DummyPrinters(offline={"打包台"})
    printing.process_queue(engine, settings, transport_factory=printers)
    printers.offline.clear()
    with session_scope(engine) as session:
        printing.retry_now(session, second, user="li")
    assert printing.process_queue(engine, settings, transport_factory=printers).printed == 2
    assert job(engine, first).printed_at <= job(engine, second).printed_at


def test_a_claimed_job_is_not_sent_twice_until_its_claim_expires(engine):
    settings = settings_with(dummy("打包台"))
    job_id = enqueue(engine, settings)
    now = utcnow()
    with session_scope(engine) as session:  # another process took it and died before finishing
        stored = session.get(PrintJob, job_id)
        stored.status = "printing"
        stored.next_attempt_at = now + timedelta(seconds=printing.LEASE_SECONDS)
    printers = DummyPrinters()
    assert printing.process_queue(engine, settings, now=now, transport_factory=printers).printed == 0
    later = now + timedelta(seconds=printing.LEASE_SECONDS + 1)
    assert printing.process_queue(engine, settings, now=later, transport_factory=printers).printed == 1
    assert job(engine, job_id).status == "done"


def test_a_job_for_a_printer_no_longer_configured_waits(engine):
    job_id = enqueue(engine, settings_with(dummy("旧打印机")))
    run = printing.process_queue(engine, settings_with(dummy("打包台")), transport_factory=DummyPrinters())
    assert run.retrying == 1
    stored = job(engine, job_id)
    assert stored.status == "queued" and "旧打印机 is not configured" in stored.last_error


def test_list_and_count_jobs(engine):
    settings = settings_with(dummy("打包台"), dummy("拣货", documents=["pick_list"]))
    ids = [enqueue(engine, settings, ref=f"TB{i}") for i in range(3)]
    enqueue(engine, settings, "pick_list", PICK_LIST, ref="W1")
    printing.process_queue(engine, settings, transport_factory=DummyPrinters(offline={"打包台"}))
    with read_session(engine) as session:
        assert printing.count_jobs(session) == 4
        assert printing.count_jobs(session, status="queued") == 3
        assert printing.count_jobs(session, printer="拣货", status="done") == 1
        assert [j.id for j in printing.list_jobs(session, printer="打包台")] == ids[::-1]  # newest first
        assert [j.id for j in printing.list_jobs(session, printer="打包台", limit=2, offset=1)] == ids[1::-1]
        with pytest.raises(ValidationError, match="unknown print job status"):
            printing.list_jobs(session, status="lost")


def test_the_printer_is_written_to_with_no_transaction_open(engine):
    from tests.no_transaction import assert_no_transaction_open

    settings = settings_with(dummy("打包台"))
    enqueue(engine, settings)
    printers = DummyPrinters()

    def checking_factory(config):
        printer = printers(config)
        raw = printer._raw

        def write(payload):
            assert_no_transaction_open(engine)
            raw(payload)
        printer._raw = write
        return printer

    assert printing.process_queue(engine, settings, transport_factory=checking_factory).printed == 1
    assert printers.output("打包台")


# --- printing now, cancelling ---------------------------------------------------------------

PACKER = Actor("li", frozenset({"warehouse"}))


def test_print_now_says_whether_the_job_printed_or_waits_for_an_offline_printer(engine):
    settings = settings_with(dummy("打包台"), dummy("备用"))
    printers = DummyPrinters(offline={"打包台"})
    first, second = enqueue(engine, settings), enqueue(engine, settings)
    state = printing.print_now(engine, settings, second, actor=PACKER, transport_factory=printers)
    # The earlier slip goes first and the printer refuses it: the later one is not sent, and says why.
    assert (state.job_id, state.printer, state.status, state.offline, state.printed) == (
        second, "打包台", "queued", True, False)
    assert job(engine, first).attempts == 1 and job(engine, second).attempts == 0
    printers.offline.clear()
    state = printing.print_now(engine, settings, second, actor=PACKER, transport_factory=printers)
    assert state.printed and not state.offline
    assert (job(engine, first).status, job(engine, second).status) == ("done", "done")
    assert printers.output("备用") == b""  # only the job's own printer was tried


def test_print_now_of_someone_elses_job_needs_the_print_queue_permission(engine):
    settings = settings_with(dummy("打包台"))
    job_id = enqueue(engine, settings)  # queued by li
    with pytest.raises(PermissionDenied):
        printing.print_now(engine, settings, job_id, actor=Actor("zhang", frozenset({"cs_lead"})),
                           transport_factory=DummyPrinters())
    assert job(engine, job_id).attempts == 0
    lead = Actor("wang", frozenset({"warehouse_lead"}))
    assert printing.print_now(engine, settings, job_id, actor=lead, transport_factory=DummyPrinters()).printed


def test_reprint_now_on_another_printer(engine):
    settings = settings_with(dummy("打包台"), dummy("备用"))
    printers = DummyPrinters(offline={"打包台"})
    original = enqueue(engine, settings)
    printing.process_queue(engine, settings, transport_factory=printers)
    state = printing.reprint_now(engine, settings, original, actor=PACKER, printer="备用", transport_factory=printers)
    assert (state.printer, state.printed) == ("备用", True)
    assert printers.output("备用") == expected_bytes("packing_slip", PACKING_SLIP, dummy("备用"))
    with read_session(engine) as session:
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "print.reprint")).one()
        assert (audit.user, audit.entity_id) == ("li", str(state.job_id))
    with pytest.raises(ValidationError, match="no printer named"):
        printing.reprint_now(engine, settings, original, actor=PACKER, printer="nowhere", transport_factory=printers)


def test_a_cancelled_job_never_prints_and_the_cancel_is_audited(engine):
    settings = settings_with(dummy("打包台"))
    printers = DummyPrinters(offline={"打包台"})
    stuck, later = enqueue(engine, settings, ref="TB1"), enqueue(engine, settings, ref="TB2")
    printing.process_queue(engine, settings, transport_factory=printers)  # the printer is off: both wait
    with session_scope(engine) as session:
        assert printing.cancel_job(session, stuck, actor=PACKER).status == "cancelled"
    printers.offline.clear()
    run = printing.process_queue(engine, settings, now=utcnow() + timedelta(minutes=10), transport_factory=printers)
    assert run.printed == 1 and (job(engine, stuck).status, job(engine, later).status) == ("cancelled", "done")
    assert printers.output("打包台") == expected_bytes("packing_slip", PACKING_SLIP, dummy("打包台"))
    with read_session(engine) as session:
        assert printing.pending_count(session) == 0 and printing.count_jobs(session, status="cancelled") == 1
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "print.cancel")).one()
        assert (audit.user, audit.entity_id) == ("li", str(stuck))
        assert '"was": "queued"' in audit.detail and "TB1" in audit.detail


@pytest.mark.parametrize("status, message", [
    ("done", "already printed"), ("cancelled", "already cancelled"), ("printing", "being sent right now"),
])
def test_what_cannot_be_cancelled_is_refused_and_left_alone(engine, status, message):
    settings = settings_with(dummy("打包台"))
    job_id = enqueue(engine, settings)
    with session_scope(engine) as session:
        stored = session.get(PrintJob, job_id)
        stored.status = status
        stored.next_attempt_at = utcnow() + timedelta(seconds=printing.LEASE_SECONDS)
    with pytest.raises(ValidationError, match=message), session_scope(engine) as session:
        printing.cancel_job(session, job_id, actor=PACKER)
    assert job(engine, job_id).status == status
    with read_session(engine) as session:
        assert not session.exec(select(AuditEvent).where(AuditEvent.action == "print.cancel")).all()


def test_cancelling_needs_the_print_queue_permission(engine):
    job_id = enqueue(engine, settings_with(dummy("打包台")))
    with pytest.raises(PermissionDenied), session_scope(engine) as session:
        printing.cancel_job(session, job_id, actor=Actor("zhang", frozenset({"cs"})))
    assert job(engine, job_id).status == "queued"
    with pytest.raises(ValidationError, match="was cancelled; reprint it"), session_scope(engine) as session:
        printing.cancel_job(session, job_id, actor=PACKER)
        printing.retry_now(session, job_id, user="li")
