"""A shop for the Pilot tests: the conftest catalogue, three users, stock and orders via services.

The shop is seeded once per run on SQLite (the ``sqlite_engine`` way: a migrated template file) and
copied for each test, so a test may change it freely.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from oms_tui import i18n
from oms_tui.config import Settings
from oms_tui.db import make_engine, session_scope
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core import users
from oms_tui.services.core.actor import Actor
from oms_tui.services.orders import allocation, holds, queries, upsert
from oms_tui.services.orders.normalized import (
    NormalizedLine,
    NormalizedOrder,
    PlatformState,
)
from oms_tui.services.stock import ledger
from tests.conftest import seed_catalogue

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


def seed_shop(engine, *, order_count: int = 0) -> None:
    """Catalogue, users zhang (cs, PIN 1234), li (warehouse, 5678), boss (admin, 0000), stock, orders."""
    seed_catalogue(engine)
    with session_scope(engine) as s:
        users.add_user(s, "zhang", "1234", ["cs"], display_name="张客服", actor=Actor.system("test"))
        users.add_user(s, "li", "5678", ["warehouse"], display_name="李仓管", actor=Actor.system("test"))
        users.add_user(s, "boss", "0000", ["admin"], display_name="老板", actor=Actor.system("test"))
        wh = catalogue.get_warehouse(s, "WH1")
        towel, wipes = catalogue.get_sku(s, "HG-001"), catalogue.get_sku(s, "MB-001")
        ledger.purchase(s, wh, towel, 120, actor=Actor.system("li"), reason="PO-1")
        allocation.receive_stock(s, wh, towel, 100, actor=Actor.system("li"), reason="PO-1 第一批")
        ledger.purchase(s, wh, wipes, 30, actor=Actor.system("li"))
    with session_scope(engine) as s:
        wh = catalogue.get_warehouse(s, "WH1")
        for number in range(1, order_count + 1):
            upsert.upsert_order(s, make_order(number), warehouse=wh)


def _seed_orders_with_holds(engine) -> None:
    """60 ready orders (more than one page), one with an unknown SKU, one with a resolved hold."""
    seed_shop(engine, order_count=60)
    with session_scope(engine) as s:
        wh = catalogue.get_warehouse(s, "WH1")
        upsert.upsert_order(s, make_order(61, platform="jd", sku="NO-SUCH", receiver="李四"), warehouse=wh)
        order = queries.find_order(s, "taobao", "TB00000005")
        hold = holds.open_hold(s, order, "buyer_remark", reason="请发顺丰", user="zhang")
        holds.resolve(s, hold, user="zhang", resolution="已备注顺丰")


def _template(tmp_path_factory, sqlite_template: str, name: str, seed) -> Path:
    path = tmp_path_factory.mktemp(name) / "oms.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    seed(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def shop_template(tmp_path_factory, sqlite_template) -> Path:
    return _template(tmp_path_factory, sqlite_template, "shop", seed_shop)


@pytest.fixture(scope="session")
def orders_template(tmp_path_factory, sqlite_template) -> Path:
    return _template(tmp_path_factory, sqlite_template, "orders", _seed_orders_with_holds)


def _engine_from(template: Path, tmp_path: Path):
    path = tmp_path / "shop.db"
    shutil.copy(template, path)
    return make_engine(f"sqlite:///{path}")


@pytest.fixture
def shop(shop_template, tmp_path):
    """Catalogue, users, stock; no orders (seeded once per run, copied per test)."""
    engine = _engine_from(shop_template, tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture
def shop_with_orders(orders_template, tmp_path):
    """The shop plus 61 orders: 60 ready, JD00000061 in review, TB00000005 with a resolved hold."""
    engine = _engine_from(orders_template, tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _english_afterwards():
    """The language is process-wide: leave it as other tests expect it."""
    yield
    i18n.setup_language("en")


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'shop.db'}", language="zh_CN", timezone="Asia/Shanghai",
                    shop_name="测试旗舰店")


async def settle(pilot, app) -> None:
    """Let every worker finish and the UI process what they sent back."""
    for _round in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


def table_rows(table) -> list[list[str]]:
    """A DataTable's cells as plain strings, row by row."""
    return [[str(getattr(cell, "plain", cell)) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def column(table, key: str) -> list[str]:
    """The plain cells of the column with ``key``."""
    index = [k.value for k in table.columns].index(key)
    return [row[index] for row in table_rows(table)]
