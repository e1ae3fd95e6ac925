"""For the Pilot tests: the terminal size, orders to seed, waiting for workers, reading tables."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta, timezone

from textual.worker import WorkerCancelled

from oms_tui.services.orders.normalized import (
    NormalizedLine,
    NormalizedOrder,
    PlatformState,
)

SIZE = (140, 45)
FIRST_ORDER_AT = datetime(2026, 11, 10, 16, 0, tzinfo=timezone.utc)  # 2026-11-11 00:00 in Shanghai


def make_order(number: int, *, platform: str = "taobao", sku: str = "HG-001", qty: int = 1,
               receiver: str = "王小明", created_at: datetime | None = None) -> NormalizedOrder:
    prefix = {"taobao": "TB", "jd": "JD", "pdd": "PDD"}[platform]
    created = created_at or FIRST_ORDER_AT + timedelta(minutes=number)
    return NormalizedOrder(
        platform=platform, platform_order_id=f"{prefix}{number:08d}", shop="旗舰店", state=PlatformState.PAID,
        platform_status="WAIT_SELLER_SEND_GOODS", buyer_id=f"buyer{number}", receiver_name=receiver,
        receiver_phone="13800138000", receiver_province="浙江省", receiver_city="杭州市", receiver_district="西湖区",
        receiver_address=f"文三路{number}号", total_fen=1990 * qty, paid_fen=1990 * qty, created_at=created,
        paid_at=created + timedelta(minutes=1),
        lines=[NormalizedLine(sku_code=sku, title="竹纤维毛巾", qty=qty, price_fen=1990)],
    )


async def settle(pilot, app) -> None:
    """Let every worker finish and the UI process what they sent back.

    A worker cancelled on purpose — a newer read of its group (a page read, the 2 s change poll) replaced
    it, which happens more often on a loaded machine — is not a failure: the newer read is waited for.
    """
    for _round in range(3):
        await pilot.pause()
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
    await pilot.pause()


def table_rows(table) -> list[list[str]]:
    """A DataTable's cells as plain strings, row by row."""
    return [[str(getattr(cell, "plain", cell)) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def column(table, key: str) -> list[str]:
    """The plain cells of the column with ``key``."""
    index = [k.value for k in table.columns].index(key)
    return [row[index] for row in table_rows(table)]


def footer_keys(app) -> dict[str, str]:
    """The keys the footer shows whole inside the terminal's width: key → description."""
    from textual.widgets._footer import FooterKey

    return {key.key: key.description for key in app.screen.query(FooterKey)
            if key.region.width and key.region.right <= app.size.width}


async def keys_panel_text(pilot, app) -> str:
    """Press ``?`` and read the keys panel it opens, as plain text."""
    import io

    from rich.console import Console

    from oms_tui.widgets.keys import KeysTable

    await pilot.press("question_mark")
    await settle(pilot, app)
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(app.screen.query_one(KeysTable).render())
    return console.export_text()
