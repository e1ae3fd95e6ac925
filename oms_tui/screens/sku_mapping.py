"""SKU mapping (商品对应): the platform SKUs that hold orders because we cannot tell which of our SKUs they are;
pick a suggestion or type our SKU (or a bundle, ``TW-001*3, MB-001``), save once — every order held for
that platform SKU goes on at once. Suggestions come from the merchant's outer codes and the title, the
line's own and those of the shop's listing the scheduler pulls from the platform."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Input, Label

from oms_tui.errors import OmsError
from oms_tui.i18n import N_, _
from oms_tui.screens.base import OmsScreen, describe_error
from oms_tui.screens.formatting import PLATFORM_NAMES, named, num, plain
from oms_tui.services.catalogue import sku_mapping
from oms_tui.services.orders import unmapped
from oms_tui.services.orders.unmapped import UnmappedSku
from oms_tui.widgets.error_line import ErrorLine

SUGGESTIONS = 8
BASIS_NAMES = {"outer code": N_("outer code"), "outer code prefix": N_("outer code prefix"),
               "barcode": N_("barcode"), "title": N_("title")}


@dataclass(frozen=True)
class Saved:
    platform_sku: str
    outcome: unmapped.MapOutcome


class SkuMappingScreen(OmsScreen):
    TITLE_ID = N_("SKU mapping")
    CSS_PATH = "sku_mapping.tcss"
    BINDINGS = [
        Binding("f10", "save", N_("Map and release")),
        Binding("slash", "focus_components", N_("Our SKUs")),
        Binding("f5", "refresh", N_("Refresh")),
        Binding("escape", "back", N_("Back")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[UnmappedSku] = []
        self.suggestions: list[sku_mapping.Suggestion] = []
        self.current: UnmappedSku | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(_("Platform SKUs holding orders"), classes="section", id="unmapped-title")
        yield DataTable(id="unmapped", cursor_type="row", zebra_stripes=True)
        yield Label(_("Suggestions (Enter takes one)"), classes="section")
        yield DataTable(id="suggestions", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="form"):
            yield Label(_("Our SKUs"), classes="field-label")
            yield Input(placeholder=_("TW-001, or a bundle: TW-001*3, MB-001*1"), id="components", max_length=400)
        yield ErrorLine()
        with Horizontal(id="status-bar"):
            yield Label("", id="summary")
            yield Label(_("F10: map and release · /: our SKUs · Esc: back"), id="hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#unmapped", DataTable).add_columns(
            _("Shop"), _("Platform"), _("Item"), _("Platform SKU"), _("Outer code"), _("Title"), _("Orders"),
            _("Units"))
        self.query_one("#suggestions", DataTable).add_columns(_("SKU"), _("Name"), _("Spec"), _("Per unit"),
                                                              _("Found by"))
        self.action_refresh()

    def on_data_changed(self) -> None:
        self.action_refresh()  # a sync may bring new held orders, another desk may map one

    # --- the platform SKUs ----------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.read(lambda session: unmapped.unmapped_skus(session), self._show_rows, group="unmapped")

    def _show_rows(self, rows: list[UnmappedSku]) -> None:
        table = self.query_one("#unmapped", DataTable)
        keep = self.current.key if self.current else None
        self.rows = rows
        table.clear()
        for row in rows:
            table.add_row(plain(row.shop), plain(named(PLATFORM_NAMES, row.platform)), plain(row.platform_item_id),
                          plain(row.platform_sku_id), plain(row.code), plain(row.title), num(row.orders),
                          num(row.units), key=row.key)
        self.query_one("#unmapped-title", Label).update(
            _("Platform SKUs holding orders ({count})").format(count=len(rows)))
        if not rows:
            self.current = None
            self._show_suggestions([])
            return
        index = next((i for i, r in enumerate(rows) if r.key == keep), 0)
        table.move_cursor(row=index)
        self._choose(rows[index])
        if self.focused is None:
            table.focus()

    @on(DataTable.RowHighlighted, "#unmapped")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        row = next((r for r in self.rows if r.key == event.row_key.value), None)
        if row is not None and row != self.current:
            self._choose(row)

    @on(DataTable.RowSelected, "#unmapped")
    def _row_selected(self, _event: DataTable.RowSelected) -> None:
        suggestions = self.query_one("#suggestions", DataTable)
        (suggestions if self.suggestions else self.query_one("#components", Input)).focus()

    def _choose(self, row: UnmappedSku) -> None:
        self.current = row
        self.read(lambda session: sku_mapping.suggest(
            session, shop=row.shop, platform_item_id=row.platform_item_id, platform_sku_id=row.platform_sku_id,
            outer_codes=[row.code], title=row.title, limit=SUGGESTIONS), self._show_suggestions, group="suggest")

    # --- suggestions ----------------------------------------------------------------------------

    def _show_suggestions(self, suggestions: list[sku_mapping.Suggestion]) -> None:
        self.suggestions = suggestions
        table = self.query_one("#suggestions", DataTable)
        table.clear()
        for n, s in enumerate(suggestions):
            table.add_row(plain(s.code), plain(s.name), plain(s.spec), num(s.qty),
                          plain(_(BASIS_NAMES[s.basis]) if s.basis in BASIS_NAMES else s.basis), key=str(n))
        components = self.query_one("#components", Input)
        components.value = suggestions[0].text if suggestions else ""

    @on(DataTable.RowSelected, "#suggestions")
    def _suggestion_taken(self, event: DataTable.RowSelected) -> None:
        chosen = self.suggestions[int(event.row_key.value)]
        components = self.query_one("#components", Input)
        components.value = chosen.text
        components.focus()
        components.cursor_position = len(components.value)

    def action_focus_components(self) -> None:
        self.query_one("#components", Input).focus()

    # --- saving ----------------------------------------------------------------------------------

    @on(Input.Submitted, "#components")
    def _submitted(self, _event: Input.Submitted) -> None:
        self.action_save()

    def action_save(self) -> None:
        self.clear_error()
        row = self.current
        if row is None:
            self.show_error(_("No platform SKU is waiting to be mapped"))
            return
        try:
            components = sku_mapping.parse_components(self.query_one("#components", Input).value)
        except OmsError as exc:
            self.show_error(describe_error(exc))
            return
        actor = self.actor
        label = row.code if not row.platform_sku_id else f"{row.code} ({row.platform_sku_id})"
        self.write(lambda session: Saved(label, unmapped.map_platform_sku(
            session, shop=row.shop, platform=row.platform, platform_item_id=row.platform_item_id,
            platform_sku_id=row.platform_sku_id, components=components, title=row.title, outer_code=row.code,
            actor=actor)), self._saved, group="save")

    def _saved(self, saved: Saved) -> None:
        rerun = saved.outcome.rerun
        note = _("{sku} is now {ours}: {released} orders released ({ready} ready, {short} short)").format(
            sku=saved.platform_sku, ours=saved.outcome.components, released=len(rerun.released),
            ready=len(rerun.ready), short=len(rerun.short))
        self.query_one("#summary", Label).update(note)
        self.notify(note)
        self.query_one("#unmapped", DataTable).focus()
        self.action_refresh()

    def action_back(self) -> None:
        self.app.pop_screen()
