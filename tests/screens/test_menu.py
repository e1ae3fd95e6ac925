"""The menu: one key per entry, the entries after the tenth included."""

from __future__ import annotations

from textual.widgets import OptionList

from oms_tui.app import OmsApp
from oms_tui.screens.menu import MenuScreen
from oms_tui.screens.shops import ShopsScreen
from tests.helpers.screens import SIZE, settle


async def test_entries_after_the_tenth_have_keys_that_open_them(shop, settings):
    """The administrator's menu has more than ten entries: 1–9 and 0 for the first ten, then a, b, …"""
    app = OmsApp(shop, settings, user_name="boss")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, MenuScreen)
        menu = app.screen.query_one("#menu", OptionList)
        assert menu.option_count > 10
        keys = [str(menu.get_option_at_index(i).prompt).split()[0] for i in range(menu.option_count)]
        assert keys[:12] == [*"1234567890", "a", "b"]  # the key is shown beside the title
        shops = [menu.get_option_at_index(i).id for i in range(menu.option_count)].index("shops")
        assert shops >= 10  # an entry only a letter opens
        await pilot.press(keys[shops])
        await settle(pilot, app)
        assert isinstance(app.screen, ShopsScreen)
