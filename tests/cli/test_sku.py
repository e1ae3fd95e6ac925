"""`oms sku`: the platform SKUs holding orders, mapping one (held orders go on), as JSON for scripts."""

import json

import pytest

from oms_tui.db import make_engine, session_scope
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.services.orders import allocation, upsert
from oms_tui.services.stock import ledger
from tests.helpers.shop import normalized, platform_line, seed_catalogue


@pytest.fixture
def held(monkeypatch, sqlite_url):
    monkeypatch.setenv("OMS_DATABASE_URL", sqlite_url)
    monkeypatch.delenv("OMS_CONFIG", raising=False)
    engine = make_engine(sqlite_url)
    seed_catalogue(engine)
    with session_scope(engine) as s:
        wh, towel = catalogue.get_warehouse(s, "WH1"), catalogue.get_sku(s, "HG-001")
        ledger.purchase(s, wh, towel, 10, actor=Actor.system("t"))
        allocation.receive_stock(s, wh, towel, 10, actor=Actor.system("t"))
        data = normalized("C1", {"X": 1}, shop="旗舰店").model_copy(
            update={"lines": [platform_line("HG-SET3", 2, item="600001", sku="7000011")]})
        upsert.upsert_order(s, data, warehouse=wh)
    engine.dispose()


def test_list_then_map_and_the_order_goes_on(oms, held):
    code, out, _ = oms("sku", "unmapped", "--format", "json")
    assert code == 0
    (row,) = json.loads(out)
    assert (row["shop"], row["platform_sku_id"], row["code"], row["orders"], row["units"]) == (
        "旗舰店", "7000011", "HG-SET3", 1, 2)
    code, out, _ = oms("sku", "map", "旗舰店", "HG-001*3", "--sku-id", "7000011", "--platform", "taobao",
                       "--format", "json")
    assert code == 0
    assert json.loads(out) | {"mapping_id": 0} == {"mapping_id": 0, "components": "HG-001*3", "released": ["C1"],
                                                   "ready": ["C1"], "short": []}
    assert json.loads(oms("sku", "unmapped", "--format", "json")[1]) == []
    assert oms("check")[0] == 0


def test_bad_components_and_an_unknown_shop_are_one_line_errors(oms, held):
    code, _, err = oms("sku", "map", "旗舰店", "HG-001*0", "--sku-id", "7000011", "--platform", "taobao")
    assert code == 1 and "HG-001" in err and "Traceback" not in err
    code, _, err = oms("sku", "map", "不存在的店", "HG-001", "--sku-id", "7000011")
    assert code == 1 and "--platform" in err


def test_purchasing_settings_from_the_command_line(oms, cli_db):
    code, out, err = oms("sku", "supplier", "SUP1", "--lead-days", "12", "--email", "sales@nb.example.cn")
    assert code == 0, err
    assert "SUP1: lead 12 days, e-mail sales@nb.example.cn" in out
    code, out, err = oms("sku", "purchasing", "MB-001", "--safety-stock", "6", "--supplier", "SUP1")
    assert code == 0 and "MB-001: safety stock 6, supplier SUP1" in out
    code, _out, err = oms("sku", "supplier", "SUP1", "--email", "nobody")
    assert code == 1 and "not an e-mail address" in err
