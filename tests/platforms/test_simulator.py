"""The simulator itself: start/stop, generated data, tick rate, the platforms' rules it enforces."""

from __future__ import annotations

import ast
import json
import random
import re
import socket
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from oms_tui.platforms import PlatformError, RetryPolicy, client_for
from oms_tui.platforms import pdd as pdd_mod
from oms_tui.platforms import simulator as simulator_package
from oms_tui.platforms import taobao as tb_mod
from oms_tui.platforms.mapping import format_beijing
from oms_tui.platforms.signing import jd_sign, pdd_sign, top_sign
from oms_tui.platforms.simulator import PATHS, SimOrder, SimulatorState, run_simulator
from oms_tui.platforms.simulator import jd as sim_jd
from oms_tui.platforms.simulator import pdd as sim_pdd
from oms_tui.platforms.simulator import taobao as sim_taobao
from tests.helpers.platforms import (
    SKUS,
    TOP_VECTOR_PARAMS,
    TOP_VECTOR_SECRET,
    TOP_VECTOR_SIGNS,
)


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


def test_the_order_index_answers_what_a_scan_of_every_order_would(state) -> None:
    """The listings and the generator read each shop's index rather than scan all its orders: after orders are
    made, paid, cancelled, re-addressed, shipped, touched, stored by hand and changed behind the state's back,
    every window and every random pick agrees with a scan."""
    rng = random.Random(5)
    t0 = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)
    state.generate(200, t0, rng, SKUS, spread=timedelta(hours=2))
    for shop in state.shops:  # the sorted lists are built: from here on every change updates them in place
        shop.between("modified", t0, t0)
    events = state.generate(300, t0 + timedelta(minutes=30), rng, SKUS, spread=timedelta(hours=2))
    assert {"paid", "cancelled", "address_changed"} <= {e.kind for e in events}
    paid = [o for o in state.orders() if o.draft and o.draft.status == "paid"]
    for order in paid[:6]:
        state.ship(order, "YT1234567890123", "yuantong")
    touched = next(o for o in paid[6:] if o.platform == "taobao")
    state.touch("taobao", touched.key, t0 - timedelta(hours=5))  # back to an earlier window
    taobao = next(s for s in state.shops if s.platform == "taobao")
    state.put_order(taobao, {"tid": 1, "status": "WAIT_SELLER_SEND_GOODS"}, t0 - timedelta(minutes=1))
    taobao.orders["2"] = SimOrder("taobao", "2", t0, t0, {"tid": 2})  # past the state: the index is filed again
    quiet = next(o for o in taobao.orders.values() if o.draft and o.draft.status == "paid")
    quiet.draft.status = "finished"  # changed without a touch: never picked as paid again
    spans = [(t0 - timedelta(days=1), datetime.now(timezone.utc) + timedelta(days=1))] + [
        tuple(sorted(t0 - timedelta(hours=3) + timedelta(seconds=rng.randrange(5 * 3600)) for _ in range(2)))
        for _ in range(40)]
    for shop in state.shops:
        for moment in ("modified", "created"):
            for start, end in spans:
                scanned = {o.key for o in shop.orders.values() if start <= getattr(o, moment) <= end}
                assert sorted(o.key for o in shop.between(moment, start, end)) == sorted(scanned)
        for status in ("paid", "unpaid", "cancelled", "shipped"):
            having = {o.key for o in shop.orders.values() if o.draft and o.draft.status == status}
            picks = {getattr(shop.pick(status, rng), "key", None) for _ in range(40)}
            assert picks <= having if having else picks == {None}
    assert quiet.key not in {getattr(taobao.pick("paid", rng), "key", None) for _ in range(200)}
    assert "2" in {o.key for o in taobao.between("modified", t0, t0)}


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
    # some line fields only: the lines come with those alone
    body = httpx.get(url, params=_signed_taobao(shop, tb_mod.API_INCREMENT, start_modified=start, end_modified=end,
                                                fields="tid,orders.oid,orders.num"), timeout=5).json()
    trades = body["trades_sold_increment_get_response"]["trades"]["trade"]
    assert trades and all(set(t) == {"tid", "orders"} for t in trades)
    assert all(set(line) == {"oid", "num"} for t in trades for line in t["orders"]["order"])
    # without fields (required, on fullinfo.get too): refused, never the whole trade
    for api, biz in ((tb_mod.API_INCREMENT, {"start_modified": start, "end_modified": end}),
                     (tb_mod.API_FULLINFO, {"tid": str(trades[0]["tid"])})):
        body = httpx.post(url, data=_signed_taobao(shop, api, **biz), timeout=5).json()
        assert body["error_response"]["code"] == 40 and "fields" in body["error_response"]["msg"]
    # across midnight (Beijing): refused
    body = httpx.post(url, data=_signed_taobao(shop, tb_mod.API_INCREMENT, start_modified="2026-11-24 23:00:00",
                                               end_modified="2026-11-25 01:00:00", fields="tid"), timeout=5).json()
    assert body["error_response"]["code"] == 41
    # nothing in the window: no "trades" key at all, and the client copes
    body = httpx.post(url, data=_signed_taobao(shop, tb_mod.API_INCREMENT, start_modified="2020-01-01 00:00:00",
                                               end_modified="2020-01-01 01:00:00", fields="tid"), timeout=5).json()
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


