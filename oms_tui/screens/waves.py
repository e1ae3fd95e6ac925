"""Pick list: choose ready orders (region, platform, single/multi item) and a courier, see how many
match, create the wave, read its pick list sorted by bin, print it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Header, Input, Label, Select

from oms_tui.errors import ValidationError
from oms_tui.i18n import N_, _
from oms_tui.models import WaveStatus
from oms_tui.screens.base import OmsScreen
from oms_tui.screens.floor import courier_options, print_note
from oms_tui.screens.formatting import PLATFORM_NAMES, local_time, num, plain, shop_zone
from oms_tui.services.catalogue import couriers
from oms_tui.services.floor import printing, waves
from oms_tui.services.floor.print_request import PrintOutcome
from oms_tui.widgets.error_line import ErrorLine
from oms_tui.widgets.keys import KeysFooter
from oms_tui.widgets.paging import TableRow
from oms_tui.widgets.table import KeyedTable

PREVIEW_CAP = 10_000  # past this many ready orders the preview says "10,000+" (no count of a 100k backlog)
PREVIEW_DELAY = 0.3  # seconds of no typing before the match count is read again
DEFAULT_MAX_ORDERS = 200
DEFAULT_COURIER = "yuantong"
ITEM_CHOICES = {"single": N_("Single item"), "multi": N_("Several items")}
WAVE_STATUS_NAMES = {WaveStatus.OPEN: N_("open"), WaveStatus.PICKING: N_("picking"), WaveStatus.DONE: N_("done"),
                     WaveStatus.CANCELLED: N_("cancelled")}


@dataclass(frozen=True)
class WaveChoice:
    province: str | None
    city: str | None
    platform: str | None
    items: str | None
    courier: str
    max_orders: int

    def filters(self) -> dict:
        return {"province": self.province, "city": self.city, "platform": self.platform, "items": self.items}


@dataclass(frozen=True)
class WaveView:
    wave_id: int
    picks: waves.PickList
    print_outcome: PrintOutcome | None = None  # set when the pick list was just queued


class PickListScreen(OmsScreen):
    TITLE_ID = N_("Pick list")
    CSS_PATH = "waves.tcss"
    BINDINGS = [
        Binding("f9", "create_wave", N_("Create wave")),
        Binding("f8", "print_pick_list", N_("Print pick list")),
        Binding("f5", "refresh", N_("Refresh")),
        Binding("escape", "back", N_("Back")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._timer = None
        self.wave_id: int | None = None  # the wave whose pick list is shown

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="filter-bar"):
            yield Input(placeholder=_("Province"), id="province")
            yield Input(placeholder=_("City"), id="city")
            yield Select([(_(name), key) for key, name in PLATFORM_NAMES.items()], prompt=_("All platforms"),
                         id="platform")
            yield Select([(_(name), key) for key, name in ITEM_CHOICES.items()], prompt=_("Any item count"),
                         id="items")
        with Horizontal(id="wave-bar"):
            yield Label(_("Courier"), classes="field-label")
            yield Select(courier_options(), value=DEFAULT_COURIER, allow_blank=False, id="courier")
            yield Label(_("At most"), classes="field-label")
            yield Input(str(DEFAULT_MAX_ORDERS), id="max-orders", type="integer", max_length=4)
            yield Label("", id="preview")
        yield ErrorLine()
        with Horizontal(id="panes"):
            with Vertical(id="waves-pane"):
                yield Label(_("Recent waves"), classes="section")
                yield KeyedTable(id="waves")
            with Vertical(id="picks-pane"):
                yield Label("", id="wave-label", classes="section")
                yield KeyedTable(id="picks")
        with Horizontal(id="status-bar"):
            yield Label("", id="page-label")
            yield Label(_("F9: create wave · F8: print · Enter on a wave: its pick list"), id="hint")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#waves", KeyedTable).set_columns([
            (_("Wave"), "wave"), (_("Status"), "status"), (_("Courier"), "courier"), (_("Orders"), "orders"),
            (_("Sent"), "sent"), (_("Created at"), "created")])
        self.query_one("#picks", KeyedTable).set_columns([
            (_("Bin"), "bin"), (_("SKU"), "sku"), (_("Name"), "name"), (_("Spec"), "spec"), (_("Qty"), "qty")])
        self.preview()
        self.load_waves()
        self.query_one("#province", Input).focus()

    # --- the choice -----------------------------------------------------------------------------

    def choice(self) -> WaveChoice:
        """The filters as plain values; a ValidationError when the order limit is not a number."""
        def text(widget_id: str) -> str | None:
            return self.query_one(widget_id, Input).value.strip() or None

        def selected(widget_id: str) -> str | None:
            value = self.query_one(widget_id, Select).value
            return value if isinstance(value, str) else None

        raw_max = self.query_one("#max-orders", Input).value.strip()
        try:
            max_orders = int(raw_max or DEFAULT_MAX_ORDERS)
        except ValueError:
            raise ValidationError(_("At most must be a whole number of orders")) from None
        return WaveChoice(text("#province"), text("#city"), selected("#platform"), selected("#items"),
                          selected("#courier") or DEFAULT_COURIER, max_orders)

    def warehouse_code(self) -> str:
        return self.oms.settings.default_warehouse

    def preview(self) -> None:
        """Read how many ready orders the current choice matches."""
        try:
            choice = self.choice()
        except ValidationError as exc:
            self.show_error(str(exc))
            return
        code = self.warehouse_code()
        self.read(lambda session: waves.count_candidates_in(session, code, cap=PREVIEW_CAP, **choice.filters()),
                  self._show_preview,
                  group="preview")

    def _show_preview(self, count: int) -> None:
        try:
            limit = self.choice().max_orders
        except ValidationError:
            limit = DEFAULT_MAX_ORDERS
        self.query_one("#preview", Label).update(
            _("{count} ready orders match; a wave takes {take}").format(
                count=f"{PREVIEW_CAP:,}+" if count > PREVIEW_CAP else f"{count:,}", take=min(count, limit)))

    @on(Input.Changed, "#province")
    @on(Input.Changed, "#city")
    @on(Input.Changed, "#max-orders")
    def _typed(self, _event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(PREVIEW_DELAY, self.preview)

    @on(Select.Changed, "#platform")
    @on(Select.Changed, "#items")
    def _selected(self, _event: Select.Changed) -> None:
        self.clear_error()
        self.preview()

    # --- waves ----------------------------------------------------------------------------------

    def load_waves(self) -> None:
        code = self.warehouse_code()
        zone = shop_zone(self.oms.settings.timezone)

        def fetch(session: Session) -> list[TableRow]:
            return [TableRow(str(w.id), (plain(w.code), plain(_(WAVE_STATUS_NAMES.get(w.status, w.status))),
                                         plain(couriers.display_name(w.courier)), num(w.orders), num(w.shipped),
                                         plain(local_time(w.created_at, zone))))
                    for w in waves.waves_in(session, code)]

        self.read(fetch, self.query_one("#waves", KeyedTable).show_rows, group="waves")

    def action_create_wave(self) -> None:
        self.clear_error()
        try:
            choice = self.choice()
        except ValidationError as exc:
            self.show_error(str(exc))
            return
        code = self.warehouse_code()
        actor = self.actor

        self.query_one("#page-label", Label).update(_("Creating the wave…"))
        self.write(lambda session: waves.create_wave_in(session, code, courier=choice.courier,
                                                        max_orders=choice.max_orders, actor=actor,
                                                        **choice.filters()),
                   self._wave_created, group="create")

    def _wave_created(self, wave_id: int) -> None:
        self.wave_id = wave_id
        self.load_waves()
        self.preview()
        self.print_pick_list(wave_id, created=True)

    def print_pick_list(self, wave_id: int, *, created: bool = False) -> None:
        """Queue the pick list (its own transaction: a printer problem never undoes the wave) and show it."""
        actor = self.actor
        settings = self.oms.settings

        def work(session: Session) -> WaveView:
            printed = waves.print_and_show(session, wave_id, actor=actor, settings=settings)
            return WaveView(wave_id, printed.picks, printed.outcome)

        def done(view: WaveView) -> None:
            self._show_wave(view)
            outcome = view.print_outcome
            prefix = ""
            if created:
                prefix = _("Wave {wave} created: {orders} orders in {parcels} parcels").format(
                    wave=view.picks.wave, orders=len(view.picks.orders), parcels=view.picks.parcels) + " · "
            self.query_one("#page-label", Label).update(prefix + print_note(outcome))
            if outcome.queued:
                # Out of the wave's transaction: the printer is tried now and the note says what came of it.
                self.run_service(printing.print_now, settings, outcome.job_id, actor=actor,
                                 done=lambda state: self._printed(prefix, outcome, state), group="printer")
            else:
                self.notify(prefix + print_note(outcome), severity="warning")

        self.write(work, done, group="print")

    def _printed(self, prefix: str, outcome: PrintOutcome, state: printing.JobState) -> None:
        note = prefix + print_note(outcome, state)
        self.query_one("#page-label", Label).update(note)
        self.notify(note, severity="information" if state.printed else "warning")

    def action_print_pick_list(self) -> None:
        if self.wave_id is None:
            self.show_error(_("Create a wave or choose one first"))
            return
        self.clear_error()
        self.print_pick_list(self.wave_id)

    def show_wave(self, wave_id: int) -> None:
        def fetch(session: Session) -> WaveView:
            return WaveView(wave_id, waves.pick_list_of(session, wave_id))

        self.read(fetch, self._show_wave, group="wave")

    def _show_wave(self, view: WaveView) -> None:
        same_wave = self.wave_id == view.wave_id
        self.wave_id = view.wave_id
        picks = view.picks
        self.query_one("#wave-label", Label).update(
            _("Wave {wave} · {courier} · {orders} orders · {parcels} parcels · {units} units").format(
                wave=picks.wave, courier=couriers.display_name(picks.courier), orders=len(picks.orders),
                parcels=picks.parcels, units=picks.units))
        self.query_one("#picks", KeyedTable).show_rows(
            [TableRow(line.sku, (plain(line.bin), plain(line.sku), plain(line.name), plain(line.spec), num(line.qty)))
             for line in picks.lines], keep_cursor=same_wave)

    @on(DataTable.RowSelected, "#waves")
    def _wave_chosen(self, event: DataTable.RowSelected) -> None:
        self.show_wave(int(event.row_key.value))

    def action_refresh(self) -> None:
        self.preview()
        self.load_waves()
        if self.wave_id is not None:
            self.show_wave(self.wave_id)

    def on_data_changed(self) -> None:
        """Orders became ready, parcels shipped, another desk made a wave: read them again (the
        match count too, unless the limit typed is not a number — that red line is the user's)."""
        self.load_waves()
        if self.wave_id is not None:
            self.show_wave(self.wave_id)
        try:
            self.choice()
        except ValidationError:
            return
        self.preview()

    def action_back(self) -> None:
        self.app.pop_screen()
