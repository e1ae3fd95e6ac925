"""Alerts: something people must hear about — a shortage, an approval waiting, a platform refusing.

``raise_alert`` writes the alert as an `alert` outbox row in the caller's transaction, so it exists
exactly when the change it reports does. It names an event kind (events.py), a subject (a stored
phrase, rendered in each reader's language), the order or shop it is about, and optionally the roles
to tell (an approval step's role); without roles the event's roles from the config apply.

The scheduler then routes each alert into one `notify` message per channel of its roles
(routing.py) and sends those (delivery.py): a channel that is down loses nothing, a channel gets an
alert once, and the same subject on a channel within the de-duplication window is sent once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlmodel import Session

from oms_tui.models import Order, Outbox
from oms_tui.phrases import phrase
from oms_tui.services.core import outbox


def raise_alert(session: Session, event: str, subject: str, *, order: Order | None = None, shop: str = "",
                platform: str = "", roles: Iterable[str] = (), skus: Iterable[str] = (),
                detail: Mapping[str, str] | None = None) -> Outbox:
    """Write an alert in the caller's transaction. ``subject`` is a stored phrase (``phrase(N_("…"), …)``)
    or plain text; it is also what de-duplicates: one message per subject and channel within the window."""
    payload = outbox.Alert(
        event=event, order=order.platform_order_id if order is not None else "",
        platform=platform or (order.platform if order is not None else ""),
        shop=shop or (order.shop or "" if order is not None else ""), skus=list(skus),
        detail={str(k): str(v) for k, v in (detail or {}).items()}, roles=list(dict.fromkeys(roles)))
    message = outbox.enqueue(session, outbox.MessageKind.ALERT, subject=subject, payload=payload,
                             order_id=order.id if order is not None else None, target=role_list(payload.roles))
    session.flush()  # the caller may name the alert by its id
    return message


def subject_phrase(template: str, /, **params: str) -> str:
    """A subject to store: ``phrase`` cut to fit the outbox's subject column."""
    return phrase(template, limit=200, **params)


def role_list(roles: Iterable[str]) -> str:
    """Roles as the outbox's ``target`` holds them: ``,cs_lead,manager,`` (so ``,cs,`` matches cs only)."""
    roles = [r for r in roles if r]
    return f",{','.join(roles)}," if roles else ""


def roles_of(target: str) -> list[str]:
    return [r for r in (target or "").split(",") if r]
