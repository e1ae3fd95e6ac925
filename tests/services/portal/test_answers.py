"""The question box: rules map common questions to the buyer's orders and the shop's policy texts."""

from datetime import timedelta

import pytest

from oms_tui.config import PortalConfig
from oms_tui.db import read_session
from oms_tui.i18n import translator
from oms_tui.models import OrderStatus
from oms_tui.phrases import render
from oms_tui.services.portal import answers, orders
from tests.helpers.portal import T0, add_order

CONFIG = PortalConfig(cs_contact="客服热线 400-000-0000", return_policy="七天无理由退货。",
                      address_change_policy="发货前可改地址。", shipping_policy="48 小时内发货。")
ZH = translator("zh_CN")


@pytest.mark.parametrize("question, topic", [
    ("发货了吗", answers.Topic.SHIPPED), ("我的快递到哪了？", answers.Topic.WHERE), ("怎么退货", answers.Topic.RETURN),
    ("能改地址吗", answers.Topic.ADDRESS), ("发货前能改地址吗", answers.Topic.ADDRESS), ("你好", answers.Topic.UNKNOWN),
    ("", answers.Topic.UNKNOWN)])
def test_topics(question, topic):
    assert answers.topic_of(question) == topic


def said(engine, question):
    with read_session(engine) as s:
        mine = orders.buyer_orders(s, "13800138000")
    return [render(line, ZH) for line in answers.answer(question, mine, CONFIG).lines]


def test_answers_come_from_the_orders_and_the_policy(sqlite_engine):
    add_order(sqlite_engine, "T1", "13800138000", status=OrderStatus.SHIPPED,
              events=[(T0 + timedelta(hours=20), "【上海】已到达 上海转运中心")])
    add_order(sqlite_engine, "T2", "13800138000", status=OrderStatus.PICKING, created=T0 + timedelta(days=1))
    shipped = said(sqlite_engine, "发货了吗")
    assert any("T1" in line and "ZTT1" in line for line in shipped)
    assert any("T2" in line and "还没发货" in line for line in shipped) and "48 小时内发货。" in shipped
    where = said(sqlite_engine, "到哪了")
    assert any("T1" in line and "上海转运中心" in line and "运输中" in line for line in where)
    assert said(sqlite_engine, "怎么退货")[0] == "七天无理由退货。"
    address = said(sqlite_engine, "能改地址吗")
    assert address[0] == "发货前可改地址。" and any("T2" in line for line in address)
    assert not any("T1" in line for line in address)
    only = said(sqlite_engine, "T1 到哪了")
    assert not any("T2" in line for line in only)


def test_a_question_it_cannot_answer_says_so_with_cs_contact(sqlite_engine):
    [line] = said(sqlite_engine, "你们老板是谁")
    assert "客服热线 400-000-0000" in line
