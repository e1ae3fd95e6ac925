"""The simulator's records: shops, platform-neutral order drafts, stored payloads, calls, answers."""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class SimShop:
    platform: str
    name: str
    app_key: str
    app_secret: str
    session: str
    # By key. Add and change orders through the state (its put_order, touch, ship …), never straight into
    # this dict: ``index`` files each one by modified time, created time and status for the listings and
    # the generator, which would otherwise scan every order of the shop for each page or event.
    orders: dict[str, SimOrder] = field(default_factory=dict)
    refunds: dict[str, SimRefund] = field(default_factory=dict)
    items: list[SimItem] = field(default_factory=list)
    index: OrderIndex = field(default_factory=lambda: OrderIndex(), repr=False, compare=False)

    def put(self, order: SimOrder) -> None:
        """Store ``order`` (a new one, or one replacing the record of its key) and file it."""
        self.orders[order.key] = order
        self.index.file(order)

    def between(self, moment: str, start: datetime, end: datetime) -> list[SimOrder]:
        """The orders whose ``moment`` (``"modified"`` or ``"created"``) is in ``[start, end]``, in no set order:
        the listings filter and sort these few as their platform does."""
        if len(self.index) != len(self.orders):  # an order put into the dict directly: file everything again
            self.index = OrderIndex(self.orders.values())
        return [self.orders[key] for key in self.index.keys_between(moment, start, end)]

    def pick(self, status: str, rng: random.Random) -> SimOrder | None:
        """A generated order (one with a draft) now in ``status``, chosen at random; None when there is none."""
        while True:
            key = self.index.choose(status, rng)
            if key is None:
                return None
            order = self.orders.get(key)
            if order is not None and order.draft is not None and order.draft.status == status:
                return order
            if order is None:  # no longer stored
                self.index.forget(key)
            else:  # its status was changed without a touch: file it where it belongs and choose again
                self.index.file(order)


class KeyPool:
    """Keys with O(1) add, remove and random choice (a list, and each key's place in it)."""

    def __init__(self) -> None:
        self._keys: list[str] = []
        self._place: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: str) -> None:
        if key not in self._place:
            self._place[key] = len(self._keys)
            self._keys.append(key)

    def remove(self, key: str) -> None:
        place = self._place.pop(key, None)
        if place is None:
            return
        last = self._keys.pop()
        if place < len(self._keys):  # the last key takes the removed one's place
            self._keys[place] = last
            self._place[last] = place

    def choose(self, rng: random.Random) -> str | None:
        return rng.choice(self._keys) if self._keys else None


class OrderIndex:
    """A shop's orders filed by modified time, created time (sorted, for the listings' windows) and, for
    generated orders, by draft status (for the generator's random picks).

    The sorted lists are built when a listing first needs them and kept up to date after that (a bisect
    each); before then, filing an order costs a dict write. Which orders a window holds is all it answers:
    each platform module still filters and sorts them by its own rules."""

    MOMENTS = ("modified", "created")

    def __init__(self, orders: Iterable[SimOrder] = ()) -> None:
        self._filed: dict[str, tuple[datetime, datetime, str | None]] = {}  # key → (modified, created, status)
        self._sorted: dict[str, list[tuple[datetime, str]] | None] = {m: None for m in self.MOMENTS}
        self._by_status: dict[str, KeyPool] = {}
        for order in orders:
            self.file(order)

    def __len__(self) -> int:
        return len(self._filed)

    def file(self, order: SimOrder) -> None:
        """File ``order`` under its current modified time, created time and status (again, if it changed)."""
        self.forget(order.key)
        status = order.draft.status if order.draft is not None else None
        self._filed[order.key] = (order.modified, order.created, status)
        for moment, when in zip(self.MOMENTS, (order.modified, order.created)):
            entries = self._sorted[moment]
            if entries is not None:
                bisect.insort(entries, (when, order.key))
        if status is not None:
            self._by_status.setdefault(status, KeyPool()).add(order.key)

    def forget(self, key: str) -> None:
        filed = self._filed.pop(key, None)
        if filed is None:
            return
        for moment, when in zip(self.MOMENTS, filed[:2]):
            entries = self._sorted[moment]
            if entries is not None:
                place = bisect.bisect_left(entries, (when, key))
                if place < len(entries) and entries[place] == (when, key):
                    del entries[place]
        if filed[2] is not None:
            self._by_status[filed[2]].remove(key)

    def keys_between(self, moment: str, start: datetime, end: datetime) -> list[str]:
        entries = self._sorted[moment]
        if entries is None:
            column = self.MOMENTS.index(moment)
            entries = self._sorted[moment] = sorted((filed[column], key) for key, filed in self._filed.items())
        first = bisect.bisect_left(entries, (start, ""))
        past = bisect.bisect_right(entries, (end, "\U0010ffff"))
        return [key for _when, key in entries[first:past]]

    def choose(self, status: str, rng: random.Random) -> str | None:
        pool = self._by_status.get(status)
        return pool.choose(rng) if pool else None


