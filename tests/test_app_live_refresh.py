"""Two desks on one PostgreSQL database: each sees the other's commit within a second, pushed by
LISTEN/NOTIFY (no polling); a user disabled at one desk is signed out at the other."""

import time

from oms_tui.app import OmsApp
from oms_tui.config import Settings
from oms_tui.screens.login import LoginScreen
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core import users
from oms_tui.services.core.actor import Actor
from oms_tui.services.stock import ledger
from oms_tui.widgets.error_line import ErrorLine
from tests.helpers.desks import seed_desk_shop

SIZE = (100, 30)
PUSHED_WITHIN = 1.0  # seconds from the commit at one desk to the refresh at the other


def _settings(pg_engine) -> Settings:
    return Settings(database_url=pg_engine.url.render_as_string(hide_password=False), language="en",
                    shop_name="Live")


async def _until(pilot, condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await pilot.pause(0.02)
    return condition()


async def _listening(pilot, app: OmsApp) -> None:
    assert app._listener is not None, "PostgreSQL desks listen instead of polling"
    assert await _until(pilot, app._listener.listening.is_set, 10)


async def test_a_commit_at_one_desk_refreshes_the_other_within_a_second(pg_engine):
    seed_desk_shop(pg_engine)
    boss = OmsApp(pg_engine, _settings(pg_engine), user_name="boss")
    clerk = OmsApp(pg_engine, _settings(pg_engine), user_name="zhang")
    async with boss.run_test(size=SIZE) as boss_pilot, clerk.run_test(size=SIZE) as clerk_pilot:
        await _listening(boss_pilot, boss)
        await _listening(clerk_pilot, clerk)
        assert await _until(clerk_pilot, lambda: clerk.operator is not None, 10)
        clerk.open_screen("stock")
        await clerk_pilot.pause()
        refreshed: list[float] = []
        clerk.screen.on_data_changed = lambda: refreshed.append(time.monotonic())

        def receive(session) -> None:  # at the boss's desk, in its worker, as a screen's action runs
            wh, sku = catalogue.get_warehouse(session, "WH1"), catalogue.get_sku(session, "MB-001")
            ledger.purchase(session, wh, sku, 7, actor=Actor("boss", frozenset({"admin"})))

        committed: list[float] = []
        boss.screen.write(receive, lambda _none: committed.append(time.monotonic()))
        assert await _until(clerk_pilot, lambda: committed and refreshed, 5)
        assert refreshed[0] - committed[0] < PUSHED_WITHIN

        # The boss disables the clerk: the clerk's desk signs them out, saying why.
        boss.screen.write(lambda s: users.disable(s, "zhang", actor=Actor("boss", frozenset({"admin"}))),
                          lambda _changed: committed.append(time.monotonic()))
        assert await _until(clerk_pilot, lambda: isinstance(clerk.screen, LoginScreen), 5)
        assert time.monotonic() - committed[1] < PUSHED_WITHIN + 0.5
        assert clerk.operator is None
        # The sign-in screen is up before its error line is filled in (on a busy machine, frames apart).
        assert await _until(clerk_pilot, lambda: clerk.screen.query("#login-error") and "zhang was disabled" in str(
            clerk.screen.query_one("#login-error", ErrorLine).render()), 5)


async def test_a_desk_that_ends_with_its_session_closes_when_its_user_is_disabled(sqlite_engine):
    """An SSH desk signed in by its key (``quit_on_sign_out``): a disabled user's desk ends, it does not
    leave a sign-in screen open for whoever sits down next. SQLite: found by the change-token poll."""
    import asyncio

    from oms_tui.db import session_scope

    seed_desk_shop(sqlite_engine)
    settings = Settings(database_url=str(sqlite_engine.url), language="en", shop_name="Live")
    desk = OmsApp(sqlite_engine, settings, user_name="zhang", quit_on_sign_out=True)
    async with desk.run_test(size=SIZE) as pilot:
        assert await _until(pilot, lambda: desk.operator is not None, 10)
        with session_scope(sqlite_engine) as s:
            users.disable(s, "zhang", actor=Actor("boss", frozenset({"admin"})))
        await asyncio.to_thread(desk._after_change)  # what the poll runs when the token moved
        assert await _until(pilot, lambda: not desk.is_running, 5)
    assert desk.operator is None and desk.return_code == 0
