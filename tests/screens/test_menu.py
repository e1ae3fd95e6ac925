"""The menu: one key per entry, the entries after the tenth included."""

from __future__ import annotations

from textual.widgets import OptionList

from oms_tui.app import OmsApp
from oms_tui.screens.menu import MenuScreen
from oms_tui.screens.shops import ShopsScreen
from tests.helpers.screens import SIZE, settle


async def test_entries_after_the_tenth_have_keys_that_open_them(shop, settings):
    """The administrator's menu has twelve entries: 1–9 and 0 for the first ten, then a and b."""
    app = OmsApp(shop, settings, user_name="boss")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, MenuScreen)
        menu = app.screen.query_one("#menu", OptionList)
        assert menu.option_count > 10
        eleventh = menu.get_option_at_index(10)
        assert eleventh.id == "shops"
        assert str(eleventh.prompt).split()[0] == "a"  # the key is shown beside the title
        assert str(menu.get_option_at_index(11).prompt).split()[0] == "b"
        await pilot.press("a")
        await settle(pilot, app)
        assert isinstance(app.screen, ShopsScreen)
