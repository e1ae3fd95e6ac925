"""A buyer's own orders: by the full mobile on the order, or masked orders filed under a customer we hold that
mobile for; never another buyer's order, never a match on a mask alone; receiver data masked."""

from datetime import timedelta

from oms_tui.db import read_session
from oms_tui.models import OrderStatus
from oms_tui.services.portal import orders
from tests.helpers.portal import T0, add_customer, add_order

PHONE = "13800138000"


def mine(engine, phone=PHONE):
    with read_session(engine) as s:
        return orders.buyer_orders(s, phone)


def test_orders_by_full_mobile_and_by_the_customer_behind_a_masked_phone(sqlite_engine):
    me = add_customer(sqlite_engine, PHONE, buyer_id="tb_me")
    add_order(sqlite_engine, "T1", "+86 138-0013-8000", customer_id=me)
    add_order(sqlite_engine, "J1", "138****8000", customer_id=me, platform="jd", created=T0 + timedelta(days=1))
    add_order(sqlite_engine, "P1", "1*********0", customer_id=None, platform="pdd")  # a mask, nobody behind it
    other = add_customer(sqlite_engine, "13800138001", name="李四")
    add_order(sqlite_engine, "T2", "13800138001", customer_id=other, name="李四")
    add_order(sqlite_engine, "T3", "138****8001", customer_id=other, name="李四")
    # Filed under my customer record but sent to a different full number: that person's, not shown to me.
    add_order(sqlite_engine, "T4", "13900139000", customer_id=me, name="王五")
    found = mine(sqlite_engine)
    assert [o.platform_order_id for o in found] == ["J1", "T1"]  # newest first
    assert {o.platform_order_id for o in mine(sqlite_engine, "13800138001")} == {"T2", "T3"}


def test_a_merged_customers_masked_orders_are_included(sqlite_engine):
    from oms_tui.db import session_scope
    from oms_tui.models import Customer

    me = add_customer(sqlite_engine, PHONE)
    old = add_customer(sqlite_engine, None, platform="pdd", buyer_id="pdd_me")
    with session_scope(sqlite_engine) as s:
        row = s.get(Customer, old)
        row.merged_into_id = me
        s.add(row)
    add_order(sqlite_engine, "P9", "1*********0", customer_id=old, platform="pdd")
    assert [o.platform_order_id for o in mine(sqlite_engine)] == ["P9"]


def test_receiver_data_is_masked_and_the_timeline_comes_with_it(sqlite_engine):
    add_order(sqlite_engine, "T1", PHONE, name="张三丰", status=OrderStatus.SHIPPED,
              events=[(T0 + timedelta(hours=6), "【杭州】已揽收"), (T0 + timedelta(hours=20), "【上海】已到达")])
    [order] = mine(sqlite_engine)
    assert (order.receiver_name, order.receiver_phone, order.receiver_region) == ("张**", "138****8000",
                                                                                "浙江省 杭州市 西湖区")
    assert "文三路" not in repr(order)
    assert [e.context for e in order.tracking.events] == ["【上海】已到达", "【杭州】已揽收"]
    assert order.lines[0].title == "竹纤维毛巾" and order.waybill == "ZTT1"


def test_holds_orders_for(sqlite_engine):
    add_order(sqlite_engine, "T1", PHONE)
    with read_session(sqlite_engine) as s:
        assert orders.holds_orders_for(s, PHONE)
        assert not orders.holds_orders_for(s, "13800138001")
