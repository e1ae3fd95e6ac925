"""The Users screen (administrators): roles, disabling with a confirmation, unlocking; audited."""

from __future__ import annotations

from textual.widgets import DataTable

from oms_tui.app import OmsApp
from oms_tui.db import read_session, session_scope
from oms_tui.screens.users import UsersScreen
from oms_tui.services.core import audit, users
from oms_tui.widgets.dialogs import ConfirmDialog, TextPrompt
from tests.helpers.screens import SIZE, settle, table_rows


async def _open(app, pilot) -> UsersScreen:
    await settle(pilot, app)
    app.open_screen("users")
    await settle(pilot, app)
    assert isinstance(app.screen, UsersScreen)
    return app.screen


async def _select(pilot, app, screen: UsersScreen, name: str) -> None:
    table = screen.query_one("#users", DataTable)
    table.focus()
    names = [row[0] for row in table_rows(table)]
    table.move_cursor(row=names.index(name))
    await settle(pilot, app)


async def test_an_admin_sets_roles_disables_and_enables(shop, settings):
    app = OmsApp(shop, settings, user_name="boss")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        rows = {row[0]: row for row in table_rows(screen.query_one("#users", DataTable))}
        assert rows["zhang"][2] == "客服" and rows["zhang"][3] == "正常" and rows["zhang"][4] == "0"

        await _select(pilot, app, screen, "zhang")
        await pilot.press("r")
        await settle(pilot, app)
        assert isinstance(app.screen, TextPrompt)
        app.screen.query_one("#text").value = "cs,cs_lead"
        await pilot.press("enter")
        await settle(pilot, app)

        await pilot.press("d")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot, app)
        rows = {row[0]: row for row in table_rows(screen.query_one("#users", DataTable))}
        assert rows["zhang"][2] == "客服, 客服主管" and rows["zhang"][3] == "已停用"

        await pilot.press("d")  # a disabled user is enabled again without asking
        await settle(pilot, app)
        rows = {row[0]: row for row in table_rows(screen.query_one("#users", DataTable))}
        assert rows["zhang"][3] == "正常"
    with read_session(shop) as s:
        assert [e.action for e in audit.history(s, "user", "zhang")] == [
            "user.add", "user.roles", "user.disable", "user.enable"]


async def test_a_refused_change_is_a_red_line(shop, settings):
    app = OmsApp(shop, settings, user_name="boss")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await _select(pilot, app, screen, "zhang")
        await pilot.press("r")
        await settle(pilot, app)
        app.screen.query_one("#text").value = "king"
        await pilot.press("enter")
        await settle(pilot, app)
        assert "角色须从以下选择" in str(screen.query_one("ErrorLine").render())
    with session_scope(shop) as s:
        assert users.get_user(s, "zhang").role_list == ["cs"]


async def test_only_admins_see_the_users_screen(shop, settings):
    app = OmsApp(shop, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_screen("users")
        await settle(pilot, app)
        assert not isinstance(app.screen, UsersScreen)
