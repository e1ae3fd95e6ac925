"""The key footer and the keys panel: on a narrow terminal (a default 80-column SSH window) the
footer keeps the screen's own keys and leaves the keys every screen shares to the ``?`` panel,
which lists every key of the screen."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.widgets import Footer, Label, Static
from textual.widgets._footer import FooterKey

from oms_tui.i18n import _

# Below this many columns the footer is compact and shows only the screen's own keys, and screens
# stack their panes; below this many lines they give their side tables fewer rows.
NARROW_COLUMNS = 120
SHORT_LINES = 36

# Keys every screen has (going back, paging, refreshing, quitting, the language, the palette): the
# footer drops them first; the hint lines and the ``?`` panel name them.
SHARED_ACTIONS = frozenset({
    "back", "next_page", "previous_page", "refresh", "quit", "switch_language", "command_palette",
    "app.quit", "app.switch_language", "app.command_palette", "screen.back",
})


def is_narrow(width: int) -> bool:
    return width < NARROW_COLUMNS


class KeysFooter(Footer):
    """The footer; compact on a narrow terminal, where it shows the screen's own keys and ``?``."""

    def __init__(self) -> None:
        super().__init__()
        self._narrow: bool | None = None

    def compose(self) -> ComposeResult:
        narrow = is_narrow(self.app.size.width)
        self._narrow = narrow
        # Set without their watchers: this is the compose they would otherwise ask for again.
        self.set_reactive(Footer.compact, narrow)
        self.set_class(narrow, "-compact")
        self.set_reactive(Footer.show_command_palette, not narrow)
        for widget in super().compose():
            if narrow and isinstance(widget, FooterKey) and widget.action in SHARED_ACTIONS:
                continue
            yield widget

    def on_resize(self, _event: events.Resize) -> None:
        if self._narrow is not None and is_narrow(self.app.size.width) != self._narrow:
            self.call_after_refresh(self.recompose)


def _our_keys(node: DOMNode) -> set[tuple[str, str]]:
    """(key, action) of the bindings the app's own classes declare for ``node``."""
    keys = set()
    for cls in type(node).__mro__:
        if cls.__module__.startswith("oms_tui."):
            for binding in cls.__dict__.get("BINDINGS", ()):
                if isinstance(binding, Binding):
                    keys.update((key.strip(), binding.action) for key in binding.key.split(","))
    return keys


class KeysTable(Static):
    """Every key of the screen, then the keys every screen shares; described in the user's language."""

    def render(self) -> Table:
        table = Table.grid(padding=(0, 1))
        table.add_column(justify="right", style="bold", no_wrap=True)
        table.add_column()
        ours = _our_keys(self.screen) | _our_keys(self.app)
        screen_keys, app_keys = [], []
        for active in self.screen.active_bindings.values():
            binding = active.binding
            # Textual's own keys (arrows, Home, Tab, copy) are the terminal's usual ones, and untranslated.
            if (binding.key, binding.action) not in ours:
                continue
            (screen_keys if active.node is self.screen else app_keys).append(binding)
        screen_keys.sort(key=lambda binding: not binding.show)  # the footer's keys first, then the rest
        for number, bindings in enumerate((screen_keys, app_keys)):
            if number and bindings:
                table.add_row("", "")
            for binding in bindings:
                description = Text(binding.description)
                if binding.tooltip:
                    description.append(f" — {binding.tooltip}", style="dim")
                table.add_row(Text(self.app.get_key_display(binding)), description)
        return table


class KeysPanel(VerticalScroll, can_focus=False):
    """``?``: the panel at the right with every key of the screen, also those the footer cannot show."""

    DEFAULT_CSS = """
    KeysPanel {
        split: right;
        width: 40%;
        min-width: 30;
        max-width: 60;
        height: 1fr;
        padding: 0 1;
        border-left: vkey $foreground 30%;
        background: $surface;
    }
    KeysPanel #keys-title {
        text-style: bold;
        color: $accent;
        margin-bottom: 1;
    }
    """

    def compose(self) -> ComposeResult:
        yield Label(_("Keys"), id="keys-title")
        yield KeysTable()
