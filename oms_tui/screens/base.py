"""What every screen shares: translated key descriptions, database reads in a worker, errors shown
as a red line and a notification (never a traceback)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from textual.binding import BindingsMap
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import get_current_worker

from oms_tui.db import read_session, retrying_transaction
from oms_tui.errors import OmsError
from oms_tui.i18n import _

if TYPE_CHECKING:
    from oms_tui.app import OmsApp

T = TypeVar("T")


def localize_bindings(node: DOMNode) -> None:
    """Give ``node`` its class bindings with descriptions in the current language.

    BINDINGS carry ``N_()``-marked English ids; Textual copies them per instance, so translating
    the copy when the node is built (or the language changes) is enough for the Footer.
    """
    merged = type(node)._merged_bindings
    if merged is None:
        return
    translated = BindingsMap()
    for _key, binding in merged:
        if binding.description:
            binding = dataclasses.replace(binding, description=_(binding.description))
        translated._add_binding(binding)
    node._bindings = translated


def describe_error(exc: BaseException) -> str:
    """One line a user can read: the domain message, or what kind of storage failure it was."""
    if isinstance(exc, OmsError):
        return str(exc)
    if isinstance(exc, SQLAlchemyError):
        # The driver's own message ("database is locked", "connection refused"), not the SQL.
        detail = str(getattr(exc, "orig", None) or exc.__class__.__name__).splitlines()[0][:200]
        return _("Database error: {error}").format(error=detail)
    return _("Unexpected error: {error}").format(error=exc)


def _read(engine: Engine, fetch: Callable[[Session], T]) -> T:
    with read_session(engine) as session:
        return fetch(session)


class ErrorLine(Static):
    """A red one-line message under a form or table; empty and hidden when there is nothing to say."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, classes="error-line", markup=False)
        self.display = False

    def show(self, message: str) -> None:
        self.update(message)
        self.display = bool(message)


class OmsScreen(Screen):
    """Base of the app's screens: translated bindings and a safe way to read the database."""

    TITLE_ID = ""  # N_() text shown as the Header's sub-title

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        localize_bindings(self)
        if self.TITLE_ID:
            self.sub_title = _(self.TITLE_ID)

    @property
    def oms(self) -> OmsApp:
        return self.app  # type: ignore[return-value]

    @property
    def operator_name(self) -> str:
        """Who the audit trail records for what is done on this screen."""
        operator = self.oms.operator
        return operator.name if operator else "system"

    def on_data_changed(self) -> None:
        """Someone (on this terminal or another) committed a change; screens that show data re-read it."""

    def read(self, fetch: Callable[[Session], T], done: Callable[[T], Any], *, group: str = "read") -> None:
        """Run ``fetch`` in a worker thread with a read-only session and hand its result to ``done``.

        ``fetch`` must return plain values (the session is gone when ``done`` runs). A newer read
        in the same group cancels an older one, so a slow page never overwrites a newer one.
        """
        self._read_worker(fetch, done, group=group)

    def write(self, work: Callable[[Session], T], done: Callable[[T], Any], *, group: str = "write") -> None:
        """Run ``work`` in a worker thread inside one writing transaction; hand its result to ``done``.

        ``work`` returns plain values; any failure rolls the whole transaction back and becomes the
        screen's red line. Writes are never cancelled by a newer one (each is a user's action).
        """
        # Run again from the start when the database picks it as a deadlock victim (two desks, one order).
        self.run_worker(lambda: self._in_thread(retrying_transaction, work, done), thread=True, group=group,
                        exit_on_error=False, name=f"write:{group}")

    def _read_worker(self, fetch: Callable[[Session], T], done: Callable[[T], Any], *, group: str) -> None:
        self.run_worker(lambda: self._in_thread(_read, fetch, done), thread=True, exclusive=True,
                        group=group, exit_on_error=False, name=f"read:{group}")

    def _in_thread(self, run, fetch: Callable[[Session], T], done: Callable[[T], Any]) -> None:  # noqa: ANN001
        worker = get_current_worker()
        try:
            result = run(self.oms.engine, fetch)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message, never a traceback
            if not worker.is_cancelled:
                self.app.call_from_thread(self.show_error, describe_error(exc))
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(done, result)

    def show_error(self, message: str) -> None:
        """A red line on the screen (when it has one) and a notification."""
        try:
            self.query_one(ErrorLine).show(message)
        except Exception:  # noqa: BLE001 - screens without an error line still notify
            pass
        self.notify(message, severity="error", title=_("Error"))

    def clear_error(self) -> None:
        for line in self.query(ErrorLine):
            line.show("")


@dataclass(frozen=True)
class Operator:
    """The person signed in at this terminal, as plain values (no ORM object outlives its session)."""

    name: str
    display_name: str
    roles: tuple[str, ...]

    @classmethod
    def from_user(cls, user) -> Operator:  # noqa: ANN001 - a models.User
        return cls(user.name, user.display_name or user.name, tuple(user.role_list))
