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
from oms_tui.platforms.simulator import douyin, jd, pdd, taobao
from oms_tui.platforms.simulator.generate import new_draft, new_receiver, sku_catalogue
from oms_tui.platforms.simulator.model import (
    BLOCK_REASONS,
    Draft,
    GeneratedEvent,
    SimCall,
    SimCode,
    SimItem,
    SimOrder,
    SimRefund,
    SimResponse,
    SimShop,
    SimSku,
    SimToken,
)

# One module per simulated platform, each with the same names: PATHS, COURIER_CODES, API_ERRORS,
# ORDER_ID_FIELD, PAYMENT_FIELD, new_order_id, new_refund_id, clear_lines, render, handle.
SIMULATED: dict[str, ModuleType] = {"taobao": taobao, "jd": jd, "pdd": pdd, "douyin": douyin}
PLATFORMS = tuple(SIMULATED)
PATHS = {p: module.PATHS for p, module in SIMULATED.items()}
# Platforms whose every API has its own path under PATHS[p] and whose signed parameters are the raw body.
RAW_PLATFORMS = frozenset(p for p, module in SIMULATED.items() if hasattr(module, "handle_raw"))
# Courier ids the simulator's JD and PDD shops accept (any non-empty id is accepted; these are
# the simulator's own, NOT the platforms' real ids). For the demo: client_for(shop, courier_codes=...).
SIMULATOR_COURIER_CODES: dict[str, dict[str, str]] = {p: module.COURIER_CODES for p, module in SIMULATED.items()}
# Paths besides each router (consent pages, token endpoints, JD's decrypt seam): path → handler(state, params).
EXTRA_ROUTES: dict[str, dict[str, Callable[..., SimResponse]]] = {
    p: dict(getattr(module, "EXTRA_ROUTES", {})) for p, module in SIMULATED.items()}


def oauth_urls(base_url: str) -> dict[str, dict[str, str]]:
    """The ``[oauth.<platform>]`` settings that point `oms shop authorize` and the token refresh at this
    simulator (Pinduoduo's token calls go through its router: no token_url)."""
    base = base_url.rstrip("/")
    return {
        "taobao": {"authorize_url": base + taobao.OAUTH_AUTHORIZE_PATH, "token_url": base + taobao.OAUTH_TOKEN_PATH},
        "jd": {"authorize_url": base + jd.OAUTH_AUTHORIZE_PATH, "token_url": base + jd.OAUTH_TOKEN_PATH,
               "refresh_url": base + jd.OAUTH_REFRESH_PATH},
        "pdd": {"authorize_url": base + pdd.OAUTH_AUTHORIZE_PATH},
        "douyin": {"authorize_url": base + douyin.OAUTH_AUTHORIZE_PATH},  # token calls: the shop's API host
    }


# Shop authorization (the simulator's own lifetimes; tests set others). A code lasts 10 minutes and is used
# once (Pinduoduo's documentation, the shortest of the three). Authorizing again revokes what the shop had;
# a refresh revokes the old pair and never extends the authorization past its refresh token's end (PDD).
CODE_LIFETIME = timedelta(minutes=10)
ACCESS_TOKEN_LIFETIME = timedelta(days=30)
REFRESH_TOKEN_LIFETIME = timedelta(days=90)


