"""Pulling a shop's items from the simulator into the listing the SKU mapping suggests from."""

from sqlmodel import select

from oms_tui.db import read_session
from oms_tui.models import PlatformItem
from oms_tui.platforms.base import RetryPolicy
from oms_tui.platforms.registry import client_for
from oms_tui.platforms.simulator import SimSku
from oms_tui.services.intake import platform_items
from tests.helpers.sync import shop


def test_a_pull_keeps_the_listing_and_a_second_pull_updates_it(seeded, sim):
    config = shop(sim, "taobao")
    sim_shop = next(s for s in sim.state.shops if s.platform == "taobao")
    item = sim.state.add_item(sim_shop, "600001", "竹纤维毛巾", outer_id="HG",
                              skus=[SimSku("7000011", "HG-001-3", "规格:3条装"), SimSku("7000012", "HG-001")])
    sim.state.add_item(sim_shop, "600002", "婴儿湿巾", outer_id="MB-001")
    with client_for(config, retry=RetryPolicy.no_wait()) as client:
        first = platform_items.pull_items(seeded, config.name, "taobao", client)
        item.skus[0].outer_id = "HG-001-3PACK"
        second = platform_items.pull_items(seeded, config.name, "taobao", client)
    assert (first.listed, second.listed) == (3, 3)
    with read_session(seeded) as s:
        rows = {(r.platform_item_id, r.platform_sku_id): r.outer_sku_code for r in s.exec(select(PlatformItem))}
    assert rows == {("600001", "7000011"): "HG-001-3PACK", ("600001", "7000012"): "HG-001", ("600002", ""): ""}
