"""The menu: the screens this user's roles allow, numbered; the ones not built yet greyed out."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Label, OptionList
from textual.widgets.option_list import Option

from oms_tui.i18n import N_, _
from oms_tui.screens.base import OmsScreen
from oms_tui.names import ROLE_NAMES
from oms_tui.screens.registry import ScreenEntry, screens_for
from oms_tui.widgets.keys import KeysFooter

# One key per entry: the digits, then letters for entries after the tenth (nothing else on the
# menu takes a plain letter).
MENU_KEYS = "1234567890abcdefghijklmnopqrstuvwxyz"


class MenuScreen(OmsScreen):
    TITLE_ID = N_("Menu")
    CSS_PATH = "menu.tcss"
    BINDINGS = [
        Binding("ctrl+l", "sign_out", N_("Sign out")),
    ]

    def __init__(self) -> None:
        super().__init__()
        operator = self.oms.operator
        self.entries: list[ScreenEntry] = screens_for(operator.roles if operator else ())

    def compose(self) -> ComposeResult:
        operator = self.oms.operator
        yield Header()
        if operator is not None:
            roles = " / ".join(_(ROLE_NAMES.get(r, r)) for r in operator.roles)
            yield Label(_("Signed in as {name} ({roles})").format(name=operator.display_name, roles=roles),
                        id="welcome", markup=False)
        options = []
        width = max((cell_len(_(entry.title)) for entry in self.entries), default=0)
        for number, entry in enumerate(self.entries):
            key = MENU_KEYS[number] if number < len(MENU_KEYS) else " "
            title = _(entry.title)
            prompt = Text.assemble((f" {key}  ", "bold"), (title, "bold"), " " * (width - cell_len(title) + 3),
                                   (_(entry.description), "dim"))
            if not entry.available:
                prompt.append("   " + _("(coming)"), style="italic")
            options.append(Option(prompt, id=entry.key, disabled=not entry.available))
        yield OptionList(*options, id="menu")
        yield Label(_("Key or arrows and Enter to open · Ctrl+P: jump to an order or SKU · F2: language"),
                    id="hint")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#menu", OptionList).focus()

    @on(OptionList.OptionSelected, "#menu")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.oms.open_screen(event.option.id)

    def on_key(self, event: events.Key) -> None:
        if event.character and event.character in MENU_KEYS:
            index = MENU_KEYS.index(event.character)
            if index < len(self.entries):
                event.stop()
                entry = self.entries[index]
                if entry.available:
                    self.oms.open_screen(entry.key)
                else:
                    self.notify(_("{screen} is coming soon").format(screen=_(entry.title)))

    def action_sign_out(self) -> None:
        self.oms.sign_out()
