"""Printer transports: a python-escpos printer object for a ``PrinterConfig``, and a link that sends
rendered bytes through it. Whatever goes wrong opening or writing (refused connection, timeout,
unplugged USB, missing driver package) becomes ``PrinterOffline`` with one readable line.

A transport factory is any ``Callable[[PrinterConfig], Escpos]``; ``open_printer`` is the real one,
``DummyPrinters`` keeps each printer's bytes in an ``escpos.printer.Dummy`` for tests and dry runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from types import TracebackType

from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Dummy, File, Network, Serial, Usb

from oms_tui.config import PrinterConfig
from oms_tui.i18n import N_
from oms_tui.printers.errors import PrinterOffline

TransportFactory = Callable[[PrinterConfig], Escpos]


def describe(config: PrinterConfig) -> str:
    """Where a printer is, as a person would say it: ``network 10.0.0.5:9100``."""
    if config.kind == "network":
        return f"network {config.host}:{config.port}"
    if config.kind == "usb":
        vendor = f"{config.vendor_id:04x}" if config.vendor_id is not None else "?"
        product = f"{config.product_id:04x}" if config.product_id is not None else "?"
        return f"usb {vendor}:{product}"
    if config.kind == "serial":
        return f"serial {config.device} @ {config.baudrate}"
    return f"file {config.device}"


class AppendFile(File):
    """A file printer that appends: a spool file keeps every job, a device node does not care."""

    def open(self, raise_not_found: bool = True) -> None:
        if self._device:
            self.close()
        self.device = open(self.devfile, "ab")


def open_printer(config: PrinterConfig) -> Escpos:
    """The python-escpos printer for ``config``, not yet connected (``open()`` connects)."""
    name = config.name
    if config.kind == "network":
        if not config.host:
            raise PrinterOffline(N_("printer {name}: no host configured"), name=name)
        return Network(config.host, config.port, timeout=config.timeout)
    if config.kind == "usb":
        if not Usb.is_usable():
            raise PrinterOffline(N_("printer {name}: USB printing needs the pyusb package (pip install pyusb)"),
                                 name=name)
        if config.vendor_id is None or config.product_id is None:
            raise PrinterOffline(N_("printer {name}: vendor_id and product_id are needed for a USB printer"), name=name)
        return Usb(config.vendor_id, config.product_id, timeout=int(config.timeout * 1000))
    if config.kind == "serial":
        if not Serial.is_usable():
            raise PrinterOffline(
                N_("printer {name}: serial printing needs the pyserial package (pip install pyserial)"), name=name)
        if not config.device:
            raise PrinterOffline(N_("printer {name}: no serial device configured"), name=name)
        return Serial(config.device, baudrate=config.baudrate, timeout=config.timeout)
    if config.kind == "file":
        if not config.device:
            raise PrinterOffline(N_("printer {name}: no device path configured"), name=name)
        return AppendFile(config.device)
    raise PrinterOffline(N_("printer {name}: unknown kind {kind!r}"), name=name, kind=config.kind)


def _reason(exc: BaseException) -> str:
    """The useful part of a driver's message: 'Connection refused', not a multi-line repr."""
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, DeviceNotFoundError) and isinstance(cause, OSError):
        exc = cause  # python-escpos wraps the socket / serial error in "Device not found (…)"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    text = re.sub(r"\[Errno -?\d+\]\s*", "", text)
    return text[:300]


class PrinterLink:
    """One printer for a run of jobs: connected on the first send, closed when the run ends."""

    def __init__(self, config: PrinterConfig, factory: TransportFactory = open_printer) -> None:
        self.config = config
        self.factory = factory
        self._printer: Escpos | None = None

    def send(self, payload: bytes) -> None:
        """Write ``payload``; PrinterOffline (and a closed link) when the printer does not take it."""
        try:
            if self._printer is None:
                printer = self.factory(self.config)
                printer.open()
                self._printer = printer
            self._printer._raw(payload)
        except PrinterOffline:
            self.close()
            raise
        except Exception as exc:
            self.close()
            raise PrinterOffline(N_("printer {name} ({where}) is offline: {reason}"), name=self.config.name,
                                 where=describe(self.config), reason=_reason(exc)) from exc

    def close(self) -> None:
        printer, self._printer = self._printer, None
        if printer is not None:
            try:
                printer.close()
            except Exception:
                pass

    def __enter__(self) -> PrinterLink:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def send(config: PrinterConfig, payload: bytes, *, factory: TransportFactory = open_printer) -> None:
    """Send one payload to one printer and close the connection."""
    with PrinterLink(config, factory) as link:
        link.send(payload)


class DummyPrinters:
    """A transport factory that prints nowhere: each printer is an escpos ``Dummy`` keeping its bytes.

    Names in ``offline`` fail like an unplugged printer (for tests of the retry path).
    """

    def __init__(self, offline: Iterable[str] = ()) -> None:
        self.printers: dict[str, Dummy] = {}
        self.offline = set(offline)

    def __call__(self, config: PrinterConfig) -> Escpos:
        if config.name in self.offline:
            raise PrinterOffline(N_("printer {name} ({where}) is offline: {reason}"), name=config.name,
                                 where=describe(config), reason="switched off (dummy)")
        return self.printers.setdefault(config.name, Dummy())

    def output(self, name: str) -> bytes:
        printer = self.printers.get(name)
        return printer.output if printer is not None else b""
