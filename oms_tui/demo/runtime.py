"""What `oms demo` runs beside the TUI: the platform simulator on loopback (with its alert robots and
SMS, where the demo's alerts go) and the scheduler.

The simulator's shops carry the demo shops' names, so orders that arrive by sync sit beside the
generated history; the scheduler syncs them every half minute. Logs go to a file, because the
terminal belongs to the TUI.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from oms_tui.config import NotifyConfig, Settings
from oms_tui.demo.data import DEMO_SHOPS
from oms_tui.models import utcnow
from oms_tui.platforms.simulator import SimSku, SimulatorHandle, SimulatorState, run_simulator
from oms_tui.scheduler import OmsScheduler

SYNC_MINUTES = 0.5


def simulator_state(data_dir: Path, *, rate_per_minute: float = 6.0, seed: int | None = None) -> SimulatorState:
    """Four simulated shops (Taobao, JD, Pinduoduo, Douyin) selling our demo catalogue."""
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


# Who hears of what in the demo: the simulator's DingTalk robot is the warehouse and purchasing group,
# its WeCom robot the CS leads' group, its SMS account the manager's phone.
DEMO_ROUTES = {"purchasing": ["钉钉群"], "warehouse_lead": ["钉钉群"], "warehouse": ["钉钉群"],
               "cs_lead": ["企业微信群"], "cs": ["企业微信群"], "manager": ["企业微信群", "短信"]}


def demo_notify(settings: Settings, handle: SimulatorHandle) -> NotifyConfig:
    """The configured alert channels, or — when there are none — the simulator's robots and SMS account."""
    if settings.notify.channels:
        return settings.notify
    return NotifyConfig(channels=handle.notify_channels(), routes=DEMO_ROUTES)


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
    # A few new orders waiting on the platforms, from before the adapters' listing lag (PDD: 3 minutes),
    # so the first sync takes them in.
    state.generate(12, utcnow() - timedelta(minutes=5), random.Random(), state.sku_codes)
    handle = run_simulator("127.0.0.1", 0, state, tick_seconds=5.0)
    shops = [shop.model_copy(update={"sync_minutes": SYNC_MINUTES, "courier_codes": handle.courier_codes(shop.platform)})
             for shop in handle.shop_configs()]
    settings = settings.model_copy(update={"shops": shops, "notify": demo_notify(settings, handle)})
    scheduler = OmsScheduler(engine, settings)
    scheduler.start()
    return DemoRuntime(handle, scheduler), settings
