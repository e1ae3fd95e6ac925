"""Each adapter against the live simulator on a free loopback port."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from oms_tui.config import ShopConfig
from oms_tui.errors import ConfigError, OmsError
from oms_tui.platforms import (
    JdClient,
    MalformedRecord,
    PddClient,
    PlatformAuthError,
    PlatformClockError,
    PlatformError,
    PlatformPermissionError,
    PlatformRateLimited,
    PlatformSignatureError,
    PlatformUnavailable,
    RetryPolicy,
    TaobaoClient,
    client_class,
    client_for,
)
from oms_tui.platforms.mapping import BEIJING
from oms_tui.platforms.taobao import TRADE_TYPES
from oms_tui.platforms.simulator import SimulatorHandle, SimulatorState
from oms_tui.services.orders.normalized import NormalizedOrder, PlatformState
from tests.helpers.platforms import JD_ORDER, PDD_ORDER, SKUS, TRADE

CLIENT_TIMEOUT = 5.0


def make_client(sim: SimulatorHandle, platform: str, retry: RetryPolicy | None = None, page_size: int = 100,
                **overrides):
    shop = next(s for s in sim.state.shops if s.platform == platform)
    config = sim.state.shop_config(shop, sim.base_url)
    config = ShopConfig.model_validate(config.model_dump() | overrides)  # validated: secrets become SecretStr
    return client_for(config, retry=retry or RetryPolicy.no_wait(), page_size=page_size, timeout=CLIENT_TIMEOUT)


def sim_shop(state: SimulatorState, platform: str):
    return next(s for s in state.shops if s.platform == platform)


def window(now: datetime, back: timedelta = timedelta(minutes=10)) -> tuple[datetime, datetime]:
    return now - back, now + timedelta(seconds=1)


def orders_only(results) -> list[NormalizedOrder]:
    return [r for r in results if isinstance(r, NormalizedOrder)]


# --- registry ------------------------------------------------------------------------------------


def test_registry_picks_the_client_by_platform(sim) -> None:
    for platform, cls in (("taobao", TaobaoClient), ("jd", JdClient), ("pdd", PddClient)):
        with make_client(sim, platform) as client:
            assert type(client) is cls
    with pytest.raises(ConfigError):
        client_class("amazon")


def test_bare_base_url_gets_the_platform_path(sim, state, now, rng) -> None:
    """A shop configured with just the simulator's base URL reaches each platform's usual path."""
    state.generate(6, now, rng, SKUS)
    for platform in ("taobao", "jd", "pdd"):
        with make_client(sim, platform, base_url=sim.base_url) as client:
            assert client.endpoint.startswith(sim.base_url) and client.endpoint != sim.base_url
            list(client.fetch_changed(*window(now)))


# --- Taobao --------------------------------------------------------------------------------------


def test_taobao_pagination_takes_whole_trades_from_the_listing(sim, state, now, rng) -> None:
    # Taobao's listing is read one Beijing day at a time: a window across midnight would read page 1 of each day.
    start, _end = window(now)
    if start.astimezone(BEIJING).date() != now.astimezone(BEIJING).date():
        now -= timedelta(minutes=15)
    state.generate(14, now, rng, SKUS, platforms=["taobao"])
    expected = {o.key for o in state.orders("taobao") if not o.key.startswith("malformed")}
    with make_client(sim, "taobao", page_size=3) as client:
        results = list(client.fetch_changed(*window(now)))
    ids = {r.platform_order_id for r in results}
    assert expected <= ids and len(results) == len(state.orders("taobao"))
    pages = [c.params["page_no"] for c in state.calls if c.api == "taobao.trades.sold.increment.get"]
    last = -(-len(state.orders("taobao")) // 3)
    assert last > 1 and pages == ["1", *(str(p) for p in range(last, 0, -1))]  # the total, then back from the last
    # The listing asked for every field the mapping reads: no detail call per trade, and each trade maps to
    # what its detail (fullinfo.get, the one-trade path) would have given.
    assert not [c for c in state.calls if c.api == "taobao.trade.fullinfo.get"]
    with make_client(sim, "taobao") as client:
        for listed in results:
            if listed.platform_order_id:
                assert client.fetch_trade(listed.platform_order_id) == listed


def test_a_record_without_an_id_on_a_window_boundary_is_told_once(sim, state, now, rng) -> None:
    """Adjoining windows share their boundary second (PDD: 30 minutes each): both list what changed then."""
    start = (now - timedelta(hours=1)).replace(microsecond=0)
    boundary = start + timedelta(minutes=30)
    state.add_malformed("pdd", "missing_id", boundary, rng=rng, sku_codes=SKUS)
    state.generate(3, boundary, rng, SKUS, platforms=["pdd"])
    with make_client(sim, "pdd") as client:
        results = list(client.fetch_changed(start, start + timedelta(minutes=50)))
    assert len(results) == len(state.orders("pdd"))
    assert len([r for r in results if isinstance(r, MalformedRecord)]) == len(
        [o for o in state.orders("pdd") if o.malformed])


def test_a_split_window_is_handed_over_half_by_half(sim, state, now, rng) -> None:
    """A window of many pages is halved; each half's orders come out before the next half is listed, so a sync
    holds one half (a few pages), never the whole day."""
    start, end = window(now, back=timedelta(minutes=50))
    if start.astimezone(BEIJING).date() != end.astimezone(BEIJING).date():
        now -= timedelta(hours=1)
        start, end = window(now, back=timedelta(minutes=50))
    state.generate(80, end - timedelta(minutes=1), rng, SKUS, spread=timedelta(minutes=45), platforms=["taobao"])

    def listings() -> int:
        return len([c for c in state.calls if c.api == "taobao.trades.sold.increment.get"])

    with make_client(sim, "taobao", page_size=3) as client:
        results = client.fetch_changed(start, end)
        next(results)
        calls_at_first = listings()
        rest = list(results)
    assert 1 + len(rest) == len(state.orders("taobao"))
    assert calls_at_first < listings()  # the later halves were listed after the first orders came out


def test_taobao_windows_same_day_at_most_one_day(sim, state, rng) -> None:
    end = datetime.now(BEIJING).replace(microsecond=0)
    start = end - timedelta(days=2, hours=3)
    state.generate(30, end, rng, SKUS, spread=end - start, platforms=["taobao"])
    with make_client(sim, "taobao", page_size=100) as client:
        results = list(client.fetch_changed(start, end))
    assert {r.platform_order_id for r in results} == {o.key for o in state.orders("taobao")
                                                       if not o.key.startswith("malformed")} | (
        {None} if any(o.key.startswith("malformed") for o in state.orders("taobao")) else set())
    calls = [c.params for c in state.calls if c.api == "taobao.trades.sold.increment.get"]
    days = (end.astimezone(BEIJING).date() - start.astimezone(BEIJING).date()).days + 1
    assert len(calls) == days >= 3  # one call per Beijing day (each < 100 orders)
    for p in calls:
        assert p["start_modified"][:10] == p["end_modified"][:10]
    assert calls[0]["start_modified"] == start.strftime("%Y-%m-%d %H:%M:%S")
    assert calls[0]["end_modified"].endswith("23:59:59") and calls[1]["start_modified"].endswith("00:00:00")


def test_taobao_asks_for_the_trade_types_the_shop_sells(sim, state, now, rng) -> None:
    """Without `type` the increment API lists only its 5 default types; a 旺铺 trade would be missed."""
    state.generate(40, now, rng, SKUS, platforms=["taobao"])
    outside = {o.key for o in state.orders("taobao") if o.payload.get("type") == "independent_shop_trade"}
    assert outside, "the simulator made no trade outside the default types"
    with make_client(sim, "taobao") as client:
        got = {r.platform_order_id for r in client.fetch_changed(*window(now))}
    assert outside <= got and len(got) == len(state.orders("taobao"))
    asked = {c.params.get("type") for c in state.calls if c.api == "taobao.trades.sold.increment.get"}
    assert asked == {",".join(TRADE_TYPES)}
    with make_client(sim, "taobao", trade_types=["fixed", "step"]) as client:  # a shop that sells only these
        narrowed = {r.platform_order_id for r in client.fetch_changed(*window(now))}
    assert narrowed == got - outside


def test_taobao_mapping_of_a_known_trade(sim, state, now) -> None:
    trade = copy.deepcopy(TRADE)
    trade["modified"] = now.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    state.put_order(sim_shop(state, "taobao"), trade, now)
    with make_client(sim, "taobao") as client:
        [order] = list(client.fetch_changed(*window(now)))
    assert order.platform_order_id == "3123456789012345678"
    assert (order.paid_fen, order.total_fen, order.post_fee_fen, order.discount_fen) == (12340, 11940, 1000, 600)
    assert (order.receiver_name, order.receiver_phone) == ("张**", "138****5678")
    assert order.state == PlatformState.PAID and order.shop == "天猫旗舰店"
    assert [l.sku_code for l in order.lines] == ["HG-001", "MB-001"]
    assert order.modified_at == now


def test_taobao_generated_orders_are_masked_and_mapped(sim, state, now, rng) -> None:
    state.generate(20, now, rng, SKUS, platforms=["taobao"])
    with make_client(sim, "taobao") as client:
        orders = orders_only(client.fetch_changed(*window(now)))
    assert orders
    for order in orders:
        assert order.receiver_name.endswith("**") and len(order.receiver_name) == 3
        assert order.receiver_phone[3:7] == "****" and len(order.receiver_phone) == 11
        assert all(l.sku_code in SKUS for l in order.lines)
        assert order.paid_fen == order.total_fen - order.discount_fen + order.post_fee_fen
    states = {o.state for o in orders}
    assert PlatformState.PAID in states


def test_taobao_malformed_records_surface_and_the_sync_goes_on(sim, state, now, rng) -> None:
    state.generate(3, now, rng, SKUS, platforms=["taobao"])
    kinds = {k: state.add_malformed("taobao", k, now) for k in ("missing_id", "bad_payment", "no_lines")}
    with make_client(sim, "taobao") as client:
        results = list(client.fetch_changed(*window(now)))
    bad = [r for r in results if isinstance(r, MalformedRecord)]
    assert len(bad) == len([o for o in state.orders("taobao") if o.malformed]) >= 3
    reasons = {r.platform_order_id: r.reason for r in bad}
    assert "tid" in reasons[None]
    assert "payment" in reasons[kinds["bad_payment"].key]
    assert "no lines" in reasons[kinds["no_lines"].key]
    assert len(orders_only(results)) == len([o for o in state.orders("taobao") if not o.malformed]) > 0


def test_taobao_rate_limit_is_retried_with_backoff(sim, state, now, rng, retry, sleeps) -> None:
    state.generate(2, now, rng, SKUS, platforms=["taobao"])
    state.inject_rate_limit("taobao", 2)
    with make_client(sim, "taobao", retry=retry) as client:
        results = list(client.fetch_changed(*window(now)))
    assert len(results) == 2
    assert sleeps == [1.0, 1.0]  # exponential back-off (0.5, 1.0), but never shorter than the 1-second ban
    assert [c.outcome for c in state.calls[:2]] == ["error 7", "error 7"]


def test_taobao_rate_limit_gives_up_after_the_attempts(sim, state, now) -> None:
    state.inject_rate_limit("taobao", 10)
    with make_client(sim, "taobao", retry=RetryPolicy.no_wait(attempts=3)) as client:
        with pytest.raises(PlatformRateLimited) as info:
            list(client.fetch_changed(*window(now)))
    assert info.value.code == "7" and "天猫旗舰店" in str(info.value)
    assert len(state.calls) == 3


def test_taobao_http_5xx_is_retried(sim, state, now, rng, retry, sleeps) -> None:
    state.generate(1, now, rng, SKUS, platforms=["taobao"])
    state.inject_http_error("taobao", 1, 503)
    with make_client(sim, "taobao", retry=retry) as client:
        assert len(list(client.fetch_changed(*window(now)))) == 1
    assert sleeps == [0.5]


def test_taobao_expired_session(sim, state, now) -> None:
    with make_client(sim, "taobao") as client:
        state.expire_session("taobao")
        with pytest.raises(PlatformAuthError) as info:
            list(client.fetch_changed(*window(now)))
    err = info.value
    assert isinstance(err, OmsError) and isinstance(err, PlatformError)
    assert err.code == "27" and err.platform == "taobao" and err.shop == "天猫旗舰店"
    assert "天猫旗舰店" in str(err) and "27" in str(err) and "re-authorize" in str(err)


def test_taobao_wrong_secret_is_a_bad_signature(sim, now) -> None:
    with make_client(sim, "taobao", app_secret="not-the-secret") as client:
        with pytest.raises(PlatformSignatureError) as info:
            list(client.fetch_changed(*window(now)))
    assert info.value.code == "25" and "天猫旗舰店" in str(info.value)


@pytest.mark.parametrize("sign_method", ["hmac", "hmac-sha256"])
def test_taobao_other_sign_methods(sim, state, now, rng, sign_method) -> None:
    state.generate(2, now, rng, SKUS, platforms=["taobao"])
    shop = state.shop_config(sim_shop(state, "taobao"), sim.base_url)
    with TaobaoClient(shop, sign_method=sign_method, retry=RetryPolicy.no_wait(), timeout=CLIENT_TIMEOUT) as client:
        assert len(list(client.fetch_changed(*window(now)))) == 2
    assert {c.params["sign_method"] for c in state.calls} == {sign_method}


def test_taobao_timestamp_is_beijing_time(sim, state, now) -> None:
    """A client that sent UTC instead of UTC+8 would be 8 hours off and refused (code 31)."""
    shop = state.shop_config(sim_shop(state, "taobao"), sim.base_url)
    skewed = TaobaoClient(shop, retry=RetryPolicy.no_wait(), timeout=CLIENT_TIMEOUT,
                          clock=lambda: datetime.now(timezone.utc) - timedelta(hours=8))
    with skewed, pytest.raises(PlatformError) as info:
        list(skewed.fetch_changed(*window(now)))
    assert info.value.code == "31"


def test_taobao_ship(sim, state, now, rng) -> None:
    state.generate(12, now, rng, SKUS, platforms=["taobao"])
    paid = next(o for o in state.orders("taobao") if o.draft and o.draft.status == "paid")
    with make_client(sim, "taobao") as client:
        client.ship(paid.key, "YT1234567890123", "yuantong")
        assert state.shipments[-1]["waybill"] == "YT1234567890123" and state.shipments[-1]["company"] == "YTO"
        after = client.fetch_trade(paid.key)
        assert isinstance(after, NormalizedOrder) and after.state == PlatformState.SHIPPED
        with pytest.raises(PlatformError) as info:  # already shipped: the platform refuses
            client.ship(paid.key, "YT1234567890123", "yuantong")
    assert info.value.code == "15" and type(info.value) is PlatformError


def test_taobao_vanished_trade_becomes_malformed(sim, state, now) -> None:
    with make_client(sim, "taobao") as client:
        result = client.fetch_trade("1234")
    assert isinstance(result, MalformedRecord) and result.platform_order_id == "1234"
    assert "isv.trade-not-exist" in result.reason


@pytest.mark.parametrize("api", ["taobao.trades.sold.increment.get", "taobao.trade.fullinfo.get"])
def test_taobao_refused_for_permission_stops_the_fetch(sim, state, now, rng, api) -> None:
    state.generate(2, now, rng, SKUS, platforms=["taobao"])
    paid = next(o for o in state.orders("taobao") if o.draft)
    state.inject_api_error("taobao", api, "permission")
    with make_client(sim, "taobao") as client, pytest.raises(PlatformPermissionError) as info:
        if api == "taobao.trade.fullinfo.get":
            client.fetch_one(paid.key)
        else:
            list(client.fetch_changed(*window(now)))
    assert info.value.code == "11" and info.value.sub_code == "isv.permission-api-package-limit"


def test_taobao_transient_isp_error_is_retried_with_backoff(sim, state, now, retry, sleeps) -> None:
    trade = copy.deepcopy(TRADE) | {"modified": now.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")}
    state.put_order(sim_shop(state, "taobao"), trade, now)
    state.inject_api_error("taobao", "taobao.trades.sold.increment.get", "transient", 2)
    with make_client(sim, "taobao", retry=retry) as client:
        [order] = list(client.fetch_changed(*window(now)))
        assert isinstance(order, NormalizedOrder) and sleeps == [0.5, 1.0]
        state.inject_api_error("taobao", "taobao.trade.fullinfo.get", "transient", 2)
        assert client.fetch_trade(order.platform_order_id) == order and sleeps == [0.5, 1.0, 0.5, 1.0]
        state.inject_api_error("taobao", "taobao.trade.fullinfo.get", "transient", 10)
        with pytest.raises(PlatformUnavailable) as info:  # it lasts: the sync stops, nothing "malformed"
            client.fetch_trade(order.platform_order_id)
    assert info.value.sub_code == "isp.top-remote-connection-timeout"


def test_unreachable_platform_is_unavailable(sim, state, now, retry, sleeps) -> None:
    base = sim.base_url
    shop = state.shop_config(sim_shop(state, "taobao"), base)
    sim.stop()
    with TaobaoClient(shop, retry=retry, timeout=1.0) as client:
        with pytest.raises(PlatformUnavailable) as info:
            list(client.fetch_changed(*window(now)))
    assert "天猫旗舰店" in str(info.value) and len(sleeps) == retry.attempts - 1


# --- JD ------------------------------------------------------------------------------------------


def test_jd_pagination_by_order_total(sim, state, now, rng) -> None:
    state.generate(11, now, rng, SKUS, platforms=["jd"])
    with make_client(sim, "jd", page_size=4) as client:
        results = list(client.fetch_changed(*window(now)))
    assert len(results) == len(state.orders("jd")) > 8
    calls = [c.params for c in state.calls if c.api == "jingdong.pop.order.search"]
    import json
    pages = [json.loads(p["360buy_param_json"])["page"] for p in calls]
    assert pages == ["1", "3", "2", "1"] and -(-len(results) // 4) == 3  # orderTotal, then back from the last
    biz = json.loads(calls[0]["360buy_param_json"])
    assert biz["page_size"] == "4" and biz["dateType"] == "0" and "WAIT_SELLER_STOCK_OUT" in biz["order_state"]
    assert " " not in calls[0]["360buy_param_json"].replace(biz["start_date"], "").replace(biz["end_date"], "")


def test_jd_mapping_of_a_known_order(sim, state, now) -> None:
    order = copy.deepcopy(JD_ORDER)
    state.put_order(sim_shop(state, "jd"), order, now)
    with make_client(sim, "jd") as client:
        [result] = list(client.fetch_changed(*window(now)))
    assert result.platform == "jd" and result.platform_order_id == "312345678901"
    assert (result.paid_fen, result.total_fen, result.post_fee_fen, result.discount_fen) == (19600, 19800, 800, 1000)
    assert (result.receiver_name, result.receiver_phone) == ("李**", "139****1234")
    assert [(l.sku_code, l.qty, l.price_fen) for l in result.lines] == [("MB-001", 2, 9900)]


def test_jd_cancellation_and_malformed(sim, state, now, rng) -> None:
    state.generate(25, now, rng, SKUS, platforms=["jd"])
    state.add_malformed("jd", "bad_payment", now)
    state.add_malformed("jd", "missing_id", now)
    with make_client(sim, "jd", page_size=10) as client:
        results = list(client.fetch_changed(*window(now)))
    bad = [r for r in results if isinstance(r, MalformedRecord)]
    assert len(bad) >= 2 and {"orderPayment" in r.reason or "orderId" in r.reason for r in bad} == {True}
    cancelled = {o.key for o in state.orders("jd") if o.draft and o.draft.status == "cancelled"}
    mapped = {o.platform_order_id: o for o in orders_only(results)}
    assert cancelled and all(mapped[k].state == PlatformState.CANCELLED for k in cancelled)


def test_jd_rate_limit_code_2_is_retried(sim, state, now, rng, retry, sleeps) -> None:
    """PROTOCOLS.md: JD 2 = "App Call Limited" (an error_response, not HTTP 429)."""
    state.generate(2, now, rng, SKUS, platforms=["jd"])
    state.inject_rate_limit("jd", 3)
    with make_client(sim, "jd", retry=retry) as client:
        assert len(list(client.fetch_changed(*window(now)))) == 2
    assert sleeps == [0.5, 1.0, 2.0]
    assert [c.outcome for c in state.calls[:3]] == ["error 2"] * 3


def test_jd_expired_token(sim, state, now) -> None:
    with make_client(sim, "jd") as client:
        state.expire_session("jd")
        with pytest.raises(PlatformAuthError) as info:
            list(client.fetch_changed(*window(now)))
    assert info.value.code == "19" and "京东自营专卖店" in str(info.value)


def test_jd_wrong_secret(sim, now) -> None:
    with make_client(sim, "jd", app_secret="wrong") as client:
        with pytest.raises(PlatformSignatureError) as info:
            list(client.fetch_changed(*window(now)))
    assert info.value.code == "12"  # PROTOCOLS.md: JD 12 = invalid signature (14 = missing method)


def test_jd_ship(sim, state, now, rng) -> None:
    state.generate(6, now, rng, SKUS, platforms=["jd"])
    paid = next(o for o in state.orders("jd") if o.draft and o.draft.status == "paid")
    shop = state.shop_config(sim_shop(state, "jd"), sim.base_url)
    with JdClient(shop, courier_codes={"zhongtong": "1499"}, retry=RetryPolicy.no_wait(),
                  timeout=CLIENT_TIMEOUT) as client:
        with pytest.raises(PlatformError, match="no JD logistics company id"):
            client.ship(paid.key, "75123456789012", "yunda")
        client.ship(paid.key, "75123456789012", "zhongtong")
        assert state.shipments[-1]["company"] == "1499"
        with pytest.raises(PlatformError, match="订单不存在或状态不允许出库"):
            client.ship(paid.key, "75123456789012", "zhongtong")


# --- PDD -----------------------------------------------------------------------------------------


def test_pdd_windows_of_thirty_minutes_and_has_next(sim, state, rng) -> None:
    end = datetime.now(timezone.utc).replace(microsecond=0)
    start = end - timedelta(hours=2, minutes=5)
    state.generate(40, end, rng, SKUS, spread=end - start, platforms=["pdd"])
    with make_client(sim, "pdd", page_size=4) as client:
        results = list(client.fetch_changed(start, end))
    keys = {o.key for o in state.orders("pdd") if not o.key.startswith("malformed")}
    assert keys <= {r.platform_order_id for r in results}
    assert len(results) == len(state.orders("pdd"))
    calls = [c.params for c in state.calls if c.api == "pdd.order.number.list.increment.get"]
    spans = {(p["start_updated_at"], p["end_updated_at"]) for p in calls}
    assert len(spans) == 5  # 125 minutes → 30+30+30+30+5
    assert all(int(b) - int(a) <= 1800 for a, b in spans)
    assert any(p["page"] == "2" for p in calls)  # paged within a window


def test_pdd_boundary_order_is_yielded_once(sim, state) -> None:
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
    boundary = start + timedelta(minutes=30)  # end of the first window, start of the second
    order = copy.deepcopy(PDD_ORDER)
    state.put_order(sim_shop(state, "pdd"), order, boundary)
    with make_client(sim, "pdd") as client:
        results = list(client.fetch_changed(start, start + timedelta(hours=1)))
    assert [r.platform_order_id for r in results] == ["261124-422796379670125"]


def test_pdd_mapping_masked_copies_not_ciphertext(sim, state, now, rng) -> None:
    state.generate(15, now, rng, SKUS, platforms=["pdd"])
    with make_client(sim, "pdd") as client:
        orders = orders_only(client.fetch_changed(*window(now)))
    assert orders
    for o in orders:
        raw = state.find_order("pdd", o.platform_order_id).payload
        assert raw["receiver_name"].startswith("~AgAAAA") and raw["receiver_phone"].startswith("$")
        assert o.receiver_name == raw["receiver_name_mask"] and "*" in o.receiver_name
        assert o.receiver_phone == raw["receiver_phone_mask"]
        assert o.receiver_phone[0] == "1" and set(o.receiver_phone[1:-1]) == {"*"} and len(o.receiver_phone) == 11
        assert "~" not in o.receiver_address and "$" not in o.receiver_address
        assert o.receiver_district == raw["town"]
        assert o.paid_fen == round(raw["pay_amount"] * 100)


def test_pdd_refunded_before_shipping_is_cancelled(sim, state, now) -> None:
    order = {**copy.deepcopy(PDD_ORDER), "refund_status": 4}
    state.put_order(sim_shop(state, "pdd"), order, now)
    with make_client(sim, "pdd") as client:
        [result] = list(client.fetch_changed(*window(now)))
    assert result.state == PlatformState.CANCELLED and result.paid_fen == 18800


def test_pdd_malformed(sim, state, now) -> None:
    for kind in ("missing_id", "bad_payment", "no_lines"):
        state.add_malformed("pdd", kind, now)
    with make_client(sim, "pdd") as client:
        results = list(client.fetch_changed(*window(now)))
    assert len(results) == 3 and all(isinstance(r, MalformedRecord) for r in results)
    assert sorted(r.platform_order_id is None for r in results) == [False, False, True]


def test_pdd_rate_limit_52001_is_retried(sim, state, now, rng, retry, sleeps) -> None:
    state.generate(3, now, rng, SKUS, platforms=["pdd"])
    state.inject_rate_limit("pdd", 1)
    with make_client(sim, "pdd", retry=retry) as client:
        assert len(list(client.fetch_changed(*window(now)))) == 3
    assert sleeps == [0.5]
    assert state.calls[0].outcome == "error 52001"


def test_pdd_expired_token(sim, state, now) -> None:
    with make_client(sim, "pdd") as client:
        state.expire_session("pdd")
        with pytest.raises(PlatformAuthError) as info:
            list(client.fetch_changed(*window(now)))
    assert info.value.code == "10019" and "拼多多官方店" in str(info.value)


def test_pdd_wrong_secret(sim, now) -> None:
    with make_client(sim, "pdd", app_secret="wrong") as client:
        with pytest.raises(PlatformSignatureError) as info:
            list(client.fetch_changed(*window(now)))
    assert "拼多多官方店" in str(info.value)


def test_pdd_ship(sim, state, now, rng) -> None:
    state.generate(6, now, rng, SKUS, platforms=["pdd"])
    paid = next(o for o in state.orders("pdd") if o.draft and o.draft.status == "paid")
    with make_client(sim, "pdd") as client:
        with pytest.raises(PlatformError, match="logistics_id"):
            client.ship(paid.key, "JT1234567890123", "jtexpress")
        client.ship(paid.key, "JT1234567890123", "85")  # an all-digit code is PDD's own logistics_id
        after = client.fetch_order(paid.key)
    assert isinstance(after, NormalizedOrder) and after.state == PlatformState.SHIPPED
    assert state.shipments[-1] == {**state.shipments[-1], "waybill": "JT1234567890123", "company": "85"}


@pytest.mark.parametrize(("platform", "error", "expected"), [
    ("jd", {"code": "12", "zh_desc": "x", "en_desc": "x"}, PlatformSignatureError),
    ("jd", {"code": "14", "zh_desc": "x", "en_desc": "x"}, PlatformError),  # missing method: not the signature
    ("jd", {"code": "2", "zh_desc": "x", "en_desc": "x"}, PlatformRateLimited),
    ("jd", {"code": "8", "zh_desc": "x", "en_desc": "x"}, PlatformClockError),
    ("jd", {"code": "19", "zh_desc": "x", "en_desc": "x"}, PlatformAuthError),
    ("pdd", {"error_code": 20004, "error_msg": "x"}, PlatformSignatureError),
    ("pdd", {"error_code": 10019, "error_msg": "x"}, PlatformAuthError),
    ("taobao", {"code": 7, "msg": "x"}, PlatformRateLimited),
    ("taobao", {"code": 11, "msg": "x"}, PlatformPermissionError),
    ("taobao", {"code": 25, "msg": "x"}, PlatformSignatureError),
    ("taobao", {"code": 27, "msg": "x"}, PlatformAuthError),
    ("taobao", {"code": 15, "msg": "x", "sub_code": "isp.x-service-unavailable"}, PlatformUnavailable),
])
def test_documented_error_codes_alone_are_classified(platform, error, expected, now) -> None:
    """PROTOCOLS.md's codes, with a message that names nothing (the adapters also read the text)."""
    http = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200, json={
        "error_response": error})))
    shop = ShopConfig(name="店", platform=platform, base_url="http://platform.test", app_key="k", app_secret="s",
                      session="t")
    with client_for(shop, http=http, retry=RetryPolicy.no_wait(attempts=1)) as client:
        with pytest.raises(PlatformError) as info:
            list(client.fetch_changed(*window(now)))
    assert type(info.value) is expected and info.value.code == str(error.get("code", error.get("error_code")))


def test_taobao_ban_is_not_waited_out_in_the_call(sim, state, now, retry, sleeps) -> None:
    """Code 7 "This ban will last for N more seconds": longer than the retries would wait, so the
    call gives up at once and says how long (the sync pauses the shop until then)."""
    state.ban("taobao", 600)
    with make_client(sim, "taobao", retry=retry) as client, pytest.raises(PlatformRateLimited) as info:
        list(client.fetch_changed(*window(now)))
    assert info.value.code == "7" and 590 <= info.value.retry_after <= 600
    assert sleeps == [] and len(state.calls) == 1
    state.ban("taobao", 0)
    state.inject_rate_limit("taobao", 1)  # "1 more seconds": short enough to wait for, then retried
    with make_client(sim, "taobao", retry=retry) as client:
        assert list(client.fetch_changed(*window(now))) == []
    assert sleeps == [1.0]


def test_client_refuses_a_shop_of_another_platform(sim, state) -> None:
    shop = state.shop_config(sim_shop(state, "jd"), sim.base_url)
    with pytest.raises(ValueError):
        PddClient(shop)
