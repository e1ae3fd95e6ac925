"""Douyin Shop (抖店): the signer against the public ``doudian`` SDK and fixed vectors, mapping (statuses, fen,
remarks, gifts, encrypted receivers), paging under change, refunds, ship notices, token create / refresh, and the
simulator's strictness (bad sign, unsorted param_json, expired token, rate limit)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from pydantic import SecretStr

from oms_tui.config import OAuthConfig
from oms_tui.models import RefundState
from oms_tui.platforms import PlatformAuthError, PlatformRateLimited, PlatformSignatureError, RetryPolicy, client_for
from oms_tui.platforms import douyin
from oms_tui.platforms.base import MalformedRecord
from oms_tui.platforms.oauth import oauth_for
from oms_tui.platforms.signing import douyin_param_json, douyin_sign
from oms_tui.services.customers import withheld
from oms_tui.services.customers.matching import match_basis, order_identity
from oms_tui.services.customers.normalize import PhoneKind, classify_phone, looks_encrypted
from oms_tui.services.orders.normalized import PlatformState

# Test vectors, computed from the algorithm (signing.py's docstring) and checked against the doudian SDK below.
APP_KEY, SECRET = "7000000000000000001", "ddsecret"
LIST_PARAMS = {"update_time_start": 1795989000, "update_time_end": 1795990800, "page": 0, "size": 100,
               "order_by": "update_time", "order_asc": False}
LIST_JSON = ('{"order_asc":false,"order_by":"update_time","page":0,"size":100,'
             '"update_time_end":1795990800,"update_time_start":1795989000}')
HMAC_VECTOR = "203e522388331905649adbac622332dea04c15fbcc3d30a87d4a17aba8b1c7e5"
MD5_VECTOR = "c717beb53baf01a24fd422d9b17f9dd5"
TOKEN_VECTOR = "ac1743391258b182c317722f1347a9bf81a39fbdd32be3edbb1fc470f387f0fc"  # timestamp as a Beijing time


def test_param_json_sorts_keys_at_every_depth_without_spaces() -> None:
    assert douyin_param_json(LIST_PARAMS) == LIST_JSON
    assert douyin_param_json({"b": {"z": 1, "a": "中"}, "a": ["x"]}) == '{"a":["x"],"b":{"a":"中","z":1}}'


def test_the_signer_reproduces_the_vectors() -> None:
    assert douyin_sign(APP_KEY, SECRET, "order.searchList", LIST_JSON, 1795990800) == HMAC_VECTOR
    assert douyin_sign(APP_KEY, SECRET, "order.searchList", LIST_JSON, "1795990800", sign_method="md5") == MD5_VECTOR
    assert douyin_sign(APP_KEY, SECRET, "token.create", '{"code":"abc","grant_type":"authorization_code"}',
                       "2026-11-24 10:00:00") == TOKEN_VECTOR
    with pytest.raises(ValueError):
        douyin_sign(APP_KEY, SECRET, "order.searchList", LIST_JSON, 1, sign_method="hmac")


def test_the_signer_agrees_with_the_doudian_sdk() -> None:
    doudian = pytest.importorskip("doudian")
    sdk = doudian.DouDian(APP_KEY, SECRET, app_type=doudian.AppType.TOOL)  # TOOL without a code: no network
    for method, param_json, ts in (("order.searchList", LIST_JSON, "1795990800"),
                                   ("order.logisticsAdd", '{"company_code":"yuantong","logistics_code":"YT1"}',
                                    "2026-11-24 10:00:00")):
        assert douyin_sign(APP_KEY, SECRET, method, param_json, ts) == sdk._sign(method, param_json, ts)


# --- mapping -----------------------------------------------------------------------------------

def _payload(**over):
    order = {
        "order_id": "6912345678901234567", "order_status": 2, "create_time": 1795989000, "pay_time": 1795989060,
        "update_time": 1795989100, "order_amount": 12900, "pay_amount": 11900, "post_amount": 0,
        "promotion_amount": 1000, "buyer_words": "请周末送", "seller_words": "加急",
        "encrypt_post_receiver": "~AbCdEfGh~1~~", "encrypt_post_tel": "$QwErTyUi$1$$",
        "mask_post_receiver": "王**", "mask_post_tel": "1********35",
        "post_addr": {"province": {"name": "浙江省", "id": "33"}, "city": {"name": "杭州市"}, "town": {"name": "西湖区"},
                      "street": {"name": "西溪街道"}, "detail": "", "encrypt_detail": "#ZxCvBnM#1##"},
        "mask_post_addr": {"detail": "文三路****"}, "open_address_id": "#OdfQ5MRY8CwIUc=",
        "sku_order_list": [
            {"order_id": "6912345678901234501", "product_id": 3600001, "sku_id": 1700001, "code": "MB-BOTTLE-240",
             "product_name": "玻璃奶瓶", "spec": [{"name": "容量", "value": "240ml"}], "item_num": 2,
             "origin_amount": 5950, "given_product_type": "MASTER"},
            {"order_id": "6912345678901234502", "product_id": 3600002, "sku_id": 1700002, "code": "MB-BIB",
             "product_name": "围兜", "item_num": 1, "origin_amount": 990, "given_product_type": "FREE"},
        ],
    }
    order.update(over)
    return order


def test_an_order_maps_in_fen_with_remarks_gifts_and_masked_receiver() -> None:
    o = douyin.map_order(_payload(), "抖音小店")
    assert (o.state, o.paid_fen, o.total_fen, o.discount_fen) == (PlatformState.PAID, 11900, 12900, 1000)
    assert o.created_at == datetime.fromtimestamp(1795989000, timezone.utc)
    assert (o.buyer_remark, o.seller_memo) == ("请周末送", "加急")
    assert [(line.sku_code, line.qty, line.price_fen) for line in o.lines] == [("MB-BOTTLE-240", 2, 5950),
                                                                               ("MB-BIB", 1, 0)]
    assert o.lines[1].title.startswith("【赠品】") and o.lines[0].platform_sku_id == "1700001"
    assert (o.receiver_name, o.receiver_phone, o.receiver_province, o.receiver_district) == ("王**", "1********35",
                                                                                          "浙江省", "西湖区")
    assert o.receiver_address == "西溪街道文三路****" and o.receiver_address_id == "#OdfQ5MRY8CwIUc="
    assert classify_phone(o.receiver_phone).kind == PhoneKind.MASKED
    shown = (o.receiver_name, o.receiver_phone, o.receiver_address, o.buyer_id)
    assert not any(looks_encrypted(v) for v in shown)
    parts = withheld.unseal(o.receiver_opaque)
    assert parts == {"oaid": "#OdfQ5MRY8CwIUc=", "name": "~AbCdEfGh~1~~", "mobile": "$QwErTyUi$1$$",
                     "address": "#ZxCvBnM#1##"}


class _Stored:
    """An Order as waybill_receiver reads it."""

    def __init__(self, o) -> None:  # noqa: ANN001
        self.__dict__.update(o.model_dump())


def test_the_waybill_gets_the_ciphertext_and_the_address_id() -> None:
    receiver = withheld.waybill_receiver(_Stored(douyin.map_order(_payload())))
    assert (receiver.name, receiver.phone, receiver.address) == ("~AbCdEfGh~1~~", "$QwErTyUi$1$$", "#ZxCvBnM#1##")
    assert receiver.oaid == "#OdfQ5MRY8CwIUc=" and receiver.withheld


@pytest.mark.parametrize(("status", "state"), [(1, PlatformState.AWAITING_PAYMENT), (2, PlatformState.PAID),
                                               (3, PlatformState.SHIPPED), (4, PlatformState.CANCELLED),
                                               (5, PlatformState.FINISHED)])
def test_statuses(status, state) -> None:
    assert douyin.map_order(_payload(order_status=status)).state == state


def test_105_is_held_and_a_fully_refunded_paid_order_is_cancelled_and_bad_records_are_malformed() -> None:
    held = douyin.map_order(_payload(order_status=105))
    assert held.state == PlatformState.PAID and "order_status" in held.platform_block
    lines = [{**line, "after_sale_info": {"refund_status": 3}} for line in _payload()["sku_order_list"]]
    assert douyin.map_order(_payload(sku_order_list=lines)).state == PlatformState.CANCELLED
    for bad in (_payload(pay_amount="12.5"), _payload(order_status=77), _payload(sku_order_list=[]),
                _payload(create_time=None)):
        result = douyin.to_result(bad)
        assert isinstance(result, MalformedRecord) and result.platform_order_id == "6912345678901234567"


def test_orders_to_one_masked_receiver_match_on_the_open_address_id_within_douyin_only() -> None:
    a = order_identity(douyin.map_order(_payload()))
    b = order_identity(douyin.map_order(_payload(order_id="6912345678901239999",
                                                 mask_post_addr={"detail": "**********"})))
    basis = match_basis(a, b)
    assert basis is not None and not basis.strong and "open address id" in basis.text
    other = order_identity(douyin.map_order(_payload(open_address_id="#Another=", mask_post_addr={"detail": "****"})))
    assert match_basis(a, other) is None


# --- against the simulator ---------------------------------------------------------------------------

def _client(sim, **kw):
    shop = next(s for s in sim.state.shops if s.platform == "douyin")
    return client_for(sim.state.shop_config(shop, sim.base_url), retry=RetryPolicy.no_wait(), **kw)


def test_sync_reads_every_order_even_when_orders_change_between_pages(sim, state, now, rng) -> None:
    state.generate(23, now - timedelta(minutes=5), rng, ["MB-BOTTLE-240"], spread=timedelta(minutes=20),
                   platforms=["douyin"])
    expected = {o.key for o in state.orders("douyin")}
    moved: list[str] = []

    def buyer_changes_an_order(platform: str, page: int, keys: list[str]) -> None:
        if platform == "douyin" and page == 1 and keys and not moved:  # page 1 (0-based) read backwards first
            moved.append(keys[0])
            state.touch("douyin", keys[0], now + timedelta(minutes=5))  # leaves the window

    state.after_listing(buyer_changes_an_order)
    with _client(sim, page_size=5) as client:
        got = list(client.fetch_changed(now - timedelta(minutes=30), now))
    assert moved and {o.platform_order_id for o in got} == expected
    assert all(not isinstance(o, MalformedRecord) for o in got)
    sizes = [json.loads(c.params["param_json"])["size"] for c in state.calls if c.api == "order.searchList"]
    assert sizes and set(sizes) == {5}


def test_detail_ship_notice_and_refunds(sim, state, now, rng) -> None:
    state.generate(6, now, rng, ["MB-BOTTLE-240"], platforms=["douyin"])
    shop = next(s for s in state.shops if s.platform == "douyin")
    first, second = sorted(o.key for o in state.orders("douyin") if o.draft and o.draft.status == "paid")[:2]
    with _client(sim) as client:
        detail = client.fetch_one(first)
        assert not isinstance(detail, MalformedRecord), detail
        assert detail.platform_order_id == first and detail.receiver_address_id.startswith("#")
        client.ship(first, "YT1234567890123", "yuantong")
        assert state.shipments[-1]["company"] == "yuantong"
        refund = state.add_refund(shop, second, status="6", at=now)
        with pytest.raises(douyin.PlatformError) as refused:  # a pending refund stops the ship notice
            client.ship(second, "YT1234567890124", "yuantong")
        assert refused.value.permanent
        state.update_refund(shop, refund.refund_id, status="12", at=now + timedelta(seconds=1))
        notices = list(client.fetch_refunds(now - timedelta(minutes=5), now + timedelta(minutes=1)))
    assert [(n.refund_id, n.platform_order_id, n.state) for n in notices] == [
        (refund.refund_id, second, RefundState.REFUNDED)]


def test_the_simulator_refuses_a_bad_sign_unsorted_json_and_an_expired_token(sim, state) -> None:
    shop = next(s for s in state.shops if s.platform == "douyin")
    ts = str(int(datetime.now(timezone.utc).timestamp()))

    def call(body: str, sign: str | None = None, token: str = shop.session) -> dict:
        query = {"app_key": shop.app_key, "method": "order.searchList", "timestamp": ts, "v": "2",
                 "sign_method": "hmac-sha256", "access_token": token,
                 "sign": sign or douyin_sign(shop.app_key, shop.app_secret, "order.searchList", body, ts)}
        return httpx.post(sim.base_url + "/douyin/order/searchList", params=query, content=body, timeout=5).json()

    assert call('{"page":0,"size":10}')["code"] == 10000
    assert call('{"page":0,"size":10}', sign="0" * 64)["sub_code"] == "isv.signature-invalid"
    assert call('{"size":10,"page":0}')["sub_code"] == "isv.parameter-format-invalid"
    assert call('{"page":0,"size":101}')["code"] == 40004
    expired = call('{"page":0,"size":10}', token="stale")
    assert (expired["code"], expired["sub_code"]) == (40003, "isv.access-token-expired")


def test_the_adapter_tells_a_bad_secret_an_expired_token_and_a_rate_limit_apart(sim, state, now) -> None:
    shop = next(s for s in state.shops if s.platform == "douyin")
    config = state.shop_config(shop, sim.base_url)
    with client_for(config.model_copy(update={"app_secret": SecretStr("wrong")}), retry=RetryPolicy.no_wait()) as client:
        with pytest.raises(PlatformSignatureError):
            list(client.fetch_changed(now - timedelta(minutes=5), now))
    state.expire_session("douyin")
    with client_for(config, retry=RetryPolicy.no_wait()) as client, pytest.raises(PlatformAuthError):
        list(client.fetch_changed(now - timedelta(minutes=5), now))
    state.inject_rate_limit("douyin", 5)
    with _client(sim) as client, pytest.raises(PlatformRateLimited):
        list(client.fetch_changed(now - timedelta(minutes=5), now))


def test_token_create_and_refresh(sim, state) -> None:
    shop = next(s for s in state.shops if s.platform == "douyin")
    config = state.shop_config(shop, sim.base_url)
    settings = OAuthConfig.model_validate({"douyin": {**sim.oauth_settings()["douyin"],
                                                      "redirect_uri": "https://oms.example.com/cb"}})
    with oauth_for(config, settings) as flow:
        page = httpx.get(flow.authorize_url("s1"), timeout=5)
        code = httpx.URL(page.headers["location"]).params["code"]
        grant = flow.exchange_code(code)
        assert grant.access_token and grant.refresh_token and grant.expires_at and grant.refresh_expires_at
        renewed = flow.refresh(grant.refresh_token)
        assert renewed.access_token != grant.access_token
        with pytest.raises(Exception) as refused:  # the old refresh token died with the refresh
            flow.refresh(grant.refresh_token)
        assert "token" in str(refused.value)
    with client_for(config.model_copy(update={"session": SecretStr(renewed.access_token)}),
                    retry=RetryPolicy.no_wait()) as client:
        assert list(client.fetch_changed(datetime.now(timezone.utc) - timedelta(minutes=1),
                                         datetime.now(timezone.utc))) == []