def test_taobao_lists_only_the_default_trade_types_unless_asked(sim, state, now, rng) -> None:
    shop = next(s for s in state.shops if s.platform == "taobao")
    state.generate(40, now, rng, SKUS, platforms=["taobao"])
    window = dict(start_modified=format_beijing(now - timedelta(minutes=5)), end_modified=format_beijing(now))

    def listed(**extra: str) -> set[str]:
        body = httpx.post(sim.url_for("taobao"), data=_signed_taobao(shop, tb_mod.API_INCREMENT, fields="tid",
                                                                    page_size="100", **window, **extra), timeout=5)
        box = body.json()["trades_sold_increment_get_response"]
        assert "total_results" in box and "has_next" not in box  # no use_has_next: the total
        return {str(t.get("tid")) for t in box["trades"]["trade"]}

    shop_trades = {o.key for o in state.orders("taobao") if o.payload.get("type") == "independent_shop_trade"}
    assert shop_trades and not shop_trades & listed()  # guarantee_trade, auto_delivery, ec, cod, step only
    assert shop_trades <= listed(type="fixed,independent_shop_trade")


def test_pdd_serves_the_fields_that_forbid_shipping(sim, state, now, rng) -> None:
    state.generate(3, now, rng, SKUS, platforms=["pdd"])
    order = next(o for o in state.orders("pdd") if o.draft and o.draft.status == "paid")
    assert {k: order.payload[k] for k in ("confirm_status", "group_status", "risk_control_status")} == {
        "confirm_status": 1, "group_status": 1, "risk_control_status": 0}
    state.block("pdd", order.key, "risk_review")
    assert order.payload["risk_control_status"] == 1
    assert order.payload["receiver_name"] == order.payload["receiver_phone_mask"] == ""  # hidden under review
    state.block("pdd", order.key, "group_forming")
    assert (order.payload["group_status"], order.payload["risk_control_status"]) == (0, 0)


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


# --- the simulator is written from PROTOCOLS.md, not from the adapters -------------------------

ADAPTER_MODULES = {f"oms_tui.platforms.{name}" for name in ("taobao", "jd", "pdd", "base", "signing")}


