"""The key footer and the keys panel: on a narrow terminal (a default 80-column SSH window) the
footer keeps the screen's own keys and leaves the keys every screen shares to the ``?`` panel,
which lists every key of the screen."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

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
