"""A loopback simulator of the Taobao, JD and Pinduoduo order APIs, for the demo and the tests.

``build_simulator_app(state)`` is a Starlette app serving

- Taobao TOP at ``/taobao/router/rest`` (and ``/router/rest``),
- JD JOS at ``/jd/routerjson`` (and ``/routerjson``),
- Pinduoduo at ``/pdd/api/router`` (and ``/api/router``),

so a shop whose ``base_url`` is the simulator's bare base URL works for every platform.
It checks signatures (wrong sign → the platform's error), sessions/tokens (unknown → the
expired-session error), the timestamp (±10 min), paginates, filters by modified window, enforces
the platforms' window limits (Taobao same day ≤ 1 day, PDD ≤ 30 min) and page size ≤ 100, and
can be told to inject faults: rate limit the next N calls, HTTP 5xx, malformed records.

``SimulatorState.generate(n, now, rng, sku_codes)`` makes realistic traffic: new paid orders,
unpaid ones (Taobao), payments, buyer cancellations, address changes after payment, masked
receiver data (``张**``, ``138****5678``; PDD's ``1*********5`` with ``~AgAAAA…~0~~`` ciphertext),
the odd malformed record. ``tick(now)`` generates at ``rate_per_minute``.

``run_simulator(host, port, state)`` serves it with uvicorn in a background thread and returns a
handle with ``.base_url`` and ``.stop()``.

Error codes the simulator answers with beyond PROTOCOLS.md's (Taobao 22/24/28/29/30/31/40/41,
JD's, PDD's) are the adapters' constants or the simulator's own choice — see the constants below.
"""

from __future__ import annotations

import base64
import json
import random
import socket
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from oms_tui.clock import utcnow
from oms_tui.config import ShopConfig
from oms_tui.platforms import jd as jd_mod
from oms_tui.platforms import pdd as pdd_mod
from oms_tui.platforms import taobao as tb_mod
from oms_tui.platforms.mapping import BEIJING, fen_to_yuan, format_beijing
from oms_tui.platforms.signing import (
    TOP_SIGN_METHODS,
    jd_sign,
    pdd_sign,
    top_sign,
    verify,
)

PLATFORMS = ("taobao", "jd", "pdd")
PATHS = {
    "taobao": ("/taobao/router/rest", "/router/rest"),
    "jd": ("/jd/routerjson", "/routerjson"),
    "pdd": ("/pdd/api/router", "/api/router"),
}

# --- error answers (beyond PROTOCOLS.md: the simulator's reading, unconfirmed) ---------------
TB_MISSING_METHOD, TB_INVALID_METHOD, TB_MISSING_SIGNATURE = 21, 22, 24
TB_INVALID_APP_KEY, TB_MISSING_TIMESTAMP, TB_INVALID_TIMESTAMP = 29, 30, 31
TB_MISSING_ARGUMENT, TB_INVALID_ARGUMENT = 40, 41
JD_ERR_TOKEN = next(iter(jd_mod.AUTH_CODES))
JD_ERR_SIGN = next(iter(jd_mod.SIGNATURE_CODES))
JD_ERR_OTHER = "66"  # simulator's own: bad parameters / unknown method / timestamp
PDD_ERR_PARAM = 10000  # simulator's own: bad parameters / unknown type / timestamp

TIMESTAMP_TOLERANCE = timedelta(minutes=10)

# Courier ids the simulator's JD and PDD shops accept (any non-empty id is accepted; these are
# the simulator's own, NOT the platforms' real ids). For the demo: client_for(shop, courier_codes=...).
SIMULATOR_COURIER_CODES: dict[str, dict[str, str]] = {
    "taobao": {},
    "jd": {code: str(9000 + n) for n, code in enumerate(
        ("shunfeng", "zhongtong", "yuantong", "yunda", "shentong", "jtexpress", "ems", "jd", "debangkuaidi"))},
    "pdd": {code: str(8000 + n) for n, code in enumerate(
        ("shunfeng", "zhongtong", "yuantong", "yunda", "shentong", "jtexpress", "ems", "jd", "debangkuaidi"))},
}


# --- data ------------------------------------------------------------------------------------

@dataclass
class SimShop:
    platform: str
    name: str
    app_key: str
    app_secret: str
    session: str
    orders: dict[str, SimOrder] = field(default_factory=dict)


@dataclass
class _Line:
    sku_code: str
    title: str
    spec: str
    qty: int
    price_fen: int
    line_id: int
    item_id: int
    platform_sku_id: int
    outer_on_item_only: bool = False  # Taobao: code in outer_iid, no outer_sku_id


@dataclass
class _Receiver:
    name: str
    phone: str
    province: str
    province_short: str
    city: str
    district: str
    town: str
    street: str
    zip: str
    region_ids: tuple[int, int, int]


@dataclass
class _Draft:
    """A platform-neutral order; rendered into each platform's payload shape."""

    order_id: str
    status: str  # unpaid | paid | shipped | finished | cancelled
    created: datetime
    paid_at: datetime | None
    modified: datetime
    buyer_nick: str
    buyer_uid: str
    receiver: _Receiver
    lines: list[_Line]
    discount_fen: int
    post_fee_fen: int
    buyer_message: str = ""
    seller_memo: str = ""
    close_trade: bool = True  # Taobao cancellation: TRADE_CLOSED (else lines refunded, status unchanged)
    waybill: str = ""
    company: str = ""
    shipped_at: datetime | None = None
    secret_seed: int = 0

    @property
    def total_fen(self) -> int:
        return sum(line.qty * line.price_fen for line in self.lines)

    @property
    def paid_fen(self) -> int:
        return self.total_fen - self.discount_fen + self.post_fee_fen


