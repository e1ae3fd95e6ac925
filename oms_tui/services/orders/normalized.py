"""The one shape every platform's order is mapped into before it touches our tables."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from oms_tui.limits import MAX_FEN, MAX_QUANTITY


class PlatformState(StrEnum):
    """Where the order stands on the platform, reduced to what matters to us."""

    AWAITING_PAYMENT = "awaiting_payment"  # not ours yet: never locked, never stored
    PAID = "paid"  # ours to ship
    SHIPPED = "shipped"
    FINISHED = "finished"
    CANCELLED = "cancelled"  # closed or fully refunded


class NormalizedLine(BaseModel):
    sku_code: str = Field(min_length=1)  # the merchant's outer SKU code
    title: str = ""
    # limits.py's bounds: an absurd quantity or price is refused here, before it reaches a table
    qty: int = Field(gt=0, le=MAX_QUANTITY)
    price_fen: int = Field(ge=0, le=MAX_FEN, default=0)
    platform_line_id: str = ""
    # The platform's own item and SKU ids: what the SKU mapping (商品对应) is keyed on.
    platform_item_id: str = Field(default="", max_length=64)
    platform_sku_id: str = Field(default="", max_length=64)


class NormalizedOrder(BaseModel):
    platform: str = Field(min_length=1)
    platform_order_id: str = Field(min_length=1)
    shop: str = ""
    state: PlatformState
    platform_status: str = ""
    buyer_id: str = ""
    receiver_name: str = ""
    receiver_phone: str = ""
    receiver_province: str = ""
    receiver_city: str = ""
    receiver_district: str = ""
    receiver_address: str = ""
    # The platform's receiver ciphertexts / opaque receiver id (services/customers/withheld.py): for a waybill
    # request only; the receiver_* fields above hold what may be shown (masked, or decrypted by the shop's hook).
    receiver_opaque: str = Field(default="", repr=False)
    # The platform's opaque id of the address (Douyin open_address_id): compared, never decrypted.
    receiver_address_id: str = Field(default="", max_length=200)
    buyer_remark: str = ""
    seller_memo: str = ""
    total_fen: int = Field(ge=0, le=MAX_FEN, default=0)
    paid_fen: int = Field(ge=0, le=MAX_FEN, default=0)
    discount_fen: int = Field(ge=0, le=MAX_FEN, default=0)
    post_fee_fen: int = Field(ge=0, le=MAX_FEN, default=0)
    created_at: datetime
    paid_at: datetime | None = None
    modified_at: datetime | None = None
    lines: list[NormalizedLine] = Field(min_length=1)  # the lines still ours to ship (or that were)
    # Why the platform forbids shipping the order now — a stored phrase (oms_tui.phrases) naming the
    # field and its state — or "" when it may ship: intake keeps a platform_blocked hold open meanwhile.
    platform_block: str = Field(default="", max_length=500)
    # Lines the platform says already left without us (Taobao SELLER_CONSIGNED_PART): not in ``lines``.
    shipped_lines: list[NormalizedLine] = Field(default_factory=list)

    @field_validator("created_at", "paid_at", "modified_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("times must carry their time zone")
        return value
