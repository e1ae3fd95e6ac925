"""Review rules run on intake: they open the holds that put an order in front of customer service.

Called by ``orders.upsert_order`` for a new order (before its stock is locked) and again when a
platform update changes an order's fields (``changed`` names them). The rules and their defaults
(``config.ReviewConfig``, ``[review]`` in the TOML file):

- ``address_invalid`` — no province, city or detail line; an unmasked detail shorter than
  ``min_address_chars``; a phone that is neither a mainland mobile, a masked number, a landline
  nor platform ciphertext. Masked (``文三路****``) and encrypted details are fine: the platform
  holds the real one.
- ``buyer_remark`` — the buyer wrote something (``remark_check``).
- ``coupon_check`` — the discount is above ``coupon_max_percent`` (30) percent of the price. The
  discount is the larger of the platform's discount and total − paid (platforms disagree on
  whether the total includes postage); the price is the total, else the lines' sum.
- ``duplicate_suspect`` (``duplicate_check``, off by default) — another open order of the same
  customer (``matching.match_basis``: same mobile, same buyer id, same/merged customer record, or
  masked phone + address key) shares a SKU and was created within ``duplicate_window_hours`` (24);
  only on another platform unless ``duplicate_scope = "any"`` (a repeat buyer on one platform is a
  normal customer). The hold goes on both orders; a pair CS already decided is not raised again.
  Off by default because a shop may rather let the wave merge such orders into one parcel.
- ``limit_exceeded`` — for each ``limits`` entry (none by default), the customer's units of that
  SKU in orders not cancelled, created within ``days`` before this one, this one included,
  exceed ``qty``.

Every hold's reason says what was found and what it rests on. On an update only the rules the
changed fields affect run again: receiver fields → address and duplicate; remark → remark;
amounts → coupon. An address or coupon hold is resolved by itself when the update fixes it.
Lines never change on an update, so the limit rule runs on creation only.

The rules read ``config.get_settings().review`` each time; ``configure`` / ``configured`` put
another ReviewConfig in its place (tests, the demo).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from oms_tui.config import ReviewConfig, get_settings
from oms_tui.models import OPEN_STATUSES, Customer, Hold, HoldKind, Order, OrderLine, OrderStatus
from oms_tui.i18n import N_
from oms_tui.money import yuan
from oms_tui.names import PLATFORM_NAMES
from oms_tui.phrases import phrase
from oms_tui.services.customers import matching, normalize, withheld
from oms_tui.services.customers.normalize import PhoneKind
from oms_tui.services.orders import holds, lifecycle
from oms_tui.services.orders.normalized import NormalizedOrder

_RECEIVER_FIELDS = frozenset({"receiver_name", "receiver_phone", "receiver_province", "receiver_city",
                              "receiver_district", "receiver_address"})
_AMOUNT_FIELDS = frozenset({"total_fen", "paid_fen", "discount_fen", "post_fee_fen"})

_override: ReviewConfig | None = None


def current_config() -> ReviewConfig:
    """The ReviewConfig in force: the one ``configure`` set, else the settings'."""
    return _override if _override is not None else get_settings().review


def configure(config: ReviewConfig | None) -> None:
    """Use ``config`` instead of the settings' until called again with None."""
    global _override
    _override = config


@contextmanager
def configured(config: ReviewConfig | None = None, **changes: Any) -> Iterator[ReviewConfig]:
    """Within the block the rules use ``config`` (default: the current one) with ``changes`` applied."""
    previous = _override
    base = config if config is not None else current_config()
    configure(ReviewConfig.model_validate(base.model_dump() | changes))  # the changes are validated too
    try:
        yield current_config()
    finally:
        configure(previous)


# --- the checks, as plain functions (the review screen's address form uses the same one) -----------

_PUNCTUATION = re.compile(r"[\s,，.。#\-、;；:：/()（）]")


