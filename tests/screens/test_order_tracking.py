"""The tracking timeline where CS looks: on the order's detail screen and from `oms tracking show`."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from textual.widgets import DataTable, Label

from oms_tui.app import OmsApp
from oms_tui.db import session_scope
from oms_tui.models import Parcel
from oms_tui.screens.order_detail import OrderDetailScreen
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.orders import upsert
from oms_tui.services.shipping import tracking
from oms_tui.services.shipping.services import QueryAnswer, QueryEvent
from tests.helpers.screens import SIZE, make_order, settle

SHIPPED_AT = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


def _tracked_order(engine) -> int:
    """An order whose parcel went with 圆通 YT… and has moved twice (the newest event: out for delivery)."""
    with session_scope(engine) as s:
        order = upsert.upsert_order(s, make_order(1), warehouse=catalogue.get_warehouse(s, "WH1")).order
        parcel = Parcel(address_key="k", courier="yuantong", waybill="YT1234567890123", status="shipped")
        s.add(parcel)
        s.flush()
        order.parcel_id = parcel.id
        s.add(order)
        shipment = tracking.register(s, parcel, [order], now=SHIPPED_AT)
        tracking.apply_answer(s, shipment, QueryAnswer(state="5", events=(
            QueryEvent("2026-11-21 09:10:00", "【杭州市】快递员正在派件", "杭州市", "5"),
            QueryEvent("2026-11-20 18:00:00", "【杭州转运中心】已发出", "杭州市", "0"))), now=SHIPPED_AT)
        return order.id


async def test_order_detail_shows_the_parcels_timeline_newest_first(shop, settings):
    order_id = _tracked_order(shop)
    app = OmsApp(shop, settings, user_name="zhang")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.open_order(order_id)
        await settle(pilot, app)
        await pilot.pause(0.05)
        await settle(pilot, app)
        assert isinstance(app.screen, OrderDetailScreen)
        title = str(app.screen.query_one("#tracking-title", Label).render())
        assert "YT1234567890123" in title and "派送中" in title
        timeline = app.screen.query_one("#tracking", DataTable)
        assert timeline.row_count == 2
        first = " ".join(str(cell) for cell in timeline.get_row_at(0))
        assert "快递员正在派件" in first


def test_tracking_show_prints_the_timeline(shop, monkeypatch, capsys):
    from oms_tui.cli import main
    from oms_tui.config import get_settings

    _tracked_order(shop)
    monkeypatch.setenv("OMS_DATABASE_URL", str(shop.url))
    monkeypatch.delenv("OMS_CONFIG", raising=False)
    get_settings.cache_clear()
    main(["tracking", "show", "TB00000001", "--format", "json"])
    shown = json.loads(capsys.readouterr().out)
    assert (shown["waybill"], shown["state"]) == ("YT1234567890123", "out_for_delivery")
    assert [e["context"] for e in shown["events"]] == ["【杭州市】快递员正在派件", "【杭州转运中心】已发出"]
    get_settings.cache_clear()
