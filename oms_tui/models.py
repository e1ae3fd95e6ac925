"""The tables. Money is integer fen; times are aware UTC (shown in the shop's time zone).

Every ``datetime`` field is stored through SQLModel's ``UTCDateTime`` column type (chosen for the
annotation; tests/test_models.py proves no column escapes it): it refuses a naive time on write,
stores UTC, and hands back aware UTC on SQLite and PostgreSQL alike, so nothing downstream needs
to patch a missing zone back on.

A column that holds one of a fixed set of strings (a status, a kind, a condition) stays a plain
VARCHAR and has a StrEnum below naming its values; code writes and compares the enum's members,
never string literals (tests/test_models.py checks each value fits its column).

Stock lives in StockLevel's four buckets (plus a damaged count outside them); every change to
them is a StockMove row carrying the delta of each bucket, so the ledger always sums to the
levels (``oms check`` proves it).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from oms_tui.clock import utcnow  # services import it from here too, with the tables
from oms_tui.limits import MAX_FEN, MAX_QUANTITY


class OrderStatus(StrEnum):
    NEW = "new"
    REVIEW = "review"
    APPROVAL = "approval"
    SHORT = "short"
    READY = "ready"
    PICKING = "picking"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


# Orders in these statuses may still hold locked stock.
OPEN_STATUSES = (
    OrderStatus.NEW,
    OrderStatus.REVIEW,
    OrderStatus.APPROVAL,
    OrderStatus.SHORT,
    OrderStatus.READY,
    OrderStatus.PICKING,
    OrderStatus.PACKED,
)


class Platform(StrEnum):
    """The platforms orders come from (Order.platform): one adapter each in oms_tui/platforms."""

    TAOBAO = "taobao"
    JD = "jd"
    PDD = "pdd"
    DOUYIN = "douyin"


class HoldKind(StrEnum):
    ADDRESS_INVALID = "address_invalid"
    BUYER_REMARK = "buyer_remark"
    COUPON_CHECK = "coupon_check"
    DUPLICATE_SUSPECT = "duplicate_suspect"
    LIMIT_EXCEEDED = "limit_exceeded"
    STOCK_SHORT = "stock_short"
    APPROVAL_PENDING = "approval_pending"
    APPROVAL_STALLED = "approval_stalled"
    LOCK_EXPIRED = "lock_expired"
    LOGISTICS_STALLED = "logistics_stalled"
    SCAN_MISMATCH = "scan_mismatch"
    SYNC_CONFLICT = "sync_conflict"
    PRINT_FAILED = "print_failed"
    NOTIFY_FAILED = "notify_failed"
    PLATFORM_BLOCKED = "platform_blocked"  # the platform forbids shipping for now; released by a later sync
    SKU_UNMAPPED = "sku_unmapped"  # a line names a platform SKU we have no SKU or mapping for
    REFUND_REQUESTED = "refund_requested"  # the buyer asked the platform for a refund before shipping
    SHIP_NOTICE_FAILED = "ship_notice_failed"  # the platform was not told the order shipped (refused, or gave up)
    APPROVAL_REJECTED = "approval_rejected"  # an approver said no: back to CS with the reason


class MoveKind(StrEnum):
    PURCHASE = "purchase"
    RECEIVE = "receive"
    LOCK = "lock"
    UNLOCK = "unlock"
    SHIP = "ship"
    RETURN = "return"
    ADJUST = "adjust"
    RESERVE = "reserve"
    UNRESERVE = "unreserve"
    RESERVE_DRAW = "reserve_draw"  # a VIP order takes units out of a reservation
    LOCK_EXPIRE = "lock_expire"


class ReservationPurpose(StrEnum):
    VIP = "vip"
    PROMOTION = "promotion"


class SyncStatus(StrEnum):
    """What a shop's last sync run did (ShopSync.last_status)."""

    NEVER = "never"
    RUNNING = "running"
    OK = "ok"
    ERROR = "error"
    PAUSED = "paused"  # the platform banned calls for a while (rate limit): no run until paused_until


class ProblemSource(StrEnum):
    """Which intake path could not take a record in (SyncProblem.source)."""

    SYNC = "sync"
    WEBHOOK = "webhook"
    IMPORT = "import"


class WaveStatus(StrEnum):
    OPEN = "open"
    PICKING = "picking"
    DONE = "done"
    CANCELLED = "cancelled"


class ParcelStatus(StrEnum):
    OPEN = "open"
    PACKED = "packed"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


class ScanOutcome(StrEnum):
    """What a pack-station scan was, as ScanEvent.result records it."""

    OK = "ok"  # an item of the parcel
    ORDER = "order"  # an order or slip: its parcel is on the bench
    DOUBLE = "double"  # the parcel already on the bench, scanned again
    SHIPPED = "waybill"  # the waybill: the parcel left
    WRONG = "wrong"
    EXTRA = "extra"
    UNKNOWN = "unknown"
    REFUSED = "refused"
    WAYBILL_BAD = "waybill_bad"
    FAILED = "failed"


SCAN_ERRORS = frozenset({ScanOutcome.WRONG, ScanOutcome.EXTRA, ScanOutcome.UNKNOWN, ScanOutcome.REFUSED,
                         ScanOutcome.WAYBILL_BAD, ScanOutcome.FAILED})


class PrintStatus(StrEnum):
    QUEUED = "queued"
    PRINTING = "printing"  # claimed by a sender
    DONE = "done"
    FAILED = "failed"  # can never print as stored
    CANCELLED = "cancelled"  # someone decided it must not print; kept for the record


