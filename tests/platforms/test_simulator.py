"""The simulator itself: start/stop, generated data, tick rate, the platforms' rules it enforces."""

from __future__ import annotations

import random
import re
import socket
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from oms_tui.platforms import PlatformError, RetryPolicy, client_for
from oms_tui.platforms import pdd as pdd_mod
from oms_tui.platforms import taobao as tb_mod
from oms_tui.platforms.mapping import format_beijing
from oms_tui.platforms.signing import pdd_sign, top_sign
from oms_tui.platforms.simulator import PATHS, SimulatorState, run_simulator
from tests.helpers.platforms import SKUS


def test_server_starts_on_a_free_port_and_really_stops() -> None:
    state = SimulatorState.with_demo_shops(SKUS, seed=1)
    handle = run_simulator("127.0.0.1", 0, state)
    try:
        assert handle.port > 0 and handle.base_url == f"http://127.0.0.1:{handle.port}"
        assert httpx.get(handle.url_for("taobao"), timeout=5).status_code == 200
    finally:
        handle.stop(timeout=5)
    assert not handle.running
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", handle.port), timeout=1).close()


def test_context_manager_stops(state) -> None:
    with run_simulator(state=state) as handle:
        assert handle.running
    assert not handle.running


def test_generate_makes_realistic_orders(state) -> None:
    rng = random.Random(3)
    t0 = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)
    events = state.generate(150, t0, rng, SKUS)
    events += state.generate(150, t0 + timedelta(minutes=5), rng, SKUS)
    kinds = {e.kind.split(":")[0] for e in events}
    assert {"new_paid", "new_unpaid", "cancelled", "address_changed", "malformed"} <= kinds
    for o in state.orders("taobao"):
        if o.malformed:
            continue
        p = o.payload
        assert re.fullmatch(r".\*\*", p["receiver_name"]) and re.fullmatch(r"1\d\d\*{4}\d{4}", p["receiver_mobile"])
        assert isinstance(p["tid"], int) and re.fullmatch(r"\d+\.\d\d", p["payment"])
        assert all(line["outer_sku_id"] in SKUS or line["outer_iid"] in SKUS for line in p["orders"]["order"])
    for o in state.orders("pdd"):
        if o.malformed:
            continue
        p = o.payload
        assert re.fullmatch(r"~AgAAAA.+~0~~", p["receiver_name"]) and re.fullmatch(r"\$.+\$0\$\$", p["receiver_phone"])
        assert re.fullmatch(r"1\*{9}\d", p["receiver_phone_mask"])
        assert isinstance(p["pay_amount"], float)
    changed = [e for e in events if e.kind in ("cancelled", "address_changed") and e.platform != "jd"]
    assert any(state.find_order(e.platform, e.order_id).modified > state.find_order(e.platform, e.order_id).created
               for e in changed)


def test_generate_uses_the_callers_catalogue(state) -> None:
    state.generate(30, datetime.now(timezone.utc), random.Random(1), {"SKU-A": ("抱枕", 4990)}, platforms=["jd"])
    lines = [line for o in state.orders("jd") if o.draft for line in o.payload["itemInfoList"]]
    assert lines and {(l["outerSkuId"], l["skuName"], l["jdPrice"]) for l in lines} == {("SKU-A", "抱枕", "49.90")}


def test_tick_generates_at_the_configured_rate(state) -> None:
    state.rate_per_minute = 3.0
    t0 = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)
    state.sku_codes = SKUS
    assert state.tick(t0) == []  # starts the clock
    counts = [len(state.tick(t0 + timedelta(seconds=10 * i))) for i in range(1, 13)]  # 2 minutes
    assert sum(counts) == 6 and max(counts) <= 1
    assert len(state.tick(t0 + timedelta(minutes=12))) == 30


def _signed_taobao(shop, api: str, **biz: str) -> dict[str, str]:
    params = {"method": api, "app_key": shop.app_key, "session": shop.session,
              "timestamp": format_beijing(datetime.now(timezone.utc)), "format": "json", "v": "2.0",
              "sign_method": "md5", **biz}
    params["sign"] = top_sign(params, shop.app_secret)
    return params


