"""The pick-list printer is switched off: the wave goes ahead, the job waits, and prints when it is back."""

from __future__ import annotations

from oms_tui.db import read_session, session_scope
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.services.floor import print_request, printing, waves
from tests.helpers.faults import floor_orders, violations
from tests.helpers.printing import expected_bytes, network, settings_with


def test_a_pick_list_for_a_printer_that_is_down_prints_when_it_comes_up(seeded, listener, no_duplicate_check):
    floor_orders(seeded, "PRN", 3, to="ready")
    config = network("拣货打印机", listener)  # a free loopback port, bound but not listening yet: switched off
    settings = settings_with(config)
    with session_scope(seeded) as s:
        wave = waves.create_wave(s, catalogue.get_warehouse(s, "WH1"), courier="yuantong", actor=Actor.system("wh1"))
        data = waves.pick_list(s, wave).as_print_data()
        outcome = print_request.request_print(s, "pick_list", ref=wave.code, data=data, user="wh1", settings=settings)
    assert outcome.queued

    down = printing.process_queue(seeded, settings)
    assert (down.printed, down.retrying) == (0, 1)
    with read_session(seeded) as s:
        waiting = printing.get_job(s, outcome.job_id)
        assert waiting.status == "queued" and waiting.attempts == 1 and "拣货打印机" in waiting.last_error
        assert waves.get_wave(s, wave.id).status == "picking"  # the floor carries on without the paper
    assert violations(seeded) == []

    listener.start()
    up = printing.process_queue(seeded, settings, now=waiting.next_attempt_at)  # its back-off is over
    assert (up.printed, up.retrying, up.errors) == (1, 0, [])
    with read_session(seeded) as s:
        assert printing.get_job(s, outcome.job_id).status == "done"
    assert listener.received == expected_bytes("pick_list", data, config)
    assert violations(seeded) == []
