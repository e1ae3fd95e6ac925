"""A screen's search box, and the ``/`` key that goes to it from anywhere on the screen.

``/`` is the screens' "Search" key, so it must not land in the box as text: pressed in the box it
selects what is there (the next keys replace it, a new search), pressed elsewhere the screen's
``action_focus_search`` brings the focus here. ``?`` (the keys panel) is not typed here either.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.widgets import Input

from oms_tui.i18n import N_

SEARCH_BINDING = Binding("slash", "focus_search", N_("Search"), key_display="/")


class SearchBox(Input):
    """An Input for look-ups (codes, phones, order numbers, names): ``/`` and ``?`` are keys, not text."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        # Not typed here, so the footer keeps showing them while the box has the focus.
        return character not in ("/", "?") and super().check_consume_key(key, character)

    async def _on_key(self, event: events.Key) -> None:
        # Handled before Input's own key handler (prevent_default skips it), like ScanInput's Enter.
        if event.character == "/":
            event.stop()
            event.prevent_default()
            self.select_all()
        elif event.character == "?":
            event.stop()
            event.prevent_default()
            await self.run_action("app.toggle_keys")

    def focus_for_search(self) -> None:
        """Focus here with the text selected, so typing starts a new search."""
        self.focus()
        self.select_all()
