"""Whole table rows as plain dicts, for tests that bulk-load with Core inserts (every column given, so an
executemany of many of them has one shape)."""

from __future__ import annotations

from oms_tui.models import utcnow


def order_row(**values) -> dict:
    """An order row: empty receiver and texts, 1 fen, created, paid and ingested now; ``values`` override."""
    now = values.get("created_at") or utcnow()
    row = dict(platform="taobao", platform_order_id="", shop="s", status="ready", platform_status="", buyer_id="",
               receiver_name="", receiver_phone="", receiver_province="", receiver_city="", receiver_district="",
               receiver_address="", receiver_opaque="", receiver_address_id="", buyer_remark="", seller_memo="",
               total_fen=1, paid_fen=1, discount_fen=0, post_fee_fen=0, created_at=now, paid_at=now,
               ingested_at=now, updated_at=now, no_merge=False)
    row.update(values)
    return row