def test_taobao_rules_window_fields_and_empty_result(sim, state, now, rng) -> None:
    shop = next(s for s in state.shops if s.platform == "taobao")
    url = sim.url_for("taobao")
    state.generate(5, now, rng, SKUS, platforms=["taobao"])
    start = format_beijing(now - timedelta(minutes=5))
    end = format_beijing(now + timedelta(seconds=1))
    # GET works as well as POST; only the requested fields come back
    body = httpx.get(url, params=_signed_taobao(shop, tb_mod.API_INCREMENT, start_modified=start, end_modified=end,
                                                fields="tid,status"), timeout=5).json()
    trades = body["trades_sold_increment_get_response"]["trades"]["trade"]
    assert trades and all(set(t) <= {"tid", "status"} for t in trades)
    # across midnight (Beijing): refused
    body = httpx.post(url, data=_signed_taobao(shop, tb_mod.API_INCREMENT, start_modified="2026-11-24 23:00:00",
                                               end_modified="2026-11-25 01:00:00"), timeout=5).json()
    assert body["error_response"]["code"] == 41
    # nothing in the window: no "trades" key at all, and the client copes
    body = httpx.post(url, data=_signed_taobao(shop, tb_mod.API_INCREMENT, start_modified="2020-01-01 00:00:00",
                                               end_modified="2020-01-01 01:00:00"), timeout=5).json()
    assert "trades" not in body["trades_sold_increment_get_response"]
    cfg = state.shop_config(shop, sim.base_url)
    with client_for(cfg, retry=RetryPolicy.no_wait(), timeout=5) as client:
        assert list(client.fetch_changed(datetime(2020, 1, 1, tzinfo=timezone.utc),
                                         datetime(2020, 1, 1, 1, tzinfo=timezone.utc))) == []


def test_pdd_rules_window_and_json_body(sim, state, now) -> None:
    shop = next(s for s in state.shops if s.platform == "pdd")
    cfg = state.shop_config(shop, sim.base_url)
    with client_for(cfg, retry=RetryPolicy.no_wait(), timeout=5) as client:
        with pytest.raises(PlatformError) as info:  # a 31-minute window is refused
            client._call(pdd_mod.API_INCREMENT, {"start_updated_at": int(now.timestamp()) - 1860,
                                                 "end_updated_at": int(now.timestamp())})
        assert info.value.code == str(10000)
    params = {"type": pdd_mod.API_INCREMENT, "client_id": shop.app_key, "access_token": shop.session,
              "timestamp": str(int(now.timestamp())), "data_type": "JSON", "version": "V1",
              "start_updated_at": str(int(now.timestamp()) - 60), "end_updated_at": str(int(now.timestamp()))}
    params["sign"] = pdd_sign(params, shop.app_secret)
    body = httpx.post(sim.base_url + PATHS["pdd"][1], json=params, timeout=5).json()
    assert body["order_sn_increment_get_response"]["order_sn_list"] == []


def test_demo_shop_configs_point_at_each_platform(sim) -> None:
    configs = {c.platform: c for c in sim.shop_configs()}
    assert configs["taobao"].base_url.endswith("/taobao/router/rest")
    assert configs["jd"].base_url.endswith("/jd/routerjson")
    assert configs["pdd"].base_url.endswith("/pdd/api/router")


def test_background_ticking_generates_until_stopped() -> None:
    state = SimulatorState.with_demo_shops(SKUS, seed=5, rate_per_minute=6000.0)  # 100 a second
    handle = run_simulator(state=state, tick_seconds=0.05)
    try:
        deadline = time.monotonic() + 5
        while not state.orders() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert state.orders()
    finally:
        handle.stop(timeout=5)
    count = len(state.orders())
    time.sleep(0.2)
    assert len(state.orders()) == count  # the ticker stopped with the server


def test_demo_courier_codes_ship_on_every_platform(sim, state, now, rng) -> None:
    state.generate(30, now, rng, SKUS)
    for platform in ("taobao", "jd", "pdd"):
        paid = next(o for o in state.orders(platform) if o.draft and o.draft.status == "paid")
        cfg = state.shop_config(next(s for s in state.shops if s.platform == platform), sim.base_url)
        with client_for(cfg, courier_codes=sim.courier_codes(platform), retry=RetryPolicy.no_wait(), timeout=5) as c:
            c.ship(paid.key, "SF1234567890123", "shunfeng")
    assert [s["platform"] for s in state.shipments] == ["taobao", "jd", "pdd"]
    assert [s["company"] for s in state.shipments] == ["SF", "9000", "8000"]
