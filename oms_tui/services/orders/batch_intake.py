"""A sync batch's new paid orders taken in as a set: what ``upsert_order`` does to each, in a few statements.

Per batch, not per order: the lines resolved from one prefetch of the SKU mapping, the customers found
or created in one multi-row INSERT (``identity.identify_many``), the review rules that read only the
order itself run in memory (``intake_rules.new_order_findings``), the duplicate rule screens the batch
against its indexed candidates in a few queries (``intake_rules.duplicate_suspects``), and the stock is
planned on the SKUs' rows, taken in the global SKU order (``ledger.read_levels``). Then the orders, their
lines and holds go in with multi-row INSERTs, each SKU is locked with one guarded UPDATE for the batch
(``ledger.lock_many``; a ledger row per line still), and the audit rows ``upsert_order`` writes follow in
one INSERT.

An order the set cannot finish alone is finished by itself afterwards, through the same functions the
per-order path uses: one whose stock the plan found short (``allocation.lock_order``: all or none, the
``stock_short`` hold, a VIP's reservation), one the duplicate screen names, and every order while
purchase limits are configured (``intake_rules.finish_new_order``); then ``settle_status``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from oms_tui.errors import OmsError
from oms_tui.i18n import N_
from oms_tui.limits import MAX_QUANTITY
from oms_tui.models import Hold, HoldKind, Order, OrderLine, OrderStatus, Warehouse, utcnow
from oms_tui.services.catalogue.sku_mapping import Resolver
from oms_tui.services.core import audit
from oms_tui.services.customers import identity
from oms_tui.services.orders import allocation, holds, lifecycle
from oms_tui.services.orders import intake_rules as review_rules
from oms_tui.services.orders import lines as order_lines
from oms_tui.services.orders.normalized import NormalizedOrder
from oms_tui.services.stock import ledger


class BatchRefused(OmsError):
    """The set could not be written as planned (an order another worker inserted meanwhile, a stock row
    that refused): the caller undoes it and takes the batch in order by order."""


@dataclass
class NewOrder:
    """One new order of the batch on its way in (``order_identity`` reads its receiver through ``data``)."""

    data: NormalizedOrder
    rows: list[dict]
    unresolved: list
    customer_id: int | None = None
    holds: list[tuple[HoldKind, str]] = field(default_factory=list)
    lock_lines: list[dict] = field(default_factory=list)
    locked: bool = False
    finish_alone: bool = False
    status: OrderStatus = OrderStatus.NEW
    order_id: int | None = None

    def __getattr__(self, name: str) -> Any:  # platform, receiver_*, buyer_id, created_at … of the order
        return getattr(self.__dict__["data"], name)

    @property
    def codes(self) -> set[str]:
        return {row["sku_code"] for row in self.rows}

    @property
    def sku_ids(self) -> list[int]:
        return [row["sku_id"] for row in self.rows if row["sku_id"] is not None]


_ORDER_FIELDS_EXCLUDED = {"lines", "state", "platform_block", "shipped_lines"}
_ORDER_DEFAULTS = dict(shipped_at=None, courier=None, waybill=None, wave_id=None, parcel_id=None, no_merge=False)


def _insert(session: Any, table: Any):  # noqa: ANN202
    return (postgresql.insert(table) if session.get_bind().dialect.name == "postgresql" else sqlite.insert(table))


def create_orders(session: Any, records: list[NormalizedOrder], *, warehouse: Warehouse, user: str,
                  resolver: Resolver) -> list[NewOrder]:
    """Create these new paid orders (none of them stored yet, each once) as ``upsert_order`` would; the
    orders written, in ``records`` order. ``BatchRefused`` when the set cannot be written as planned."""
    config = review_rules.current_config()
    news = []
    for data in records:
        rows, unresolved = order_lines.line_rows(data.shop, data.lines, resolver)
        news.append(NewOrder(data, rows, unresolved))
    customer_ids = identity.identify_many(session, [identity.Buyer(
        d.platform, d.buyer_id, d.receiver_name, d.receiver_phone, d.receiver_province, d.receiver_city,
        d.receiver_district, d.receiver_address) for d in records])
    for new, customer_id in zip(news, customer_ids):
        new.customer_id = customer_id
    suspects = review_rules.duplicate_suspects(session, news, config)
    # The holds in the order upsert_order opens them: unmapped lines, the platform's block, the review rules.
    for new in news:
        if new.unresolved:
            new.holds.append((HoldKind.SKU_UNMAPPED, order_lines.unmapped_reason(new.unresolved)))
        if new.data.platform_block:
            new.holds.append((HoldKind.PLATFORM_BLOCKED, new.data.platform_block))
        new.holds.extend(review_rules.new_order_findings(new.data, config))
    _plan_locks(session, news, warehouse.id)
    for index, new in enumerate(news):
        new.finish_alone = not new.locked or index in suspects or bool(config.limits)
        if not new.finish_alone:
            kinds = {kind for kind, _reason in new.holds if kind not in holds.NON_BLOCKING_KINDS}
            new.status = lifecycle.settled_target(kinds, lambda: True)
    now = utcnow()
    _write(session, news, warehouse=warehouse, user=user, now=now)
    for index, new in enumerate(news):
        if new.finish_alone:
            order = session.get(Order, new.order_id)
            review_rules.finish_new_order(session, order, user=user, suspect=index in suspects)
            if not new.locked:
                allocation.lock_order(session, order, user=user)
            lifecycle.settle_status(session, order, user=user)
    return news


def _plan_locks(session: Any, news: list[NewOrder], warehouse_id: int) -> None:
    """Which orders the stock can lock whole, taken in batch order as one by one would: an order short of
    any line locks nothing (it is finished alone, where ``lock_order`` opens its hold or draws on VIP quota)."""
    levels = ledger.read_levels(session, warehouse_id, {s for new in news for s in new.sku_ids})
    available = {sku: on_hand - locked - reserved for sku, (on_hand, locked, reserved) in levels.items()}
    room = {sku: MAX_QUANTITY - locked for sku, (_on_hand, locked, _reserved) in levels.items()}
    for new in news:
        # One global order of the stock rows, as lock_order takes them.
        new.lock_lines = sorted((row for row in new.rows if row["sku_id"] is not None), key=lambda r: r["sku_id"])
        wanted: dict[int, int] = {}
        for row in new.lock_lines:
            wanted[row["sku_id"]] = wanted.get(row["sku_id"], 0) + row["qty"]
        if all(sku in levels and available[sku] >= qty and room[sku] >= qty for sku, qty in wanted.items()):
            for sku, qty in wanted.items():
                available[sku] -= qty
                room[sku] -= qty
            for row in new.lock_lines:
                row["locked_qty"] = row["qty"]
            new.locked = True


def _write(session: Any, news: list[NewOrder], *, warehouse: Warehouse, user: str, now: Any) -> None:
    order_table = Order.__table__
    rows = []
    for new in news:
        row = new.data.model_dump(exclude=_ORDER_FIELDS_EXCLUDED)
        row.update(_ORDER_DEFAULTS, status=str(new.status), customer_id=new.customer_id, warehouse_id=warehouse.id,
                   ingested_at=now, updated_at=now, locked_at=now if new.locked else None)
        rows.append(row)
    stmt = (_insert(session, order_table).on_conflict_do_nothing(index_elements=["platform", "platform_order_id"])
            .returning(order_table.c.id, order_table.c.platform, order_table.c.platform_order_id))
    ids = {(platform, ref): order_id for order_id, platform, ref in session.execute(stmt, rows)}
    if len(ids) != len(news):  # another worker took one in meanwhile: one by one, each updates theirs
        raise BatchRefused(N_("an order of the batch was taken in meanwhile"))
    for new in news:
        new.order_id = ids[(new.data.platform, new.data.platform_order_id)]
    session.execute(OrderLine.__table__.insert(), [
        dict(row, order_id=new.order_id, locked_qty=row.get("locked_qty", 0), returned_qty=0)
        for new in news for row in new.rows])
    moves = [(row["sku_id"], row["qty"], new.order_id) for new in news if new.locked for row in new.lock_lines]
    if not ledger.lock_many(session, warehouse.id, moves, user=user, reason=allocation.ORDER_ACCEPTED):
        raise BatchRefused(N_("a stock row refused the batch's lock"))
    hold_rows = [dict(order_id=new.order_id, kind=str(kind), blocking=kind not in holds.NON_BLOCKING_KINDS,
                      reason=reason[:500], opened_at=now, opened_by=user, resolved_at=None, resolved_by=None,
                      resolution=None) for new in news for kind, reason in new.holds]
    hold_ids: dict[tuple[int, str], int] = {}
    if hold_rows:  # one kind is open once per order: (order, kind) names the row that came back
        c = Hold.__table__.c
        hold_ids = {(order_id, kind): hold_id for hold_id, order_id, kind in session.execute(
            Hold.__table__.insert().returning(c.id, c.order_id, c.kind), hold_rows)}
    events = []
    for new in news:
        data = new.data
        events.append(audit.row(user, "order.create", "order", new.order_id, at=now, platform=data.platform,
                                platform_order_id=data.platform_order_id, lines=len(data.lines),
                                total_fen=data.total_fen, status=str(OrderStatus.NEW)))
        for kind, reason in new.holds:
            events.append(audit.row(user, "hold.open", "order", new.order_id, at=now, kind=str(kind), reason=reason,
                                    hold=hold_ids[(new.order_id, str(kind))]))
        if new.locked and new.lock_lines:
            events.append(audit.row(user, "order.lock", "order", new.order_id, at=now,
                                    lines={row["sku_code"]: row["qty"] for row in new.lock_lines}))
        if new.status != OrderStatus.NEW:
            events.append(audit.row(user, "order.status", "order", new.order_id, at=now,
                                    **{"from": str(OrderStatus.NEW), "to": str(new.status)},
                                    reason=lifecycle.SETTLED))
    audit.record_many(session, events)
