"""Listing a window of changed orders while buyers keep changing them: nothing untouched is lost.

Taobao and Pinduoduo list newest first and document that pages must be read from the last back to
the first ("必须采用倒序的分页方式（从最后一页往回取）才能避免漏单"). An order that changes while the
listing is read leaves the window (its modified time is now later than the window's end), and every
order behind it moves up one place: read front to back, the order that moved onto a page already
read is skipped.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from oms_tui.config import ShopConfig
from oms_tui.platforms import PlatformResponseError, RetryPolicy, client_for
from oms_tui.platforms.base import ListingPage, count_pages
from oms_tui.platforms.simulator import SimulatorHandle, SimulatorState
from tests.helpers.platforms import SKUS

LISTING_API = {"taobao": "taobao.trades.sold.increment.get", "pdd": "pdd.order.number.list.increment.get",
               "jd": "jingdong.pop.order.search"}


def make_client(sim: SimulatorHandle, platform: str, page_size: int):
    shop = next(s for s in sim.state.shops if s.platform == platform)
    config = ShopConfig.model_validate(sim.state.shop_config(shop, sim.base_url).model_dump())
    return client_for(config, retry=RetryPolicy.no_wait(), page_size=page_size, timeout=5.0)


def listing_pages(state: SimulatorState, platform: str) -> list[int]:
    pages = []
    for call in state.calls:
        if call.api != LISTING_API[platform] or call.outcome != "ok":
            continue
        biz = json.loads(call.params["360buy_param_json"]) if platform == "jd" else call.params
        pages.append(int(biz.get("page_no") or biz.get("page")))
    return pages


def a_quiet_window(state: SimulatorState, platform: str, rng, n: int) -> tuple[datetime, datetime]:
    """``n`` orders modified one by one in a window that ended a minute ago (as the sync asks)."""
    end = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=1)
    start = end - timedelta(minutes=20)
    state.generate(n, end - timedelta(minutes=1), rng, SKUS, spread=timedelta(minutes=15), platforms=[platform])
    return start, end


@pytest.mark.parametrize("platform", ["taobao", "pdd", "jd"])
def test_an_order_changing_mid_listing_costs_no_other_order(sim, state, rng, platform) -> None:
    start, end = a_quiet_window(state, platform, rng, 23)
    touched: list[str] = []

    def buyer_changes_an_order(listed_platform: str, page: int, keys: list[str]) -> None:
        fresh = [k for k in keys if k not in touched]
        if listed_platform == platform and fresh:  # after every page, one order on it changes now
            touched.append(fresh[0])
            state.touch(platform, fresh[0])

    state.after_listing(buyer_changes_an_order)
    in_window = {o.key for o in state.orders(platform) if not o.malformed}
    with make_client(sim, platform, page_size=5) as client:
        got = {r.platform_order_id for r in client.fetch_changed(start, end)}
    assert len(touched) >= 2
    untouched = in_window - set(touched)
    assert untouched - got == set(), "orders nobody touched were lost by the paging"
    pages = listing_pages(state, platform)
    assert 1 in pages[-1:], f"page 1 must be read last, after the others: {pages}"


@pytest.mark.parametrize("platform", ["taobao", "pdd"])
def test_pages_are_read_from_the_last_to_the_first_with_the_documented_total(sim, state, rng, platform) -> None:
    start, end = a_quiet_window(state, platform, rng, 14)
    with make_client(sim, platform, page_size=5) as client:
        results = list(client.fetch_changed(start, end))
    assert len(results) == len(state.orders(platform)) > 10
    last = -(-len(results) // 5)
    # page 1 for the total, then back from the last page to the first
    assert listing_pages(state, platform) == [1, *range(last, 0, -1)]
    listing = [c.params for c in state.calls if c.api == LISTING_API[platform]]
    assert all(p.get("use_has_next") != "true" for p in listing)  # has_next alone gives no total


def test_one_page_is_one_call(sim, state, rng) -> None:
    start, end = a_quiet_window(state, "pdd", rng, 4)
    with make_client(sim, "pdd", page_size=5) as client:
        assert len(list(client.fetch_changed(start, end))) == 4
    assert listing_pages(state, "pdd") == [1]


def test_a_crowded_window_is_split_until_it_has_few_pages(sim, state, rng) -> None:
    """JD: short windows, few pages. Over SPLIT_AFTER_PAGES pages, a window is halved and each half read."""
    from oms_tui.platforms.base import SPLIT_AFTER_PAGES

    start, end = a_quiet_window(state, "jd", rng, 40)
    with make_client(sim, "jd", page_size=3) as client:
        got = {r.platform_order_id for r in client.fetch_changed(start, end)}
    assert got == {o.key for o in state.orders("jd")}
    searches = [json.loads(c.params["360buy_param_json"]) for c in state.calls if c.api == LISTING_API["jd"]]
    read = [s for s in searches if s["page"] != "1"]  # the pages past the first, read in the final windows
    windows = {(s["start_date"], s["end_date"]) for s in searches}
    assert len(windows) > 2
    per_window: dict[tuple[str, str], int] = {}
    for s in read:
        key = (s["start_date"], s["end_date"])
        per_window[key] = max(per_window.get(key, 0), int(s["page"]))
    assert per_window and max(per_window.values()) <= SPLIT_AFTER_PAGES


# --- counting the pages without a total (use_has_next only) -------------------------------------


def test_without_a_total_the_pages_are_counted_by_walking_has_next() -> None:
    """A platform that answers has_next but no total: walk forward to find the last page, then read back."""
    served = {1: ListingPage(["a", "b"], has_next=True), 2: ListingPage(["c", "d"], has_next=True),
              3: ListingPage(["e"], has_next=False)}
    asked: list[int] = []

    def read(page: int) -> ListingPage:
        asked.append(page)
        return served[page]

    assert count_pages(served[1], read, page_size=2) == 3
    assert asked == [2, 3]
    assert count_pages(ListingPage(["a"], total=0), read, page_size=2) == 1
    assert count_pages(ListingPage(["a", "b"], total=5), read, page_size=2) == 3
    assert count_pages(ListingPage(["a"], has_next=False), read, page_size=2) == 1


def test_jd_without_an_order_total_reads_every_page(sim, state, rng) -> None:
    """A listing that leaves orderTotal out: full pages are followed until a short one, then read back."""
    start, end = a_quiet_window(state, "jd", rng, 11)
    served = state.handle

    def without_total(platform, params):
        answer = served(platform, params)
        if platform == "jd" and isinstance(answer.body, dict):
            for body in answer.body.values():
                if isinstance(body, dict) and isinstance(body.get("searchorderinfo_result"), dict):
                    body["searchorderinfo_result"].pop("orderTotal", None)
        return answer

    state.handle = without_total  # type: ignore[method-assign]
    with make_client(sim, "jd", page_size=4) as client:
        got = {r.platform_order_id for r in client.fetch_changed(start, end)}
    assert got == {o.key for o in state.orders("jd")}
    assert listing_pages(state, "jd") == [1, 2, 3, 3, 2, 1]  # walked to the short last page, then back


def test_a_platform_that_always_says_has_next_is_stopped() -> None:
    with pytest.raises(PlatformResponseError):
        count_pages(ListingPage(["a"], has_next=True), lambda p: ListingPage(["a"], has_next=True), page_size=1,
                    max_pages=5, error=lambda detail: PlatformResponseError("taobao", "店", detail=detail))
