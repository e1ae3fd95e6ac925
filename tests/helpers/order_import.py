"""Platform export files to import: Taobao rows and CSV files of them."""

from __future__ import annotations

import csv

from oms_tui.services.intake import order_import

TAOBAO_HEADER = list(order_import.COLUMNS["taobao"].values())


def taobao_row(order_id, sku, qty, status="买家已付款，等待卖家发货", **over):
    row = {"订单编号": order_id, "买家会员名": "tb_buyer", "订单状态": status, "买家实际支付金额": "39.80",
           "总金额": "39.80", "运费": "0.00", "收货人姓名": "张**", "联系手机": "138****5678",
           "收货地址": "浙江省 杭州市 西湖区 文三路 100 号", "买家留言": "", "订单创建时间": "2026-11-24 09:00:00",
           "订单付款时间": "2026-11-24 09:01:00", "商家编码": sku, "宝贝标题": "竹纤维毛巾", "购买数量": str(qty),
           "价格": "19.90"}
    row.update(over)
    return row


def write_csv(path, rows, encoding="utf-8-sig", header=TAOBAO_HEADER):
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path