def address_problems(*, province: str, city: str, address: str, phone: str, min_chars: int = 4,
                     phone_withheld: bool = False) -> list[str]:
    """What is wrong with a receiver's address and phone, each a stored phrase; empty when it can be shipped to. A phone the
    platform withholds (``phone_withheld``: only its ciphertext came) is fine: the platform delivers to it."""
    problems = []
    if not (province or "").strip():
        problems.append(phrase(N_("no province")))
    if not (city or "").strip():
        problems.append(phrase(N_("no city")))
    detail = _PUNCTUATION.sub("", address or "")
    if not detail:
        problems.append(phrase(N_("no detail address")))
    elif not normalize.looks_encrypted(detail) and "*" not in detail and len(detail) < min_chars:
        problems.append(phrase(N_("detail address too short ({detail!r}, under {min} characters)"), detail=detail,
                               min=min_chars))
    info = normalize.classify_phone(phone)
    if info.kind == PhoneKind.MISSING and not phone_withheld:
        problems.append(phrase(N_("no phone")))
    elif info.kind == PhoneKind.INVALID:
        problems.append(phrase(N_("phone {phone!r} is neither a mobile, a masked number nor a landline"),
                               phone=phone.strip()))
    return problems


def discount_finding(*, total_fen: int, paid_fen: int, discount_fen: int, lines_fen: int,
                     max_percent: int) -> str | None:
    """The coupon finding, or None when the discount is within ``max_percent`` of the price."""
    price = total_fen or lines_fen
    discount = max(discount_fen, total_fen - paid_fen, 0)
    if price <= 0 or discount * 100 <= price * max_percent:
        return None
    return phrase(N_("discount {discount} is {percent}% of the price {price}, over {max}% (total {total}, "
                     "paid {paid}, discount {listed})"), discount=yuan(discount), percent=discount * 100 // price,
                  price=yuan(price), max=max_percent, total=yuan(total_fen), paid=yuan(paid_fen),
                  listed=yuan(discount_fen))


