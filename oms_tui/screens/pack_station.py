"""Pack station: one input that always has focus; the gun scans the order, every item, the waybill.

Scans are handled strictly in the order the gun sent them, none dropped: the input hands each
code to a FIFO queue the moment Enter arrives (and clears itself in the same step, so the next
code never mixes with this one), and a single worker thread drains the queue one scan at a time
through ``packing.PackSession.scan``. Each result comes back to the screen as a message, in order.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections import deque

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Label, Static

from oms_tui.i18n import N_, _
from oms_tui.models import ScanOutcome
from oms_tui.screens.base import OmsScreen, describe_error
from oms_tui.screens.formatting import HOLD_NAMES, SCAN_NAMES, STATUS_NAMES, named, num, plain
from oms_tui.services.catalogue import couriers
from oms_tui.services.floor import labels, packing
from oms_tui.widgets.scan_input import ScanInput

_CLEAR = object()  # queued like a scan, so Escape applies after the scans typed before it
HISTORY_ROWS = 50
LATENCY_SAMPLES = 1000


class PackStationScreen(OmsScreen):
    TITLE_ID = N_("Pack station")
    CSS_PATH = "pack_station.tcss"
    BINDINGS = [
        Binding("escape", "clear_parcel", N_("Clear parcel / back"), priority=True),
    ]

    class ScanDone(Message):
        def __init__(self, result: packing.ScanResult, at: float) -> None:
            super().__init__()
            self.result = result
            self.at = at

    class ScanFailed(Message):
        def __init__(self, code: str, error: str, at: float) -> None:
            super().__init__()
            self.code = code
            self.error = error
            self.at = at

    def __init__(self, station: str | None = None) -> None:
        super().__init__()
        self.station = (station or os.environ.get("OMS_STATION") or socket.gethostname() or "pack")[:32]
        self.pack = packing.PackSession(station=self.station, actor=self.actor)
        self._pending: deque = deque()
        self._lock = threading.Lock()
        self._draining = False
        # What the screen has shown (updated on the UI thread only, in the order scans were sent).
        self.scans = 0
        self.errors = 0
        self.parcels = 0
        self.queued = 0  # handed to the queue, result not shown yet
        self.peak_queued = 0
        self.phase = packing.IDLE
        self._shown_skus: tuple[str, ...] = ()  # the parcel lines the table shows, to update in place
        self.parcel: tuple[str, int, int] | None = None  # the open parcel as shown: orders, verified, units
        self._marked_sku: str | None = None
        self.latencies: deque[float] = deque(maxlen=LATENCY_SAMPLES)  # seconds from Enter to the result shown

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="pack-top"):
            yield Label(_("Station {station}").format(station=self.station), id="station")
            yield Label("", id="counters")
        yield ScanInput(placeholder=_("Scan the order or slip, then each item, then the waybill"), id="scan",
                        select_on_focus=False)
        yield Static(_("Scan an order to start"), id="message", classes="info", markup=False)
        yield Label("", id="parcel")
        lines = DataTable(id="lines", cursor_type="none", zebra_stripes=True)
        lines.can_focus = False
        yield lines
        yield Label(_("Recent scans"), classes="section")
        history = DataTable(id="history", cursor_type="none")
        history.can_focus = False
        yield history
        yield Footer()

    def _connect_waybills(self) -> None:
        """With Kuaidi100 configured the station asks it for each parcel's waybill and prints the label."""
        settings = self.oms.settings
        if not settings.kuaidi100.enabled:
            return
        from oms_tui.carriers.kuaidi100 import client_for

        self._carrier = client_for(settings.kuaidi100)
        carrier, actor = self._carrier, self.actor
        self.pack.issuer = labels.issuer_for(actor=actor, service=carrier, settings=settings)

    def on_unmount(self) -> None:
        carrier = getattr(self, "_carrier", None)
        if carrier is not None:
            carrier.close()

    def on_mount(self) -> None:
        self._connect_waybills()
        lines = self.query_one("#lines", DataTable)
        for label, key in ((_("SKU"), "sku"), (_("Name"), "name"), (_("Spec"), "spec"), (_("Verified"), "verified"),
                           (_("Needed"), "needed")):
            lines.add_column(label, key=key)
        self.query_one("#history", DataTable).add_columns(_("Code"), _("Result"), _("Message"))
        self._show_counters()
        self.refocus()

    # --- focus: the gun types into whatever has focus, so the input always has it ----------------

    @property
    def scan_input(self) -> ScanInput:
        return self.query_one("#scan", ScanInput)

    def refocus(self) -> None:
        if not self.is_current:
            return  # a dialog or another screen is on top: it keeps its focus
        box = self.scan_input
        if self.focused is not box:
            box.focus()

    def on_click(self, _event: events.Click) -> None:
        self.call_after_refresh(self.refocus)

    def on_descendant_blur(self, _event: events.DescendantBlur) -> None:
        self.call_after_refresh(self.refocus)

    def on_screen_resume(self) -> None:
        self.refocus()

    # --- the queue ------------------------------------------------------------------------------

    @on(ScanInput.Scanned)
    def _scanned(self, event: ScanInput.Scanned) -> None:
        event.stop()
        self.enqueue((event.code, event.at))

    def enqueue(self, item: object) -> None:
        """Queue a scan (or a clear); start the one drainer if none is running."""
        with self._lock:
            self._pending.append(item)
            self.queued += 1
            self.peak_queued = max(self.peak_queued, self.queued)
            start = not self._draining
            self._draining = True
        if start:
            self.run_worker(self._drain, thread=True, group="scanner", exit_on_error=False, name="scanner")

    def _drain(self) -> None:
        """Handle queued scans one at a time, oldest first, until the queue is empty."""
        while True:
            with self._lock:
                if not self._pending:
                    self._draining = False
                    return
                item = self._pending.popleft()
            if item is _CLEAR:
                self.post_message(self.ScanDone(self.pack.clear(), time.perf_counter()))
                continue
            code, at = item
            try:
                result = self.call_service(self.pack.scan, code)  # in this worker: scans stay in order
            except Exception as exc:  # noqa: BLE001 - reported as a red line; the next scan goes on
                self.post_message(self.ScanFailed(code, describe_error(exc), at))
                continue
            self.post_message(self.ScanDone(result, at))

    # --- results --------------------------------------------------------------------------------

    def on_pack_station_screen_scan_done(self, event: ScanDone) -> None:
        result = event.result
        self.queued -= 1
        if result.result != "cleared":
            self.scans += 1
        if result.is_error:
            self.errors += 1
            self.app.bell()
        if result.result == ScanOutcome.SHIPPED:
            self.parcels += 1
        self.phase = result.phase
        message = self.message_of(result)
        style = "error" if result.is_error else "shipped" if result.result == ScanOutcome.SHIPPED else (
            "info" if result.result in (ScanOutcome.ORDER, ScanOutcome.DOUBLE, packing.CLEARED) else "ok")
        self._show_message(message, style)
        self._show_parcel(result)
        if result.code:
            self._add_history(result.code, result.result, message, result.is_error)
        self._show_counters()
        self.refocus()
        if result.code:
            self.latencies.append(time.perf_counter() - event.at)

    def on_pack_station_screen_scan_failed(self, event: ScanFailed) -> None:
        self.queued -= 1
        self.scans += 1
        self.errors += 1
        self.app.bell()
        message = _("Scan {code} not recorded: {error}. Scan it again").format(code=event.code, error=event.error)
        self._show_message(message, "error")
        self._add_history(event.code, "error", message, True)
        self._show_counters()
        self.refocus()

    def message_of(self, result: packing.ScanResult) -> str:
        params = dict(result.params)
        for name in result.translated:
            params[name] = _(params[name])
        if "status" in params:
            params["status"] = named(STATUS_NAMES, params["status"])
        if "courier" in params and "courier" not in result.translated:
            params["courier"] = couriers.display_name(params["courier"])
        if params.get("holds"):
            params["holds"] = ", ".join(named(HOLD_NAMES, kind.strip()) for kind in params["holds"].split(","))
        return _(result.template).format(**params)

    def _show_message(self, message: str, style: str) -> None:
        box = self.query_one("#message", Static)
        box.update(message)
        box.set_classes(style)

    def _show_parcel(self, result: packing.ScanResult) -> None:
        table = self.query_one("#lines", DataTable)
        keys = tuple(line.sku for line in result.lines)
        if keys and keys == self._shown_skus:
            # Same parcel: touch only the cells this scan changed (a gun can scan every 50 ms).
            for line in result.lines:
                if line.sku in (result.sku, self._marked_sku):
                    table.update_cell(line.sku, "sku", self._sku_cell(line, result.sku))
                    table.update_cell(line.sku, "verified", self._verified_cell(line))
        else:
            table.clear()
            for line in result.lines:
                table.add_row(self._sku_cell(line, result.sku), plain(line.name), plain(line.spec),
                              self._verified_cell(line), num(line.needed), key=line.sku)
            self._shown_skus = keys
        self._marked_sku = result.sku
        label = self.query_one("#parcel", Label)
        if result.phase == packing.IDLE:
            self.parcel = None
            label.update("")
            return
        verified = sum(min(l.verified, l.needed) for l in result.lines)
        units = sum(l.needed for l in result.lines)
        self.parcel = (" ".join(result.refs), verified, units)
        label.update(_("Parcel {orders} · {courier} · {verified} of {units} verified").format(
            orders=self.parcel[0], courier=couriers.display_name(result.courier) or _("courier not set"),
            verified=verified, units=units))

    @staticmethod
    def _sku_cell(line: packing.LineView, scanned: str | None) -> Text:
        return Text(line.sku, style="bold reverse" if line.sku == scanned else "")

    @staticmethod
    def _verified_cell(line: packing.LineView) -> Text:
        done = line.verified >= line.needed
        return num(line.verified, style="bold green" if done else ("bold yellow" if line.verified else ""))

    def _add_history(self, code: str, result: str, message: str, error: bool) -> None:
        table = self.query_one("#history", DataTable)
        table.add_row(plain(code), Text(named(SCAN_NAMES, result), style="bold red" if error else "green"),
                      plain(message))
        if table.row_count > HISTORY_ROWS:
            table.remove_row(next(iter(table.rows)))
        table.scroll_end(animate=False)

    def _show_counters(self) -> None:
        text = _("Scans {scans} · Errors {errors} · Parcels shipped {parcels}").format(
            scans=self.scans, errors=self.errors, parcels=self.parcels)
        if self.queued > 0:
            text += " · " + _("{count} waiting").format(count=self.queued)
        counters = self.query_one("#counters", Label)
        counters.update(Text(text, style="bold red" if self.errors else "bold"))

    # --- keys -----------------------------------------------------------------------------------

    def work_at_risk(self) -> str | None:
        """A parcel with verified items on the bench (or scans for it still being handled): leaving loses
        those scans, so ask first."""
        if self.parcel is None or (self.parcel[1] == 0 and self.queued == 0):
            return None
        orders, verified, units = self.parcel
        return _("Parcel {orders} is not finished: {verified} of {units} items verified. Leave it?").format(
            orders=orders, verified=verified, units=units)

    def action_clear_parcel(self) -> None:
        """Escape: put the parcel on the bench aside (asking first when items are verified); with nothing
        on the bench, leave the screen."""
        if self.phase == packing.IDLE and self.queued == 0 and not self.scan_input.value:
            self.app.pop_screen()
            return
        self.oms.leave_safely(self._clear)

    def _clear(self) -> None:
        self.scan_input.value = ""
        self.enqueue(_CLEAR)
