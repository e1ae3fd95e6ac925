"""Sample data for each printed document, as the services enqueue it."""

from __future__ import annotations

SHOP = "家居母婴旗舰店"

PICK_LIST = {
    "wave": "W20261111-003", "warehouse": "WH1 杭州仓", "created_at": "2026-11-11T01:30:00+00:00",
    "lines": [
        {"bin": "A-01-01", "sku": "HG-001", "name": "竹纤维毛巾加厚加大款浴室家用吸水速干不掉毛", "spec": "34x76cm",
         "qty": 3},
        {"bin": "B-02-03", "sku": "MB-001-EXTRA-LONG-SKU-CODE", "name": "婴儿湿巾", "spec": "80抽x3包", "qty": 12},
        {"bin": "C-01-01", "sku": "HG-CUSTOM", "name": "定制刻字砧板", "spec": "40x28cm", "qty": 1},
    ],
    "orders": [
        {"ref": "TB00000001", "receiver": "王小明", "items": 2},
        {"ref": "3456789012345678901", "receiver": "欧阳娜娜娜娜娜娜娜娜娜娜娜娜", "items": 13},
        {"ref": "231111-123456789012", "receiver": "李四", "items": 1},
    ],
}

PACKING_SLIP = {
    "order": "TB2026111100001", "platform": "taobao", "shop": "旗舰店", "receiver_name": "王小明",
    "receiver_phone": "+86 139-8765-4321",
    "address": "浙江省杭州市西湖区文三路100号华星时代广场A座1201室（前台代收）",
    "remark": "请发顺丰，谢谢！\x1dV\x00\x1b@ 周末不在家",  # control bytes must never reach the printer
    "items": [
        {"sku": "HG-001", "name": "竹纤维毛巾", "spec": "34x76cm", "qty": 2},
        {"sku": "MB-001", "name": "婴儿湿巾超柔软加厚款手口专用大包装家庭装", "spec": "80抽x3包", "qty": 1},
    ],
}

RETURN_SLIP = {
    "order": "JD300012345678", "return_id": 42, "reason": "尺寸不合适，买家七天无理由退货", "refund_fen": 2990,
    "lines": [
        {"sku": "MB-001", "name": "婴儿湿巾", "qty": 1, "condition": "resaleable"},
        {"sku": "HG-001", "name": "竹纤维毛巾", "qty": 2, "condition": "damaged"},
    ],
}
