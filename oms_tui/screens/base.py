"""What every screen shares: translated key descriptions, services run in a worker, errors shown as
a red line and a notification (never a traceback).

This is the only module under ``screens/`` that touches the engine or opens a session: a screen
hands ``read`` / ``write`` a function of a session that calls one service, or names a service that
manages its own transactions to ``run_service`` (tests/screens/test_boundaries.py checks it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from textual.screen import Screen
from textual.worker import get_current_worker

from oms_tui.db import read_session, retrying_transaction
from oms_tui.errors import OmsError, PermissionDenied
from oms_tui.i18n import N_, _
from oms_tui.screens.host import OmsHost
from oms_tui.services.core.actor import Actor
from oms_tui.widgets.bindings import localize_bindings
from oms_tui.widgets.error_line import ErrorLine
from oms_tui.widgets.search_box import SearchBox

T = TypeVar("T")


class _EngineHolder(Protocol):
    """What only this module asks of the app: its engine. Screens reach the database through
    ``OmsScreen.read`` / ``write`` / ``run_service``, never directly, so ``OmsHost`` leaves it out."""

    engine: Engine


def describe_error(exc: BaseException) -> str:
    """One line a user can read: the domain message, or what kind of storage failure it was."""
    if isinstance(exc, OmsError):
        return exc.localized()
    if isinstance(exc, SQLAlchemyError):
        # The driver's own message ("database is locked", "connection refused"), not the SQL.
        detail = str(getattr(exc, "orig", None) or exc.__class__.__name__).splitlines()[0][:200]
        return _("Database error: {error}").format(error=detail)
    return _("Unexpected error: {error}").format(error=exc)


def _read(engine: Engine, fetch: Callable[[Session], T]) -> T:
    with read_session(engine) as session:
        return fetch(session)


class OmsScreen(Screen):
    """Base of the app's screens: translated bindings, the signed-in actor, services run safely in workers."""

    TITLE_ID = ""  # N_() text shown as the Header's sub-title

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        localize_bindings(self)
        if self.TITLE_ID:
            self.sub_title = _(self.TITLE_ID)

    @property
    def oms(self) -> OmsHost:
        """The app, as far as a screen may use it (navigation, settings, who is signed in)."""
        return cast(OmsHost, self.app)

    @property
    def actor(self) -> Actor:
        """Who the services act for on this screen; they check its roles themselves."""
        operator = self.oms.operator
        if operator is None:
            raise PermissionDenied(N_("Sign in first"))
        return Actor(operator.name, frozenset(operator.roles))

    @property
    def _engine(self) -> Engine:
        return cast(_EngineHolder, self.app).engine

    def work_at_risk(self) -> str | None:
        """What leaving this screen now (back, quit, another language) would lose, as a question to ask
        first; None when nothing would be lost. The app asks it before it quits or rebuilds the screens."""
        return None

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

    def run_service(self, service: Callable[..., T], /, *args: Any, done: Callable[[T], Any],
                    failed: Callable[[str], Any] | None = None, group: str = "service", **kwargs: Any) -> None:
        """Run ``service(engine, *args, **kwargs)`` in a worker thread; hand its result to ``done``.

        For services that open their own short transactions around printer or network I/O (such as
        ``printing.send_now``): the screen names the service, this hands it the engine. A failure
        becomes one line for ``failed`` (default: the red line). Never cancelled by a newer call.
        """
        def run() -> None:
            try:
                result = self.call_service(service, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - every failure becomes a message, never a traceback
                self.app.call_from_thread(failed or self.show_error, describe_error(exc))
                return
            self.app.call_from_thread(done, result)

        self.run_worker(run, thread=True, group=group, exit_on_error=False, name=f"service:{group}")

    def call_service(self, service: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``service(engine, *args, **kwargs)`` on the calling thread, which must be a worker's: for a
        worker that handles its items one by one in order (the pack station's scans)."""
        return service(self._engine, *args, **kwargs)

    def _read_worker(self, fetch: Callable[[Session], T], done: Callable[[T], Any], *, group: str) -> None:
        self.run_worker(lambda: self._in_thread(_read, fetch, done), thread=True, exclusive=True,
                        group=group, exit_on_error=False, name=f"read:{group}")

    def _in_thread(self, run, fetch: Callable[[Session], T], done: Callable[[T], Any]) -> None:  # noqa: ANN001
        worker = get_current_worker()
        try:
            result = run(self._engine, fetch)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message, never a traceback
            if not worker.is_cancelled:
                self.app.call_from_thread(self.show_error, describe_error(exc))
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(done, result)

    def action_focus_search(self) -> None:
        """``/`` (``SEARCH_BINDING``): into the screen's search box, its text selected for a new search."""
        boxes = self.query(SearchBox)
        if boxes:
            boxes.first().focus_for_search()
        else:
            self.app.bell()

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
