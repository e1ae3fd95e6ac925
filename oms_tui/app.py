"""The Textual app: sign-in, the role menu, the screens, and a command palette that jumps to a
screen, an order or a SKU. ``run_tui`` is what ``oms tui`` calls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from functools import partial

from rich.text import Text
from sqlalchemy import Engine
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from oms_tui.config import Settings
from oms_tui.db import read_session
from oms_tui.errors import NotFound
from oms_tui.i18n import N_, _, current_language, setup_language
from oms_tui.screens.base import describe_error
from oms_tui.screens.formatting import STATUS_NAMES, named
from oms_tui.screens.host import Operator
from oms_tui.screens.registry import BY_KEY, may_open, screens_for
from oms_tui.services.catalogue import skus
from oms_tui.services.core import changes, users
from oms_tui.services.orders import queries
from oms_tui.widgets.bindings import localize_bindings
from oms_tui.widgets.dialogs import ConfirmDialog
from oms_tui.widgets.keys import NARROW_COLUMNS, SHORT_LINES, KeysPanel

# How often a terminal looks whether anyone committed a change (two primary-key maxima).
CHANGE_POLL_SECONDS = 2.0

DEFAULT_THEME = "textual-dark"
PALETTE_MIN_CHARS = 2  # below this the palette offers screens only, no database look-ups


class OmsCommands(Provider):
    """Palette entries: the screens this user may open, orders by platform order id (or its start),
    waybill or our id, SKUs by code, name or barcode."""

    @property
    def oms(self) -> OmsApp:
        return self.app  # type: ignore[return-value]

    def _screen_hits(self):
        operator = self.oms.operator
        if operator is None:
            return []
        return [entry for entry in screens_for(operator.roles) if entry.available]

    async def discover(self) -> Hits:
        for entry in self._screen_hits():
            yield DiscoveryHit(_(entry.title), partial(self.oms.open_screen, entry.key),
                               help=_(entry.description))

    async def search(self, query: str) -> Hits:
        operator = self.oms.operator
        if operator is None:
            return
        matcher = self.matcher(query)
        for entry in self._screen_hits():
            title = _(entry.title)
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.oms.open_screen, entry.key), text=title,
                          help=_(entry.description))
        text = query.strip()
        if len(text) < PALETTE_MIN_CHARS:
            return
        want_orders = may_open(operator.roles, "orders")
        want_skus = may_open(operator.roles, "stock")
        try:
            order_hits, sku_hits = await asyncio.to_thread(self.oms.lookup, text, want_orders, want_skus)
        except Exception as exc:  # noqa: BLE001 - the palette shows nothing rather than crash
            self.oms.notify(describe_error(exc), severity="error")
            return
        for hit in order_hits:
            label = Text.assemble((_("Order") + " ", "bold"), hit.platform_order_id, "  ", hit.receiver_name,
                                  "  ", (named(STATUS_NAMES, hit.status), "italic"))
            score = 1.0 if hit.exact else 0.9
            yield Hit(score, label, partial(self.oms.open_order, hit.id), text=label.plain,
                      help=_("Open the order"))
        for hit in sku_hits:
            label = Text.assemble((_("SKU") + " ", "bold"), hit.code, "  ", hit.name, "  ", (hit.spec, "dim"))
            score = 1.0 if hit.code == text else 0.85
            yield Hit(score, label, partial(self.oms.open_sku, hit.code), text=label.plain,
                      help=_("Open the stock ledger"))


class OmsApp(App):
    """The order-management TUI over one engine.

    ``user_name`` signs that user in without a PIN: the caller vouches for who sits at the terminal.
    With ``ask_pin`` the sign-in screen opens with the name filled in instead (``build_app`` chooses
    from ``trusted_terminal``).
    """

    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {OmsCommands}
    BINDINGS = [
        Binding("ctrl+q", "quit", N_("Quit"), priority=True),
        Binding("f2", "switch_language", N_("Language")),
        Binding("ctrl+p", "command_palette", N_("Jump to…"), show=False, priority=True),
        Binding("question_mark", "toggle_keys", N_("Keys"), key_display="?",
                tooltip=N_("Every key of this screen, also those the footer has no room for")),
    ]
    # Classes on every screen by terminal size, for the .tcss: a narrow (80-column) or short
    # (24-line) terminal stacks panes and keeps the key columns (see widgets/keys.py, widgets/table.py).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_COLUMNS, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (SHORT_LINES, "-tall")]

    def __init__(self, engine: Engine, settings: Settings, user_name: str | None = None, *,
                 ask_pin: bool = False, quit_on_sign_out: bool = False) -> None:
        self.language = setup_language(settings.language)
        super().__init__()
        localize_bindings(self)
        self.engine = engine
        self.settings = settings
        self.initial_user = user_name.strip() if user_name else None
        self.ask_pin = ask_pin
        # An SSH desk signed in by its key ends the connection with the session: nobody else sits down at it.
        self.quit_on_sign_out = quit_on_sign_out
        self.operator: Operator | None = None
        self._listener: changes.ChangeListener | None = None
        self.title = settings.shop_name

    def on_mount(self) -> None:
        self.theme = DEFAULT_THEME
        self._change_token: tuple[int, int] | None = None
        if changes.pushes_changes(self.engine):
            # Only a change to the users table can disable someone: the other notices skip that look-up.
            self._listener = changes.ChangeListener(
                self.engine, lambda tables: self._after_change(check_user=not tables or "user" in tables)).start()
        else:
            self.set_interval(CHANGE_POLL_SECONDS, self._poll_changes)
        if self.initial_user and not self.ask_pin:
            self.run_worker(self._sign_in_named, thread=True, exit_on_error=False, name="sign-in")
        else:
            self._reset_to(self._login(self.initial_user or ""))

    # --- other terminals' changes ------------------------------------------------------------

    def _poll_changes(self) -> None:
        self.run_worker(self._read_change_token, thread=True, exclusive=True, group="changes",
                        exit_on_error=False, name="changes")

    def _read_change_token(self) -> None:
        try:
            with read_session(self.engine) as session:
                token = changes.change_token(session)
        except Exception:  # noqa: BLE001 - a database that went away shows up on the next real read
            return
        if token != self._change_token:
            first = self._change_token is None
            self._change_token = token
            if not first:
                self._after_change()

    def on_unmount(self) -> None:
        if self._listener is not None:
            self._listener.stop()

    def _after_change(self, *, check_user: bool = True) -> None:
        """In a worker or the listener's thread: end the session of a user who was disabled meanwhile,
        else let the screen on top re-read."""
        operator = self.operator
        if operator is not None and check_user:
            try:
                with read_session(self.engine) as session:
                    still_active = users.is_active(session, operator.name)
            except Exception:  # noqa: BLE001 - a database that went away shows up on the next real read
                still_active = True
            if not still_active:
                self._from_thread(self._end_session, operator)
                return
        self._from_thread(self._data_changed)

    def _from_thread(self, callback: Callable[..., object], *args: object) -> None:
        try:
            self.call_from_thread(callback, *args)
        except RuntimeError:  # the app stopped while the change was being read
            pass

    def _end_session(self, operator: Operator) -> None:
        """``operator`` was disabled by an administrator: this desk signs them out now."""
        if self.operator != operator:
            return
        self.sign_out(_("{name} was disabled by an administrator: signed out").format(name=operator.name))

    def _data_changed(self) -> None:
        """Someone committed (here or on another terminal): the screen on top decides what to re-read."""
        hook = getattr(self.screen, "on_data_changed", None)
        if hook is not None:
            hook()

    # --- signing in and out ------------------------------------------------------------------

    def _login(self, user_name: str = "", message: str = "") -> Screen:
        from oms_tui.screens.login import LoginScreen

        return LoginScreen(user_name, message)

    def _sign_in_named(self) -> None:
        """The trusted ``--user NAME`` path (the terminal already proved who sits at it): no PIN."""
        name = self.initial_user or ""
        try:
            with read_session(self.engine) as session:
                operator = Operator.from_user(users.get_user(session, name))
        except NotFound:
            self.call_from_thread(self._reset_to, self._login(name, _("Unknown user {name}").format(name=name)))
            return
        except Exception as exc:  # noqa: BLE001 - shown, never a traceback
            self.call_from_thread(self._reset_to, self._login(name, describe_error(exc)))
            return
        self.call_from_thread(self.sign_in, operator)

    def sign_in(self, operator: Operator) -> None:
        from oms_tui.screens.menu import MenuScreen

        self.operator = operator
        self.title = f"{self.settings.shop_name} · {operator.display_name}"
        self._reset_to(MenuScreen())

    def sign_out(self, message: str = "") -> None:
        # An empty name: the next person at a shared terminal types theirs, and does not learn who sat here.
        self.operator = None
        self.title = self.settings.shop_name
        if self.quit_on_sign_out:
            self.exit(message=message or None)
            return
        self._reset_to(self._login("", message))

    def _reset_to(self, screen: Screen) -> None:
        """Make ``screen`` the only one above the default screen."""
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if len(self.screen_stack) == 2:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    # --- navigation --------------------------------------------------------------------------

    def open_screen(self, key: str, **kwargs) -> None:
        """Open a menu screen by its registry key, if this user's roles allow it."""
        if self.operator is None or not may_open(self.operator.roles, key):
            self.notify(_("You may not open that screen"), severity="warning")
            return
        self.push_screen(BY_KEY[key].build(**kwargs))

    def open_order(self, order_id: int) -> None:
        from oms_tui.screens.order_detail import OrderDetailScreen

        if self.operator is None or not may_open(self.operator.roles, "orders"):
            self.notify(_("You may not open that screen"), severity="warning")
            return
        self.push_screen(OrderDetailScreen(order_id))

    def open_sku(self, code: str, warehouse_code: str | None = None) -> None:
        from oms_tui.screens.ledger import SkuLedgerScreen

        if self.operator is None or not may_open(self.operator.roles, "stock"):
            self.notify(_("You may not open that screen"), severity="warning")
            return
        self.push_screen(SkuLedgerScreen(code, warehouse_code=warehouse_code))

    def lookup(self, text: str, want_orders: bool, want_skus: bool) -> tuple[list[queries.OrderHit], list[skus.SkuHit]]:
        """Palette look-up (runs in a thread): orders and SKUs matching ``text``."""
        with read_session(self.engine) as session:
            return (queries.find_orders(session, text, limit=6) if want_orders else [],
                    skus.find_skus(session, text, limit=6) if want_skus else [])

    # --- leaving: quit, language, sign-out ----------------------------------------------------

    def leave_safely(self, go: Callable[[], object]) -> None:
        """Do ``go`` now, or once the user agrees when the screen on top would lose work (a half-packed parcel)."""
        at_risk = getattr(self.screen, "work_at_risk", None)
        question = at_risk() if callable(at_risk) else None
        if not question:
            go()
            return
        self.push_screen(ConfirmDialog(question, detail=_("What is not finished will have to be done again."),
                                       confirm_label=_("Leave it"), cancel_label=_("Keep working")),
                         lambda confirmed: go() if confirmed is True else None)

    async def action_quit(self) -> None:
        self.leave_safely(self.exit)

    # --- language ----------------------------------------------------------------------------

    def action_switch_language(self) -> None:
        self.leave_safely(lambda: self.set_language("en" if current_language() == "zh_CN" else "zh_CN"))

    def set_language(self, lang: str) -> None:
        """Switch the language and rebuild the screens (they draw their texts when composed)."""
        self.language = setup_language(lang)
        localize_bindings(self)
        if self.operator is not None:
            from oms_tui.screens.menu import MenuScreen

            self._reset_to(MenuScreen())
        else:
            self._reset_to(self._login(getattr(self.screen, "user_name", "")))
        self.notify(_("Language: English") if self.language == "en" else _("Language: Chinese"))

    def action_toggle_keys(self) -> None:
        """``?``: the panel of every key of this screen, or away with it."""
        panels = self.screen.query(KeysPanel)
        if panels:
            panels.remove()
        else:
            self.screen.mount(KeysPanel())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield SystemCommand(_("Language"), _("Switch between Chinese and English"), self.action_switch_language)
        if self.operator is not None:
            yield SystemCommand(_("Sign out"), _("Sign out and return to the sign-in screen"),
                                partial(self.leave_safely, self.sign_out))
        yield SystemCommand(_("Theme"), _("Change the colour theme"), self.action_change_theme)
        yield SystemCommand(_("Keys"), _("Hide the keys panel") if screen.query(KeysPanel)
                            else _("Show the keys of this screen"), self.action_toggle_keys)
        yield SystemCommand(_("Quit"), _("Quit the application"), self.action_quit)


def build_app(engine: Engine, settings: Settings, user_name: str | None = None) -> OmsApp:
    """The app ``oms tui [--user NAME]`` runs: NAME signs in without a PIN only where ``trusted_terminal`` is
    set; elsewhere the sign-in screen opens with the name filled in and asks for the PIN."""
    return OmsApp(engine, settings, user_name=user_name, ask_pin=not settings.trusted_terminal)


def run_tui(engine: Engine, settings: Settings, user_name: str | None = None) -> int:
    """Run the TUI until the user quits; the exit code (non-zero when the app stopped on an error)."""
    app = build_app(engine, settings, user_name)
    app.run()
    return app.return_code or 0
