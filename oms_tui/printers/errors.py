"""Printer errors: a printer that cannot be reached is a domain error with a readable message."""

from __future__ import annotations

from oms_tui.errors import OmsError


class PrinterOffline(OmsError):
    """The printer could not be opened or written to (off, unplugged, out of the network, no driver)."""