class RefundStatus(StrEnum):
    PENDING = "pending"
    REFUNDED = "refunded"
    REFUSED = "refused"


class RefundState(StrEnum):
    """Where a buyer's refund request stands on the platform, reduced to what matters to us
    (PlatformRefund.state); each adapter maps its platform's own statuses onto these."""

    REQUESTED = "requested"  # open: the seller or the platform has not decided (an order must not ship)
    CLOSED = "closed"  # withdrawn by the buyer, refused by the seller or the platform: the order may ship
    REFUNDED = "refunded"  # the money went back


class ReturnCondition(StrEnum):
    RESALEABLE = "resaleable"
    DAMAGED = "damaged"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a dispatcher until next_attempt_at, its lease
    SENT = "sent"
    FAILED = "failed"  # given up: cannot be sent as written, or too many attempts
    SKIPPED = "skipped"  # needs no sending (e.g. no alert recipients configured); last_error says why


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Warehouse(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=32)
    name: str = Field(max_length=100)
    province: str | None = Field(default=None, max_length=32)
    city: str | None = Field(default=None, max_length=32)


class Supplier(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=32)
    name: str = Field(max_length=100)
    contact: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=32)
    lead_days: int = 7
    email: str = Field(default="", max_length=200)  # the weekly order mail goes here (empty: none sent)


def within(table: str, column: str, low: int | str, high: int | str) -> CheckConstraint:
    """The database's own guard that ``column`` stays in [low, high] (limits.py holds the bounds;
    migration 0007 adds the same constraints, by these names, to existing databases)."""
    return CheckConstraint(f"{column} >= {low} AND {column} <= {high}", name=f"ck_{table}_{column}")


class Sku(SQLModel, table=True):
    __table_args__ = (within("sku", "cost_fen", 0, MAX_FEN), within("sku", "price_fen", 0, MAX_FEN))

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=64)
    name: str = Field(max_length=200)
    spec: str = Field(default="", max_length=200)
    unit: str = Field(default="件", max_length=16)
    category: str = Field(default="", max_length=64, index=True)
    tags: str = Field(default="", max_length=200)  # comma-separated, e.g. "custom,fragile"
    supplier_id: int | None = Field(default=None, foreign_key="supplier.id")
    bin_location: str = Field(default="", max_length=32)
    cost_fen: int = Field(default=0, sa_type=BigInteger)
    price_fen: int = Field(default=0, sa_type=BigInteger)
    active: bool = True
    safety_stock: int = 0  # units kept beyond the lead time's sales (purchase suggestions)

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]


class SkuBarcode(SQLModel, table=True):
    """A SKU has one or more barcodes (manufacturer EAN-13, our own labels)."""

    id: int | None = Field(default=None, primary_key=True)
    barcode: str = Field(unique=True, index=True, max_length=64)
    sku_id: int = Field(foreign_key="sku.id", index=True)


class StockLevel(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("warehouse_id", "sku_id", name="uq_stock_level_wh_sku"),
        *(within("stocklevel", bucket, 0, MAX_QUANTITY)
          for bucket in ("on_hand", "inbound", "locked", "reserved", "damaged")),
    )

    id: int | None = Field(default=None, primary_key=True)
    warehouse_id: int = Field(foreign_key="warehouse.id")
    sku_id: int = Field(foreign_key="sku.id", index=True)
    on_hand: int = 0
    inbound: int = 0
    locked: int = 0
    reserved: int = 0
    damaged: int = 0  # returned damaged: counted, never sold
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def available(self) -> int:
        return self.on_hand - self.locked - self.reserved


