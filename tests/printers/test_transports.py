"""Transports: the bytes a document renders to reach a network printer (a real loopback listener) or a
file unchanged; a printer that is not there is PrinterOffline with a readable line, quickly."""

from __future__ import annotations

import time

import pytest
from escpos.printer import Dummy, Usb

from oms_tui.config import PrinterConfig
from oms_tui.printers.documents import render, render_bytes
from oms_tui.printers.errors import PrinterOffline
from oms_tui.printers.transports import DummyPrinters, PrinterLink, open_printer, send
from tests.helpers.documents import PACKING_SLIP, SHOP
from tests.helpers.printer_listener import PrinterListener


def network(listener: PrinterListener, name: str = "打包台") -> PrinterConfig:
    return PrinterConfig(name=name, kind="network", host="127.0.0.1", port=listener.port, timeout=2)


def test_network_printer_receives_exactly_the_rendered_bytes(listener):
    listener.start()
    assert listener.port != 9100
    payload = render_bytes("packing_slip", PACKING_SLIP, width_mm=80, shop_name=SHOP)
    send(network(listener), payload)
    assert listener.received == payload


def test_rendering_straight_into_a_network_printer_gives_the_same_bytes(listener):
    listener.start()
    printer = open_printer(network(listener))
    printer.open()
    render(printer, "test_page", {}, width_mm=58, shop_name=SHOP)
    printer.close()
    dummy = Dummy()
    render(dummy, "test_page", {}, width_mm=58, shop_name=SHOP)
    assert listener.received == dummy.output


def test_one_link_sends_several_jobs_over_one_connection(listener):
    listener.start()
    with PrinterLink(network(listener)) as link:
        link.send(b"\x1b@one\n")
        link.send(b"\x1b@two\n")
    assert listener.received == b"\x1b@one\n\x1b@two\n"
    assert len(listener.connections) == 1


def test_a_printer_that_does_not_answer_is_offline(listener):
    started = time.monotonic()
    with pytest.raises(PrinterOffline) as error:
        send(network(listener), b"\x1b@")  # bound, not listening: refused like a switched-off printer
    assert time.monotonic() - started < 3
    message = str(error.value)
    assert f"打包台 (network 127.0.0.1:{listener.port}) is offline" in message
    assert "refused" in message.lower()
    assert "\n" not in message


def test_file_printer_appends_each_job(tmp_path):
    spool = tmp_path / "lp0"
    config = PrinterConfig(name="spool", kind="file", device=str(spool))
    send(config, b"\x1b@first\n")
    send(config, b"\x1b@second\n")
    assert spool.read_bytes() == b"\x1b@first\n\x1b@second\n"


def test_file_printer_that_is_not_there_is_offline(tmp_path):
    config = PrinterConfig(name="usb-lp", kind="file", device=str(tmp_path / "no-such-dir" / "lp0"))
    with pytest.raises(PrinterOffline, match=r"usb-lp \(file .*lp0\) is offline: No such file or directory"):
        send(config, b"\x1b@")


@pytest.mark.skipif(Usb.is_usable(), reason="pyusb is installed here")
def test_usb_without_its_driver_package_says_what_to_install():
    config = PrinterConfig(name="usb", kind="usb", vendor_id=0x0416, product_id=0x5011)
    with pytest.raises(PrinterOffline, match="pyusb"):
        send(config, b"\x1b@")


def test_incomplete_configuration_is_offline_not_a_crash():
    with pytest.raises(PrinterOffline, match="no host"):
        send(PrinterConfig(name="n", kind="network"), b"")
    with pytest.raises(PrinterOffline, match="no device"):
        send(PrinterConfig(name="f", kind="file"), b"")


def test_dummy_printers_keep_bytes_and_can_be_switched_off():
    printers = DummyPrinters(offline={"off"})
    send(PrinterConfig(name="on", kind="file", device="/dev/null"), b"abc", factory=printers)
    assert printers.output("on") == b"abc"
    with pytest.raises(PrinterOffline, match="off"):
        send(PrinterConfig(name="off", kind="file", device="/dev/null"), b"abc", factory=printers)
