"""The simulator's state: shops, their orders, injected faults and generated traffic (thread-safe).

Each platform's own rules and shapes live in its module (taobao, jd, pdd); this module keeps
what is shared and calls into them through the same few names (``render``, ``handle``, …).
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from types import ModuleType
from typing import Any

from oms_tui.config import ShopConfig
from oms_tui.platforms.simulator import jd, pdd, taobao
from oms_tui.platforms.simulator.generate import new_draft, new_receiver, sku_catalogue
from oms_tui.platforms.simulator.model import (
    Draft,
    GeneratedEvent,
    SimCall,
    SimOrder,
    SimResponse,
    SimShop,
)

# One module per simulated platform, each with the same names: PATHS, COURIER_CODES,
# ORDER_ID_FIELD, PAYMENT_FIELD, new_order_id, clear_lines, render, handle.
SIMULATED: dict[str, ModuleType] = {"taobao": taobao, "jd": jd, "pdd": pdd}
PLATFORMS = tuple(SIMULATED)
PATHS = {p: module.PATHS for p, module in SIMULATED.items()}
# Courier ids the simulator's JD and PDD shops accept (any non-empty id is accepted; these are
# the simulator's own, NOT the platforms' real ids). For the demo: client_for(shop, courier_codes=...).
SIMULATOR_COURIER_CODES: dict[str, dict[str, str]] = {p: module.COURIER_CODES for p, module in SIMULATED.items()}


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _render(platform: str, draft: Draft) -> dict[str, Any]:
    return SIMULATED[platform].render(draft)


class SimulatorState:
    """Shops, orders and injected faults of all three simulated platforms (thread-safe)."""

    def __init__(self, *, rate_per_minute: float = 6.0, rng: random.Random | None = None,
                 sku_codes: Sequence[str] | Mapping[str, Any] = (), check_timestamp: bool = True,
                 clock: Callable[[], datetime] = _utcnow) -> None:
        self.lock = threading.RLock()
        self.shops: list[SimShop] = []
        self.calls: list[SimCall] = []
        self.shipments: list[dict[str, Any]] = []
        self.rate_per_minute = rate_per_minute
        self.rng = rng or random.Random()
        self.sku_codes = sku_codes
        self.check_timestamp = check_timestamp
        self.clock = clock
        self._rate_limit: dict[str, int] = {p: 0 for p in PLATFORMS}
        self._http_errors: dict[str, list[int]] = {p: [] for p in PLATFORMS}
        self._ship_refusals: dict[str, int] = {p: 0 for p in PLATFORMS}
        self._last_tick: datetime | None = None
        self._carry = 0.0
        self._malformed_seq = 0

    # --- shops -------------------------------------------------------------------------------

    def add_shop(self, platform: str, app_key: str, app_secret: str, session: str, name: str | None = None) -> SimShop:
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}")
        with self.lock:
            if self.shop(platform, app_key) is not None:
                raise ValueError(f"{platform} app key {app_key!r} already added")
            shop = SimShop(platform, name or f"{platform}-{app_key}", app_key, app_secret, session)
            self.shops.append(shop)
            return shop

    @classmethod
    def with_demo_shops(cls, sku_codes: Sequence[str] | Mapping[str, Any] = (), *, seed: int | None = None,
                        **kwargs: Any) -> SimulatorState:
        """A state with one shop per platform (keys ``sim-<platform>-key`` etc.)."""
        state = cls(sku_codes=sku_codes, rng=random.Random(seed), **kwargs)
        names = {"taobao": "天猫旗舰店", "jd": "京东自营专卖店", "pdd": "拼多多官方店"}
        for p in PLATFORMS:
            state.add_shop(p, f"sim-{p}-key", f"sim-{p}-secret", f"sim-{p}-session", names[p])
        return state

    def shop(self, platform: str, app_key: str) -> SimShop | None:
        with self.lock:
            return next((s for s in self.shops if s.platform == platform and s.app_key == app_key), None)

    def shop_config(self, shop: SimShop, base_url: str, **overrides: Any) -> ShopConfig:
        """The ShopConfig an adapter needs to talk to ``shop`` on this simulator at ``base_url``."""
        fields = dict(name=shop.name, platform=shop.platform, base_url=base_url.rstrip("/") + PATHS[shop.platform][0],
                      app_key=shop.app_key, app_secret=shop.app_secret, session=shop.session)
        fields.update(overrides)
        return ShopConfig(**fields)

    def shop_configs(self, base_url: str) -> list[ShopConfig]:
        with self.lock:
            return [self.shop_config(s, base_url) for s in self.shops]

    def expire_session(self, platform: str, app_key: str | None = None) -> None:
        """The shop's current session/token stops working (as after expiry or revocation)."""
        with self.lock:
            for s in self.shops:
                if s.platform == platform and (app_key is None or s.app_key == app_key):
                    s.session = f"{s.session}-renewed-{uuid.uuid4().hex[:6]}"

    # --- faults ------------------------------------------------------------------------------

    def inject_rate_limit(self, platform: str, n: int = 1) -> None:
        """The next ``n`` calls to ``platform`` are rate limited (Taobao 7, PDD 52001, JD HTTP 429)."""
        with self.lock:
            self._rate_limit[platform] += n

    def inject_http_error(self, platform: str, n: int = 1, status: int = 503) -> None:
        with self.lock:
            self._http_errors[platform].extend([status] * n)

    def inject_ship_refusal(self, platform: str, n: int = 1) -> None:
        """The next ``n`` ship notices to ``platform`` are refused for a bad waybill, in the platform's error shape."""
        with self.lock:
            self._ship_refusals[platform] += n

    def take_ship_refusal(self, platform: str) -> bool:
        """Whether this ship notice is to be refused (an injected ``inject_ship_refusal``)."""
        with self.lock:
            if self._ship_refusals[platform] > 0:
                self._ship_refusals[platform] -= 1
                return True
            return False

    def add_malformed(self, platform: str, kind: str, now: datetime, *, shop: SimShop | None = None,
                      rng: random.Random | None = None, sku_codes: Sequence[str] | Mapping[str, Any] | None = None
                      ) -> SimOrder:
        """A broken record: ``missing_id``, ``bad_payment`` or ``no_lines``, modified at ``now``."""
        if kind not in ("missing_id", "bad_payment", "no_lines"):
            raise ValueError(f"unknown malformed kind {kind!r}")
        rng = rng or self.rng
        with self.lock:
            shop = shop or self._pick_shop(rng, [platform])
            draft = self._new_draft(shop.platform, now, rng, sku_catalogue(sku_codes or self.sku_codes or ["X-1"]),
                                    paid=True)
            simulated = SIMULATED[shop.platform]
            payload = simulated.render(draft)
            key = draft.order_id
            if kind == "missing_id":
                payload.pop(simulated.ORDER_ID_FIELD)
                self._malformed_seq += 1
                key = f"malformed-{self._malformed_seq}"
            elif kind == "bad_payment":
                payload[simulated.PAYMENT_FIELD] = "12,3元"
            else:
                simulated.clear_lines(payload)
            order = SimOrder(shop.platform, key, draft.modified, draft.created, payload, None, kind)
            shop.orders[key] = order
            return order

    def put_order(self, shop: SimShop, payload: dict[str, Any], modified: datetime, key: str | None = None) -> SimOrder:
        """Store a hand-made platform payload (tests)."""
        with self.lock:
            k = key or str(payload.get(SIMULATED[shop.platform].ORDER_ID_FIELD))
            order = SimOrder(shop.platform, k, modified, modified, payload)
            shop.orders[k] = order
            return order

    def orders(self, platform: str | None = None) -> list[SimOrder]:
        with self.lock:
            return [o for s in self.shops if platform in (None, s.platform) for o in s.orders.values()]

    def find_order(self, platform: str, order_id: str) -> SimOrder | None:
        with self.lock:
            for s in self.shops:
                if s.platform == platform and order_id in s.orders:
                    return s.orders[order_id]
        return None

    # --- generation --------------------------------------------------------------------------

    def generate(self, n: int, now: datetime, rng: random.Random,
                 sku_codes: Sequence[str] | Mapping[str, Any], *, spread: timedelta = timedelta(0),
                 platforms: Iterable[str] | None = None) -> list[GeneratedEvent]:
        """``n`` order events at ``now`` (or spread over ``[now - spread, now]``)."""
        if now.tzinfo is None:
            raise ValueError("now must carry its time zone")
        catalogue = sku_catalogue(sku_codes)
        wanted = list(platforms) if platforms is not None else list(PLATFORMS)
        events: list[GeneratedEvent] = []
        with self.lock:
            for _ in range(n):
                shop = self._pick_shop(rng, wanted)
                moment = (now - spread * rng.random()) if spread else now
                moment = moment.replace(microsecond=0)
                events.append(self._one_event(shop, moment, rng, catalogue))
        return events

    def tick(self, now: datetime) -> list[GeneratedEvent]:
        """Generate what ``rate_per_minute`` says happened since the last tick (the first tick only starts the clock)."""
        with self.lock:
            if self._last_tick is None:
                self._last_tick = now
                return []
            if now <= self._last_tick:
                return []
            self._carry += (now - self._last_tick).total_seconds() / 60 * self.rate_per_minute
            self._last_tick = now
            n = int(self._carry)
            self._carry -= n
            if n == 0 or not self.shops:
                return []
            return self.generate(n, now, self.rng, self.sku_codes)

    def _pick_shop(self, rng: random.Random, platforms: Sequence[str]) -> SimShop:
        candidates = [s for s in self.shops if s.platform in platforms]
        if not candidates:
            raise ValueError(f"no simulated shop for {', '.join(platforms)}")
        return rng.choice(candidates)

    def _one_event(self, shop: SimShop, moment: datetime, rng: random.Random,
                   catalogue: list[tuple[str, str, int]]) -> GeneratedEvent:
        roll = rng.random()
        live = [o for o in shop.orders.values() if o.draft is not None]
        if roll < 0.03:
            kind = rng.choice(("missing_id", "bad_payment", "no_lines"))
            order = self.add_malformed(shop.platform, kind, moment, shop=shop, rng=rng,
                                       sku_codes=[c for c, _, _ in catalogue])
            return GeneratedEvent(shop.platform, shop.name, order.key, f"malformed:{kind}")
        if roll < 0.11:
            paid = [o for o in live if o.draft.status == "paid"]  # type: ignore[union-attr]
            if paid:
                order = rng.choice(paid)
                d = order.draft
                assert d is not None
                d.status, d.close_trade = "cancelled", rng.random() < 0.7
                self._touch(order, max(moment, d.modified))
                return GeneratedEvent(shop.platform, shop.name, order.key, "cancelled")
        elif roll < 0.18:
            paid = [o for o in live if o.draft.status == "paid"]  # type: ignore[union-attr]
            if paid:
                order = rng.choice(paid)
                d = order.draft
                assert d is not None
                new = new_receiver(rng)
                new.name = d.receiver.name  # same buyer, new address (and sometimes a new phone)
                if rng.random() < 0.5:
                    new.phone = d.receiver.phone
                d.receiver = new
                self._touch(order, max(moment, d.modified))
                return GeneratedEvent(shop.platform, shop.name, order.key, "address_changed")
        elif roll < 0.22 and shop.platform == "taobao":
            unpaid = [o for o in live if o.draft.status == "unpaid"]  # type: ignore[union-attr]
            if unpaid:
                order = rng.choice(unpaid)
                d = order.draft
                assert d is not None
                d.status, d.paid_at = "paid", max(moment, d.created)
                self._touch(order, max(moment, d.modified))
                return GeneratedEvent(shop.platform, shop.name, order.key, "paid")
        elif roll < 0.28 and shop.platform == "taobao":
            draft = self._new_draft("taobao", moment, rng, catalogue, paid=False)
            self._store(shop, draft)
            return GeneratedEvent(shop.platform, shop.name, draft.order_id, "new_unpaid")
        draft = self._new_draft(shop.platform, moment, rng, catalogue, paid=True)
        self._store(shop, draft)
        return GeneratedEvent(shop.platform, shop.name, draft.order_id, "new_paid")

    def _new_draft(self, platform: str, moment: datetime, rng: random.Random,
                   catalogue: list[tuple[str, str, int]], *, paid: bool) -> Draft:
        order_id = SIMULATED[platform].new_order_id(rng, moment)
        return new_draft(order_id, moment, rng, catalogue, paid=paid)

    def _store(self, shop: SimShop, draft: Draft) -> None:
        shop.orders[draft.order_id] = SimOrder(shop.platform, draft.order_id, draft.modified, draft.created,
                                               _render(shop.platform, draft), draft)

    def _touch(self, order: SimOrder, moment: datetime) -> None:
        assert order.draft is not None
        order.draft.modified = moment
        order.modified = moment
        order.payload = _render(order.platform, order.draft)

    # --- what the platform modules' endpoints share --------------------------------------------

    def handle(self, platform: str, params: Mapping[str, str]) -> SimResponse:
        """Answer one API call to ``platform``'s router with these (already decoded) parameters."""
        return SIMULATED[platform].handle(self, params)

    def request_id(self) -> str:
        return uuid.uuid4().hex[:13]

    def log_call(self, platform: str, api: str, params: Mapping[str, str], outcome: str = "ok") -> None:
        self.calls.append(SimCall(platform, api, dict(params), self.clock(), outcome))

    def take_fault(self, platform: str) -> str | int | None:
        """The next injected fault for ``platform``: an HTTP status, ``"rate"``, or None."""
        if self._http_errors[platform]:
            return self._http_errors[platform].pop(0)
        if self._rate_limit[platform] > 0:
            self._rate_limit[platform] -= 1
            return "rate"
        return None

    def timestamp_ok(self, moment: datetime | None, tolerance: timedelta) -> bool:
        if not self.check_timestamp:
            return True
        return moment is not None and abs(moment - self.clock()) <= tolerance

    def ship(self, order: SimOrder, waybill: str, company: str) -> None:
        """The platform accepted a ship notice: the order is shipped now with this waybill."""
        assert order.draft is not None
        now = self.clock().replace(microsecond=0)
        order.draft.status, order.draft.waybill, order.draft.company = "shipped", waybill, company
        order.draft.shipped_at = now
        self._touch(order, max(now, order.draft.modified))
        self.shipments.append({"platform": order.platform, "order_id": order.key, "waybill": waybill,
                               "company": company, "at": now})