@dataclass
class SimOrder:
    platform: str
    key: str  # the order id, or a made-up key for a record without one
    modified: datetime
    created: datetime
    payload: dict[str, Any]
    draft: _Draft | None = None
    malformed: str | None = None


@dataclass
class SimCall:
    platform: str
    api: str
    params: dict[str, str]
    at: datetime
    outcome: str = "ok"


@dataclass
class GeneratedEvent:
    platform: str
    shop: str
    order_id: str
    kind: str  # new_paid | new_unpaid | paid | cancelled | address_changed | malformed:<kind>


@dataclass
class SimResponse:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


# --- realistic values --------------------------------------------------------------------------

_SURNAMES = "张王李赵刘陈杨黄周吴林徐孙马朱胡郭何高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程苏魏吕丁任沈"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文博宇浩然欣怡子涵梓轩雨萱晨坤婷雪"
# (province, short, city, district, towns, streets, zip, ids)
_REGIONS = [
    ("浙江省", "浙江", "杭州市", "西湖区", ("文新街道", "翠苑街道", "蒋村街道"), ("文三路", "古墩路", "天目山路"), "310012",
     (12, 143, 1279)),
    ("广东省", "广东", "潮州市", "潮安区", ("庵埠镇", "彩塘镇"), ("安南路", "开濠路"), "515638", (6, 81, 1056)),
    ("江苏省", "江苏", "南京市", "鼓楼区", ("华侨路街道", "湖南路街道"), ("中山北路", "北京西路"), "210008", (10, 121, 1147)),
    ("上海", "上海", "上海市", "浦东新区", ("张江镇", "花木街道"), ("张衡路", "世纪大道"), "201203", (2, 2, 2822)),
    ("北京", "北京", "北京市", "朝阳区", ("望京街道", "三里屯街道"), ("阜通东大街", "工体北路"), "100102", (1, 1, 2823)),
    ("四川省", "四川", "成都市", "武侯区", ("簇桥街道", "红牌楼街道"), ("武侯大道", "佳灵路"), "610041", (23, 385, 3105)),
    ("湖北省", "湖北", "武汉市", "洪山区", ("关山街道", "珞南街道"), ("珞喻路", "光谷大道"), "430074", (17, 258, 2301)),
    ("山东省", "山东", "青岛市", "市南区", ("八大关街道", "湛山街道"), ("香港中路", "东海西路"), "266071", (15, 223, 2016)),
]
_REMARKS = ("", "", "", "", "请尽快发货", "不要放快递柜，谢谢", "送人的，别放价格单", "周末送货", "发顺丰可以补运费吗")
_SPECS = ("颜色:白色", "颜色:灰色;尺码:M", "规格:标准装", "规格:3包装", "颜色:浅蓝")


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _person_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _mobile(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + _digits(rng, 9)


def mask_name_taobao(name: str) -> str:
    return name[0] + "**"


def mask_name_pdd(name: str) -> str:
    return name[0] + "*" + (name[-1] if len(name) > 2 else "")


def mask_phone_taobao(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


def mask_phone_pdd(phone: str) -> str:
    return phone[0] + "*" * (len(phone) - 2) + phone[-1]


def mask_street(street: str) -> str:
    return street[:3] + "****"


def _cipher(rng: random.Random, marker: str) -> str:
    body = base64.b64encode(bytes(rng.randrange(256) for _ in range(36))).decode()
    if marker == "~":
        return f"~AgAAAA{body}~0~~"
    return "$Y/YK" + body + "$0$$"


def _sku_catalogue(sku_codes: Sequence[str] | Mapping[str, Any]) -> list[tuple[str, str, int]]:
    """(code, title, unit price in fen) for each code; a Mapping may give a title or (title, price_fen)."""
    out = []
    items = sku_codes.items() if isinstance(sku_codes, Mapping) else ((c, None) for c in sku_codes)
    for code, extra in items:
        title, price = f"商品 {code}", None
        if isinstance(extra, str):
            title = extra
        elif isinstance(extra, (tuple, list)) and extra:
            title = str(extra[0])
            price = int(extra[1]) if len(extra) > 1 and extra[1] is not None else None
        if price is None:
            price = (990 + zlib.crc32(code.encode()) % 290 * 100)  # 9.90 … 298.90 yuan, stable per code
        out.append((code, title, price))
    if not out:
        raise ValueError("the simulator needs at least one SKU code")
    return out


# --- the state -------------------------------------------------------------------------------

class SimulatorState:
    """Shops, orders and injected faults of all three simulated platforms (thread-safe)."""

    def __init__(self, *, rate_per_minute: float = 6.0, rng: random.Random | None = None,
                 sku_codes: Sequence[str] | Mapping[str, Any] = (), check_timestamp: bool = True,
                 clock: Callable[[], datetime] = utcnow) -> None:
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

    def add_malformed(self, platform: str, kind: str, now: datetime, *, shop: SimShop | None = None,
                      rng: random.Random | None = None, sku_codes: Sequence[str] | Mapping[str, Any] | None = None
                      ) -> SimOrder:
        """A broken record: ``missing_id``, ``bad_payment`` or ``no_lines``, modified at ``now``."""
        if kind not in ("missing_id", "bad_payment", "no_lines"):
            raise ValueError(f"unknown malformed kind {kind!r}")
        rng = rng or self.rng
        with self.lock:
            shop = shop or self._pick_shop(rng, [platform])
            draft = self._new_draft(shop.platform, now, rng, _sku_catalogue(sku_codes or self.sku_codes or ["X-1"]),
                                    paid=True)
            payload = _render(shop.platform, draft)
            key = draft.order_id
            if kind == "missing_id":
                payload.pop({"taobao": "tid", "jd": "orderId", "pdd": "order_sn"}[shop.platform])
                self._malformed_seq += 1
                key = f"malformed-{self._malformed_seq}"
            elif kind == "bad_payment":
                payload[{"taobao": "payment", "jd": "orderPayment", "pdd": "pay_amount"}[shop.platform]] = "12,3元"
            else:
                if shop.platform == "taobao":
                    payload["orders"] = {"order": []}
                elif shop.platform == "jd":
                    payload["itemInfoList"] = []
                else:
                    payload["item_list"] = []
            order = SimOrder(shop.platform, key, draft.modified, draft.created, payload, None, kind)
            shop.orders[key] = order
            return order

    def put_order(self, shop: SimShop, payload: dict[str, Any], modified: datetime, key: str | None = None) -> SimOrder:
        """Store a hand-made platform payload (tests)."""
        with self.lock:
            k = key or str(payload.get({"taobao": "tid", "jd": "orderId", "pdd": "order_sn"}[shop.platform]))
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
        catalogue = _sku_catalogue(sku_codes)
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
                new = self._receiver(rng)
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

    def _store(self, shop: SimShop, draft: _Draft) -> None:
        shop.orders[draft.order_id] = SimOrder(shop.platform, draft.order_id, draft.modified, draft.created,
                                               _render(shop.platform, draft), draft)

    def _touch(self, order: SimOrder, moment: datetime) -> None:
        assert order.draft is not None
        order.draft.modified = moment
        order.modified = moment
        order.payload = _render(order.platform, order.draft)

    def _receiver(self, rng: random.Random) -> _Receiver:
        prov, short, city, district, towns, streets, zip_code, ids = rng.choice(_REGIONS)
        street = f"{rng.choice(streets)}{rng.randint(1, 999)}号{rng.randint(1, 30)}幢{rng.randint(1, 30)}0{rng.randint(1, 4)}室"
        return _Receiver(_person_name(rng), _mobile(rng), prov, short, city, district, rng.choice(towns), street,
                         zip_code, ids)

    def _new_draft(self, platform: str, moment: datetime, rng: random.Random,
                   catalogue: list[tuple[str, str, int]], *, paid: bool) -> _Draft:
        local = moment.astimezone(BEIJING)
        if platform == "taobao":
            order_id = str(rng.randrange(10**18, 4 * 10**18))
        elif platform == "jd":
            order_id = "3" + _digits(rng, 11)
        else:
            order_id = f"{local:%y%m%d}-{_digits(rng, 15)}"
        lines = []
        for code, title, price in rng.sample(catalogue, k=min(len(catalogue), rng.choice((1, 1, 1, 2, 3)))):
            lines.append(_Line(code, title, rng.choice(_SPECS), rng.choice((1, 1, 1, 2, 3)), price,
                               rng.randrange(10**17, 10**18), rng.randrange(5 * 10**11, 9 * 10**11),
                               rng.randrange(4 * 10**12, 6 * 10**12), outer_on_item_only=rng.random() < 0.1))
        total = sum(line.qty * line.price_fen for line in lines)
        discount = rng.choice((0, 0, 0, 300, 500, 1000))
        discount = min(discount, total // 5)
        post_fee = rng.choice((0, 0, 0, 600, 1000))
        paid_at = (moment - timedelta(seconds=rng.randint(0, 60))) if paid else None
        created = (paid_at or moment) - timedelta(seconds=rng.randint(5, 900))
        receiver = self._receiver(rng)
        nick = receiver.name[0] + "**" + _digits(rng, 1)
        return _Draft(order_id, "paid" if paid else "unpaid", created, paid_at, moment, nick,
                      "AAH" + base64.b32encode(bytes(rng.randrange(256) for _ in range(15))).decode().lower(),
                      receiver, lines, discount, post_fee, rng.choice(_REMARKS), "", secret_seed=rng.randrange(2**32))

    # --- the platforms' endpoints -------------------------------------------------------------

    def _request_id(self) -> str:
        return uuid.uuid4().hex[:13]

    def _log(self, platform: str, api: str, params: Mapping[str, str], outcome: str = "ok") -> None:
        self.calls.append(SimCall(platform, api, dict(params), self.clock(), outcome))

    def _take_fault(self, platform: str) -> str | int | None:
        if self._http_errors[platform]:
            return self._http_errors[platform].pop(0)
        if self._rate_limit[platform] > 0:
            self._rate_limit[platform] -= 1
            return "rate"
        return None

    def _timestamp_ok(self, moment: datetime | None) -> bool:
        if not self.check_timestamp:
            return True
        return moment is not None and abs(moment - self.clock()) <= TIMESTAMP_TOLERANCE

    # Taobao ---------------------------------------------------------------------------------

    def handle_taobao(self, params: Mapping[str, str]) -> SimResponse:
        api = params.get("method", "")

        def err(code: int, msg: str, sub_code: str | None = None, sub_msg: str | None = None) -> SimResponse:
            body: dict[str, Any] = {"code": code, "msg": msg, "request_id": self._request_id()}
            if sub_code:
                body["sub_code"] = sub_code
            if sub_msg:
                body["sub_msg"] = sub_msg
            self._log("taobao", api, params, f"error {code}")
            return SimResponse(200, {"error_response": body})

        with self.lock:
            fault = self._take_fault("taobao")
            if isinstance(fault, int):
                self._log("taobao", api, params, f"HTTP {fault}")
                return SimResponse(fault, {"error": "service unavailable"})
            if not api:
                return err(TB_MISSING_METHOD, "Missing method")
            app_key = params.get("app_key")
            if not app_key:
                return err(tb_mod.ERR_MISSING_APP_KEY, "Missing app key")
            shop = self.shop("taobao", app_key)
            if shop is None:
                return err(TB_INVALID_APP_KEY, "Invalid app Key")
            if fault == "rate":
                return err(tb_mod.ERR_RATE_LIMITED, "App Call Limited", "accesscontrol.limited-by-app-access-count",
                           "This ban will last for 1 more seconds")
            sign_method = params.get("sign_method") or "md5"
            if not params.get("sign"):
                return err(TB_MISSING_SIGNATURE, "Missing signature")
            if sign_method not in TOP_SIGN_METHODS or not verify(params["sign"], top_sign(params, shop.app_secret,
                                                                                          sign_method)):
                return err(tb_mod.ERR_INVALID_SIGNATURE, "Invalid signature")
            if not params.get("timestamp"):
                return err(TB_MISSING_TIMESTAMP, "Missing timestamp")
            if not self._timestamp_ok(_parse_bj(params["timestamp"])):
                return err(TB_INVALID_TIMESTAMP, "Invalid timestamp")
            if not params.get("session"):
                return err(tb_mod.ERR_MISSING_SESSION, "Missing session")
            if params["session"] != shop.session:
                return err(tb_mod.ERR_INVALID_SESSION, "Invalid session", "invalid-sessionkey",
                           "SessionKey非法或已过期")
            if api == tb_mod.API_INCREMENT:
                return self._tb_increment(shop, params, err)
            if api == tb_mod.API_FULLINFO:
                return self._tb_fullinfo(shop, params, err)
            if api == tb_mod.API_OFFLINE_SEND:
                return self._tb_offline_send(shop, params, err)
            return err(TB_INVALID_METHOD, "Invalid method")

    def _tb_increment(self, shop: SimShop, params: Mapping[str, str], err: Callable[..., SimResponse]) -> SimResponse:
        for name in ("start_modified", "end_modified"):
            if not params.get(name):
                return err(TB_MISSING_ARGUMENT, f"Missing required arguments:{name}")
        start, end = _parse_bj(params["start_modified"]), _parse_bj(params["end_modified"])
        if start is None or end is None or start > end:
            return err(TB_INVALID_ARGUMENT, "Invalid arguments:start_modified/end_modified", "isv.invalid-parameter")
        if (end - start) > tb_mod.MAX_WINDOW or start.astimezone(BEIJING).date() != end.astimezone(BEIJING).date():
            return err(TB_INVALID_ARGUMENT, "Invalid arguments:end_modified", "isv.invalid-parameter",
                       "start_modified and end_modified must be on the same day")
        page, size = _int(params.get("page_no"), 1), _int(params.get("page_size"), 40)
        if page is None or size is None or page < 1 or not 1 <= size <= tb_mod.MAX_PAGE_SIZE:
            return err(TB_INVALID_ARGUMENT, "Invalid arguments:page_no/page_size", "isv.invalid-parameter")
        matched = sorted((o for o in shop.orders.values() if start <= o.modified <= end),
                         key=lambda o: (o.modified, o.key))
        chunk = matched[(page - 1) * size: page * size]
        body: dict[str, Any] = {"total_results": len(matched), "has_next": page * size < len(matched)}
        if chunk:  # TOP leaves the key out when there is nothing
            body["trades"] = {"trade": [_select_fields(o.payload, params.get("fields", "")) for o in chunk]}
        self._log("taobao", tb_mod.API_INCREMENT, params)
        return SimResponse(200, {"trades_sold_increment_get_response": body})

    def _tb_fullinfo(self, shop: SimShop, params: Mapping[str, str], err: Callable[..., SimResponse]) -> SimResponse:
        tid = params.get("tid")
        if not tid:
            return err(TB_MISSING_ARGUMENT, "Missing required arguments:tid")
        order = shop.orders.get(tid)
        if order is None:
            return err(tb_mod.ERR_REMOTE_SERVICE, "Remote service error", "isv.trade-not-exist", "交易不存在")
        self._log("taobao", tb_mod.API_FULLINFO, params)
        return SimResponse(200, {"trade_fullinfo_get_response": {
            "trade": _select_fields(order.payload, params.get("fields", ""))}})

    def _tb_offline_send(self, shop: SimShop, params: Mapping[str, str], err: Callable[..., SimResponse]) -> SimResponse:
        for name in ("tid", "out_sid", "company_code"):
            if not params.get(name):
                return err(TB_MISSING_ARGUMENT, f"Missing required arguments:{name}")
        order = shop.orders.get(params["tid"])
        if order is None or order.draft is None:
            return err(tb_mod.ERR_REMOTE_SERVICE, "Remote service error", "isv.trade-not-exist", "交易不存在")
        if order.draft.status != "paid":
            return err(tb_mod.ERR_REMOTE_SERVICE, "Remote service error", "isv.logistics-offline-service-error",
                       "当前订单状态不支持发货")
        self._ship(order, params["out_sid"], params["company_code"])
        self._log("taobao", tb_mod.API_OFFLINE_SEND, params)
        return SimResponse(200, {"logistics_offline_send_response": {"shipping": {"is_success": True}}})

    def _ship(self, order: SimOrder, waybill: str, company: str) -> None:
        assert order.draft is not None
        now = self.clock().replace(microsecond=0)
        order.draft.status, order.draft.waybill, order.draft.company = "shipped", waybill, company
        order.draft.shipped_at = now
        self._touch(order, max(now, order.draft.modified))
        self.shipments.append({"platform": order.platform, "order_id": order.key, "waybill": waybill,
                               "company": company, "at": now})

    # JD -------------------------------------------------------------------------------------

    def handle_jd(self, params: Mapping[str, str]) -> SimResponse:
        api = params.get("method", "")

        def err(code: str, zh: str, en: str) -> SimResponse:
            self._log("jd", api, params, f"error {code}")
            return SimResponse(200, {"error_response": {"code": code, "zh_desc": zh, "en_desc": en}})

        with self.lock:
            fault = self._take_fault("jd")
            if isinstance(fault, int):
                self._log("jd", api, params, f"HTTP {fault}")
                return SimResponse(fault, {"error": "service unavailable"})
            if fault == "rate":
                self._log("jd", api, params, "HTTP 429")
                return SimResponse(429, {"error": "too many requests"})
            shop = self.shop("jd", params.get("app_key", ""))
            if shop is None or not verify(params.get("sign"), jd_sign(params, shop.app_secret)):
                return err(JD_ERR_SIGN, "签名无效或app_key不存在", "Invalid signature")
            if not self._timestamp_ok(_parse_bj(params.get("timestamp", ""))):
                return err(JD_ERR_OTHER, "时间戳无效", "Invalid timestamp")
            if params.get("access_token") != shop.session:
                return err(JD_ERR_TOKEN, "token已过期或者不存在，请重新授权访问", "Invalid access_token")
            try:
                biz = json.loads(params.get("360buy_param_json") or "{}")
                if not isinstance(biz, dict):
                    raise ValueError
            except ValueError:
                return err(JD_ERR_OTHER, "360buy_param_json格式错误", "Invalid 360buy_param_json")
            if api in (jd_mod.API_ORDER_SEARCH, "360buy.order.search"):
                return self._jd_search(shop, params, biz, err)
            if api == jd_mod.API_ORDER_SHIPMENT:
                return self._jd_shipment(shop, params, biz, err)
            return err(JD_ERR_OTHER, "无效的方法", "Invalid method")

    def _jd_search(self, shop: SimShop, params: Mapping[str, str], biz: dict[str, Any],
                   err: Callable[..., SimResponse]) -> SimResponse:
        start, end = _parse_bj(str(biz.get("start_date", ""))), _parse_bj(str(biz.get("end_date", "")))
        page, size = _int(biz.get("page"), 1), _int(biz.get("page_size"), 20)
        if start is None or end is None or start > end:
            return err(JD_ERR_OTHER, "start_date/end_date无效", "Invalid start_date/end_date")
        if page is None or size is None or page < 1 or not 1 <= size <= jd_mod.MAX_PAGE_SIZE:
            return err(JD_ERR_OTHER, "page/page_size无效", "Invalid page/page_size")
        states = {s for s in str(biz.get("order_state", "")).split(",") if s}
        by_modified = str(biz.get("dateType", "")) == jd_mod.DATE_TYPE_MODIFIED

        def when(o: SimOrder) -> datetime:
            return o.modified if by_modified else o.created

        matched = sorted((o for o in shop.orders.values()
                          if start <= when(o) <= end and (not states or o.payload.get("orderState") in states)),
                         key=lambda o: (when(o), o.key))
        chunk = matched[(page - 1) * size: page * size]
        wanted = {f for f in str(biz.get("optional_fields", "")).split(",") if f}
        rows = [{k: v for k, v in o.payload.items() if not wanted or k in wanted} for o in chunk]
        self._log("jd", jd_mod.API_ORDER_SEARCH, params)
        return SimResponse(200, {jd_mod.response_key(jd_mod.API_ORDER_SEARCH): {
            "code": "0",
            "searchorderinfo_result": {"apiResult": {"success": True, "resultCode": "0", "resultDescribe": "成功"},
                                       "orderTotal": len(matched), "orderInfoList": rows},
        }})

    def _jd_shipment(self, shop: SimShop, params: Mapping[str, str], biz: dict[str, Any],
                     err: Callable[..., SimResponse]) -> SimResponse:
        oid, company, waybill = (str(biz.get(k, "")) for k in ("orderId", "logiCoprId", "logiNo"))
        if not (oid and company and waybill):
            return err(JD_ERR_OTHER, "缺少参数orderId/logiCoprId/logiNo", "Missing orderId/logiCoprId/logiNo")
        order = shop.orders.get(oid)
        key = jd_mod.response_key(jd_mod.API_ORDER_SHIPMENT)
        if order is None or order.draft is None or order.draft.status != "paid":
            self._log("jd", jd_mod.API_ORDER_SHIPMENT, params, "refused")
            return SimResponse(200, {key: {"code": "0", jd_mod.SHIPMENT_RESULT_KEY: {
                "success": False, "apiResult": {"success": False, "resultCode": "10400001",
                                                "resultDescribe": "订单不存在或状态不允许出库"}}}})
        self._ship(order, waybill, company)
        self._log("jd", jd_mod.API_ORDER_SHIPMENT, params)
        return SimResponse(200, {key: {"code": "0", jd_mod.SHIPMENT_RESULT_KEY: {
            "success": True, "apiResult": {"success": True, "resultCode": "0"}}}})

    # PDD ------------------------------------------------------------------------------------

    def handle_pdd(self, params: Mapping[str, str]) -> SimResponse:
        api = params.get("type", "")

        def err(code: int, msg: str, sub_code: str = "", sub_msg: str = "") -> SimResponse:
            self._log("pdd", api, params, f"error {code}")
            return SimResponse(200, {"error_response": {"error_code": code, "error_msg": msg, "sub_code": sub_code,
                                                        "sub_msg": sub_msg, "request_id": self._request_id()}})

        with self.lock:
            fault = self._take_fault("pdd")
            if isinstance(fault, int):
                self._log("pdd", api, params, f"HTTP {fault}")
                return SimResponse(fault, {"error": "service unavailable"})
            if fault == "rate":
                return err(pdd_mod.ERR_RATE_LIMITED, "请求过于频繁，触发限流", "rate_limited")
            shop = self.shop("pdd", params.get("client_id", ""))
            if shop is None or not verify(params.get("sign"), pdd_sign(params, shop.app_secret)):
                return err(pdd_mod.ERR_SIGN, "签名错误或client_id不存在", "sign_error", "sign error")
            ts = _int(params.get("timestamp"), None)
            if not self._timestamp_ok(datetime.fromtimestamp(ts, timezone.utc) if ts else None):
                return err(PDD_ERR_PARAM, "时间戳无效", "timestamp_invalid")
            if params.get("access_token") != shop.session:
                return err(pdd_mod.ERR_ACCESS_TOKEN_EXPIRED, "access_token已过期", "access_token_expired")
            if api == pdd_mod.API_INCREMENT:
                return self._pdd_increment(shop, params, err)
            if api == pdd_mod.API_INFORMATION:
                return self._pdd_information(shop, params, err)
            if api == pdd_mod.API_LOGISTICS_SEND:
                return self._pdd_send(shop, params, err)
            return err(PDD_ERR_PARAM, "无效的接口类型", "type_invalid")

    def _pdd_increment(self, shop: SimShop, params: Mapping[str, str], err: Callable[..., SimResponse]) -> SimResponse:
        start, end = _int(params.get("start_updated_at"), None), _int(params.get("end_updated_at"), None)
        if start is None or end is None or start > end:
            return err(PDD_ERR_PARAM, "参数错误：start_updated_at/end_updated_at", "param_invalid")
        if end - start > pdd_mod.MAX_WINDOW.total_seconds():
            return err(PDD_ERR_PARAM, "参数错误：时间间隔不能超过30分钟", "param_invalid")
        page, size = _int(params.get("page"), 1), _int(params.get("page_size"), 100)
        if page is None or size is None or page < 1 or not 1 <= size <= pdd_mod.MAX_PAGE_SIZE:
            return err(PDD_ERR_PARAM, "参数错误：page/page_size", "param_invalid")
        matched = sorted((o for o in shop.orders.values() if start <= int(o.modified.timestamp()) <= end),
                         key=lambda o: (o.modified, o.key))
        chunk = matched[(page - 1) * size: page * size]
        rows = [{k: o.payload[k] for k in ("order_sn", "order_status", "refund_status", "updated_at")
                 if k in o.payload} for o in chunk]
        self._log("pdd", pdd_mod.API_INCREMENT, params)
        return SimResponse(200, {"order_sn_increment_get_response": {
            "total_count": len(matched), "has_next": page * size < len(matched), "order_sn_list": rows}})

    def _pdd_information(self, shop: SimShop, params: Mapping[str, str], err: Callable[..., SimResponse]) -> SimResponse:
        order = shop.orders.get(params.get("order_sn", ""))
        if order is None:
            return err(PDD_ERR_PARAM, "订单不存在", "order_not_exist")
        self._log("pdd", pdd_mod.API_INFORMATION, params)
        return SimResponse(200, {"order_info_get_response": {"order_info": order.payload}})

    def _pdd_send(self, shop: SimShop, params: Mapping[str, str], err: Callable[..., SimResponse]) -> SimResponse:
        sn, logistics_id, waybill = (params.get(k, "") for k in ("order_sn", "logistics_id", "tracking_number"))
        if not (sn and logistics_id and waybill):
            return err(PDD_ERR_PARAM, "缺少参数order_sn/logistics_id/tracking_number", "param_invalid")
        order = shop.orders.get(sn)
        if order is None or order.draft is None or order.draft.status != "paid":
            return err(PDD_ERR_PARAM, "订单不存在或状态不允许发货", "order_status_invalid")
        self._ship(order, waybill, logistics_id)
        self._log("pdd", pdd_mod.API_LOGISTICS_SEND, params)
        return SimResponse(200, {"logistics_online_send_response": {"is_success": True}})


# --- rendering drafts into platform payloads ----------------------------------------------------

def _render(platform: str, d: _Draft) -> dict[str, Any]:
    return {"taobao": _render_taobao, "jd": _render_jd, "pdd": _render_pdd}[platform](d)


def _render_taobao(d: _Draft) -> dict[str, Any]:
    if d.status == "cancelled":
        status = ("TRADE_CLOSED" if d.close_trade else "WAIT_SELLER_SEND_GOODS") if d.paid_at else "TRADE_CLOSED_BY_TAOBAO"
    else:
        status = {"unpaid": "WAIT_BUYER_PAY", "paid": "WAIT_SELLER_SEND_GOODS", "shipped": "WAIT_BUYER_CONFIRM_GOODS",
                  "finished": "TRADE_FINISHED"}[d.status]
    refund = "SUCCESS" if d.status == "cancelled" and d.paid_at else "NO_REFUND"
    r = d.receiver
    lines = []
    for i, line in enumerate(d.lines):
        line_total = line.qty * line.price_fen
        line_discount = d.discount_fen if i == 0 else 0
        lines.append({
            "oid": line.line_id, "num_iid": line.item_id, "sku_id": str(line.platform_sku_id),
            "outer_iid": line.sku_code if line.outer_on_item_only else line.sku_code.split("-")[0],
            "outer_sku_id": "" if line.outer_on_item_only else line.sku_code,
            "title": line.title, "sku_properties_name": line.spec, "num": line.qty,
            "price": fen_to_yuan(line.price_fen), "payment": fen_to_yuan(max(0, line_total - line_discount)),
            "discount_fee": fen_to_yuan(line_discount), "refund_status": refund, "status": status,
        })
    trade: dict[str, Any] = {
        "tid": int(d.order_id), "status": status, "created": format_beijing(d.created),
        "modified": format_beijing(d.modified), "payment": fen_to_yuan(d.paid_fen),
        "total_fee": fen_to_yuan(d.total_fen), "post_fee": fen_to_yuan(d.post_fee_fen),
        "discount_fee": fen_to_yuan(d.discount_fen), "buyer_nick": d.buyer_nick, "buyer_open_uid": d.buyer_uid,
        "receiver_name": mask_name_taobao(r.name), "receiver_mobile": mask_phone_taobao(r.phone),
        "receiver_phone": "", "receiver_state": r.province, "receiver_city": r.city,
        "receiver_district": r.district, "receiver_town": r.town, "receiver_address": mask_street(r.street),
        "receiver_zip": r.zip, "buyer_message": d.buyer_message, "seller_memo": d.seller_memo,
        "oaid": base64.b32encode(d.secret_seed.to_bytes(8, "big") + r.phone.encode()[-4:]).decode().lower(),
        "orders": {"order": lines},
    }
    if d.paid_at:
        trade["pay_time"] = format_beijing(d.paid_at)
    if d.shipped_at:
        trade["consign_time"] = format_beijing(d.shipped_at)
    return trade


def _render_jd(d: _Draft) -> dict[str, Any]:
    state = {"unpaid": "WAIT_SELLER_STOCK_OUT", "paid": "WAIT_SELLER_STOCK_OUT", "shipped": "WAIT_GOODS_RECEIVE_CONFIRM",
             "finished": "FINISHED_L", "cancelled": "TRADE_CANCELED"}[d.status]
    r = d.receiver
    order: dict[str, Any] = {
        "orderId": d.order_id, "orderState": state, "orderStartTime": format_beijing(d.created),
        "modified": format_beijing(d.modified), "orderTotalPrice": fen_to_yuan(d.total_fen),
        "orderSellerPrice": fen_to_yuan(d.total_fen - d.discount_fen), "orderPayment": fen_to_yuan(d.paid_fen),
        "freightPrice": fen_to_yuan(d.post_fee_fen), "sellerDiscount": fen_to_yuan(d.discount_fen),
        "orderRemark": d.buyer_message, "venderRemark": d.seller_memo, "pin": d.buyer_uid[:10] + "***",
        "consigneeInfo": {
            "fullname": mask_name_taobao(r.name), "mobile": mask_phone_taobao(r.phone), "telephone": "",
            "province": r.province_short, "city": r.city, "county": r.district, "town": r.town,
            "fullAddress": f"{r.province_short}{r.city}{r.district}{r.town}{mask_street(r.street)}",
        },
        "itemInfoList": [{"skuId": str(line.platform_sku_id), "outerSkuId": line.sku_code, "skuName": line.title,
                          "itemTotal": str(line.qty), "jdPrice": fen_to_yuan(line.price_fen)} for line in d.lines],
    }
    if d.paid_at:
        order["paymentConfirmTime"] = format_beijing(d.paid_at)
    return order


def _yuan_number(fen: int) -> float:
    """PDD sends money as JSON numbers (``188.0``)."""
    return float(Decimal(fen) / 100)


def _render_pdd(d: _Draft) -> dict[str, Any]:
    status = {"unpaid": 1, "paid": 1, "shipped": 2, "finished": 3, "cancelled": 1}[d.status]
    refund = 4 if d.status == "cancelled" else 1
    r = d.receiver
    rng = random.Random(d.secret_seed ^ zlib.crc32((r.name + r.phone + r.street).encode()))
    platform_discount = min(d.discount_fen, 200)
    return {
        "order_sn": d.order_id, "order_status": status, "refund_status": refund, "confirm_status": 1,
        "created_time": format_beijing(d.created),
        "confirm_time": format_beijing(d.paid_at) if d.paid_at else "",
        "pay_time": format_beijing(d.paid_at) if d.paid_at else "",
        "updated_at": format_beijing(d.modified),
        "pay_amount": _yuan_number(d.paid_fen), "goods_amount": _yuan_number(d.total_fen),
        "discount_amount": _yuan_number(d.discount_fen), "seller_discount": _yuan_number(d.discount_fen - platform_discount),
        "platform_discount": _yuan_number(platform_discount), "postage": _yuan_number(d.post_fee_fen),
        "province": r.province, "city": r.city, "town": r.district,
        "province_id": r.region_ids[0], "city_id": r.region_ids[1], "town_id": r.region_ids[2],
        "receiver_name": _cipher(rng, "~"), "receiver_phone": _cipher(rng, "$"), "receiver_address": _cipher(rng, "~"),
        "receiver_name_mask": mask_name_pdd(r.name), "receiver_phone_mask": mask_phone_pdd(r.phone),
        "receiver_address_mask": f"{r.town}{mask_street(r.street)}",
        "buyer_memo": d.buyer_message, "remark": d.seller_memo,
        "tracking_number": d.waybill, "shipping_time": format_beijing(d.shipped_at) if d.shipped_at else "",
        "stock_out_handle_status": -1,
        "item_list": [{"goods_id": line.item_id, "sku_id": line.platform_sku_id, "outer_id": line.sku_code,
                       "outer_goods_id": line.sku_code.split("-")[0], "goods_name": line.title,
                       "goods_spec": line.spec, "goods_count": line.qty,
                       "goods_price": _yuan_number(line.price_fen)} for line in d.lines],
    }


def _select_fields(payload: dict[str, Any], fields: str) -> dict[str, Any]:
    """TOP's ``fields``: top-level names, ``orders`` for whole lines or ``orders.x`` for some line fields."""
    wanted = {f.strip() for f in fields.split(",") if f.strip()}
    if not wanted:
        return dict(payload)
    out = {k: v for k, v in payload.items() if k in wanted and k != "orders"}
    line_fields = {f[len("orders."):] for f in wanted if f.startswith("orders.")}
    box = payload.get("orders")
    if isinstance(box, dict) and ("orders" in wanted or line_fields):
        lines = box.get("order") or []
        if "orders" not in wanted:
            lines = [{k: v for k, v in line.items() if k in line_fields} for line in lines]
        out["orders"] = {"order": lines}
    return out


def _parse_bj(value: str) -> datetime | None:
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    except (ValueError, AttributeError):
        return None


def _int(value: Any, default: int | None) -> int | None:
    if value is None or value == "":
        return default
    try:
        return int(str(value))
    except ValueError:
        return None


# --- the app and the server -----------------------------------------------------------------

async def _request_params(request: Request) -> dict[str, str]:
    params: dict[str, str] = dict(request.query_params)
    if request.method == "POST":
        body = await request.body()
        ctype = request.headers.get("content-type", "")
        if "json" in ctype:
            try:
                data = json.loads(body or b"{}")
            except ValueError:
                data = {}
            if isinstance(data, dict):
                for k, v in data.items():
                    params[k] = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, separators=(",", ":"))
        else:
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def build_simulator_app(state: SimulatorState) -> Starlette:
    handlers = {"taobao": state.handle_taobao, "jd": state.handle_jd, "pdd": state.handle_pdd}

    def endpoint(platform: str) -> Callable[[Request], Any]:
        async def handle(request: Request) -> JSONResponse:
            result = handlers[platform](await _request_params(request))
            return JSONResponse(result.body, status_code=result.status, headers=result.headers)
        return handle

    routes = [Route(path, endpoint(p), methods=["GET", "POST"]) for p in PLATFORMS for path in PATHS[p]]
    app = Starlette(routes=routes)
    app.state.simulator = state
    return app


class SimulatorHandle:
    """A running simulator: ``base_url``, ``url_for(platform)``, ``shop_configs()``, ``stop()``."""

    def __init__(self, server: Any, thread: threading.Thread, sock: socket.socket, state: SimulatorState) -> None:
        self._server = server
        self._thread = thread
        self._sock = sock
        self.state = state
        self.host, self.port = sock.getsockname()[:2]
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.base_url = f"http://{host}:{self.port}"
        self._ticker: threading.Thread | None = None
        self._ticker_stop = threading.Event()

    def start_ticking(self, every_seconds: float = 5.0) -> None:
        """Call ``state.tick(state.clock())`` every ``every_seconds`` in a background thread until stop()."""
        if self._ticker is not None:
            return

        def run() -> None:
            self.state.tick(self.state.clock())
            while not self._ticker_stop.wait(every_seconds):
                try:
                    self.state.tick(self.state.clock())
                except Exception:  # noqa: BLE001 - a generator bug must not kill the demo's simulator
                    import logging

                    logging.getLogger(__name__).exception("simulator tick failed")

        self._ticker = threading.Thread(target=run, name="oms-simulator-ticker", daemon=True)
        self._ticker.start()

    def courier_codes(self, platform: str) -> dict[str, str]:
        return dict(SIMULATOR_COURIER_CODES[platform])

    def url_for(self, platform: str) -> str:
        return self.base_url + PATHS[platform][0]

    def shop_configs(self) -> list[ShopConfig]:
        return self.state.shop_configs(self.base_url)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving (and ticking) and wait for the threads; RuntimeError if the server would not stop."""
        self._ticker_stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout)
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout)
        self._sock.close()
        if self._thread.is_alive():
            raise RuntimeError(f"simulator on {self.base_url} did not stop within {2 * timeout:.0f}s")

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_simulator(host: str = "127.0.0.1", port: int = 0, state: SimulatorState | None = None, *,
                  startup_timeout: float = 10.0, tick_seconds: float | None = None) -> SimulatorHandle:
    """Serve the simulator with uvicorn in a background thread (``port=0``: a free port).

    With ``tick_seconds`` the state also generates traffic (``tick``) on that period until stop().
    """
    import uvicorn

    state = state or SimulatorState.with_demo_shops()
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto says
    # TCP, and without it every response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    config = uvicorn.Config(build_simulator_app(state), log_level="warning", access_log=False, lifespan="off",
                            timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="oms-platform-simulator",
                              daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(2)
            sock.close()
            raise RuntimeError(f"simulator did not start on {host}:{port}")
        time.sleep(0.01)
    handle = SimulatorHandle(server, thread, sock, state)
    if tick_seconds:
        handle.start_ticking(tick_seconds)
    return handle