def _gap(a: datetime, b: datetime) -> str:
    minutes = int(abs((a - b).total_seconds()) // 60)
    return (phrase(N_("{minutes} min"), minutes=minutes) if minutes < 120
            else phrase(N_("{hours} h {minutes} min"), hours=minutes // 60, minutes=minutes % 60))


# --- the hook ------------------------------------------------------------------------------------

def on_intake(session: Session, order: Order, data: NormalizedOrder, *, created: bool, changed: list[str],
              user: str) -> None:
    """Open the review holds this order needs (see the module docstring for the rules)."""
    if order.status not in OPEN_STATUSES:
        return  # shipped or cancelled: nothing left for CS to stop
    config = current_config()
    fields = set(changed)
    receiver = created or bool(fields & _RECEIVER_FIELDS)
    if config.address_check and receiver:
        _check_address(session, order, config, user=user, created=created)
    if config.remark_check and (created or "buyer_remark" in fields):
        _check_remark(session, order, user=user)
    if config.coupon_max_percent is not None and (created or fields & _AMOUNT_FIELDS):
        _check_coupon(session, order, data, config.coupon_max_percent, user=user, created=created)
    if config.duplicate_check and receiver:
        check_duplicates(session, order, config, user=user)
    if created and config.limits:
        _check_limits(session, order, data, config, user=user)


def address_finding(order: Any, config: ReviewConfig) -> str | None:
    """The ``address_invalid`` reason for this receiver (an Order or a NormalizedOrder), or None when fine."""
    problems = address_problems(province=order.receiver_province, city=order.receiver_city,
                                address=order.receiver_address, phone=order.receiver_phone,
                                min_chars=config.min_address_chars,
                                phone_withheld=withheld.phone_withheld(order.receiver_opaque))
    if not problems:
        return None
    shown = " ".join(p for p in (order.receiver_province, order.receiver_city, order.receiver_district,
                                 order.receiver_address) if p) or "—"
    return phrase(N_("{problems} (address: {address}; phone: {phone})"), problems=problems, address=shown,
                  phone=order.receiver_phone or "—")


def coupon_finding(order: Any, data: NormalizedOrder, max_percent: int) -> str | None:
    lines_fen = sum(line.qty * line.price_fen for line in data.lines)
    return discount_finding(total_fen=order.total_fen, paid_fen=order.paid_fen, discount_fen=order.discount_fen,
                            lines_fen=lines_fen, max_percent=max_percent)


def new_order_findings(data: NormalizedOrder, config: ReviewConfig | None = None) -> list[tuple[HoldKind, str]]:
    """The holds ``on_intake`` opens on a new order from its own fields (address, remark, coupon), in the
    order it opens them — what a batch intake writes without a query. The duplicate and limit rules read
    other orders: ``duplicate_suspects`` and ``finish_new_order``."""
    config = config or current_config()
    found: list[tuple[HoldKind, str]] = []
    if config.address_check:
        finding = address_finding(data, config)
        if finding:
            found.append((HoldKind.ADDRESS_INVALID, finding))
    if config.remark_check and (data.buyer_remark or "").strip():
        found.append((HoldKind.BUYER_REMARK, remark_reason(data.buyer_remark.strip())))
    if config.coupon_max_percent is not None:
        finding = coupon_finding(data, data, config.coupon_max_percent)
        if finding:
            found.append((HoldKind.COUPON_CHECK, finding))
    return found


def _check_address(session: Session, order: Order, config: ReviewConfig, *, user: str, created: bool) -> None:
    finding = address_finding(order, config)
    if finding:
        holds.open_hold(session, order, HoldKind.ADDRESS_INVALID, user=user, reason=finding)
    elif not created:
        holds.resolve_open(session, order, HoldKind.ADDRESS_INVALID, user=user,
                           resolution=phrase(N_("receiver corrected on the platform")))


def _check_remark(session: Session, order: Order, *, user: str) -> None:
    remark = (order.buyer_remark or "").strip()
    if not remark:
        return
    reason = remark_reason(remark)
    hold = holds.open_hold(session, order, HoldKind.BUYER_REMARK, user=user, reason=reason)
    if hold.reason != reason:  # the buyer changed what they wrote: show the new text
        hold.reason = reason
        session.add(hold)


def remark_reason(remark: str) -> str:
    """A ``buyer_remark`` hold's reason: the buyer's words as they wrote them."""
    return phrase(N_("buyer remark: {remark}"), remark=remark)


def _check_coupon(session: Session, order: Order, data: NormalizedOrder, max_percent: int, *, user: str,
                  created: bool) -> None:
    finding = coupon_finding(order, data, max_percent)
    if finding:
        holds.open_hold(session, order, HoldKind.COUPON_CHECK, user=user, reason=finding)
    elif not created:
        holds.resolve_open(session, order, HoldKind.COUPON_CHECK, user=user,
                           resolution=phrase(N_("discount back within the limit after a platform update")))


# --- duplicates ------------------------------------------------------------------------------------

_PARTNER_REF = re.compile(r"\(order #(\d+)\)")


def partner_ids(reason: str) -> list[int]:
    """The orders a duplicate hold's reason names (each as ``(order #N)``)."""
    return [int(n) for n in _PARTNER_REF.findall(reason or "")]


def open_duplicate_hold(session: Session, order_id: int) -> Hold | None:
    return session.exec(select(Hold).where(Hold.order_id == order_id, Hold.kind == HoldKind.DUPLICATE_SUSPECT,
                                           col(Hold.resolved_at).is_(None))).first()


def duplicate_partners(session: Session, order: Order) -> list[Order]:
    """Open orders suspected to duplicate ``order``: named in its open duplicate hold, or naming it."""
    ids: set[int] = set()
    mine = open_duplicate_hold(session, order.id)
    if mine is not None:
        ids.update(partner_ids(mine.reason))
    marker = f"(order #{order.id})"
    for hold in session.exec(select(Hold).where(Hold.kind == HoldKind.DUPLICATE_SUSPECT,
                                                col(Hold.resolved_at).is_(None),
                                                col(Hold.reason).contains(marker, autoescape=True))):
        if order.id in partner_ids(hold.reason):
            ids.add(hold.order_id)
    ids.discard(order.id)
    if not ids:
        return []
    found = session.exec(select(Order).where(col(Order.id).in_(sorted(ids)), Order.status != OrderStatus.CANCELLED)
                         .order_by(col(Order.id)))
    return [o for o in found if open_duplicate_hold(session, o.id) is not None]


def _sku_codes(session: Session, order_ids: list[int]) -> dict[int, set[str]]:
    codes: dict[int, set[str]] = {i: set() for i in order_ids}
    if order_ids:
        for order_id, code in session.exec(select(OrderLine.order_id, OrderLine.sku_code)
                                           .where(col(OrderLine.order_id).in_(order_ids))):
            codes[order_id].add(code)
    return codes


def _decided(session: Session, order: Order, other: Order) -> bool:
    """CS already settled this pair: a resolved duplicate hold on either names the other."""
    for a, b in ((order, other), (other, order)):
        rows = session.exec(select(Hold.reason).where(
            Hold.order_id == a.id, Hold.kind == HoldKind.DUPLICATE_SUSPECT, col(Hold.resolved_at).is_not(None)))
        if any(b.id in partner_ids(reason) for reason in rows):
            return True
    return False


def _describe(order: Order) -> str:
    # "(order #N)" stays literal in the stored text: partner_ids and duplicate_partners search for it.
    return phrase(N_("{platform} {order} {ref}"), platform=PLATFORM_NAMES.get(order.platform, order.platform),
                  order=order.platform_order_id, ref=f"(order #{order.id})", translated=("platform",))


def _flag_duplicate(session: Session, order: Order, reason: str, other: Order, *, user: str) -> Hold:
    hold = holds.open_hold(session, order, HoldKind.DUPLICATE_SUSPECT, user=user, reason=reason)
    if other.id not in partner_ids(hold.reason):  # already open for another order: name this one too
        hold.reason = phrase(N_("{earlier}; also {order}"), earlier=hold.reason, order=_describe(other))
        session.add(hold)
    return hold


def check_duplicates(session: Session, order: Order, config: ReviewConfig | None = None, *,
                     user: str) -> list[tuple[Order, matching.MatchBasis]]:
    """Open ``duplicate_suspect`` on ``order`` and on every open order that looks like its duplicate."""
  # orders imports this module

    config = config or current_config()
    if not config.duplicate_check or order.status not in OPEN_STATUSES:
        return []
    codes = _sku_codes(session, [order.id])[order.id]
    if not codes:
        return []
    window = timedelta(hours=config.duplicate_window_hours)
    created = order.created_at
    found = matching.related_orders(
        session, order, since=created - window, until=created + window, statuses=OPEN_STATUSES, sku_codes=codes,
        other_platforms_only=config.duplicate_scope == "cross_platform")
    other_codes = _sku_codes(session, [o.id for o, _basis in found])
    flagged = []
    for other, basis in found:
        # Its row first, as every status change takes it: it may have shipped since the search read it.
        if lifecycle.lock_for_change(session, other) not in OPEN_STATUSES or _decided(session, order, other):
            continue
        shared = ", ".join(sorted(codes & other_codes[other.id]))
        gap = _gap(order.created_at, other.created_at)
        for this, that in ((order, other), (other, order)):
            _flag_duplicate(session, this, phrase(
                N_("possible duplicate of {order}: {basis}; shared SKU {skus}; created {gap} apart"),
                order=_describe(that), basis=basis.text, skus=shared, gap=gap), that, user=user)
        if other.status in (OrderStatus.PICKING, OrderStatus.PACKED):
            # Already on the floor: stop it until CS decides (as a receiver change does).
            lifecycle.transition(session, other, OrderStatus.REVIEW, user=user,
                                 reason=phrase(N_("duplicate suspected")))
        else:
            lifecycle.settle_status(session, other, user=user)
        flagged.append((other, basis))
    return flagged


def duplicate_suspects(session: Session, news: Sequence[Any], config: ReviewConfig | None = None) -> set[int]:
    """Which of a batch's new orders (not yet written; each with ``customer_id``, ``created_at`` and ``codes``,
    its lines' SKU codes, besides the receiver fields) the duplicate rule may flag: each has an open order of
    the same customer, in the database or earlier in the batch, sharing a SKU within the window. A few
    queries for the whole batch, through the same indexes ``matching.related_orders`` reads; the orders found
    then go through ``check_duplicates`` itself (``finish_new_order``), which writes what it finds."""
    config = config or current_config()
    if not config.duplicate_check or not news:
        return set()
    window = timedelta(hours=config.duplicate_window_hours)
    cross = config.duplicate_scope == "cross_platform"
    identities = [matching.order_identity(n) for n in news]
    # Each customer's group: the customer and every one merged into it, directly or through others.
    children: dict[int, set[int]] = {}
    frontier = {n.customer_id for n in news if n.customer_id}
    seen = set(frontier)
    while frontier:
        found = session.exec(select(Customer.id, Customer.merged_into_id)
                             .where(col(Customer.merged_into_id).in_(sorted(frontier)))).all()
        frontier = set()
        for cid, into in found:
            children.setdefault(into, set()).add(cid)
            if cid not in seen:
                seen.add(cid)
                frontier.add(cid)

    def group(cid: int | None) -> set[int]:
        out, todo = set(), [cid] if cid else []
        while todo:
            c = todo.pop()
            if c not in out:
                out.add(c)
                todo.extend(children.get(c, ()))
        return out

    keys = sorted({i.address_key for i in identities if matching.address_usable(i.address_key)})
    at_address_id: dict[tuple[str, str], set[int]] = {}
    for platform in sorted({n.platform for n, i in zip(news, identities) if i.address_id}):
        wanted = sorted({i.address_id for n, i in zip(news, identities) if i.address_id and n.platform == platform})
        for cid, address_id in session.exec(select(Order.customer_id, Order.receiver_address_id).where(
                Order.platform == platform, col(Order.receiver_address_id).in_(wanted))):
            if cid is not None:
                at_address_id.setdefault((platform, address_id), set()).add(cid)
    groups = [group(n.customer_id) for n in news]
    wanted_ids = []
    for n, i, g in zip(news, identities, groups):
        ids = set(g)
        if i.address_id:
            ids |= at_address_id.get((n.platform, i.address_id), set())
        wanted_ids.append(ids)
    every = sorted(set().union(*wanted_ids))
    # The customers at the batch's address keys are read in the same query (a subquery, through
    # customer(address_key)): at a busy address they are thousands, too many to pass as parameters.
    whose = [col(Order.customer_id).in_(every)] if every else []
    if keys:
        whose.append(col(Order.customer_id).in_(select(Customer.id).where(col(Customer.address_key).in_(keys))))
    existing: list[Order] = []
    key_of: dict[int, str] = {}
    if whose:
        since = min(n.created_at for n in news) - window
        until = max(n.created_at for n in news) + window
        stmt = select(Order, Customer.address_key).join(Customer, col(Customer.id) == col(Order.customer_id)).where(
            or_(*whose), *matching.window_terms(session, since, until, OPEN_STATUSES),
            # Only orders sharing a SKU with the batch (as related_orders asks per order): the customers at a
            # busy address have many orders, and reading them all would grow with the table.
            select(OrderLine.id).where(OrderLine.order_id == Order.id,
                                       col(OrderLine.sku_code).in_(sorted(set().union(*(n.codes for n in news)))))
            .exists())
        platforms = {n.platform for n in news}
        if cross and len(platforms) == 1:  # the usual batch: one shop's orders, compared with other platforms'
            stmt = stmt.where(Order.platform != next(iter(platforms)))
        for order, address_key in session.exec(stmt):
            existing.append(order)
            key_of[order.id] = address_key
    codes = _sku_codes(session, [o.id for o in existing])
    candidates = [(o, matching.order_identity(o), codes[o.id]) for o in existing]
    suspects = set()
    for j, (n, mine, group_j, ids) in enumerate(zip(news, identities, groups, wanted_ids)):
        earlier = [(news[i], identities[i], news[i].codes) for i in range(j)
                   if news[i].customer_id in ids
                   or (identities[i].address_key == mine.address_key and matching.address_usable(mine.address_key))
                   or (mine.address_id and news[i].platform == n.platform
                                                     and identities[i].address_id == mine.address_id)]
        pool = [(o, t, c) for o, t, c in candidates
                if o.customer_id in ids or (key_of.get(o.id) == mine.address_key
                                            and matching.address_usable(mine.address_key))] + earlier
        for other, theirs, their_codes in pool:
            if (not cross or other.platform != n.platform) and abs(other.created_at - n.created_at) <= window \
                    and n.codes & their_codes \
                    and matching.match_basis(mine, theirs, same_customer=other.customer_id in group_j) is not None:
                suspects.add(j)
                break
    return suspects


def finish_new_order(session: Session, order: Order, *, user: str, suspect: bool) -> None:
    """The rules of ``on_intake`` for a new order that read other orders, for an order a batch wrote:
    the duplicate check (when ``duplicate_suspects`` named it) and the purchase limits."""
    config = current_config()
    if order.status not in OPEN_STATUSES:
        return
    if suspect and config.duplicate_check:
        check_duplicates(session, order, config, user=user)
    if config.limits:
        _check_limits(session, order, None, config, user=user)


# --- purchase limits -------------------------------------------------------------------------------

def _check_limits(session: Session, order: Order, data: NormalizedOrder | None, config: ReviewConfig, *,
                  user: str) -> None:
    # Our SKUs as the order's lines hold them: a bundle (组合装) counts as its components, as earlier orders do.
    mine: dict[str, int] = {}
    for code, qty in session.exec(select(OrderLine.sku_code, OrderLine.qty).where(OrderLine.order_id == order.id)):
        mine[code] = mine.get(code, 0) + qty
    findings = []
    for limit in config.limits:
        qty = mine.get(limit.sku)
        if not qty:
            continue
        created = order.created_at
        since = created - timedelta(days=limit.days)
        statuses = [s for s in OrderStatus if s != OrderStatus.CANCELLED]
        earlier = matching.related_orders(session, order, since=since, until=created, statuses=statuses,
                                           sku_codes={limit.sku})
        if not earlier:
            if qty > limit.qty:
                findings.append(phrase(N_("{sku}: {qty} in this order, limit {allowed} per {days} days"),
                                       sku=limit.sku, qty=qty, allowed=limit.qty, days=limit.days))
            continue
        ids = [o.id for o, _basis in earlier]
        units = dict(session.exec(
            select(OrderLine.order_id, func.sum(OrderLine.qty))
            .where(col(OrderLine.order_id).in_(ids), OrderLine.sku_code == limit.sku)
            .group_by(OrderLine.order_id)).all())
        total = qty + sum(int(u) for u in units.values())
        if total > limit.qty:
            refs = [phrase(N_("{platform} {order} ×{qty}"), platform=PLATFORM_NAMES.get(o.platform, o.platform),
                           order=o.platform_order_id, qty=units.get(o.id, 0), translated=("platform",))
                    for o, _b in earlier]
            bases = sorted({b.text for _o, b in earlier})
            findings.append(phrase(N_("{sku}: {total} in {days} days, limit {allowed} (this order ×{qty} + {refs}; "
                                      "same customer by {bases})"), sku=limit.sku, total=total, days=limit.days,
                                   allowed=limit.qty, qty=qty, refs=refs, bases=bases))
    if findings:
        holds.open_hold(session, order, HoldKind.LIMIT_EXCEEDED, user=user,
                        reason=phrase(N_("over the purchase limit: {findings}"), findings=findings))
