"""What `oms demo` runs beside the TUI: the platform simulator on loopback and the scheduler.

The simulator's shops carry the demo shops' names, so orders that arrive by sync sit beside the
generated history; the scheduler syncs them every half minute. Logs go to a file, because the
terminal belongs to the TUI.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from oms_tui.config import Settings
from oms_tui.demo.data import DEMO_SHOPS
from oms_tui.models import utcnow
from oms_tui.platforms.simulator import SimSku, SimulatorHandle, SimulatorState, run_simulator
from oms_tui.scheduler import OmsScheduler

SYNC_MINUTES = 0.5


def simulator_state(data_dir: Path, *, rate_per_minute: float = 6.0, seed: int | None = None) -> SimulatorState:
    """Three simulated shops selling our demo catalogue."""
    items = json.loads((data_dir / "catalogue.json").read_text(encoding="utf-8"))["skus"]
    state = SimulatorState(sku_codes={i["code"]: (i["name"], i["price_fen"]) for i in items},
                           rate_per_minute=rate_per_minute, rng=random.Random(seed))
    for platform, name in DEMO_SHOPS.items():
        shop = state.add_shop(platform, f"demo-{platform}-key", f"demo-{platform}-secret", f"demo-{platform}-session",
                              name)
        # The shop's listing, which the scheduler pulls for the SKU mapping's suggestions: each SKU on sale,
        # and a 3-pack of the first one that no order names yet (a bundle to map: 组合装).
        for n, item in enumerate(items):
            state.add_item(shop, str(600_000 + n), item["name"], outer_id=item["code"].split("-")[0],
                           skus=[SimSku(str(7_000_000 + 10 * n), item["code"], item.get("spec", ""),
                                        item["price_fen"])])
        if items:
            first = items[0]
            state.add_item(shop, "699999", f"{first['name']} 3件装", skus=[
                SimSku("7999990", f"{first['code']}-3", "规格:3件装", first["price_fen"] * 3)])
    return state


@dataclass
class DemoRuntime:
    simulator: SimulatorHandle
    scheduler: OmsScheduler

    def stop(self) -> None:
        self.scheduler.shutdown()
        self.simulator.stop()


def start(engine: Engine, settings: Settings, data_dir: Path, *, log_file: Path) -> tuple[DemoRuntime, Settings]:
    logging.basicConfig(filename=log_file, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    state = simulator_state(data_dir)
    state.generate(12, utcnow(), random.Random(), state.sku_codes)  # a few new orders waiting on the platforms
    handle = run_simulator("127.0.0.1", 0, state, tick_seconds=5.0)
    shops = [shop.model_copy(update={"sync_minutes": SYNC_MINUTES, "courier_codes": handle.courier_codes(shop.platform)})
             for shop in handle.shop_configs()]
    settings = settings.model_copy(update={"shops": shops})
    scheduler = OmsScheduler(engine, settings)
    scheduler.start()
    return DemoRuntime(handle, scheduler), settings