class StockMove(SQLModel, table=True):
    """The append-only stock ledger: one row per change, the delta of every bucket."""

    __table_args__ = (Index("ix_stock_move_wh_sku_id", "warehouse_id", "sku_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    warehouse_id: int = Field(foreign_key="warehouse.id")
    sku_id: int = Field(foreign_key="sku.id")
    kind: str = Field(max_length=16)  # MoveKind
    d_on_hand: int = 0
    d_inbound: int = 0
    d_locked: int = 0
    d_reserved: int = 0
    d_damaged: int = 0
    order_id: int | None = Field(default=None, foreign_key="order.id", index=True)
    reservation_id: int | None = Field(default=None, foreign_key="stockreservation.id")
    user: str = Field(default="system", max_length=64)
    reason: str = Field(default="", max_length=500)


class StockReservation(SQLModel, table=True):
    """Quota held back for a promotion or for VIP customers until it expires."""

    __table_args__ = (within("stockreservation", "qty", 0, MAX_QUANTITY),)

    id: int | None = Field(default=None, primary_key=True)
    warehouse_id: int = Field(foreign_key="warehouse.id")
    sku_id: int = Field(foreign_key="sku.id", index=True)
    purpose: str = Field(max_length=16)  # ReservationPurpose
    qty: int  # units still held
    note: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    released_at: datetime | None = None


class Customer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(default="", max_length=100)
    phone_norm: str | None = Field(default=None, max_length=20, index=True)
    platform: str | None = Field(default=None, max_length=16)
    buyer_id: str | None = Field(default=None, max_length=100, index=True)
    province: str = Field(default="", max_length=32)
    city: str = Field(default="", max_length=32)
    district: str = Field(default="", max_length=32)
    address: str = Field(default="", max_length=300)
    address_key: str = Field(default="", max_length=200, index=True)
    is_vip: bool = False
    # Indexed: intake's duplicate check reads only customers not merged away, for every new order.
    merged_into_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Order(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("platform", "platform_order_id", name="uq_order_platform_id"),
        Index("ix_order_status_paid", "status", "paid_at"),
        Index("ix_order_created", "created_at"),
        # A scanned or typed order number does not say its platform.
        Index("ix_order_platform_order_id", "platform_order_id"),
        Index("ix_order_receiver_phone", "receiver_phone"),  # "where is my order?" by phone
        Index("ix_order_receiver_address_id", "platform", "receiver_address_id"),  # same address, masked data
        # The dashboard's orders per hour and platform read this index alone; shipped_at: order→ship times.
        Index("ix_order_created_platform", "created_at", "platform"),
        Index("ix_order_shipped", "shipped_at"),
        # The orders screen filtered by status or platform, newest first (ORDER BY created_at DESC, id DESC)
        # reads its first page straight off these; the receiver-name search reads a prefix range of the last.
        Index("ix_order_status_created", "status", "created_at", "id"),
        Index("ix_order_platform_created", "platform", "created_at", "id"),
        Index("ix_order_receiver_name", "receiver_name", postgresql_ops={"receiver_name": "text_pattern_ops"}),
        # The ready orders no wave has taken: the pick list's preview and wave creation (migration 0020).
        Index("ix_order_wave_candidates", "id", sqlite_where=text("status = 'ready' AND wave_id IS NULL"),
              postgresql_where=text("status = 'ready' AND wave_id IS NULL")),
        *(within("order", amount, 0, MAX_FEN) for amount in ("total_fen", "paid_fen", "discount_fen", "post_fee_fen")),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    platform_order_id: str = Field(max_length=64)
    shop: str = Field(default="", max_length=64)
    status: str = Field(default=OrderStatus.NEW, max_length=16)
    platform_status: str = Field(default="", max_length=40)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    buyer_id: str = Field(default="", max_length=100)
    receiver_name: str = Field(default="", max_length=200)
    receiver_phone: str = Field(default="", max_length=200)
    receiver_province: str = Field(default="", max_length=32)
    receiver_city: str = Field(default="", max_length=32)
    receiver_district: str = Field(default="", max_length=32)
    receiver_address: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # What the platform withholds: its receiver ciphertexts / opaque receiver id (JSON, services/customers/
    # withheld.py). Kept only for a waybill request; never shown, never compared.
    receiver_opaque: str = Field(default="", sa_column=Column(Text, nullable=False, default=""), repr=False)
    # The platform's opaque id of the receiver's address (Douyin ``open_address_id``): not secret and stable for
    # one address, so orders to the same address on that platform are matched on it while the data is masked.
    receiver_address_id: str = Field(default="", max_length=200)
    buyer_remark: str = Field(default="", max_length=500)
    seller_memo: str = Field(default="", max_length=500)
    total_fen: int = Field(default=0, sa_type=BigInteger)
    paid_fen: int = Field(default=0, sa_type=BigInteger)
    discount_fen: int = Field(default=0, sa_type=BigInteger)
    post_fee_fen: int = Field(default=0, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow)  # on the platform
    paid_at: datetime | None = None
    modified_at: datetime | None = None  # on the platform
    ingested_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    warehouse_id: int | None = Field(default=None, foreign_key="warehouse.id")
    locked_at: datetime | None = Field(default=None, index=True)
    shipped_at: datetime | None = None
    courier: str | None = Field(default=None, max_length=32)
    waybill: str | None = Field(default=None, max_length=64, index=True)
    wave_id: int | None = Field(default=None, foreign_key="wave.id", index=True)
    parcel_id: int | None = Field(default=None, foreign_key="parcel.id", index=True)
    no_merge: bool = False  # CS decided this order ships on its own even to a shared address


class OrderLine(SQLModel, table=True):
    __table_args__ = (
        within("orderline", "qty", 1, MAX_QUANTITY),
        within("orderline", "price_fen", 0, MAX_FEN),
        within("orderline", "locked_qty", 0, "qty"),
        within("orderline", "returned_qty", 0, "qty"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="order.id", index=True)
    sku_id: int | None = Field(default=None, foreign_key="sku.id", index=True)
    # Our SKU's code once the line is resolved; until then the merchant's code as the platform gave it.
    sku_code: str = Field(max_length=64)
    title: str = Field(default="", max_length=300)
    qty: int  # units of our SKU (a bundle's component: sets sold × units per set)
    price_fen: int = Field(default=0, sa_type=BigInteger)
    locked_qty: int = 0  # units of this line currently locked in stock
    returned_qty: int = 0  # units that came back after shipping
    # The platform's line: its item and SKU ids (what the SKU mapping keys on) and how many it sold.
    # A bundle (组合装) sold as one platform line becomes one line per component, each with these.
    platform_item_id: str = Field(default="", max_length=64)
    platform_sku_id: str = Field(default="", max_length=64)
    platform_qty: int = 0  # units the platform sold on its line (0: rows written before mappings)


class Hold(SQLModel, table=True):
    """An exception on an order. Open while resolved_at is empty; blocking ones stop picking."""

    __table_args__ = (
        Index("ix_hold_open", "kind", "resolved_at"),
        Index("ix_hold_opened", "opened_at"),
        # An order's open holds (order lists, review, detail) without visiting its resolved ones.
        Index("ix_hold_order_resolved", "order_id", "resolved_at"),
        # The exceptions queue: open holds oldest first (ORDER BY opened_at, id) read in index order from a
        # partial index of the open holds alone (a tenth of the rows at a million orders), on both databases.
        Index("ix_hold_open_opened", "opened_at", "id", sqlite_where=text("resolved_at IS NULL"),
              postgresql_where=text("resolved_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="order.id")  # indexed first in ix_hold_order_resolved
    kind: str = Field(max_length=32)  # HoldKind
    blocking: bool = True
    reason: str = Field(default="", max_length=500)
    opened_at: datetime = Field(default_factory=utcnow)
    opened_by: str = Field(default="system", max_length=64)
    resolved_at: datetime | None = None
    resolved_by: str | None = Field(default=None, max_length=64)
    resolution: str | None = Field(default=None, max_length=500)


class AuditEvent(SQLModel, table=True):
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"), Index("ix_audit_at", "at"))

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    user: str = Field(default="system", max_length=64)
    action: str = Field(max_length=64)
    entity_type: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True, max_length=64)
    display_name: str = Field(default="", max_length=100)
    roles: str = Field(default="", max_length=200)  # comma-separated
    pin_hash: str = Field(max_length=200)
    active: bool = True
    failed_pins: int = 0  # wrong PINs in a row; enough of them lock the name for a while
    locked_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def role_list(self) -> list[str]:
        return [r for r in self.roles.split(",") if r]


class UserKey(SQLModel, table=True):
    """An SSH public key that signs its user in at an SSH desk without the PIN (``oms user key add``).
    Removed keys stay as rows with ``removed_at`` set: the audit trail names the fingerprint."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    fingerprint: str = Field(unique=True, index=True, max_length=100)  # OpenSSH "SHA256:…" form
    public_key: str = Field(sa_column=Column(Text, nullable=False))  # the authorized_keys line
    comment: str = Field(default="", max_length=200)
    added_at: datetime = Field(default_factory=utcnow)
    added_by: str = Field(default="system", max_length=64)
    removed_at: datetime | None = None


# --- order intake (platform sync, webhook, scheduler) -----------------------------------------

class SkuMapping(SQLModel, table=True):
    """商品对应: a shop's platform item/SKU → one of our SKUs, or a bundle (组合装) of several, each with a
    quantity per unit sold (SkuMappingComponent). Matched by the platform's SKU id, or by the item id for
    an item without SKUs (``platform_sku_id`` empty). Changed, never deleted; the audit trail keeps the
    old components."""

    __table_args__ = (
        UniqueConstraint("shop", "platform_item_id", "platform_sku_id", name="uq_skumapping_shop_item_sku"),
        Index("ix_skumapping_shop_sku", "shop", "platform_sku_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop: str = Field(max_length=64)
    platform: str = Field(max_length=16)
    platform_item_id: str = Field(default="", max_length=64)
    platform_sku_id: str = Field(default="", max_length=64)
    title: str = Field(default="", max_length=300)  # the platform's title and spec, for people
    outer_code: str = Field(default="", max_length=64)  # the merchant code the platform showed, if any
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="system", max_length=64)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str = Field(default="system", max_length=64)


class SkuMappingComponent(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("mapping_id", "sku_id", name="uq_skumappingcomponent_mapping_sku"),
        within("skumappingcomponent", "qty", 1, MAX_QUANTITY),
    )

    id: int | None = Field(default=None, primary_key=True)
    mapping_id: int = Field(foreign_key="skumapping.id", index=True)
    sku_id: int = Field(foreign_key="sku.id")
    qty: int  # units of this SKU in one unit the platform sells


class PlatformItem(SQLModel, table=True):
    """The shop's items and SKUs as the platform lists them (pulled by the scheduler), for suggesting a
    mapping by the merchant's outer codes and the title."""

    __table_args__ = (
        UniqueConstraint("shop", "platform_item_id", "platform_sku_id", name="uq_platformitem_shop_item_sku"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop: str = Field(max_length=64, index=True)
    platform: str = Field(max_length=16)
    platform_item_id: str = Field(max_length=64)
    platform_sku_id: str = Field(default="", max_length=64)
    outer_item_code: str = Field(default="", max_length=64)
    outer_sku_code: str = Field(default="", max_length=64)
    title: str = Field(default="", max_length=300)
    spec: str = Field(default="", max_length=200)
    pulled_at: datetime = Field(default_factory=utcnow)


class PlatformRefund(SQLModel, table=True):
    """A buyer's refund or after-sale request as the platform's refund API reported it, last state kept.

    Before shipping an open one holds the order (``refund_requested``); after shipping it is an
    after-sale record (``return_id``) for the returns desk."""

    __table_args__ = (
        UniqueConstraint("platform", "refund_id", name="uq_platformrefund_platform_refund"),
        Index("ix_platformrefund_order", "platform", "platform_order_id"),
        Index("ix_platformrefund_first_seen", "first_seen_at"),
        within("platformrefund", "amount_fen", 0, MAX_FEN),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    shop: str = Field(default="", max_length=64)
    refund_id: str = Field(max_length=64)
    platform_order_id: str = Field(max_length=64)
    platform_line_id: str = Field(default="", max_length=64)
    order_id: int | None = Field(default=None, foreign_key="order.id", index=True)
    status: str = Field(default="", max_length=64)  # the platform's own status, as given
    state: str = Field(default=RefundState.REQUESTED, max_length=16)  # RefundState
    reason: str = Field(default="", max_length=500)  # the buyer's reason as the platform gave it
    amount_fen: int = Field(default=0, sa_type=BigInteger)
    modified_at: datetime | None = None  # on the platform
    first_seen_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    return_id: int | None = Field(default=None, foreign_key="returnrecord.id")


class RefundCursor(SQLModel, table=True):
    """Per shop: the refund sync's cursor and what its last run did (as ShopSync for orders)."""

    id: int | None = Field(default=None, primary_key=True)
    shop: str = Field(unique=True, index=True, max_length=64)
    platform: str = Field(max_length=16)
    cursor_at: datetime | None = None  # every refund changed up to here is in
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    last_status: str = Field(default=SyncStatus.NEVER, max_length=16)
    last_seen: int = 0
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    runs: int = 0
    errors: int = 0


class ShopSync(SQLModel, table=True):
    """Per shop: the incremental cursor and what the last sync run did."""

    id: int | None = Field(default=None, primary_key=True)
    shop: str = Field(unique=True, index=True, max_length=64)
    platform: str = Field(max_length=16)
    cursor_at: datetime | None = None  # every change up to here is in; the next run starts before it
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    last_status: str = Field(default=SyncStatus.NEVER, max_length=16)
    last_new: int = 0
    last_updated: int = 0
    last_unchanged: int = 0
    last_malformed: int = 0
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    total_new: int = 0
    total_updated: int = 0
    runs: int = 0
    errors: int = 0
    paused_until: datetime | None = None  # the platform's rate-limit ban ends then: no call before it


class ShopAuth(SQLModel, table=True):
    """A shop's authorization on its platform (`oms shop authorize`): its tokens, refreshed by the scheduler
    before they expire (services/intake/shop_auth.py). The tokens live here, never in the config file, and
    are never shown, printed or logged (the repr leaves them out)."""

    id: int | None = Field(default=None, primary_key=True)
    shop: str = Field(unique=True, index=True, max_length=64)
    platform: str = Field(max_length=16)
    access_token: str = Field(default="", sa_column=Column(Text, nullable=False, default=""), repr=False)
    refresh_token: str = Field(default="", sa_column=Column(Text, nullable=False, default=""), repr=False)
    expires_at: datetime | None = None  # the access token's end
    refresh_expires_at: datetime | None = None  # the refresh token's end: the authorization's (None: not said)
    platform_user: str = Field(default="", max_length=100)  # the seller account the platform named
    authorized_at: datetime | None = None
    authorized_by: str = Field(default="", max_length=64)
    refreshed_at: datetime | None = None
    refresh_error: str = Field(default="", max_length=500)  # why the last refresh failed ("" once one works)
    refresh_failed_at: datetime | None = None
    refused_at: datetime | None = None  # the platform refused the token in use (expired, revoked)
    alerted_for: datetime | None = None  # the authorization end the last expiry alert was raised for
    updated_at: datetime = Field(default_factory=utcnow)


class SyncProblem(SQLModel, table=True):
    """A record a sync could not take in (malformed payload, rejected by validation)."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    shop: str = Field(max_length=64, index=True)
    platform: str = Field(max_length=16)
    platform_order_id: str | None = Field(default=None, max_length=64)
    source: str = Field(default=ProblemSource.SYNC, max_length=16)
    reason: str = Field(default="", max_length=500)
    raw: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class WebhookEvent(SQLModel, table=True):
    """A pushed notification: kept for idempotency (replays are refused) and as the fetch queue."""

    __table_args__ = (Index("ix_webhook_pending", "processed_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(unique=True, max_length=128)
    shop: str = Field(max_length=64)
    platform: str = Field(max_length=16)
    topic: str = Field(max_length=64)
    platform_order_id: str = Field(max_length=64)
    received_at: datetime = Field(default_factory=utcnow)
    processed_at: datetime | None = None
    attempts: int = 0
    last_error: str = Field(default="", max_length=500)
    # Back-off after a failed fetch; while a scheduler fetches it, the end of that one's lease.
    next_attempt_at: datetime = Field(default_factory=utcnow)


class SchedulerLease(SQLModel, table=True):
    """Exactly one scheduler runs jobs: whoever holds the unexpired lease (SQLite; PG uses an advisory lock)."""

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=128)
    expires_at: datetime


class Job(SQLModel, table=True):
    """A scheduler job: what runs how often, and how its last run went (``oms jobs``). Rows come from
    the configuration when a scheduler starts leading; a job whose shop left the config is disabled, not deleted."""

    name: str = Field(primary_key=True, max_length=128)  # sync:SHOP, webhook, outbox:alert, …
    kind: str = Field(max_length=32)  # a JobKind (oms_tui/scheduler.py)
    target: str = Field(default="", max_length=128)  # what the job works on: the shop, the message kind…
    interval_seconds: float
    enabled: bool = True
    next_due_at: datetime = Field(default_factory=utcnow)
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    last_status: str = Field(default="", max_length=16)  # running, ok, error
    last_error: str = Field(default="", max_length=500)
    last_result: str = Field(default="", max_length=500)  # one line: what the last run did
    run_by: str = Field(default="", max_length=128)  # the scheduler process that ran it last


# --- warehouse floor (waves, parcels, scans, printing, returns) ------------------------------

class Wave(SQLModel, table=True):
    """A batch of ready orders picked together (one region, courier or platform)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=32)
    warehouse_id: int = Field(foreign_key="warehouse.id")
    status: str = Field(default=WaveStatus.OPEN, max_length=16)
    courier: str | None = Field(default=None, max_length=32)  # every parcel of the wave leaves with it
    filters: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # JSON of the choice
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="system", max_length=64)
    closed_at: datetime | None = None


class Parcel(SQLModel, table=True):
    """What leaves the warehouse under one waybill: one order, or several merged to one receiver."""

    id: int | None = Field(default=None, primary_key=True)
    wave_id: int | None = Field(default=None, foreign_key="wave.id", index=True)
    address_key: str = Field(default="", max_length=300)
    status: str = Field(default=ParcelStatus.OPEN, max_length=16)
    courier: str | None = Field(default=None, max_length=32)
    waybill: str | None = Field(default=None, max_length=64, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    shipped_at: datetime | None = None


class ScanEvent(SQLModel, table=True):
    """Every scan at a pack station, right or wrong (wrong ones are the quality figure)."""

    __table_args__ = (Index("ix_scanevent_station_at", "station", "at"), Index("ix_scanevent_at", "at"))

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    station: str = Field(default="", max_length=32)
    user: str = Field(default="", max_length=64)
    order_id: int | None = Field(default=None, foreign_key="order.id", index=True)
    parcel_id: int | None = Field(default=None, foreign_key="parcel.id")
    code: str = Field(max_length=128)
    result: str = Field(max_length=16)  # ScanOutcome
    message: str = Field(default="", max_length=300)


class PrintJob(SQLModel, table=True):
    """A document waiting for, or sent to, a printer. Never deleted: history allows reprints."""

    __table_args__ = (Index("ix_printjob_pending", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    printer: str = Field(max_length=64)
    document: str = Field(max_length=32)  # pick_list, packing_slip, return_slip, test_page
    ref: str = Field(default="", max_length=64, index=True)  # wave code, order id…
    data: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # JSON to render from
    status: str = Field(default=PrintStatus.QUEUED, max_length=16)
    attempts: int = 0
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="system", max_length=64)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    printed_at: datetime | None = None
    reprint_of: int | None = Field(default=None, foreign_key="printjob.id")


class ReturnRecord(SQLModel, table=True):
    """Goods that came back after shipping, and the refund owed for them."""

    __table_args__ = (within("returnrecord", "refund_fen", 0, MAX_FEN), Index("ix_returnrecord_created", "created_at"))

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="order.id", index=True)
    waybill_in: str = Field(default="", max_length=64)  # the buyer's return parcel
    reason: str = Field(default="", max_length=300)
    refund_fen: int = Field(default=0, sa_type=BigInteger)
    refund_status: str = Field(default=RefundStatus.PENDING, max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="system", max_length=64)


class ReturnLine(SQLModel, table=True):
    __table_args__ = (within("returnline", "qty", 1, MAX_QUANTITY),)

    id: int | None = Field(default=None, primary_key=True)
    return_id: int = Field(foreign_key="returnrecord.id", index=True)
    order_line_id: int = Field(foreign_key="orderline.id")
    qty: int
    condition: str = Field(max_length=16)  # ReturnCondition


# --- notifications and approvals ----------------------------------------------------------------

class Outbox(SQLModel, table=True):
    """The transactional outbox: written with the state change, sent later by a dispatcher."""

    __table_args__ = (
        Index("ix_outbox_pending", "status", "next_attempt_at"),
        # One message per alert and channel, whoever routes it (services/messaging/routing.py) …
        UniqueConstraint("alert_id", "channel", name="uq_outbox_alert_channel"),
        # … and the same subject on a channel within the de-duplication window is looked up by these.
        Index("ix_outbox_channel_subject", "channel", "subject"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)  # platform_ship, alert, sms, …
    channel: str = Field(default="", max_length=32)  # platform name, dingtalk, wecom, email, sms
    target: str = Field(default="", max_length=200)  # shop, role, phone, address
    subject: str = Field(default="", max_length=200)
    payload: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # JSON
    order_id: int | None = Field(default=None, foreign_key="order.id", index=True)
    # A `notify` message (one channel's copy of an alert): the `alert` row it was routed from.
    alert_id: int | None = Field(default=None, foreign_key="outbox.id", index=True)
    status: str = Field(default=OutboxStatus.PENDING, max_length=16)
    attempts: int = 0
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class ApprovalRequest(SQLModel, table=True):
    """A change that needs a person above CS to agree (price change, gift, large order…)."""

    __table_args__ = (Index("ix_approval_status_requested", "status", "requested_at"),
                      Index("ix_approval_decided", "decided_at"))

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="order.id", index=True)
    kind: str = Field(max_length=32)  # price_change, gift, large_order, custom_sku, …
    reason: str = Field(default="", max_length=500)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # JSON of the change
    status: str = Field(default=ApprovalStatus.PENDING, max_length=16)
    step: int = 0
    requested_by: str = Field(max_length=64)
    requested_at: datetime = Field(default_factory=utcnow)
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = None
    comment: str = Field(default="", max_length=500)
    # The path it takes (services/approvals/rules.py): the rule that set it and its steps as JSON, a list
    # of steps, each the roles that must sign it; ``step`` is the one it stands at.
    rule: str = Field(default="", max_length=64)
    path: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # Who may decide now: the step's roles not yet signed, and those it climbed to (",cs_lead,manager,").
    waiting_for: str = Field(default="", max_length=200)
    due_at: datetime | None = Field(default=None, index=True)  # no decision by then: escalate
    escalations: int = 0  # how many times the current step climbed
    escalate_minutes: int = 120


class ApprovalDecision(SQLModel, table=True):
    """One signature on an approval request: who, in which role, at which step, when, what they said."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="approvalrequest.id", index=True)
    step: int
    role: str = Field(max_length=32)  # the step's role this signature stands for
    decided_by: str = Field(max_length=64)
    approve: bool
    comment: str = Field(default="", max_length=500)
    decided_at: datetime = Field(default_factory=utcnow)


# --- waybills and tracking (Kuaidi100) ------------------------------------------------------------

class WaybillStatus(StrEnum):
    """Where a parcel's e-waybill request stands (WaybillRequest.status)."""

    REQUESTING = "requesting"  # written before the call; a crash leaves it here and a retry re-sends the same id
    ISSUED = "issued"  # the courier gave a number and a label
    FAILED = "failed"  # the last call failed; a retry re-sends the same id
    CANCELLED = "cancelled"  # cancelled with the courier (the parcel was cancelled before pickup)


class TrackState(StrEnum):
    """A shipment's state as we read Kuaidi100's ``state`` (services/shipping/tracking.py maps it)."""

    PENDING = "pending"  # no event yet
    COLLECTED = "collected"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    PROBLEM = "problem"
    RETURNING = "returning"  # on its way back to the sender
    RETURNED = "returned"  # back with the sender and signed for


class WaybillRequest(SQLModel, table=True):
    """One e-waybill request per parcel (unique), written before the courier is called, so a crash between
    the call and the record is retried with the same ``client_order_id`` and never asks for a second number."""

    id: int | None = Field(default=None, primary_key=True)
    parcel_id: int = Field(foreign_key="parcel.id", unique=True)
    client_order_id: str = Field(unique=True, max_length=64)  # our id for this request, sent on every attempt
    courier: str = Field(max_length=32)
    status: str = Field(default=WaybillStatus.REQUESTING, max_length=16)
    waybill: str | None = Field(default=None, max_length=64, index=True)
    courier_order_id: str = Field(default="", max_length=64)  # Kuaidi100's kdComOrderNum, for a cancel
    label: str = Field(default="", sa_column=Column(Text, nullable=False, default=""), repr=False)  # base64 image
    attempts: int = 0
    last_error: str = Field(default="", max_length=500)
    requested_at: datetime = Field(default_factory=utcnow)
    requested_by: str = Field(default="system", max_length=64)
    issued_at: datetime | None = None
    cancelled_at: datetime | None = None


class Shipment(SQLModel, table=True):
    """A shipped parcel being tracked: its state, when it last moved and when it is polled next."""

    __table_args__ = (Index("ix_shipment_poll", "finished", "next_poll_at"),)

    id: int | None = Field(default=None, primary_key=True)
    parcel_id: int = Field(foreign_key="parcel.id", unique=True)
    courier: str = Field(max_length=32)
    waybill: str = Field(max_length=64, index=True)
    phone_tail: str = Field(default="", max_length=8)  # the receiver's last 4 digits (SF asks for them)
    state: str = Field(default=TrackState.PENDING, max_length=20)
    shipped_at: datetime = Field(default_factory=utcnow)
    last_event_at: datetime | None = None
    last_checked_at: datetime | None = None
    next_poll_at: datetime = Field(default_factory=utcnow)
    finished: bool = False  # delivered or returned: no more polls
    subscribed_at: datetime | None = None
    stalled_at: datetime | None = None  # a stall was raised and has not ended
    polls: int = 0
    errors: int = 0  # failed look-ups in a row
    last_error: str = Field(default="", max_length=500)


class TrackingEvent(SQLModel, table=True):
    """One line of a shipment's timeline, as the courier wrote it (kept once, however often it is read)."""

    __table_args__ = (UniqueConstraint("shipment_id", "digest", name="uq_trackingevent_shipment_digest"),)

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipment.id", index=True)
    at: datetime
    context: str = Field(default="", max_length=500)
    location: str = Field(default="", max_length=200)
    state: str = Field(default="", max_length=20)  # TrackState at this event, when the answer said
    digest: str = Field(max_length=40)  # the event's time and text hashed: the same event is stored once


# --- the manager's dashboard ------------------------------------------------------------------------

class DashboardRollup(SQLModel, table=True):
    """One figure of one shop-local day, summed by a scheduler job (services/reports/rollup.py) so the
    dashboard reads a few hundred rows instead of a million orders. ``figure`` names what is counted
    (reports.rollup.Figure), ``key`` splits it (a platform, a hold kind, a duration bucket; "" for none)."""

    __table_args__ = (
        UniqueConstraint("day", "figure", "key", name="uq_dashboardrollup_day_figure_key"),
        Index("ix_dashboardrollup_figure_day", "figure", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    day: str = Field(max_length=10)  # YYYY-MM-DD in the shop's time zone
    figure: str = Field(max_length=32)
    key: str = Field(default="", max_length=64)
    value: int = Field(default=0, sa_type=BigInteger)
    computed_at: datetime = Field(default_factory=utcnow)


# --- row counts for the screens' "page 1 of ~N" (services/reports/tally.py) ------------------------

class TallySubject(StrEnum):
    ORDERS = "orders"
    OPEN_HOLDS = "open_holds"


class TallyMark(SQLModel, table=True):
    """When a subject's tally was last counted, and the highest row id it covers: rows with a higher id
    came since and are counted live on top of the tally."""

    subject: str = Field(primary_key=True, max_length=20)  # TallySubject
    computed_at: datetime
    last_id: int = Field(default=0, sa_type=BigInteger)


class OrderTally(SQLModel, table=True):
    """Orders per shop-local day of creation, platform and current status, as last counted by the
    ``order-tally`` job: a million orders' filtered total is a sum of a few thousand of these."""

    __table_args__ = (UniqueConstraint("day", "platform", "status", name="uq_ordertally_day_platform_status"),)

    id: int | None = Field(default=None, primary_key=True)
    day: str = Field(max_length=10)  # YYYY-MM-DD in the shop's time zone
    platform: str = Field(max_length=20)
    status: str = Field(max_length=20)  # OrderStatus
    orders: int = Field(default=0, sa_type=BigInteger)


class OpenHoldTally(SQLModel, table=True):
    """Open holds per shop-local day opened, kind and blocking, as last counted by the ``order-tally`` job."""

    __table_args__ = (UniqueConstraint("day", "kind", "blocking", name="uq_openholdtally_day_kind_blocking"),)

    id: int | None = Field(default=None, primary_key=True)
    day: str = Field(max_length=10)
    kind: str = Field(max_length=32)  # HoldKind
    blocking: bool
    holds: int = Field(default=0, sa_type=BigInteger)


# --- purchasing and month-end reconciliation -------------------------------------------------------

class PurchaseOrderStatus(StrEnum):
    OPEN = "open"  # ordered, nothing received yet
    PARTIAL = "partial"  # some lines (or part of one) received
    RECEIVED = "received"  # every unit ordered has arrived


class PurchaseOrder(SQLModel, table=True):
    """Goods ordered from a supplier for a warehouse: inbound went up when it was confirmed (services/purchasing)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=32)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    warehouse_id: int = Field(foreign_key="warehouse.id")
    status: str = Field(default=PurchaseOrderStatus.OPEN, max_length=16)  # PurchaseOrderStatus
    note: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="system", max_length=64)
    received_at: datetime | None = None  # when the last unit arrived


class PurchaseOrderLine(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("po_id", "sku_id", name="uq_purchaseorderline_po_sku"),
        within("purchaseorderline", "qty", 1, MAX_QUANTITY),
        within("purchaseorderline", "received_qty", 0, "qty"),
    )

    id: int | None = Field(default=None, primary_key=True)
    po_id: int = Field(foreign_key="purchaseorder.id", index=True)
    sku_id: int = Field(foreign_key="sku.id")
    qty: int
    received_qty: int = 0
    cost_fen: int = Field(default=0, sa_type=BigInteger)  # the SKU's cost when ordered


class StockCount(SQLModel, table=True):
    """A stock count (盘点): what was found on the shelf for some SKUs, and the adjustments it made."""

    id: int | None = Field(default=None, primary_key=True)
    warehouse_id: int = Field(foreign_key="warehouse.id")
    note: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="system", max_length=64)


class StockCountLine(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    count_id: int = Field(foreign_key="stockcount.id", index=True)
    sku_id: int = Field(foreign_key="sku.id")
    expected: int  # on_hand before the count
    counted: int
    delta: int  # the adjustment applied (counted - expected)


class SettlementImport(SQLModel, table=True):
    """A platform's settlement / bill export (账单) for one month, as imported; the latest per platform and
    month is what the reconciliation compares against."""

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    month: str = Field(max_length=7, index=True)  # YYYY-MM
    filename: str = Field(default="", max_length=300)
    rows: int = 0  # rows read from the file (several may name one order)
    imported_at: datetime = Field(default_factory=utcnow)
    imported_by: str = Field(default="system", max_length=64)


class SettlementLine(SQLModel, table=True):
    """One order as the platform's bill states it: what it paid out and what it refunded (summed over its rows)."""

    __table_args__ = (UniqueConstraint("import_id", "platform_order_id", name="uq_settlementline_import_order"),)

    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(foreign_key="settlementimport.id", index=True)
    platform_order_id: str = Field(max_length=64)
    amount_fen: int = Field(default=0, sa_type=BigInteger)
    refund_fen: int = Field(default=0, sa_type=BigInteger)


# --- the buyer portal (`oms portal`) ---------------------------------------------------------------

class PortalCode(SQLModel, table=True):
    """A 6-digit sign-in code texted to a buyer's mobile; only its keyed hash is kept. The rows are also what the
    per-phone and per-address rate limits count (services/portal/codes.py)."""

    __table_args__ = (Index("ix_portalcode_phone_created", "phone", "created_at"),
                      Index("ix_portalcode_ip_created", "ip", "created_at"))

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=20)
    ip: str = Field(default="", max_length=64)
    code_hash: str = Field(max_length=64, repr=False)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    attempts: int = 0  # wrong codes typed against it
    used_at: datetime | None = None  # signed in with it (or burned by too many wrong tries)
    texted: bool = False  # an SMS went to the outbox (only numbers we hold orders for get one)


class PortalSession(SQLModel, table=True):
    """A signed-in buyer: the cookie holds a random token, the table its hash, the phone it proved and when it ends."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, repr=False)
    phone: str = Field(max_length=20)
    ip: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    ended_at: datetime | None = None  # signed out
