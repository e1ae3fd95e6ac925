"""Buyers, orders and parcel timelines for the portal's tests and its bench, written straight into the tables."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from oms_tui.config import load_settings
from oms_tui.db import session_scope
from oms_tui.models import (Customer, Order, OrderLine, OrderStatus, Parcel, ParcelStatus, Shipment, TrackingEvent,
                            TrackState)
from oms_tui.services.customers.normalize import normalize_mobile

KEY = b"test-portal-key"
T0 = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)


def add_customer(engine, phone: str | None, *, name: str = "张三", platform: str = "taobao",
                 buyer_id: str = "") -> int:
    with session_scope(engine) as s:
        customer = Customer(name=name, phone_norm=normalize_mobile(phone), platform=platform,
                            buyer_id=buyer_id or None)
        s.add(customer)
        s.flush()
        return customer.id


def add_order(engine, pid: str, phone: str, *, customer_id: int | None = None, platform: str = "taobao",
              status: str = OrderStatus.READY, name: str = "张三", created: datetime = T0,
              events: list[tuple[datetime, str]] = (), waybill: str = "") -> int:
    """An order (one towel line); shipped ones get a parcel, a shipment and ``events`` (oldest first)."""
    with session_scope(engine) as s:
        order = Order(platform=platform, platform_order_id=pid, shop="旗舰店", status=status, customer_id=customer_id,
                      receiver_name=name, receiver_phone=phone, receiver_province="浙江省", receiver_city="杭州市",
                      receiver_district="西湖区", receiver_address="文三路 90 号 3 幢 501", paid_fen=1990,
                      total_fen=1990, created_at=created, paid_at=created)
        if status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            waybill = waybill or f"ZT{pid}"
            parcel = Parcel(status=ParcelStatus.SHIPPED, courier="zhongtong", waybill=waybill,
                            shipped_at=created + timedelta(hours=5))
            s.add(parcel)
            s.flush()
            order.parcel_id, order.courier, order.waybill = parcel.id, "zhongtong", waybill
            order.shipped_at = parcel.shipped_at
            shipment = Shipment(parcel_id=parcel.id, courier="zhongtong", waybill=waybill,
                                state=TrackState.IN_TRANSIT if events else TrackState.PENDING,
                                shipped_at=parcel.shipped_at, last_event_at=events[-1][0] if events else None)
            s.add(shipment)
            s.flush()
            for i, (at, context) in enumerate(events):
                s.add(TrackingEvent(shipment_id=shipment.id, at=at, context=context, state=TrackState.IN_TRANSIT,
                                    digest=f"{pid}-{i}"))
        s.add(order)
        s.flush()
        s.add(OrderLine(order_id=order.id, sku_code="HG-001", title="竹纤维毛巾", qty=2, price_fen=995))
        return order.id


def portal_settings(*, notify=None, **portal):
    table = {"sms_channel": "短信", "code_template": "SMS_CODE", **portal}
    more = {"notify": notify} if notify else {}
    return load_settings(database_url="sqlite://", language="zh_CN", shop_name="测试旗舰店", portal=table, **more)
