"""An order line with an absurd quantity or price, or an order with an absurd amount, is refused at
intake (limits.py's bounds on NormalizedOrder) by every path: adapters, file import, upsert."""

import pytest
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import func
from sqlmodel import select

from oms_tui.db import read_session
from oms_tui.limits import MAX_FEN, MAX_QUANTITY
from oms_tui.models import Order, OrderLine, StockMove
from oms_tui.platforms.mapping import MappingError, build_line
from oms_tui.services.core.actor import Actor
from oms_tui.services.intake import order_import
from oms_tui.services.orders.normalized import NormalizedLine
from tests.helpers.shop import normalized


@pytest.mark.parametrize("fields", [
    {"qty": MAX_QUANTITY + 1}, {"qty": 2**63}, {"price_fen": MAX_FEN + 1}, {"price_fen": 2**63 - 1},
])
def test_a_line_beyond_the_bounds_is_not_a_normalized_line(fields):
    with pytest.raises(PydanticValidationError, match="less than or equal to 1000000000"):
        NormalizedLine(**{"sku_code": "HG-001", "qty": 1, **fields})
    with pytest.raises(MappingError, match="invalid line"):  # what an adapter turns it into: a sync problem
        build_line(**{"sku_code": "HG-001", "qty": 1, **fields})


@pytest.mark.parametrize("amount", ["total_fen", "paid_fen", "discount_fen", "post_fee_fen"])
def test_an_order_amount_beyond_the_bound_is_refused(amount):
    with pytest.raises(PydanticValidationError, match=amount):
        normalized("B1", {"HG-001": 1}, **{amount: MAX_FEN + 1})
    assert normalized("B1", {"HG-001": 1}, **{amount: MAX_FEN}).model_dump()[amount] == MAX_FEN


def _row(order_id: str, qty: str, price: str = "19.90") -> dict[str, str]:
    headers = order_import.COLUMNS["taobao"]
    values = {"order_id": order_id, "buyer": "tb_buyer", "status": "买家已付款，等待卖家发货", "paid": "39.80",
              "total": "39.80", "post_fee": "0.00", "name": "张三", "phone": "13800138000",
              "address": "浙江省 杭州市 西湖区 文三路 100 号", "remark": "", "created": "2026-11-24 09:00:00",
              "paid_at": "2026-11-24 09:01:00", "sku": "HG-001", "title": "竹纤维毛巾", "qty": qty, "price": price}
    return {headers[key]: value for key, value in values.items()}


def test_an_import_row_beyond_the_bounds_is_a_row_error_and_nothing_is_written(seeded, tmp_path):
    import csv

    rows = [_row("7001", "2000000000"), _row("7002", "1", price="99999999999.00"), _row("7003", "1")]
    path = tmp_path / "export.csv"
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = order_import.import_file(seeded, path, "taobao", actor=Actor.system("t"))
    assert [str(e) for e in report.errors] == [
        "row 2, 购买数量: Input should be less than or equal to 1000000000: 2000000000 (order 7001)",
        "row 3, 价格: Input should be less than or equal to 1000000000: 9999999999900 (order 7002)",
    ]
    with read_session(seeded) as s:
        assert list(s.exec(select(Order.platform_order_id))) == ["7003"]
        assert s.exec(select(func.max(OrderLine.qty))).one() == 1
        assert s.exec(select(func.count()).select_from(StockMove)).one() == 0
