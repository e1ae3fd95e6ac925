"""A fixed data set for the dashboard and the KPI report, every figure worked out by hand in the tests.

Written as rows (not through the services) so each time is exactly what the figures count from.
"Now" is 2026-11-11 10:30 in Shanghai (02:30 UTC); the 7-day window is the local days 11-05..11-11.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from oms_tui.db import session_scope
from oms_tui.models import (
    ApprovalRequest,
    AuditEvent,
    Hold,
    Order,
    Outbox,
    PlatformRefund,
    ReturnRecord,
    ScanEvent,
    ShopSync,
    User,
)

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 11, 2, 30, tzinfo=timezone.utc)


def utc(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=timezone.utc)


# name: (platform, shop, status, created, paid (None: same as created; False: none), shipped, waybill)
ORDERS = {
    "O1": ("taobao", "淘宝店", "ready", utc(11, 11, 1, 10), None, None, None),
    "O2": ("taobao", "淘宝店", "new", utc(11, 11, 2, 5), utc(11, 11, 2, 6), None, None),
    "O3": ("jd", "京东店", "shipped", utc(11, 10, 20), None, utc(11, 11, 1), "JD3"),  # 5.0 h
    "O4": ("pdd", "拼多多店", "shipped", utc(11, 9, 2), None, utc(11, 10, 2), "PD4"),  # 24.0 h
    "O5": ("taobao", "淘宝店", "shipped", utc(11, 8), None, utc(11, 8, 1, 33), "TB5"),  # 1.55 h
    "O6": ("jd", "京东店", "packed", utc(11, 10), False, None, None),
    "O7": ("taobao", "淘宝店", "picking", utc(11, 7), None, None, None),
    "O8": ("pdd", "拼多多店", "shipped", utc(11, 5), None, utc(11, 5, 10), "PD8"),  # 10.0 h
    "O9": ("taobao", "淘宝店", "shipped", utc(11, 5, 1), None, utc(11, 6, 2), "TB9"),  # 25.0 h, duplicates O8
    "O10": ("jd", "京东店", "shipped", utc(11, 4), None, utc(11, 4, 4), "M10"),  # 4.0 h
    "O11": ("pdd", "拼多多店", "shipped", utc(11, 4, 0, 30), None, utc(11, 4, 4), "M10"),  # 3.5 h, merged with O10
    "O12": ("taobao", "淘宝店", "shipped", utc(10, 1), None, utc(10, 2), "TB12"),  # 24.0 h
}


def load(engine, *, with_users: bool = True) -> dict[str, int]:
    """Write the data set (``with_users``: and the users li and zhang); returns order name → id."""
    ids: dict[str, int] = {}
    with session_scope(engine) as s:
        for name, (platform, shop, status, created, paid, shipped, waybill) in ORDERS.items():
            order = Order(platform=platform, platform_order_id=name, shop=shop, status=status, created_at=created,
                          paid_at=None if paid is False else (paid or created), shipped_at=shipped,
                          waybill=waybill)
            s.add(order)
            s.flush()
            ids[name] = order.id
        s.add_all([
            Hold(order_id=ids["O1"], kind="buyer_remark", opened_at=utc(11, 11, 1, 10)),
            Hold(order_id=ids["O2"], kind="stock_short", opened_at=utc(11, 11, 2, 6)),
            Hold(order_id=ids["O9"], kind="duplicate_suspect", reason=f"拼多多 O8 (order #{ids['O8']})",
                 opened_at=utc(11, 5, 1), resolved_at=utc(11, 5, 2), resolved_by="zhang"),
            Hold(order_id=ids["O10"], kind="duplicate_suspect", reason=f"拼多多 O11 (order #{ids['O11']})",
                 opened_at=utc(11, 4, 0, 30), resolved_at=utc(11, 4, 1), resolved_by="zhang"),
            Hold(order_id=ids["O7"], kind="lock_expired", opened_at=utc(11, 10)),
            Hold(order_id=ids["O3"], kind="ship_notice_failed", opened_at=utc(11, 11, 1, 30)),
            # wrong: a return and a refund for one order on one day count once; October's on its own
            ReturnRecord(order_id=ids["O4"], reason="商家发错货", created_at=utc(11, 10, 3)),
            PlatformRefund(platform="pdd", refund_id="R4", platform_order_id="O4", order_id=ids["O4"],
                           reason="发错了颜色", first_seen_at=utc(11, 10, 5)),
            ReturnRecord(order_id=ids["O12"], reason="Wrong item sent", created_at=utc(10, 20)),
            # missed: a refund naming missing items (plus O7's expired lock above)
            PlatformRefund(platform="taobao", refund_id="R5", platform_order_id="O5", order_id=ids["O5"],
                           reason="少件/漏发", first_seen_at=utc(11, 9)),
            PlatformRefund(platform="jd", refund_id="R3", platform_order_id="O3", order_id=ids["O3"],
                           reason="不想要了", first_seen_at=utc(11, 11, 2)),
            # scans: li's six, two of them errors
            *(ScanEvent(at=at, station="P01", user="li", code="X", result=result) for at, result in (
                (utc(11, 10, 3), "order"), (utc(11, 10, 3, 5), "ok"), (utc(11, 10, 3, 10), "wrong"),
                (utc(11, 10, 3, 50), "waybill"), (utc(11, 11, 1), "order"), (utc(11, 11, 1, 10), "unknown"))),
            # audit: zhang's three actions; the sync's own do not count as anyone's hours
            *(AuditEvent(at=at, user="zhang", action="order.hold", entity_type="order", entity_id="1")
              for at in (utc(11, 10, 1), utc(11, 10, 1, 20), utc(11, 10, 1, 45))),
            AuditEvent(at=utc(11, 10, 1, 5), user="sync", action="order.upsert", entity_type="order", entity_id="1"),
            ApprovalRequest(order_id=ids["O1"], kind="large_order", status="approved", requested_by="zhang",
                            requested_at=utc(11, 10), decided_by="boss", decided_at=utc(11, 10, 2)),  # 2 h
            ApprovalRequest(order_id=ids["O2"], kind="gift", status="rejected", requested_by="zhang",
                            requested_at=utc(11, 9), decided_by="boss", decided_at=utc(11, 10, 6)),  # 30 h
            ApprovalRequest(order_id=ids["O6"], kind="gift", status="pending", requested_by="zhang",
                            requested_at=utc(11, 11)),
            Outbox(kind="platform_ship", channel="jd", target="京东店", status="failed", order_id=ids["O3"]),
            Outbox(kind="platform_ship", channel="taobao", target="淘宝店", status="pending", order_id=ids["O1"]),
            ShopSync(shop="淘宝店", platform="taobao", last_status="ok", runs=5, last_finished_at=utc(11, 11, 2)),
            ShopSync(shop="京东店", platform="jd", last_status="error", runs=3, errors=2, last_error="token expired"),
        ])
        if with_users:
            s.add_all([User(name="li", roles="warehouse", pin_hash="-"), User(name="zhang", roles="cs", pin_hash="-")])
    return ids


def fresh_database(request, tmp_path_factory) -> str:
    """A migrated, empty database for a module-scoped fixture parametrized "sqlite" / "postgresql"."""
    import shutil

    from tests.helpers.db import empty_pg_database

    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("dashboard") / "oms.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database_url")
    empty_pg_database(url)
    return url
