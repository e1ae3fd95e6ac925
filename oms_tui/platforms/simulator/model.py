"""The simulator's records: shops, platform-neutral order drafts, stored payloads, calls, answers."""

from __future__ import annotations

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
    orders: dict[str, SimOrder] = field(default_factory=dict)
    refunds: dict[str, SimRefund] = field(default_factory=dict)
    items: list[SimItem] = field(default_factory=list)


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
