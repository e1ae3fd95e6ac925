"""The portal's question box: common questions (发货了吗, 到哪了, 怎么退货, 能改地址吗) answered by rules from
the buyer's own orders and the shop's policy texts (``[portal]``) — no model. A question no rule knows is
answered so, with the way to customer service.

Answers are lists of phrases (oms_tui/phrases.py) or the shop's free policy text, rendered in the page's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from oms_tui.config import PortalConfig
from oms_tui.i18n import N_
from oms_tui.models import OrderStatus
from oms_tui.names import BUYER_STATUS_NAMES, PLATFORM_NAMES, TRACK_STATE_NAMES
from oms_tui.phrases import phrase
from oms_tui.services.portal.orders import BuyerOrder


class Topic(StrEnum):
    SHIPPED = "shipped"
    WHERE = "where"
    RETURN = "return"
    ADDRESS = "address"
    UNKNOWN = "unknown"


# Tried in this order: "发货前能改地址吗" is about the address, "退货的快递到哪了" about a return.
KEYWORDS: tuple[tuple[Topic, tuple[str, ...]], ...] = (
    (Topic.ADDRESS, ("改地址", "修改地址", "换地址", "地址", "收货人", "改电话", "change address", "address")),
    (Topic.RETURN, ("退货", "退款", "退换", "换货", "售后", "return", "refund")),
    (Topic.WHERE, ("到哪", "在哪", "物流", "快递", "轨迹", "几天到", "什么时候到", "到了吗", "where", "track")),
    (Topic.SHIPPED, ("发货", "发了", "寄出", "出库", "ship", "sent")),
)
NOT_SHIPPED = (OrderStatus.CANCELLED, OrderStatus.SHIPPED, OrderStatus.DELIVERED)


@dataclass(frozen=True)
class Answer:
    topic: Topic
    lines: tuple[str, ...]  # phrases, or the shop's policy text as it is


def topic_of(question: str) -> Topic:
    text = (question or "").strip().lower()
    for topic, words in KEYWORDS:
        if any(word in text for word in words):
            return topic
    return Topic.UNKNOWN


def _label(order: BuyerOrder) -> dict:
    return {"platform": PLATFORM_NAMES.get(order.platform, order.platform), "order": order.platform_order_id}


def _when(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%m-%d %H:%M")


def answer(question: str, orders: list[BuyerOrder], config: PortalConfig, *, zone: str = "Asia/Shanghai",
           most: int = 5) -> Answer:
    """The answer to ``question`` from ``orders`` (the buyer's own, newest first) and the policy texts."""
    tz = ZoneInfo(zone)
    topic = topic_of(question)
    named = [o for o in orders if o.platform_order_id and o.platform_order_id in (question or "")]
    chosen = (named or [o for o in orders if o.status != OrderStatus.CANCELLED])[:most]
    lines: list[str] = []
    if topic == Topic.UNKNOWN:
        return Answer(topic, (phrase(N_("Sorry, I cannot answer that question. Customer service: {contact}"),
                                     contact=config.cs_contact),))
    if topic in (Topic.SHIPPED, Topic.WHERE) and not chosen:
        return Answer(topic, (phrase(N_("You have no open order with us.")),))
    if topic == Topic.SHIPPED:
        waiting = False
        for o in chosen:
            if o.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED) and o.waybill:
                shipped_at = o.tracking.shipped_at if o.tracking else None
                lines.append(phrase(N_("{platform} order {order}: shipped {when} by {courier}, waybill {waybill}"),
                                    when=_when(shipped_at, tz) if shipped_at else "", courier=o.courier or "",
                                    waybill=o.waybill, translated=("platform",), **_label(o)))
            else:
                waiting = True
                lines.append(phrase(N_("{platform} order {order}: not shipped yet ({status})"),
                                    status=BUYER_STATUS_NAMES.get(o.status, o.status),
                                    translated=("platform", "status"), **_label(o)))
        if waiting and config.shipping_policy:
            lines.append(config.shipping_policy)
    elif topic == Topic.WHERE:
        for o in chosen:
            if o.tracking is not None and o.tracking.events:
                newest = o.tracking.events[0]
                lines.append(phrase(N_("{platform} order {order} ({courier} {waybill}): {state} — {when} {event}"),
                                    courier=o.courier or "", waybill=o.waybill or "",
                                    state=TRACK_STATE_NAMES.get(o.tracking.state, o.tracking.state),
                                    when=_when(newest.at, tz), event=newest.context,
                                    translated=("platform", "state"), **_label(o)))
            elif o.waybill:
                lines.append(phrase(N_("{platform} order {order}: shipped ({courier} {waybill}), no tracking event yet"),
                                    courier=o.courier or "", waybill=o.waybill, translated=("platform",), **_label(o)))
            else:
                lines.append(phrase(N_("{platform} order {order}: not shipped yet ({status})"),
                                    status=BUYER_STATUS_NAMES.get(o.status, o.status),
                                    translated=("platform", "status"), **_label(o)))
    elif topic == Topic.RETURN:
        lines.append(config.return_policy)
    elif topic == Topic.ADDRESS:
        lines.append(config.address_change_policy)
        for o in chosen:
            if o.status in NOT_SHIPPED:
                continue
            lines.append(phrase(N_("{platform} order {order} has not shipped yet: the address can still be changed"),
                                translated=("platform",), **_label(o)))
    lines.append(phrase(N_("Anything else? Customer service: {contact}"), contact=config.cs_contact))
    return Answer(topic, tuple(lines))
