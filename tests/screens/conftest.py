"""A shop for the Pilot tests: the conftest catalogue, three users, stock and orders via services.

The shop is seeded once per run on SQLite (the ``sqlite_engine`` way: a migrated template file) and
copied for each test, so a test may change it freely.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from oms_tui import i18n
from oms_tui.config import Settings
from oms_tui.db import make_engine, session_scope
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core import users
from oms_tui.services.core.actor import Actor
from oms_tui.services.orders import allocation, holds, queries, upsert
from oms_tui.services.stock import ledger
from tests.helpers.db import seeded_sqlite_template
from tests.helpers.screens import make_order
from tests.helpers.shop import seed_catalogue


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


@pytest.fixture(scope="session")
def shop_template(tmp_path_factory, sqlite_template) -> Path:
    return seeded_sqlite_template(tmp_path_factory, sqlite_template, "shop", seed_shop)


@pytest.fixture(scope="session")
def orders_template(tmp_path_factory, sqlite_template) -> Path:
    return seeded_sqlite_template(tmp_path_factory, sqlite_template, "orders", _seed_orders_with_holds)


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
