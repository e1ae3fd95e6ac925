"""Reading orders: by id or reference, filtered pages, lines and holds, palette hits, one order in full."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, bindparam, func, tuple_, union_all
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, select

from oms_tui.errors import NotFound, ValidationError
from oms_tui.i18n import N_
from oms_tui.models import (
    Hold,
    Order,
    OrderLine,
    OrderStatus,
    Parcel,
    Platform,
    Warehouse,
)
from oms_tui.phrases import english
from oms_tui.services.catalogue.couriers import normalize_waybill
from oms_tui.services.core import audit


def find_order(session: Session, platform: str, platform_order_id: str) -> Order | None:
    return session.exec(
        select(Order).where(Order.platform == platform, Order.platform_order_id == platform_order_id)
    ).first()


# --- reading ---------------------------------------------------------------------------------

_ORDER_BY_ID = select(Order).where(Order.id == bindparam("order_id"))


def get_order(session: Session, order_id: int) -> Order:
    # As session.get (the loaded order if this session has it), with a SELECT built once: session.get
    # builds its own on every call, and every action on an order starts here.
    order = session.identity_map.get(identity_key(Order, order_id))
    if order is None:
        order = session.exec(_ORDER_BY_ID, params={"order_id": order_id}).first()
    if order is None:
        raise NotFound(N_("unknown order {order}"), order=order_id)
    return order


# --- which order a typed or scanned reference means: one rule for the CLI, the pack station, the
# customer look-up, the returns desk and the palette -------------------------------------------------

MAX_ORDER_ID = 2**31 - 1  # our order numbers are INTEGER keys; longer digit strings are barcodes or waybills


class ReferenceBasis(StrEnum):
    PLATFORM_ORDER_ID = "platform_order_id"
    WAYBILL = "waybill"
    ORDER_ID = "order_id"


@dataclass(frozen=True)
class ReferenceMatch:
    """The orders a reference names (oldest first, at most the limit asked for) and what named them."""

    basis: ReferenceBasis
    orders: list[Order]


class AmbiguousReference(ValidationError):
    """One reference names several orders (the same number on two platforms, a merged parcel's waybill)."""

    def __init__(self, reference: str, orders: list[Order]) -> None:
        where = ", ".join(f"{o.platform} #{o.id}" for o in orders)
        super().__init__(N_("{reference!r} matches several orders ({orders}): give our order id instead"),
                         reference=reference, orders=where)
        self.reference, self.orders = reference, orders


def as_order_id(text: str) -> int | None:
    """``text`` as our order number, or None: ASCII digits without a leading zero, within the key's range.
    Full-width '１２３' is not read as 123 (``str.isdigit`` and ``int`` would), nor a landline '0571…'."""
    if not (text.isascii() and text.isdigit()) or text.startswith("0") or len(text) > len(str(MAX_ORDER_ID)):
        return None
    value = int(text)
    return value if value <= MAX_ORDER_ID else None


# Built once: the pack station resolves a scan through these (building a statement costs more than
# running these indexed look-ups).
_BY_PLATFORM_ORDER_ID = (select(Order).where(Order.platform_order_id == bindparam("ref"))
                         .order_by(col(Order.id)).limit(bindparam("limit")))
_BY_WAYBILL = (select(Order)
               .where(col(Order.waybill).in_(bindparam("waybills", expanding=True))
                      | col(Order.parcel_id).in_(select(Parcel.id).where(
                          col(Parcel.waybill).in_(bindparam("waybills", expanding=True)))))
               .order_by(col(Order.id)).limit(bindparam("limit")))


def match_reference(session: Session, reference: str, *, limit: int = 2,
                    waybills: bool = True) -> ReferenceMatch | None:
    """The orders ``reference`` names, by the rule every look-up shares: the platform's order id on any
    platform; else a waybill (the order's or its parcel's, as typed or normalized); else our order id
    (see ``as_order_id``). The first of these that finds anything answers. ``waybills=False`` skips the
    waybill step: at the pack station a waybill is the parcel's last scan, not a way to pick an order."""
    text = (reference or "").strip()
    if not text:
        return None
    found = list(session.exec(_BY_PLATFORM_ORDER_ID, params={"ref": text, "limit": limit}))
    if found:
        return ReferenceMatch(ReferenceBasis.PLATFORM_ORDER_ID, found)
    if waybills:
        found = list(session.exec(_BY_WAYBILL, params={"waybills": sorted({text, normalize_waybill(text)}),
                                                      "limit": limit}))
        if found:
            return ReferenceMatch(ReferenceBasis.WAYBILL, found)
    order_id = as_order_id(text)
    order = session.get(Order, order_id) if order_id is not None else None
    return ReferenceMatch(ReferenceBasis.ORDER_ID, [order]) if order is not None else None


def find_by_reference(session: Session, reference: str, *, waybills: bool = True) -> Order:
    """The one order ``reference`` names (``match_reference``). NotFound if none; the same number on
    two platforms is refused as ambiguous (``AmbiguousReference``) rather than answered with whichever
    row comes first."""
    match = match_reference(session, reference, waybills=waybills)
    if match is None:
        raise NotFound(N_("no order {reference!r}"), reference=reference)
    if len(match.orders) > 1:
        raise AmbiguousReference(reference, match.orders)
    return match.orders[0]


@dataclass
class OrderFilter:
    status: str | None = None
    platform: str | None = None
    since: datetime | None = None
    search: str | None = None

    def apply(self, stmt, dialect: str | None = None):
        """``stmt`` narrowed to this filter; ``dialect`` (the session's database) lets the name search
        read a prefix range of ix_order_receiver_name where the column sorts by code point (SQLite)."""
        if self.status:
            if self.status not in {s.value for s in OrderStatus}:
                raise ValidationError(N_("unknown status {status!r}; one of: {statuses}"), status=self.status,
                                      statuses=", ".join(s.value for s in OrderStatus))
            stmt = stmt.where(Order.status == self.status)
        if self.platform:
            if self.platform not in {p.value for p in Platform}:
                raise ValidationError(N_("unknown platform {platform!r}; one of: {known}"), platform=self.platform,
                                      known=", ".join(p.value for p in Platform))
            stmt = stmt.where(Order.platform == self.platform)
        if self.since:
            stmt = stmt.where(col(Order.created_at) >= self.since)
        if self.search:
            text = self.search.strip()
            # One indexed look-up per way of naming an order, as a set of ids: as one OR, SQLite walks the
            # whole created_at index hoping for 50 matches instead (every order, for a rare name).
            stmt = stmt.where(col(Order.id).in_(union_all(
                select(Order.id).where(Order.platform_order_id == text),
                select(Order.id).where(Order.waybill == text),
                select(Order.id).where(_name_prefix(text, dialect)))))
        return stmt


def _name_prefix(text: str, dialect: str | None):
    """receiver_name starts with ``text``. SQLite never reads an index for LIKE (case-insensitive, and the
    pattern is not a literal), so there the same condition is also given as the range of names from
    ``text`` up to ``text`` with its last character's successor — exact under SQLite's binary order.
    PostgreSQL reads the prefix from its text_pattern_ops index on the LIKE itself."""
    like = col(Order.receiver_name).startswith(text, autoescape=True)
    if dialect != "sqlite" or not text or ord(text[-1]) >= 0x10FFFF:
        return like
    successor = text[:-1] + chr(ord(text[-1]) + 1)
    return and_(col(Order.receiver_name) >= text, col(Order.receiver_name) < successor, like)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def list_orders(session: Session, flt: OrderFilter | None = None, *, limit: int = 50, offset: int = 0,
                after: tuple[datetime, int] | None = None) -> list[Order]:
    """One page of orders, newest first: ``offset`` rows in, or (keyset) the orders after ``after``, the
    (created_at, id) of the last order of the page before — read straight off the index however deep
    the page, where an offset walks every row before it."""
    if limit <= 0 or offset < 0:
        raise ValidationError(N_("limit must be positive and offset zero or more"))
    stmt = (flt or OrderFilter()).apply(select(Order), _dialect(session))
    if after is not None:
        stmt = stmt.where(tuple_(col(Order.created_at), col(Order.id)) < tuple_(*after))
    stmt = stmt.order_by(col(Order.created_at).desc(), col(Order.id).desc()).limit(limit)
    return list(session.exec(stmt.offset(offset) if offset else stmt))


def count_orders(session: Session, flt: OrderFilter | None = None, *, cap: int | None = None) -> int:
    """How many orders match; with ``cap``, counting stops past it (the answer is then ``cap + 1``): a
    screen says "10,000+ rows" at once instead of counting 700,000 shipped orders on every refresh."""
    if cap is None:
        stmt = (flt or OrderFilter()).apply(select(func.count()).select_from(Order), _dialect(session))
        return session.exec(stmt).one()
    matching = (flt or OrderFilter()).apply(select(Order.id), _dialect(session)).limit(cap + 1).subquery()
    return session.exec(select(func.count()).select_from(matching)).one()


def lines_of(session: Session, order_ids: list[int]) -> dict[int, list[OrderLine]]:
    result: dict[int, list[OrderLine]] = {i: [] for i in order_ids}
    if order_ids:
        for line in session.exec(select(OrderLine).where(col(OrderLine.order_id).in_(order_ids))
                                 .order_by(col(OrderLine.id))):
            result[line.order_id].append(line)
    return result


def open_holds_of(session: Session, order_ids: list[int]) -> dict[int, list[Hold]]:
    result: dict[int, list[Hold]] = {i: [] for i in order_ids}
    if order_ids:
        for hold in session.exec(select(Hold).where(col(Hold.order_id).in_(order_ids),
                                                    col(Hold.resolved_at).is_(None)).order_by(col(Hold.id))):
            result[hold.order_id].append(hold)
    return result


def as_dicts(session: Session, orders: list[Order]) -> list[dict]:
    """Orders as plain dicts for `--format json`; lines and open holds fetched in two queries."""
    ids = [o.id for o in orders]
    lines = lines_of(session, ids)
    open_ = open_holds_of(session, ids)
    return [_order_dict(o, lines[o.id], open_[o.id]) for o in orders]


def _order_dict(o, lines, open_holds) -> dict:  # noqa: ANN001 - an Order or an OrderDetailView, their lines and holds
    """One order's `--format json` shape, shared by `oms orders list` and `oms orders show`."""
    return {
        "id": o.id, "platform": o.platform, "platform_order_id": o.platform_order_id, "shop": o.shop,
        "status": o.status, "total_fen": o.total_fen, "paid_fen": o.paid_fen,
        "created_at": o.created_at.isoformat(), "paid_at": o.paid_at.isoformat() if o.paid_at else None,
        "receiver_name": o.receiver_name, "receiver_province": o.receiver_province,
        "receiver_city": o.receiver_city, "waybill": o.waybill, "courier": o.courier,
        "holds": [{"id": h.id, "kind": h.kind, "blocking": h.blocking, "reason": english(h.reason)}
                  for h in open_holds],
        "lines": [{"sku": line.sku_code, "title": line.title, "qty": line.qty, "price_fen": line.price_fen,
                   "locked_qty": line.locked_qty} for line in lines],
    }


@dataclass(frozen=True)
class OrderHit:
    id: int
    platform: str
    platform_order_id: str
    status: str
    receiver_name: str
    exact: bool = False  # named by ``text`` under ``match_reference``, not only a prefix


def find_orders(session: Session, text: str, *, limit: int = 8) -> list[OrderHit]:
    """The orders ``text`` names (``match_reference``: platform order id, waybill or our id), then those
    whose platform order id starts with it (palette jump)."""
    text = text.strip()
    if not text:
        return []
    match = match_reference(session, text, limit=limit)
    exact = match.orders if match else []
    hits = [OrderHit(o.id, o.platform, o.platform_order_id, o.status, o.receiver_name, True) for o in exact]
    if len(hits) < limit:
        stmt = (
            select(Order.id, Order.platform, Order.platform_order_id, Order.status, Order.receiver_name)
            .where(col(Order.platform_order_id).startswith(text, autoescape=True),
                   col(Order.id).not_in([o.id for o in exact]))
            .order_by(col(Order.platform_order_id))
            .limit(limit - len(hits))
        )
        hits += [OrderHit(*row) for row in session.exec(stmt)]
    return hits


# --- a page of the orders table -----------------------------------------------------------------

@dataclass(frozen=True)
class OrderListRow:
    id: int
    platform_order_id: str
    platform: str
    shop: str
    status: str
    receiver_name: str
    receiver_province: str
    receiver_city: str
    total_fen: int
    created_at: datetime
    waybill: str | None
    open_hold_kinds: tuple[str, ...]


def list_order_rows(session: Session, flt: OrderFilter | None = None, *, limit: int = 50,
                    offset: int = 0, after: tuple[datetime, int] | None = None) -> list[OrderListRow]:
    """One page of ``list_orders`` with each order's open hold kinds (the orders screen's table)."""
    page = list_orders(session, flt, limit=limit, offset=offset, after=after)
    open_ = open_holds_of(session, [o.id for o in page])
    return [OrderListRow(o.id, o.platform_order_id, o.platform, o.shop, o.status, o.receiver_name,
                         o.receiver_province, o.receiver_city, o.total_fen, o.created_at, o.waybill,
                         tuple(h.kind for h in open_[o.id]))
            for o in page]


# --- one order in full: what the order screen and `oms orders show` read ------------------------

@dataclass(frozen=True)
class DetailLine:
    id: int
    sku_code: str
    title: str
    qty: int
    price_fen: int
    locked_qty: int
    returned_qty: int


@dataclass(frozen=True)
class DetailHold:
    id: int
    kind: str
    blocking: bool
    reason: str
    opened_at: datetime
    opened_by: str
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    at: datetime
    user: str
    action: str
    detail: str  # the audit row's detail as stored (JSON text, or empty)


@dataclass(frozen=True)
class OrderDetailView:
    """One order as plain values: its fields, warehouse, lines, every hold (open and resolved) and its
    audit history, oldest first."""

    id: int
    platform: str
    platform_order_id: str
    shop: str
    status: str
    platform_status: str
    warehouse_code: str
    created_at: datetime
    paid_at: datetime | None
    buyer_id: str
    receiver_name: str
    receiver_phone: str
    receiver_province: str
    receiver_city: str
    receiver_district: str
    receiver_address: str
    total_fen: int
    paid_fen: int
    discount_fen: int
    post_fee_fen: int
    buyer_remark: str
    seller_memo: str
    courier: str | None
    waybill: str | None
    shipped_at: datetime | None
    locked_at: datetime | None
    lines: tuple[DetailLine, ...]
    holds: tuple[DetailHold, ...]
    history: tuple[HistoryEntry, ...]

    @property
    def open_holds(self) -> list[DetailHold]:
        return [h for h in self.holds if h.is_open]

    def as_dict(self) -> dict:
        """The `--format json` shape of `oms orders show`: the listing's fields, every hold, the history
        (texts in English, for scripts; a history detail is the stored JSON)."""
        return _order_dict(self, self.lines, self.open_holds) | {
            "all_holds": [{"id": h.id, "kind": h.kind, "blocking": h.blocking, "reason": english(h.reason),
                           "opened_at": h.opened_at.isoformat(),
                           "resolved_at": h.resolved_at.isoformat() if h.resolved_at else None,
                           "resolved_by": h.resolved_by,
                           "resolution": english(h.resolution) if h.resolution is not None else None}
                          for h in self.holds],
            "history": [{"at": e.at.isoformat(), "user": e.user, "action": e.action, "detail": e.detail}
                        for e in self.history],
        }


def order_detail(session: Session, order_id: int) -> OrderDetailView:
    """Everything about one order a person reads, in one read (NotFound for an unknown id)."""
    return _detail_of(session, get_order(session, order_id))


def find_order_detail(session: Session, reference: str) -> OrderDetailView:
    """``order_detail`` of the order a platform order id, waybill or our id names (see ``find_by_reference``)."""
    return _detail_of(session, find_by_reference(session, reference))


def _detail_of(session: Session, o: Order) -> OrderDetailView:
    warehouse = session.get(Warehouse, o.warehouse_id) if o.warehouse_id is not None else None
    holds = session.exec(select(Hold).where(Hold.order_id == o.id).order_by(col(Hold.id)))
    return OrderDetailView(
        o.id, o.platform, o.platform_order_id, o.shop, o.status, o.platform_status,
        warehouse.code if warehouse else "", o.created_at, o.paid_at, o.buyer_id, o.receiver_name,
        o.receiver_phone, o.receiver_province, o.receiver_city, o.receiver_district, o.receiver_address,
        o.total_fen, o.paid_fen, o.discount_fen, o.post_fee_fen, o.buyer_remark, o.seller_memo, o.courier,
        o.waybill, o.shipped_at, o.locked_at,
        lines=tuple(DetailLine(line.id, line.sku_code, line.title, line.qty, line.price_fen, line.locked_qty,
                               line.returned_qty) for line in lines_of(session, [o.id])[o.id]),
        holds=tuple(DetailHold(h.id, h.kind, h.blocking, h.reason, h.opened_at, h.opened_by, h.resolved_at,
                               h.resolved_by, h.resolution) for h in holds),
        history=tuple(HistoryEntry(e.id, e.at, e.user, e.action, e.detail)
                      for e in audit.history(session, "order", o.id)),
    )
