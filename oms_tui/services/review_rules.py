"""Review rules run on intake: they open the holds that put an order in front of customer service.

Called by ``orders.upsert_order`` for a new order (before its stock is locked) and again when a
platform update changes an order's fields (``changed`` names them).
"""

from __future__ import annotations

from sqlmodel import Session

from ..models import Order
from .normalized import NormalizedOrder


def on_intake(session: Session, order: Order, data: NormalizedOrder, *, created: bool, changed: list[str],
              user: str) -> None:
    """Open the review holds this order needs. (The rules arrive with the customer-service issue.)"""
    return None
