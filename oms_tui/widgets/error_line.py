"""The red one-line message under a form or a table."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static


class ErrorLine(Static):
    """A red one-line message under a form or table; empty and hidden when there is nothing to say."""

    # A widget's looks come from DEFAULT_CSS (CSS_PATH is for apps and screens): the .tcss beside it.
    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, classes="error-line", markup=False)
        self.display = False

    def show(self, message: str) -> None:
        self.update(message)
        self.display = bool(message)
