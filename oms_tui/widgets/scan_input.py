"""The input a barcode gun types into (a keyboard wedge: the code, then Enter)."""

from __future__ import annotations

import time

from textual import events
from textual.message import Message
from textual.widgets import Input


class ScanInput(Input):
    """The gun's input: Enter hands the code over and empties the box in one step."""

    class Scanned(Message):
        def __init__(self, code: str) -> None:
            super().__init__()
            self.code = code
            self.at = time.perf_counter()  # when Enter handed it over

    async def _on_key(self, event: events.Key) -> None:
        # Enter is handled here, in the input's own queue, in order with the characters. Left to the
        # Enter *binding*, it would run only after the key bubbled up to the App — and in a burst
        # the next code's characters reach the box first and stick to this one.
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.hand_over()

    async def action_submit(self) -> None:
        self.hand_over()

    def hand_over(self) -> None:
        code = self.value
        self.value = ""
        if code.strip():
            self.post_message(self.Scanned(code))
