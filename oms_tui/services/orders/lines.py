"""An order's lines from the platform's lines: each resolved to our SKUs through the SKU mapping
(``catalogue.sku_mapping``), a bundle (组合装) expanded into one line per component.

A platform line of 2 × "3-towel set" (mapped to 3 × TW-001) becomes an order line of 6 × TW-001 that
remembers the platform's item and SKU ids and the 2 units it sold; stock locks, the pick list and the
pack station then work on the components like on any other line. The platform's price is shared out
over the components by our list prices (all-zero list prices: by units), each component's unit price
rounded down to the fen.

A line nobody can resolve keeps the platform's code with no SKU, and the order a ``sku_unmapped`` hold
naming it, until CS maps the platform SKU (``orders.unmapped``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from oms_tui.i18n import N_
from oms_tui.models import HoldKind, Order, OrderLine
from oms_tui.phrases import phrase
from oms_tui.services.catalogue.sku_mapping import Resolution, Resolver
from oms_tui.services.orders import holds
from oms_tui.services.orders.normalized import NormalizedLine


@dataclass(frozen=True)
class Unresolved:
    """A platform line no mapping and no SKU code of ours matches."""

    platform_item_id: str
    platform_sku_id: str
    code: str
    title: str

    def describe(self) -> str:
        ids = " / ".join(p for p in (f"item {self.platform_item_id}" if self.platform_item_id else "",
                                     f"SKU {self.platform_sku_id}" if self.platform_sku_id else "") if p)
        return f"{self.code} ({ids})" if ids else self.code


def component_lines(resolution: Resolution, *, units: int, price_fen: int) -> list[tuple[int, str, int, int]]:
    """(sku_id, code, qty, unit price) for each part of ``resolution``, for ``units`` platform units sold at
    ``price_fen`` each."""
    parts = resolution.parts
    weights = [max(p.price_fen, 0) * p.qty for p in parts]
    if sum(weights) <= 0:
        weights = [p.qty for p in parts]
    total_weight = sum(weights)
    out = []
    for part, weight in zip(parts, weights, strict=True):
        share = price_fen * weight // total_weight  # of one platform unit's price
        out.append((part.sku_id, part.code, units * part.qty, share // part.qty))
    return out


def line_rows(shop: str, lines: Sequence[NormalizedLine], resolver: Resolver) -> tuple[list[dict], list[Unresolved]]:
    """The order line rows (without ``order_id``) for the platform's lines, resolved and expanded, and the
    platform lines left unresolved (their rows keep the platform's code and no SKU)."""
    rows: list[dict] = []
    unresolved: list[Unresolved] = []
    for line in lines:
        resolution = resolver.resolve(shop, line.platform_item_id, line.platform_sku_id, line.sku_code)
        common = dict(title=line.title, platform_item_id=line.platform_item_id[:64],
                      platform_sku_id=line.platform_sku_id[:64], platform_qty=line.qty)
        if resolution is None:
            unresolved.append(Unresolved(line.platform_item_id, line.platform_sku_id, line.sku_code, line.title))
            rows.append(dict(sku_id=None, sku_code=line.sku_code[:64], qty=line.qty, price_fen=line.price_fen,
                             **common))
            continue
        for sku_id, code, qty, price in component_lines(resolution, units=line.qty, price_fen=line.price_fen):
            rows.append(dict(sku_id=sku_id, sku_code=code, qty=qty, price_fen=price, **common))
    return rows, unresolved


def add_lines(session: Session, order: Order, lines: Sequence[NormalizedLine], *,
              resolver: Resolver | None = None) -> list[Unresolved]:
    """Write the order's lines, resolved and expanded; returns the platform lines left unresolved."""
    rows, unresolved = line_rows(order.shop, lines, resolver or Resolver(session))
    for row in rows:
        session.add(OrderLine(order_id=order.id, **row))
    session.flush()
    return unresolved


def unresolved_lines(session: Session, order_id: int) -> list[OrderLine]:
    return list(session.exec(select(OrderLine).where(OrderLine.order_id == order_id, col(OrderLine.sku_id).is_(None))
                             .order_by(col(OrderLine.id))))


def resolve_lines(session: Session, order: Order, *, resolver: Resolver | None = None) -> int:
    """Resolve the order's unresolved lines with today's mappings, expanding bundles; returns how many
    platform lines were resolved."""
    resolver = resolver or Resolver(session)
    resolved = 0
    for line in unresolved_lines(session, order.id):
        resolution = resolver.resolve(order.shop, line.platform_item_id, line.platform_sku_id, line.sku_code)
        if resolution is None:
            continue
        units = line.platform_qty or line.qty
        parts = component_lines(resolution, units=units, price_fen=line.price_fen)
        first, rest = parts[0], parts[1:]
        line.sku_id, line.sku_code, line.qty, line.price_fen = first
        line.platform_qty = units
        session.add(line)
        for sku_id, code, qty, price in rest:
            session.add(OrderLine(order_id=order.id, sku_id=sku_id, sku_code=code, qty=qty, price_fen=price,
                                  title=line.title, platform_item_id=line.platform_item_id,
                                  platform_sku_id=line.platform_sku_id, platform_qty=units))
        resolved += 1
    session.flush()
    return resolved


def unmapped_reason(items: Sequence[Unresolved]) -> str:
    """The ``sku_unmapped`` hold's reason, stored as a phrase (read in the reader's language)."""
    return phrase(N_("no SKU of ours for {lines}: map it on the SKU mapping screen"),
                  lines="; ".join(sorted({i.describe() for i in items})))


def hold_unresolved(session: Session, order: Order, items: Sequence[Unresolved], *, user: str) -> None:
    """Open (or bring up to date) the order's ``sku_unmapped`` hold for these platform lines."""
    reason = unmapped_reason(items)
    hold = holds.open_hold(session, order, HoldKind.SKU_UNMAPPED, user=user, reason=reason)
    if hold.reason != reason[:500]:
        hold.reason = reason[:500]
        session.add(hold)


def still_unresolved(session: Session, order: Order) -> list[Unresolved]:
    return [Unresolved(line.platform_item_id, line.platform_sku_id, line.sku_code, line.title)
            for line in unresolved_lines(session, order.id)]