def _imported_modules(source: str, package: str) -> set[str]:
    """Every module an ``import`` / ``from … import`` in ``source`` names (``from a import b`` gives a and a.b)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the simulator package
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _adapter_imports(source: str) -> set[str]:
    """The adapter modules ``source`` imports (or imports something from)."""
    return {bad for m in _imported_modules(source, "oms_tui.platforms.simulator") for bad in ADAPTER_MODULES
            if m == bad or m.startswith(bad + ".")}


def test_the_import_check_sees_every_form_of_import() -> None:
    assert _adapter_imports("from oms_tui.platforms import jd as jd_mod") == {"oms_tui.platforms.jd"}
    assert _adapter_imports("import oms_tui.platforms.signing") == {"oms_tui.platforms.signing"}
    assert _adapter_imports("from oms_tui.platforms.base import RetryPolicy") == {"oms_tui.platforms.base"}
    assert _adapter_imports("from ..taobao import API_INCREMENT") == {"oms_tui.platforms.taobao"}
    assert _adapter_imports("if True:\n    from oms_tui.platforms.pdd import ERR_SIGN") == {"oms_tui.platforms.pdd"}
    assert _adapter_imports("from oms_tui.platforms.simulator import taobao") == set()


def test_no_simulator_module_imports_an_adapter() -> None:
    files = sorted(Path(simulator_package.__file__).parent.rglob("*.py"))
    assert {"taobao.py", "jd.py", "pdd.py", "state.py", "server.py"} <= {f.name for f in files}
    offenders = {f.name: sorted(_adapter_imports(f.read_text(encoding="utf-8"))) for f in files}
    assert {name: bad for name, bad in offenders.items() if bad} == {}


@pytest.mark.parametrize(("sign_method", "expected"), TOP_VECTOR_SIGNS)
def test_simulator_taobao_signature_reproduces_the_protocol_vectors(sign_method: str, expected: str) -> None:
    params = {**TOP_VECTOR_PARAMS, "sign_method": sign_method}
    assert sim_taobao.expected_sign(params, TOP_VECTOR_SECRET, sign_method) == expected


def test_simulator_jd_and_pdd_signatures_reproduce_the_protocol_vectors() -> None:
    jd_params = {"method": "jingdong.pop.order.search", "app_key": "jd-app-1", "access_token": "jd-token",
                 "timestamp": "2026-11-24 10:00:00", "format": "json", "v": "2.0", "sign_method": "md5",
                 "360buy_param_json": '{"start_date":"2026-11-24 09:00:00","end_date":"2026-11-24 10:00:00",'
                                      '"order_state":"WAIT_SELLER_STOCK_OUT","page":"1","page_size":"100"}'}
    assert sim_jd.expected_sign(jd_params, "jdsecret") == "EB6121C9C60FB8702512F5167C0A7132"
    pdd_params = {"type": "pdd.order.number.list.increment.get", "client_id": "pdd-client-1",
                  "access_token": "pdd-token", "timestamp": "1795990800", "data_type": "JSON", "version": "V1",
                  "is_lucky_flag": "0", "order_status": "5", "refund_status": "5", "start_updated_at": "1795989000",
                  "end_updated_at": "1795990800", "page": "1", "page_size": "100", "use_has_next": "true"}
    assert sim_pdd.expected_sign(pdd_params, "pddsecret") == "DE268CD03323A8D453F66131B2B75250"


def _jd_request(shop, *, secret: str | None = None, at: datetime | None = None) -> dict[str, str]:
    params = {"method": "jingdong.pop.order.search", "app_key": shop.app_key, "access_token": shop.session,
              "timestamp": format_beijing(at or datetime.now(timezone.utc)), "format": "json", "v": "2.0",
              "sign_method": "md5", "360buy_param_json": json.dumps({"start_date": "2026-11-24 09:00:00",
                                                                     "end_date": "2026-11-24 10:00:00"})}
    params["sign"] = jd_sign(params, secret or shop.app_secret)
    return params


def test_jd_errors_are_the_documented_codes(sim, state) -> None:
    """PROTOCOLS.md: JD 12 invalid signature, 8 invalid timestamp (±6 min), 19 invalid access_token."""
    shop = next(s for s in state.shops if s.platform == "jd")
    url = sim.url_for("jd")

    def code(params: dict[str, str]) -> str:
        body = httpx.post(url, data=params, timeout=5).json()
        assert "error_response" in body, body
        return body["error_response"]["code"]

    assert code(_jd_request(shop, secret="wrong")) == "12"
    assert code(_jd_request(shop, at=datetime.now(timezone.utc) - timedelta(minutes=7))) == "8"
    before_expiry = _jd_request(shop)
    state.expire_session("jd")
    assert code(before_expiry) == "19"


def test_pdd_wrong_signature_is_the_documented_code(sim, state, now) -> None:
    """PROTOCOLS.md: PDD 20004 = signature check failed."""
    shop = next(s for s in state.shops if s.platform == "pdd")
    params = {"type": "pdd.order.information.get", "client_id": shop.app_key, "access_token": shop.session,
              "timestamp": str(int(now.timestamp())), "data_type": "JSON", "version": "V1", "order_sn": "x"}
    params["sign"] = pdd_sign(params, "not-the-secret")
    body = httpx.post(sim.url_for("pdd"), data=params, timeout=5).json()
    assert body["error_response"]["error_code"] == 20004