@dataclass
class SimRefund:
    """A buyer's refund request on one order, platform-neutral; each platform renders its own shape.
    ``status`` is the platform's own value (Taobao ``WAIT_SELLER_AGREE``, PDD ``2``, JD ``0``)."""

    refund_id: str
    order_key: str
    status: str
    reason: str
    amount_fen: int
    created: datetime
    modified: datetime
    checked: datetime | None = None  # JD: when the seller (or JD) decided
    line_id: str = ""
    item_id: str = ""
    sku_id: str = ""
    qty: int = 1
    title: str = ""


@dataclass
class SimSku:
    sku_id: str
    outer_id: str = ""
    spec: str = ""
    price_fen: int = 0
    quantity: int = 100


@dataclass
class SimItem:
    """One item the shop has on sale, with its SKUs (none: an item sold without SKUs)."""

    item_id: str
    title: str
    outer_id: str = ""
    skus: list[SimSku] = field(default_factory=list)
    on_sale: bool = True


@dataclass
class SimToken:
    """An access token the simulated platform issued to a shop's app, with its refresh token."""

    platform: str
    app_key: str
    access_token: str
    refresh_token: str
    issued_at: datetime
    expires_at: datetime
    refresh_expires_at: datetime
    revoked: bool = False

    def __repr__(self) -> str:  # tests print these: never the tokens
        return (f"SimToken({self.platform}, {self.app_key}, expires_at={self.expires_at.isoformat()}, "
                f"revoked={self.revoked})")


@dataclass
class SimCode:
    """An authorization code handed out by a platform's consent page (one use, short-lived)."""

    platform: str
    app_key: str
    redirect_uri: str
    expires_at: datetime
    used: bool = False


@dataclass
class DraftLine:
    sku_code: str
    title: str
    spec: str
    qty: int
    price_fen: int
    line_id: int
    item_id: int
    platform_sku_id: int
    outer_on_item_only: bool = False  # Taobao: code in outer_iid, no outer_sku_id
    shipped_at: datetime | None = None  # this line left on its own (the seller shipped part of the order)


@dataclass
class Receiver:
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
class Draft:
    """A platform-neutral order; rendered into each platform's payload shape."""

    order_id: str
    status: str  # unpaid | paid | shipped | finished | cancelled
    created: datetime
    paid_at: datetime | None
    modified: datetime
    buyer_nick: str
    buyer_uid: str
    receiver: Receiver
    lines: list[DraftLine]
    discount_fen: int
    post_fee_fen: int
    buyer_message: str = ""
    seller_memo: str = ""
    close_trade: bool = True  # Taobao cancellation: TRADE_CLOSED (else lines refunded, status unchanged)
    waybill: str = ""
    company: str = ""
    shipped_at: datetime | None = None
    secret_seed: int = 0
    # Paid, but the platform forbids shipping for now (each platform renders it its own way): one of
    # BLOCK_REASONS, or "" when the order may ship.
    blocked: str = ""
    pre_auth: bool = False  # Taobao 0元购: unpaid while the pre-authorisation contract is pending
    trade_type: str = ""  # Taobao trade type; "" → the module's pick

    @property
    def partly_shipped(self) -> bool:
        return self.status == "paid" and any(line.shipped_at for line in self.lines)

    @property
    def total_fen(self) -> int:
        return sum(line.qty * line.price_fen for line in self.lines)

    @property
    def paid_fen(self) -> int:
        return self.total_fen - self.discount_fen + self.post_fee_fen


# Why a platform may forbid shipping a paid order (Draft.blocked). PDD has a field for each; Taobao
# shows any of them as PAID_FORBID_CONSIGN and JD as POP_ORDER_PAUSE.
BLOCK_REASONS = ("group_forming", "group_failed", "unconfirmed", "confirm_cancelled", "risk_review")


@dataclass
class SimOrder:
    platform: str
    key: str  # the order id, or a made-up key for a record without one
    modified: datetime
    created: datetime
    payload: dict[str, Any]
    draft: Draft | None = None
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
