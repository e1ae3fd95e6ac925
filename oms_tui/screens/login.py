"""Sign in with a user name and PIN; a lead unlocks a name locked by wrong PINs (F3) at the same terminal."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Header, Input, Label

from oms_tui.i18n import N_, _
from oms_tui.screens.base import OmsScreen
from oms_tui.screens.host import Operator
from oms_tui.services.core import users
from oms_tui.widgets.bindings import localize_bindings
from oms_tui.widgets.error_line import ErrorLine
from oms_tui.widgets.keys import KeysFooter


class LoginScreen(OmsScreen):
    TITLE_ID = N_("Sign in")
    CSS_PATH = "login.tcss"
    BINDINGS = [Binding("f3", "unlock", N_("Unlock a user"))]

    def __init__(self, user_name: str = "", message: str = "") -> None:
        super().__init__()
        self.user_name = user_name
        self.message = message

    def compose(self) -> ComposeResult:
        yield Header()
        with Center():
            with Vertical(id="login-box"):
                yield Label(self.oms.settings.shop_name, id="shop-name", markup=False)
                yield Label(_("User name"))
                yield Input(value=self.user_name, id="user")
                yield Label(_("PIN"))
                yield Input(password=True, restrict=r"\d*", max_length=8, id="pin")
                yield ErrorLine(id="login-error")
                yield Button(_("Sign in"), variant="primary", id="sign-in")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#pin" if self.user_name else "#user", Input).focus()
        if self.message:
            self.query_one("#login-error", ErrorLine).show(self.message)

    @on(Input.Submitted, "#user")
    def _user_entered(self) -> None:
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    @on(Button.Pressed, "#sign-in")
    def attempt(self) -> None:
        name = self.query_one("#user", Input).value.strip()
        pin = self.query_one("#pin", Input).value
        if not name or not pin:
            self.query_one("#login-error", ErrorLine).show(_("Enter your user name and PIN"))
            self.query_one("#pin" if name else "#user", Input).focus()
            return

        def fetch(session: Session) -> Operator | None:
            user = users.authenticate(session, name, pin)
            return Operator.from_user(user) if user else None

        self.query_one("#sign-in", Button).disabled = True
        self.write(fetch, self._authenticated, group="login")  # wrong PINs are counted

    def _authenticated(self, operator: Operator | None) -> None:
        self.query_one("#sign-in", Button).disabled = False
        if operator is None:
            pin = self.query_one("#pin", Input)
            pin.value = ""
            pin.focus()
            self.query_one("#login-error", ErrorLine).show(_("Wrong user name or PIN"))
            return
        self.oms.sign_in(operator)

    def show_error(self, message: str) -> None:
        self.query_one("#sign-in", Button).disabled = False
        super().show_error(message)

    # --- a lead unlocks a name locked by wrong PINs ---------------------------------------------

    def action_unlock(self) -> None:
        self.app.push_screen(UnlockDialog(self.query_one("#user", Input).value.strip()), self._unlock)

    def _unlock(self, request: UnlockRequest | None) -> None:
        if request is None:
            return

        def work(session: Session) -> bool | None:
            return users.unlock_by_lead(session, request.name, lead=request.lead, lead_pin=request.lead_pin)

        self.write(work, lambda unlocked: self._unlocked(request.name, unlocked), group="unlock")

    def _unlocked(self, name: str, unlocked: bool | None) -> None:
        error = self.query_one("#login-error", ErrorLine)
        if unlocked is None:
            error.show(_("Wrong lead name or PIN: nothing was unlocked"))
            return
        error.show("")
        self.query_one("#user", Input).value = name
        pin = self.query_one("#pin", Input)
        pin.value = ""
        pin.focus()
        if unlocked:
            self.notify(_("{name} can sign in again").format(name=name))
        else:
            self.notify(_("{name} was not locked out").format(name=name))


@dataclass(frozen=True)
class UnlockRequest:
    name: str
    lead: str
    lead_pin: str


class UnlockDialog(ModalScreen[UnlockRequest | None]):
    """Who is locked out, and the lead who unlocks them with their own name and PIN; Escape cancels."""

    CSS_PATH = "login.tcss"
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, name: str = "") -> None:
        super().__init__()
        localize_bindings(self)
        self.locked_name = name

    def compose(self) -> ComposeResult:
        with Vertical(id="unlock-box"):
            yield Label(_("Unlock a user locked by wrong PINs"), id="unlock-title")
            yield Label(_("User to unlock"))
            yield Input(value=self.locked_name, id="unlock-user")
            yield Label(_("Lead's user name"))
            yield Input(id="unlock-lead")
            yield Label(_("Lead's PIN"))
            yield Input(password=True, restrict=r"\d*", max_length=8, id="unlock-pin")
            yield ErrorLine(id="unlock-error")
            with Horizontal(id="unlock-buttons"):
                yield Button(_("Unlock"), variant="primary", id="unlock-ok")
                yield Button(_("Cancel"), id="unlock-cancel")

    def on_mount(self) -> None:
        self.query_one("#unlock-lead" if self.locked_name else "#unlock-user", Input).focus()

    @on(Input.Submitted, "#unlock-user")
    @on(Input.Submitted, "#unlock-lead")
    def _next_field(self) -> None:
        self.focus_next()

    @on(Input.Submitted, "#unlock-pin")
    @on(Button.Pressed, "#unlock-ok")
    def _submit(self) -> None:
        values = [self.query_one(f"#{key}", Input).value.strip() for key in ("unlock-user", "unlock-lead", "unlock-pin")]
        if not all(values):
            self.query_one("#unlock-error", ErrorLine).show(_("Enter the user to unlock, and the lead's name and PIN"))
            return
        self.dismiss(UnlockRequest(*values))

    @on(Button.Pressed, "#unlock-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