class TokenState:
    OK = "ok"
    MISSING = "missing"
    EXPIRED = "expired"  # expired, revoked or never issued: the platform's "invalid/expired token"


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
        self.tokens: list[SimToken] = []
        self.codes: dict[str, SimCode] = {}
        self.access_token_lifetime = ACCESS_TOKEN_LIFETIME
        self.refresh_token_lifetime = REFRESH_TOKEN_LIFETIME
        self._listing_hooks: list[Callable[[str, int, list[str]], None]] = []
        self._api_errors: dict[tuple[str, str], list[str]] = {}
        self._banned_until: dict[str, datetime] = {}
        self._ship_refusals: dict[str, int] = {p: 0 for p in PLATFORMS}
        self._last_tick: datetime | None = None
        self._carry = 0.0
        self._malformed_seq = 0
        self._refund_seq = 0
        # Runs after every page of a refund or item list is served (see after_page): None, or hook(api, page).
        self.between_pages: Callable[[str, int], None] | None = None

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
        names = {"taobao": "天猫旗舰店", "jd": "京东自营专卖店", "pdd": "拼多多官方店", "douyin": "抖音小店"}
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

    # --- authorization ------------------------------------------------------------------------

    def issue_code(self, platform: str, app_key: str, redirect_uri: str) -> str:
        """What the consent page hands back when the shop's owner approves ``app_key``."""
        with self.lock:
            code = uuid.uuid4().hex[:20]
            self.codes[code] = SimCode(platform, app_key, redirect_uri, self.clock() + CODE_LIFETIME)
            return code

    def exchange_code(self, platform: str, app_key: str, code: str, redirect_uri: str | None = None
                      ) -> SimToken | str:
        """A new token pair for a valid code, or the reason it was refused. The shop's earlier tokens
        (the configured session too) stop working."""
        with self.lock:
            grant = self.codes.get(code)
            if grant is None or grant.used or grant.platform != platform or grant.app_key != app_key:
                return "invalid code"
            if grant.expires_at <= self.clock():
                return "code expired"
            if redirect_uri is not None and redirect_uri != grant.redirect_uri:
                return "redirect_uri mismatch"
            grant.used = True
            shop = self.shop(platform, app_key)
            if shop is not None:
                shop.session = ""  # the configured session is revoked with the rest
            for token in self.tokens:
                if token.platform == platform and token.app_key == app_key:
                    token.revoked = True
            now = self.clock()
            return self._issue(platform, app_key, now, now + self.refresh_token_lifetime)

    def refresh(self, platform: str, app_key: str, refresh_token: str) -> SimToken | str:
        """A new pair for a live refresh token (the old pair is revoked), or the reason it was refused."""
        with self.lock:
            old = next((t for t in self.tokens if t.platform == platform and t.app_key == app_key
                        and t.refresh_token == refresh_token), None)
            if old is None or old.revoked:
                return "invalid refresh_token"
            now = self.clock()
            if old.refresh_expires_at <= now:
                return "refresh_token expired"
            old.revoked = True
            return self._issue(platform, app_key, now, old.refresh_expires_at)

    def _issue(self, platform: str, app_key: str, now: datetime, refresh_expires_at: datetime) -> SimToken:
        token = SimToken(platform, app_key, f"{platform}-at-{uuid.uuid4().hex}", f"{platform}-rt-{uuid.uuid4().hex}",
                         now, min(now + self.access_token_lifetime, refresh_expires_at), refresh_expires_at)
        self.tokens.append(token)
        return token

    def token_state(self, platform: str, app_key: str, presented: str | None) -> str:
        """Whether ``presented`` opens ``app_key``'s shop now: the configured session, or a live issued token."""
        if not presented:
            return TokenState.MISSING
        with self.lock:
            shop = self.shop(platform, app_key)
            if shop is not None and shop.session and presented == shop.session:
                return TokenState.OK
            token = next((t for t in self.tokens if t.platform == platform and t.app_key == app_key
                          and t.access_token == presented), None)
            if token is None or token.revoked or token.expires_at <= self.clock():
                return TokenState.EXPIRED
            return TokenState.OK

    def token_ok(self, platform: str, app_key: str, presented: str | None) -> bool:
        return self.token_state(platform, app_key, presented) == TokenState.OK

    def live_token(self, platform: str, app_key: str) -> SimToken | None:
        """The shop's newest unrevoked issued token (tests)."""
        with self.lock:
            return next((t for t in reversed(self.tokens) if t.platform == platform and t.app_key == app_key
                         and not t.revoked), None)

    # --- faults ------------------------------------------------------------------------------

    def inject_rate_limit(self, platform: str, n: int = 1) -> None:
        """The next ``n`` calls to ``platform`` are rate limited (Taobao 7, PDD 52001, JD 2, Douyin 60000), each with a
        one-second ban."""
        with self.lock:
            self._rate_limit[platform] += n

    def ban(self, platform: str, seconds: float) -> None:
        """Every call to ``platform`` is refused as over its limit for ``seconds`` from now (0 lifts it);
        Taobao says "This ban will last for N more seconds", N counting down."""
        with self.lock:
            self._banned_until[platform] = self.clock() + timedelta(seconds=seconds)

    def ban_seconds_left(self, platform: str) -> int:
        """Whole seconds the current ban still lasts (at least 1 for an injected rate limit)."""
        until = self._banned_until.get(platform)
        left = (until - self.clock()).total_seconds() if until else 0
        return max(1, int(left + 0.999))

    def inject_api_error(self, platform: str, api: str, kind: str, n: int = 1) -> None:
        """The next ``n`` calls of ``api`` fail with the platform's own error of ``kind`` (each platform
        module's API_ERRORS, e.g. Taobao "permission" = code 11, "transient" = an isp.* error)."""
        if kind not in SIMULATED[platform].API_ERRORS:
            raise ValueError(f"{platform} has no simulated {kind!r} error")
        with self.lock:
            self._api_errors.setdefault((platform, api), []).extend([kind] * n)

    def take_api_error(self, platform: str, api: str) -> str | None:
        """The next injected error kind for this API, or None."""
        queue = self._api_errors.get((platform, api))
        return queue.pop(0) if queue else None

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
            shop.put(order)
            return order

    def put_order(self, shop: SimShop, payload: dict[str, Any], modified: datetime, key: str | None = None) -> SimOrder:
        """Store a hand-made platform payload (tests)."""
        with self.lock:
            k = key or str(payload.get(SIMULATED[shop.platform].ORDER_ID_FIELD))
            order = SimOrder(shop.platform, k, modified, modified, payload)
            shop.put(order)
            return order

    def touch(self, platform: str, order_id: str, moment: datetime | None = None) -> SimOrder:
        """The order changes on the platform (at ``moment``, default now): a new modified time, re-rendered."""
        with self.lock:
            order = self.find_order(platform, order_id)
            if order is None:
                raise KeyError(f"no {platform} order {order_id!r}")
            moment = (moment or self.clock()).replace(microsecond=0)
            if order.draft is not None:
                self._touch(order, moment)
            else:
                order.modified = moment
                self._refile(order)
            return order

    def block(self, platform: str, order_id: str, reason: str, moment: datetime | None = None) -> SimOrder:
        """The platform forbids shipping the paid order for ``reason`` (model.BLOCK_REASONS); '' clears it."""
        if reason and reason not in BLOCK_REASONS:
            raise ValueError(f"unknown block reason {reason!r}")
        with self.lock:
            order = self._live(platform, order_id)
            order.draft.blocked = reason  # type: ignore[union-attr]
            return self.touch(platform, order_id, moment)

    def consign_lines(self, platform: str, order_id: str, lines: int = 1, moment: datetime | None = None) -> SimOrder:
        """The seller ships the first ``lines`` lines outside the OMS (in the platform's own back office)."""
        with self.lock:
            order = self._live(platform, order_id)
            shipped = (moment or self.clock()).replace(microsecond=0)
            for line in order.draft.lines[:lines]:  # type: ignore[union-attr]
                line.shipped_at = line.shipped_at or shipped
            return self.touch(platform, order_id, moment)

    def _live(self, platform: str, order_id: str) -> SimOrder:
        order = self.find_order(platform, order_id)
        if order is None or order.draft is None:
            raise KeyError(f"no generated {platform} order {order_id!r}")
        return order

    def after_listing(self, hook: Callable[[str, int, list[str]], None]) -> None:
        """Call ``hook(platform, page, listed_order_ids)`` after every page of an order listing is made,
        before it is answered: a test changes orders between one page and the next, as buyers do."""
        with self.lock:
            self._listing_hooks.append(hook)

    def listed(self, platform: str, page: int, keys: list[str]) -> None:
        """The platform modules report each listing page they serve (runs the ``after_listing`` hooks)."""
        for hook in list(self._listing_hooks):
            hook(platform, page, keys)

    def orders(self, platform: str | None = None) -> list[SimOrder]:
        with self.lock:
            return [o for s in self.shops if platform in (None, s.platform) for o in s.orders.values()]

    def _refile(self, order: SimOrder) -> None:
        """File ``order`` again in its shop's index after its modified time or status changed."""
        for shop in self.shops:
            if shop.platform == order.platform and shop.orders.get(order.key) is order:
                shop.index.file(order)

    def find_order(self, platform: str, order_id: str) -> SimOrder | None:
        with self.lock:
            for s in self.shops:
                if s.platform == platform and order_id in s.orders:
                    return s.orders[order_id]
        return None

    # --- refunds and the shops' items (tests, the demo) -------------------------------------------

    def add_refund(self, shop: SimShop, order_key: str, *, status: str, reason: str = "不想要了",
                   amount_fen: int | None = None, at: datetime | None = None, refund_id: str | None = None,
                   line: int = 0) -> SimRefund:
        """The buyer asks for a refund on ``order_key`` (``status`` in the platform's own values), at ``at``."""
        with self.lock:
            order = shop.orders[order_key]
            at = (at or self.clock()).replace(microsecond=0)
            self._refund_seq += 1
            draft_line = order.draft.lines[line] if order.draft is not None and order.draft.lines else None
            refund = SimRefund(
                refund_id or SIMULATED[shop.platform].new_refund_id(self._refund_seq, at), order_key, status, reason,
                (order.draft.paid_fen if order.draft is not None else 0) if amount_fen is None else amount_fen,
                at, at, line_id=str(draft_line.line_id) if draft_line else "",
                item_id=str(draft_line.item_id) if draft_line else "",
                sku_id=str(draft_line.platform_sku_id) if draft_line else "",
                qty=draft_line.qty if draft_line else 1, title=draft_line.title if draft_line else "")
            shop.refunds[refund.refund_id] = refund
            return refund

    def update_refund(self, shop: SimShop, refund_id: str, *, status: str, at: datetime | None = None,
                      decided: bool = True) -> SimRefund:
        """The refund moves on (the seller agreed or refused, the buyer withdrew it, the money went back)."""
        with self.lock:
            refund = shop.refunds[refund_id]
            at = (at or self.clock()).replace(microsecond=0)
            refund.status, refund.modified = status, max(at, refund.modified)
            if decided:
                refund.checked = refund.modified
            return refund

    def add_item(self, shop: SimShop, item_id: str, title: str, *, outer_id: str = "",
                 skus: Iterable[SimSku] = (), on_sale: bool = True) -> SimItem:
        with self.lock:
            item = SimItem(item_id, title, outer_id, list(skus), on_sale)
            shop.items.append(item)
            return item

    def after_page(self, api: str, page: int) -> None:
        """Called after a page of a list API is served: tests change records between page requests here."""
        hook = self.between_pages
        if hook is not None:
            hook(api, page)

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
        if roll < 0.03:
            kind = rng.choice(("missing_id", "bad_payment", "no_lines"))
            order = self.add_malformed(shop.platform, kind, moment, shop=shop, rng=rng,
                                       sku_codes=[c for c, _, _ in catalogue])
            return GeneratedEvent(shop.platform, shop.name, order.key, f"malformed:{kind}")
        if roll < 0.11:
            order = shop.pick("paid", rng)
            if order is not None:
                d = order.draft
                assert d is not None
                d.status, d.close_trade = "cancelled", rng.random() < 0.7
                self._touch(order, max(moment, d.modified))
                return GeneratedEvent(shop.platform, shop.name, order.key, "cancelled")
        elif roll < 0.18:
            order = shop.pick("paid", rng)
            if order is not None:
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
            order = shop.pick("unpaid", rng)
            if order is not None:
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
        shop.put(SimOrder(shop.platform, draft.order_id, draft.modified, draft.created, _render(shop.platform, draft),
                          draft))

    def _touch(self, order: SimOrder, moment: datetime) -> None:
        assert order.draft is not None
        order.draft.modified = moment
        order.modified = moment
        order.payload = _render(order.platform, order.draft)
        self._refile(order)  # its new modified time and status

    # --- what the platform modules' endpoints share --------------------------------------------

    def handle(self, platform: str, params: Mapping[str, str]) -> SimResponse:
        """Answer one API call to ``platform``'s router with these (already decoded) parameters."""
        return SIMULATED[platform].handle(self, params)

    def handle_raw(self, platform: str, path: str, query: Mapping[str, str], body: bytes) -> SimResponse:
        """Answer one call to a platform whose APIs each have their own path and whose signed parameters are the raw
        body (Douyin)."""
        return SIMULATED[platform].handle_raw(self, path, query, body)

    def request_id(self) -> str:
        return uuid.uuid4().hex[:13]

    def log_call(self, platform: str, api: str, params: Mapping[str, str], outcome: str = "ok") -> None:
        self.calls.append(SimCall(platform, api, dict(params), self.clock(), outcome))

    def take_fault(self, platform: str) -> str | int | None:
        """The next injected fault for ``platform``: an HTTP status, ``"rate"``, or None."""
        if self._http_errors[platform]:
            return self._http_errors[platform].pop(0)
        until = self._banned_until.get(platform)
        if until is not None and self.clock() < until:
            return "rate"
        if self._rate_limit[platform] > 0:
            self._rate_limit[platform] -= 1
            return "rate"
        return None

    def timestamp_ok(self, moment: datetime | None, tolerance: timedelta) -> bool:
        if not self.check_timestamp:
            return True
        return moment is not None and abs(moment - self.clock()) <= tolerance

    def ship(self, order: SimOrder, waybill: str, company: str, line_ids: set[int] | None = None) -> None:
        """The platform accepted a ship notice: the order (or only the lines ``line_ids``) shipped now with
        this waybill; the order is shipped once every line is."""
        assert order.draft is not None
        now = self.clock().replace(microsecond=0)
        for line in order.draft.lines:
            if line_ids is None or line.line_id in line_ids:
                line.shipped_at = line.shipped_at or now
        if all(line.shipped_at for line in order.draft.lines):
            order.draft.status, order.draft.waybill, order.draft.company = "shipped", waybill, company
            order.draft.shipped_at = now
        self._touch(order, max(now, order.draft.modified))
        self.shipments.append({"platform": order.platform, "order_id": order.key, "waybill": waybill,
                               "company": company, "at": now,
                               "lines": sorted(line_ids) if line_ids is not None else None})
