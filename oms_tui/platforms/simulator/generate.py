"""Realistic made-up values for the simulator's orders: buyers, receivers, lines, masked data.

Platform-neutral: a ``Draft`` made here is rendered into each platform's payload by that
platform's module.
"""

from __future__ import annotations

import base64
import random
import zlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from oms_tui.platforms.simulator.model import Draft, DraftLine, Receiver

_SURNAMES = "张王李赵刘陈杨黄周吴林徐孙马朱胡郭何高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程苏魏吕丁任沈"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文博宇浩然欣怡子涵梓轩雨萱晨坤婷雪"
# (province, short, city, district, towns, streets, zip, ids)
_REGIONS = [
    ("浙江省", "浙江", "杭州市", "西湖区", ("文新街道", "翠苑街道", "蒋村街道"), ("文三路", "古墩路", "天目山路"), "310012",
     (12, 143, 1279)),
    ("广东省", "广东", "潮州市", "潮安区", ("庵埠镇", "彩塘镇"), ("安南路", "开濠路"), "515638", (6, 81, 1056)),
    ("江苏省", "江苏", "南京市", "鼓楼区", ("华侨路街道", "湖南路街道"), ("中山北路", "北京西路"), "210008", (10, 121, 1147)),
    ("上海", "上海", "上海市", "浦东新区", ("张江镇", "花木街道"), ("张衡路", "世纪大道"), "201203", (2, 2, 2822)),
    ("北京", "北京", "北京市", "朝阳区", ("望京街道", "三里屯街道"), ("阜通东大街", "工体北路"), "100102", (1, 1, 2823)),
    ("四川省", "四川", "成都市", "武侯区", ("簇桥街道", "红牌楼街道"), ("武侯大道", "佳灵路"), "610041", (23, 385, 3105)),
    ("湖北省", "湖北", "武汉市", "洪山区", ("关山街道", "珞南街道"), ("珞喻路", "光谷大道"), "430074", (17, 258, 2301)),
    ("山东省", "山东", "青岛市", "市南区", ("八大关街道", "湛山街道"), ("香港中路", "东海西路"), "266071", (15, 223, 2016)),
]
_REMARKS = ("", "", "", "", "请尽快发货", "不要放快递柜，谢谢", "送人的，别放价格单", "周末送货", "发顺丰可以补运费吗")
_SPECS = ("颜色:白色", "颜色:灰色;尺码:M", "规格:标准装", "规格:3包装", "颜色:浅蓝")


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _person_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _mobile(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + digits(rng, 9)


# --- masked receiver data, as the platforms hand it out ----------------------------------------

def mask_name_taobao(name: str) -> str:
    return name[0] + "**"


def mask_name_pdd(name: str) -> str:
    return name[0] + "*" + (name[-1] if len(name) > 2 else "")


def mask_phone_taobao(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


def mask_phone_pdd(phone: str) -> str:
    return phone[0] + "*" * (len(phone) - 2) + phone[-1]


def mask_street(street: str) -> str:
    return street[:3] + "****"


# --- catalogue, receivers, drafts ------------------------------------------------------------

def sku_catalogue(sku_codes: Sequence[str] | Mapping[str, Any]) -> list[tuple[str, str, int]]:
    """(code, title, unit price in fen) for each code; a Mapping may give a title or (title, price_fen)."""
    out = []
    items = sku_codes.items() if isinstance(sku_codes, Mapping) else ((c, None) for c in sku_codes)
    for code, extra in items:
        title, price = f"商品 {code}", None
        if isinstance(extra, str):
            title = extra
        elif isinstance(extra, (tuple, list)) and extra:
            title = str(extra[0])
            price = int(extra[1]) if len(extra) > 1 and extra[1] is not None else None
        if price is None:
            price = (990 + zlib.crc32(code.encode()) % 290 * 100)  # 9.90 … 298.90 yuan, stable per code
        out.append((code, title, price))
    if not out:
        raise ValueError("the simulator needs at least one SKU code")
    return out


def new_receiver(rng: random.Random) -> Receiver:
    prov, short, city, district, towns, streets, zip_code, ids = rng.choice(_REGIONS)
    street = f"{rng.choice(streets)}{rng.randint(1, 999)}号{rng.randint(1, 30)}幢{rng.randint(1, 30)}0{rng.randint(1, 4)}室"
    return Receiver(_person_name(rng), _mobile(rng), prov, short, city, district, rng.choice(towns), street,
                    zip_code, ids)


def new_draft(order_id: str, moment: datetime, rng: random.Random, catalogue: list[tuple[str, str, int]], *,
              paid: bool) -> Draft:
    """An order ``order_id`` made at ``moment`` (paid a little before it, when ``paid``)."""
    lines = []
    for code, title, price in rng.sample(catalogue, k=min(len(catalogue), rng.choice((1, 1, 1, 2, 3)))):
        lines.append(DraftLine(code, title, rng.choice(_SPECS), rng.choice((1, 1, 1, 2, 3)), price,
                               rng.randrange(10**17, 10**18), rng.randrange(5 * 10**11, 9 * 10**11),
                               rng.randrange(4 * 10**12, 6 * 10**12), outer_on_item_only=rng.random() < 0.1))
    total = sum(line.qty * line.price_fen for line in lines)
    discount = rng.choice((0, 0, 0, 300, 500, 1000))
    discount = min(discount, total // 5)
    post_fee = rng.choice((0, 0, 0, 600, 1000))
    paid_at = (moment - timedelta(seconds=rng.randint(0, 60))) if paid else None
    created = (paid_at or moment) - timedelta(seconds=rng.randint(5, 900))
    receiver = new_receiver(rng)
    nick = receiver.name[0] + "**" + digits(rng, 1)
    return Draft(order_id, "paid" if paid else "unpaid", created, paid_at, moment, nick,
                 "AAH" + base64.b32encode(bytes(rng.randrange(256) for _ in range(15))).decode().lower(),
                 receiver, lines, discount, post_fee, rng.choice(_REMARKS), "", secret_seed=rng.randrange(2**32))
