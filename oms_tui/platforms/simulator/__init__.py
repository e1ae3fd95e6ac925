"""A loopback simulator of the Taobao, JD and Pinduoduo order APIs, for the demo and the tests.

``build_simulator_app(state)`` is a Starlette app serving

- Taobao TOP at ``/taobao/router/rest`` (and ``/router/rest``),
- JD JOS at ``/jd/routerjson`` (and ``/routerjson``),
- Pinduoduo at ``/pdd/api/router`` (and ``/api/router``),

so a shop whose ``base_url`` is the simulator's bare base URL works for every platform.
It checks signatures (wrong sign → the platform's error), sessions/tokens (unknown → the
expired-session error), the timestamp (Taobao ±10 min, JD ±6 min), paginates, filters by modified
window, enforces the platforms' window limits (Taobao same day ≤ 1 day, PDD ≤ 30 min) and page
size ≤ 100, and can be told to inject faults: rate limit the next N calls, HTTP 5xx, malformed records.

It also serves each platform's refund list (Taobao ``taobao.refunds.receive.get``, PDD
``pdd.refund.list.increment.get``, JD ``jingdong.pop.afs.soa.refundapply.queryPageList``) from refunds
a test or the demo adds (``add_refund`` / ``update_refund``), and the shop's items (``add_item``:
``taobao.items.onsale.get`` + ``taobao.item.skus.get``, ``pdd.goods.list.get``,
``jingdong.sku.read.searchSkuList``); ``between_pages`` lets a test change records between page requests.

``SimulatorState.generate(n, now, rng, sku_codes)`` makes realistic traffic: new paid orders,
unpaid ones (Taobao), payments, buyer cancellations, address changes after payment, masked
receiver data (``张**``, ``138****5678``; PDD's ``1*********5`` with ``~AgAAAA…~0~~`` ciphertext),
the odd malformed record. ``tick(now)`` generates at ``rate_per_minute``.

It serves Kuaidi100 too (``kuaidi100``: ``/label/order``, ``/poll``, ``/poll/query.do``; pushes to a
subscription's callback), with its own signing and scenarios (normal, stalled, returned, unknown).

The same app serves the notification services (``notify``: DingTalk and WeCom robots at
``/robot/send`` and ``/cgi-bin/webhook/send``, Aliyun SMS ``SendSms`` at ``/``), checking their
signatures as the real ones do and keeping what they took (``NotifyState``).

``run_simulator(host, port, state, notify=…)`` serves it with uvicorn in a background thread and returns a
handle with ``.base_url`` and ``.stop()``.

Modules: one per platform (``taobao``, ``jd``, ``pdd``: API names, error table, limits, signature
check, request rules, payload shapes), ``state`` (shops, orders, faults, generation), ``generate``
(made-up buyers, receivers, lines), ``model`` (the records), ``wire`` (Beijing time, yuan, the
string every platform signs), ``server`` (the app and ``run_simulator``). Every protocol fact here
is written from PROTOCOLS.md, never imported from the adapters (``oms_tui.platforms.taobao`` …,
``signing``): a simulator that borrows the adapter's constants cannot catch the adapter's mistakes.
Error codes the simulator answers with beyond PROTOCOLS.md's are its own reading, marked so in the
platform modules.
"""

from oms_tui.platforms.simulator.generate import (
    mask_name_pdd,
    mask_name_taobao,
    mask_phone_pdd,
    mask_phone_taobao,
    mask_street,
)
from oms_tui.platforms.simulator.model import (
    GeneratedEvent,
    SimCall,
    SimItem,
    SimOrder,
    SimRefund,
    SimResponse,
    SimShop,
    SimSku,
)
from oms_tui.platforms.simulator.kuaidi100 import Kuaidi100State
from oms_tui.platforms.simulator.notify import NotifyState
from oms_tui.platforms.simulator.server import (
    SimulatorHandle,
    build_simulator_app,
    run_simulator,
)
from oms_tui.platforms.simulator.state import (
    PATHS,
    PLATFORMS,
    SIMULATOR_COURIER_CODES,
    SimulatorState,
)

__all__ = [
    "PATHS",
    "PLATFORMS",
    "SIMULATOR_COURIER_CODES",
    "GeneratedEvent",
    "Kuaidi100State",
    "NotifyState",
    "SimCall",
    "SimItem",
    "SimOrder",
    "SimRefund",
    "SimResponse",
    "SimShop",
    "SimSku",
    "SimulatorHandle",
    "SimulatorState",
    "build_simulator_app",
    "mask_name_pdd",
    "mask_name_taobao",
    "mask_phone_pdd",
    "mask_phone_taobao",
    "mask_street",
    "run_simulator",
]
