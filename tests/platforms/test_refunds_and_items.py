"""The adapters' refund lists and item listings against the live simulator: the documented shapes, paging
(read from the last page back, so a refund that changes mid-listing never hides another), status mapping."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from oms_tui.config import ShopConfig
from oms_tui.models import RefundState
from oms_tui.platforms import MalformedRecord, PlatformError, RetryPolicy, client_for
from oms_tui.platforms.simulator import SimSku
from oms_tui.services.catalogue.sku_mapping import ListedSku
from oms_tui.services.orders.refunds import RefundNotice
from tests.helpers.platforms import SKUS

OPEN = {"taobao": "WAIT_SELLER_AGREE", "pdd": "2", "jd": "0"}
CLOSED = {"taobao": "CLOSED", "pdd": "11", "jd": "11"}
PAID = {"taobao": "SUCCESS", "pdd": "10", "jd": "1"}


def make_client(sim, platform):
    shop = next(s for s in sim.state.shops if s.platform == platform)
    config = ShopConfig.model_validate(sim.state.shop_config(shop, sim.base_url).model_dump())
    return client_for(config, retry=RetryPolicy.no_wait(), timeout=5.0)


def shop_of(state, platform):
    return next(s for s in state.shops if s.platform == platform)


def orders_of(state, platform, now, rng, n=3):
    """``n`` orders of the platform's shop (generated traffic also brings malformed records: skipped)."""
    keys: list[str] = []
    while len(keys) < n:
        state.generate(n, now - timedelta(hours=1), rng, SKUS, platforms=[platform])
        keys = [o.key for o in state.orders(platform) if o.draft is not None]
    return keys[:n]


def window(now):
    return now - timedelta(minutes=20), now + timedelta(seconds=1)


@pytest.mark.parametrize("platform", ["taobao", "pdd", "jd"])
def test_refunds_come_mapped_with_their_state_reason_and_amount(sim, state, now, rng, platform):
    shop = shop_of(state, platform)
    first, second, third = orders_of(state, platform, now, rng)
    state.add_refund(shop, first, status=OPEN[platform], reason="不想要了", amount_fen=1990, at=now - timedelta(minutes=5))
    state.add_refund(shop, second, status=CLOSED[platform], reason="拍错了", amount_fen=500, at=now - timedelta(minutes=4))
    state.add_refund(shop, third, status=PAID[platform], reason="少件", amount_fen=2990, at=now - timedelta(minutes=3))
    for r in list(shop.refunds.values())[1:]:
        state.update_refund(shop, r.refund_id, status=r.status, at=now - timedelta(minutes=2))  # decided
    with make_client(sim, platform) as client:
        got = sorted(client.fetch_refunds(*window(now)), key=lambda n: n.platform_order_id)
    assert all(isinstance(n, RefundNotice) for n in got)
    by_order = {n.platform_order_id: n for n in got}
    assert set(by_order) == {first, second, third}
    assert (by_order[first].state, by_order[first].reason, by_order[first].amount_fen) == (
        RefundState.REQUESTED, "不想要了", 1990)
    assert by_order[second].state == RefundState.CLOSED and by_order[third].state == RefundState.REFUNDED
    assert by_order[first].modified_at == now - timedelta(minutes=5)
    assert by_order[first].platform == platform and by_order[first].status == OPEN[platform]


@pytest.mark.parametrize(("platform", "count", "api"), [
    ("taobao", 230, "taobao.refunds.receive.get"),
    ("pdd", 250, "pdd.refund.list.increment.get"),
    ("jd", 120, "jingdong.pop.afs.soa.refundapply.queryPageList"),
])
def test_a_refund_changing_mid_listing_hides_no_other(sim, state, now, rng, platform, count, api):
    shop = shop_of(state, platform)
    (key,) = orders_of(state, platform, now, rng, n=1)
    for n in range(count):
        state.add_refund(shop, key, status=OPEN[platform], at=now - timedelta(minutes=15) + timedelta(seconds=n))
    newest = max(shop.refunds.values(), key=lambda r: (r.created, r.refund_id))
    calls = []

    def change_after_the_first_page(called_api, page):
        calls.append(page)
        if called_api == api and len(calls) == 2:  # after page 1 (the total) and one more page
            # the newest refund (on page 1) moves on: out of this window, the rest shift one place up
            state.update_refund(shop, newest.refund_id, status=CLOSED[platform], at=now + timedelta(hours=1))
            newest.created = now + timedelta(hours=1)  # JD lists by application time: it leaves that window too

    state.between_pages = change_after_the_first_page
    with make_client(sim, platform) as client:
        seen = {n.refund_id for n in client.fetch_refunds(*window(now))}
    untouched = {r.refund_id for r in shop.refunds.values()} - {newest.refund_id}
    assert untouched <= seen
    assert calls[:4] == [1, 3, 2, 1]  # page 1 for the total, then from the last page back


