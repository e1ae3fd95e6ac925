"""Small forms over a screen: a base for dialogs and a one-line text prompt."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from oms_tui.i18n import N_, _
from oms_tui.widgets.bindings import localize_bindings
from oms_tui.widgets.error_line import ErrorLine

# Absolute, because Textual reads a relative CSS_PATH beside the module of the instance's class, and
# dialogs are subclassed in other packages; subclasses add their own file after this one.
DIALOG_CSS = Path(__file__).with_suffix(".tcss")


class Dialog(ModalScreen):
    """A small form over the screen: Enter in the last field or the OK button submits, Escape cancels."""

    CSS_PATH = DIALOG_CSS
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self)

    def buttons(self) -> ComposeResult:
        with Horizontal(classes="buttons"):
            yield Button(_("OK"), variant="primary", id="ok")
            yield Button(_("Cancel"), id="cancel")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.submit()

    def submit(self) -> None:
        raise NotImplementedError

    def complain(self, message: str) -> None:
        self.query_one(ErrorLine).show(message)


class TextPrompt(Dialog):
    """One line of text (a reason, a resolution, a note); dismisses with the text or None."""

    def __init__(self, title: str, *, label: str = "", value: str = "", placeholder: str = "",
                 required: bool = True) -> None:
        super().__init__()
        self.title_text, self.label, self.value, self.placeholder, self.required = (
            title, label, value, placeholder, required)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            if self.label:
                yield Label(self.label, classes="dialog-text", markup=False)
            yield Input(value=self.value, placeholder=self.placeholder, id="text")
            yield ErrorLine()
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#text", Input).focus()

    @on(Input.Submitted, "#text")
    def _entered(self) -> None:
        self.submit()

    def submit(self) -> None:
        text = self.query_one("#text", Input).value.strip()
        if self.required and not text:
            self.complain(_("Please write something first"))
            return
        self.dismiss(text)


class ConfirmDialog(Dialog):
    """Ask before something that cannot be undone or loses work; dismisses with True to go ahead, else None.

    The safe answer has the focus, so an Enter meant for something else (a barcode gun's) keeps the work;
    ``y`` or the button goes ahead, ``n`` or Escape does not.
    """

    BINDINGS = [Binding("escape", "cancel", N_("Cancel")), Binding("n", "cancel", N_("No")),
                Binding("y", "confirm", N_("Yes"))]

    def __init__(self, question: str, *, detail: str = "", confirm_label: str = "", cancel_label: str = "") -> None:
        super().__init__()
        self.question, self.detail = question, detail
        self.confirm_label = confirm_label or _("Yes")
        self.cancel_label = cancel_label or _("No")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title", markup=False)
            if self.detail:
                yield Label(self.detail, classes="dialog-text", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(self.confirm_label, variant="error", id="ok")
                yield Button(self.cancel_label, variant="primary", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def action_confirm(self) -> None:
        self.dismiss(True)

    def submit(self) -> None:
        self.dismiss(True)
