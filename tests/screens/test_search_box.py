"""``/`` ("Search") on the screens with a search box: it goes to the box and is never typed into it."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from oms_tui.app import OmsApp
from tests.helpers.screens import SIZE, footer_keys, settle


@pytest.mark.parametrize(("user", "screen_key", "box_id"), [
    ("li", "stock", "search"), ("li", "returns", "query"), ("zhang", "customers", "query"),
    ("zhang", "orders", "search"),
])
async def test_slash_focuses_the_search_box_without_typing_a_slash(shop, settings, user, screen_key, box_id):
    app = OmsApp(shop, settings, user_name=user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_screen(screen_key)
        await settle(pilot, app)
        box = app.screen.query_one(f"#{box_id}", Input)
        await pilot.press("slash")  # from wherever the screen put the focus
        await settle(pilot, app)
        assert app.focused is box and box.value == ""
        await pilot.press(*"AB", "slash")  # "/" again, in the box: still no slash
        await settle(pilot, app)
        assert app.focused is box and box.value == "AB"
        await pilot.press("C")  # the text was selected: a new search starts
        assert box.value == "C"


async def test_the_footer_offers_search_and_keys_while_typing_in_the_box(shop, settings):
    app = OmsApp(shop, settings, user_name="li")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_screen("stock")
        await settle(pilot, app)
        assert isinstance(app.focused, Input)
        assert {"slash", "question_mark"} <= set(footer_keys(app))
        await pilot.press("question_mark")  # opens the keys panel, is not typed
        await settle(pilot, app)
        assert app.screen.query("KeysPanel") and app.focused.value == ""