def test_the_simulator_would_catch_forward_paging(sim, state, now, rng):
    """The same change against a reader that pages forward loses an untouched refund: the simulator is
    as strict as the documentation warns."""
    shop = shop_of(state, "taobao")
    (key,) = orders_of(state, "taobao", now, rng, n=1)
    for n in range(150):
        state.add_refund(shop, key, status="WAIT_SELLER_AGREE", at=now - timedelta(minutes=15) + timedelta(seconds=n))
    newest = max(shop.refunds.values(), key=lambda r: r.modified)
    state.between_pages = lambda api, page: page == 1 and state.update_refund(
        shop, newest.refund_id, status="CLOSED", at=now + timedelta(hours=1))
    start, end = window(now)
    seen: set[str] = set()
    with make_client(sim, "taobao") as client:
        for page in (1, 2):
            body = client._call("taobao.refunds.receive.get", {
                "fields": "refund_id", "page_no": page, "page_size": 100,
                "start_modified": start.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S"),
                "end_modified": end.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")})
            seen |= {str(r["refund_id"]) for r in body.get("refunds", {}).get("refund", [])}
    assert len(({r.refund_id for r in shop.refunds.values()} - {newest.refund_id}) - seen) == 1


def test_jd_reads_open_applications_again_by_id(sim, state, now, rng):
    shop = shop_of(state, "jd")
    (key,) = orders_of(state, "jd", now, rng, n=1)
    old = state.add_refund(shop, key, status="0", reason="不想要了", at=now - timedelta(days=3))
    state.update_refund(shop, old.refund_id, status="11", at=now - timedelta(minutes=1), decided=False)  # withdrawn
    with make_client(sim, "jd") as client:
        assert list(client.fetch_refunds(*window(now))) == []  # neither applied nor checked in the window
        (found,) = list(client.fetch_refunds(*window(now), open_refund_ids=[old.refund_id]))
    assert (found.refund_id, found.state) == (old.refund_id, RefundState.CLOSED)


def test_a_refund_that_cannot_be_mapped_is_a_malformed_record(sim, state, now, rng):
    shop = shop_of(state, "pdd")
    (key,) = orders_of(state, "pdd", now, rng, n=1)
    refund = state.add_refund(shop, key, status="2", at=now - timedelta(minutes=5))
    refund.status = "退款中"  # not a number
    with make_client(sim, "pdd") as client:
        (bad,) = list(client.fetch_refunds(*window(now)))
    assert isinstance(bad, MalformedRecord) and bad.platform_order_id == key


@pytest.mark.parametrize(("platform", "api", "params"), [
    ("pdd", "pdd.refund.list.increment.get", {"after_sales_status": 1, "after_sales_type": 1,
                                              "start_updated_at": 0, "end_updated_at": 1801}),  # > 30 minutes
    ("pdd", "pdd.refund.list.increment.get", {"start_updated_at": 0, "end_updated_at": 60}),  # statuses required
    ("taobao", "taobao.refunds.receive.get", {"fields": "refund_id", "page_size": 101}),
    ("taobao", "taobao.refunds.receive.get", {"page_size": 10}),  # fields required
    ("taobao", "taobao.item.skus.get", {"fields": "sku_id", "num_iids": ",".join(str(n) for n in range(41))}),
    ("taobao", "taobao.items.onsale.get", {"fields": "num_iid", "page_no": 101, "page_size": 200}),
    ("jd", "jingdong.pop.afs.soa.refundapply.queryPageList", {"pageIndex": 1, "pageSize": 51}),
])
def test_the_simulator_refuses_what_the_documentation_does(sim, platform, api, params):
    with make_client(sim, platform) as client, pytest.raises(PlatformError):
        client._call(api, params)


def _listing(state, platform, items=45):
    shop = shop_of(state, platform)
    for n in range(items):
        state.add_item(shop, str(600000 + n), f"竹纤维毛巾 {n}", outer_id=f"HG{n}",
                       skus=[SimSku(str(7000000 + 10 * n + k), f"HG-{n:03d}-{k}", f"规格:{k + 1}条装", 1990)
                             for k in range(2)])
    state.add_item(shop, "699999", "婴儿湿巾 单品", outer_id="MB-001")  # sold without SKUs
    state.add_item(shop, "699998", "下架商品", skus=[SimSku("7999999", "OFF-1")], on_sale=False)


@pytest.mark.parametrize("platform", ["taobao", "pdd", "jd"])
def test_the_shops_items_are_listed_per_sku(sim, state, platform):
    _listing(state, platform)
    with make_client(sim, platform) as client:
        listed = list(client.list_items())
    by_sku = {(i.platform_item_id, i.platform_sku_id): i for i in listed}
    assert ("699998", "7999999") not in by_sku  # not on sale
    assert by_sku[("600044", "7000441")] == ListedSku(
        "600044", "7000441", outer_item_code="" if platform == "jd" else "HG44", outer_sku_code="HG-044-1",
        title="竹纤维毛巾 44", spec="规格:2条装")
    skus = [k for k in by_sku if k[1]]
    assert len(skus) == 90
    if platform == "taobao":  # the SKU-less item, and the SKUs of 45 items asked 40 at a time
        assert by_sku[("699999", "")].outer_item_code == "MB-001"
        asked = [c.params["num_iids"].count(",") + 1 for c in state.calls if c.api == "taobao.item.skus.get"]
        assert sorted(asked) == [6, 40]


def test_paging_of_the_taobao_refund_list_is_as_documented(sim, state, now, rng):
    shop = shop_of(state, "taobao")
    (key,) = orders_of(state, "taobao", now, rng, n=1)
    for n in range(45):
        state.add_refund(shop, key, status="WAIT_SELLER_AGREE", at=now - timedelta(minutes=10) + timedelta(seconds=n))
    with make_client(sim, "taobao") as client:
        first = client._call("taobao.refunds.receive.get", {"fields": "refund_id,modified", "page_no": 1})
        has_next = client._call("taobao.refunds.receive.get", {"fields": "refund_id", "page_no": 2,
                                                               "use_has_next": "true"})
    listed = first["refunds"]["refund"]
    assert first["total_results"] == 45 and len(listed) == 40  # the documented default page size
    assert [r["modified"] for r in listed] == sorted((r["modified"] for r in listed), reverse=True)
    assert set(listed[0]) == {"refund_id", "modified"}  # fields
    assert "total_results" not in has_next and has_next["has_next"] is False
    assert len(has_next["refunds"]["refund"]) == 5
