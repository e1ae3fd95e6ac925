"""Sign in with a user name and PIN."""

from __future__ import annotations

from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.widgets import Button, Footer, Header, Input, Label

from oms_tui.i18n import N_, _
from oms_tui.screens.base import OmsScreen
from oms_tui.screens.host import Operator
from oms_tui.services.core import users
from oms_tui.widgets.error_line import ErrorLine


class LoginScreen(OmsScreen):
    TITLE_ID = N_("Sign in")
    CSS_PATH = "login.tcss"

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
        yield Footer()

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
