"""Users (administrators): who may sign in, with which roles, locked out or disabled, how many SSH keys.
Disabling a user signs them out at every desk at its next refresh; every change is audited."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from sqlmodel import Session
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Label

from oms_tui.clock import utcnow
from oms_tui.i18n import N_, _
from oms_tui.screens.base import OmsScreen
from oms_tui.screens.formatting import named, num, plain
from oms_tui.names import ROLE_NAMES
from oms_tui.services.core import users
from oms_tui.services.core.actor import ROLES
from oms_tui.widgets.dialogs import ConfirmDialog, TextPrompt
from oms_tui.widgets.error_line import ErrorLine
from oms_tui.widgets.keys import KeysFooter
from oms_tui.widgets.paging import TableRow
from oms_tui.widgets.table import KeyedTable


@dataclass(frozen=True)
class UserLine:
    name: str
    display_name: str
    roles: tuple[str, ...]
    active: bool
    locked: bool
    keys: int


def read_users(session: Session) -> list[UserLine]:
    now = utcnow()
    keys = users.key_counts(session)
    return [UserLine(u.name, u.display_name, tuple(u.role_list), u.active,
                     bool(u.locked_until and u.locked_until > now), keys.get(u.name, 0))
            for u in users.list_users(session)]


class UsersScreen(OmsScreen):
    TITLE_ID = N_("Users")
    CSS_PATH = "users.tcss"
    BINDINGS = [
        Binding("r", "roles", N_("Roles")),
        Binding("d", "toggle_active", N_("Disable / enable")),
        Binding("u", "unlock", N_("Unlock")),
        Binding("f5", "refresh", N_("Refresh")),
        Binding("escape", "back", N_("Back")),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(_("SSH keys are added with: oms user key add NAME FILE"), classes="section-title")
        yield ErrorLine()
        yield KeyedTable(id="users")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.lines: dict[str, UserLine] = {}
        self.query_one("#users", KeyedTable).set_columns([
            (_("User"), "name"), (_("Name shown"), "display_name"), (_("Roles"), "roles"), (_("Status"), "status"),
            (_("SSH keys"), "keys")])
        self.action_refresh()

    def on_data_changed(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        self.read(read_users, self._show)

    def _show(self, lines: list[UserLine]) -> None:
        self.lines = {line.name: line for line in lines}
        self.query_one("#users", KeyedTable).show_rows([TableRow(line.name, (
            plain(line.name), plain(line.display_name), plain(", ".join(named(ROLE_NAMES, r) for r in line.roles)),
            _status(line), num(line.keys))) for line in lines])

    def _selected(self) -> UserLine | None:
        key = self.query_one("#users", KeyedTable).selected_key
        line = self.lines.get(key) if key else None
        if line is None:
            self.app.bell()
        return line

    def _done(self, message: str) -> None:
        self.clear_error()
        self.notify(message)
        self.action_refresh()

    def action_roles(self) -> None:
        line = self._selected()
        if line is None:
            return
        prompt = TextPrompt(_("Roles of {name}").format(name=line.name),
                            label=_("Comma-separated, among: {roles}").format(roles=", ".join(ROLES)),
                            value=",".join(line.roles))
        self.app.push_screen(prompt, lambda text: self._set_roles(line.name, text))

    def _set_roles(self, name: str, text: str | None) -> None:
        if text is None:
            return
        roles = [r.strip() for r in text.split(",")]
        self.write(lambda s: users.set_roles(s, name, roles, actor=self.actor),
                   lambda held: self._done(_("{name} now holds: {roles}").format(
                       name=name, roles=", ".join(named(ROLE_NAMES, r) for r in held))))

    def action_toggle_active(self) -> None:
        line = self._selected()
        if line is None:
            return
        if not line.active:
            self.write(lambda s: users.enable(s, line.name, actor=self.actor),
                       lambda _changed: self._done(_("{name} may sign in again").format(name=line.name)))
            return
        question = _("Disable {name}?").format(name=line.name)
        detail = _("They are signed out at every desk and can no longer sign in, with PIN or SSH key.")
        self.app.push_screen(ConfirmDialog(question, detail=detail, confirm_label=_("Disable")),
                             lambda confirmed: self._disable(line.name) if confirmed is True else None)

    def _disable(self, name: str) -> None:
        self.write(lambda s: users.disable(s, name, actor=self.actor),
                   lambda _changed: self._done(_("{name} is disabled").format(name=name)))

    def action_unlock(self) -> None:
        line = self._selected()
        if line is None:
            return
        self.write(lambda s: users.unlock(s, line.name, actor=self.actor),
                   lambda was_locked: self._done(
                       _("{name} can sign in again").format(name=line.name) if was_locked
                       else _("{name} was not locked out").format(name=line.name)))

    def action_back(self) -> None:
        self.app.pop_screen()


def _status(line: UserLine) -> Text:
    if not line.active:
        return Text(_("disabled"), style="bold red")
    if line.locked:
        return Text(_("locked out"), style="yellow")
    return Text(_("active"), style="green")
