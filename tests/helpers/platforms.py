"""Platform payloads as the APIs document them (PROTOCOLS.md), and the simulator's SKUs."""

from __future__ import annotations

SKUS = ["HG-001", "MB-001", "HG-CUSTOM"]  # what the simulated shops sell in the adapter tests

# --- Taobao

TRADE = {
    "tid": 3123456789012345678, "status": "WAIT_SELLER_SEND_GOODS", "created": "2026-11-24 09:58:00",
    "pay_time": "2026-11-24 09:59:30", "modified": "2026-11-24 10:00:00", "payment": "123.40",
    "total_fee": "119.40", "post_fee": "10.00", "discount_fee": "6.00", "buyer_nick": "t**1",
    "buyer_open_uid": "AAHopenuid", "receiver_name": "张**", "receiver_mobile": "138****5678", "receiver_phone": "",
    "receiver_state": "浙江省", "receiver_city": "杭州市", "receiver_district": "西湖区", "receiver_town": "文新街道",
    "receiver_address": "文三路****", "receiver_zip": "310012", "buyer_message": "请尽快发货", "seller_memo": "VIP",
    "orders": {"order": [
        {"oid": 900000000000000001, "num_iid": 600000000001, "sku_id": "5000000001", "outer_iid": "HG",
         "outer_sku_id": "HG-001", "title": "竹纤维毛巾", "sku_properties_name": "颜色:白色", "num": 2, "price": "19.90",
         "payment": "33.80", "refund_status": "NO_REFUND"},
        {"oid": 900000000000000002, "num_iid": 600000000002, "sku_id": "", "outer_iid": "MB-001",
         "outer_sku_id": "", "title": "婴儿湿巾", "num": 1, "price": "79.60", "payment": "79.60",
         "refund_status": "NO_REFUND"},
    ]},
}

# --- JD

JD_ORDER = {
    "orderId": "312345678901", "orderState": "WAIT_SELLER_STOCK_OUT", "orderStartTime": "2026-11-24 09:50:00",
    "paymentConfirmTime": "2026-11-24 09:51:00", "modified": "2026-11-24 10:00:00", "orderTotalPrice": "198.00",
    "orderSellerPrice": "188.00", "orderPayment": "196.00", "freightPrice": "8.00", "sellerDiscount": "10.00",
    "orderRemark": "周末送货", "venderRemark": "", "consigneeInfo": {
        "fullname": "李**", "mobile": "139****1234", "telephone": "", "province": "江苏", "city": "南京市",
        "county": "鼓楼区", "town": "华侨路街道", "fullAddress": "江苏南京市鼓楼区华侨路街道中山北****"},
    "itemInfoList": [{"skuId": "100012345", "outerSkuId": "MB-001", "skuName": "婴儿湿巾", "itemTotal": "2",
                      "jdPrice": "99.00"}],
}



def tde_shaped(payload: bytes = b"\x10" * 24, *, cipher_type: int = 0, key_id: bytes = bytes(range(16))) -> str:
    """A string shaped as JD's TDE SDK takes for ciphertext (base64 of [type][…key id…][data]), built from the
    format itself, not from the simulator: weak (type 0) is [0][algorithm 4][16-byte key id][data]; regular and
    large (1, 2) are [type][key id length, 2 bytes big-endian][key id][data]."""
    import base64

    if cipher_type == 0:
        raw = bytes([0, 4]) + key_id[:16] + payload
    else:
        raw = bytes([cipher_type]) + len(key_id).to_bytes(2, "big") + key_id + payload
    return base64.b64encode(raw).decode()


# The same JD order as the encrypting platform sends it (PROTOCOLS.md): name, phones and address TDE-encrypted,
# the phones also masked in desen_mobile / desen_telephone.
JD_TDE_ORDER = {**JD_ORDER, "consigneeInfo": {
    "fullname": tde_shaped(b"name-of-li" * 3), "mobile": tde_shaped(b"mobile-139" * 3),
    "telephone": tde_shaped(b"tele-139" * 3, cipher_type=1), "desen_mobile": "139****1234",
    "desen_telephone": "139****1234", "province": "江苏", "city": "南京市", "county": "鼓楼区", "town": "华侨路街道",
    "fullAddress": tde_shaped(b"address-zhongshan-north" * 3, cipher_type=2)}}

# --- PDD

PDD_ORDER = {
    "order_sn": "261124-422796379670125", "order_status": 1, "refund_status": 1, "created_time": "2026-11-24 09:40:00",
    "confirm_time": "2026-11-24 09:41:00", "pay_time": "2026-11-24 09:41:00", "updated_at": "2026-11-24 10:00:00",
    "pay_amount": 188.0, "goods_amount": 199.9, "discount_amount": 17.9, "postage": 6.0,
    "province": "广东省", "city": "潮州市", "town": "潮安区", "province_id": 6, "city_id": 81, "town_id": 1056,
    "receiver_name": "~AgAAAAxyz~0~~", "receiver_phone": "$Y/YKabc$0$$", "receiver_address": "~AgAAAAaddr~0~~",
    "receiver_name_mask": "林*坤", "receiver_phone_mask": "1*********5", "receiver_address_mask": "庵埠镇安南路****",
    "buyer_memo": "", "remark": "",
    "item_list": [{"goods_id": 123, "sku_id": 456, "outer_id": "HG-CUSTOM", "outer_goods_id": "HG",
                   "goods_name": "定制刻字砧板", "goods_spec": "40x28cm", "goods_count": 1, "goods_price": 199.9}],
}


# The Taobao TOP signing vectors of ../shared/PROTOCOLS.md: the adapter's signer and the simulator's own
# are each checked against them (never against each other).
TOP_VECTOR_PARAMS = {
    "method": "taobao.trades.sold.increment.get", "app_key": "12345678", "session": "test-session",
    "timestamp": "2026-11-24 10:00:00", "format": "json", "v": "2.0", "sign_method": "md5",
    "start_modified": "2026-11-24 09:00:00", "end_modified": "2026-11-24 10:00:00", "page_no": "1",
    "page_size": "100", "use_has_next": "true", "fields": "tid,status,modified",
}
TOP_VECTOR_SECRET = "testsecret"
TOP_VECTOR_SIGNS = [
    ("md5", "DC19C80CDED49F13A2D15B38941A3802"),
    ("hmac", "CDB8BFF92B5EF8E5F09A95318F1A0E29"),
    ("hmac-sha256", "DD4A6ED714CA96F794EDF7C38F1942E157A3AB1D14E6CA711FA05D96FECEA19E"),
]
