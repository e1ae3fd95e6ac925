"""Where an adapter's token comes from: the one `oms shop authorize` stored (the configured one while none is),
picked up again when the scheduler refreshed it, recorded when the platform refuses it, and never shown."""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import parse_qs

import httpx
import pytest

from oms_tui.config import ShopConfig
from oms_tui.db import read_session, session_scope
from oms_tui.platforms import PlatformAuthError, PlatformError, RetryPolicy, client_for
from oms_tui.services.core.actor import Actor
from oms_tui.services.intake import shop_auth
from oms_tui.services.intake.shop_auth import AuthStatus, TokenGrant
from tests.helpers.platforms import SKUS

BOSS = Actor("boss", frozenset({"manager"}))


def jd_shop(sim) -> ShopConfig:
    shop = next(s for s in sim.state.shops if s.platform == "jd")
    return sim.state.shop_config(shop, sim.base_url)


def authorize(state, engine, shop: ShopConfig) -> None:
    """The owner approves and the code is exchanged (the configured session stops working)."""
    token = state.exchange_code("jd", shop.app_key, state.issue_code("jd", shop.app_key, "https://x.test/cb"))
    with session_scope(engine) as s:
        shop_auth.store_grant(s, shop=shop.name, platform="jd", actor=BOSS, grant=TokenGrant(
            token.access_token, token.refresh_token, token.expires_at, token.refresh_expires_at))


def fetch(shop, engine, now, **kwargs):
    with client_for(shop, engine=engine, retry=RetryPolicy.no_wait(), timeout=5.0, **kwargs) as client:
        return list(client.fetch_changed(now - timedelta(minutes=10), now + timedelta(seconds=1)))


def sent_tokens(state) -> list[str]:
    return [c.params.get("access_token") for c in state.calls if c.api == "jingdong.pop.order.search"]


def test_the_stored_token_is_sent_and_the_configured_one_only_while_none_is(sim, state, sqlite_engine, now, rng):
    state.generate(5, now, rng, SKUS, platforms=["jd"])
    shop = jd_shop(sim)
    assert fetch(shop, sqlite_engine, now)
    assert sent_tokens(state)[-1] == shop.session.get_secret_value()
    authorize(state, sqlite_engine, shop)
    assert fetch(shop, sqlite_engine, now)  # the configured session is revoked: only the stored token works
    assert sent_tokens(state)[-1] == state.live_token("jd", shop.app_key).access_token


def test_a_token_refreshed_meanwhile_is_tried_once_instead(sim, state, sqlite_engine, now, rng):
    state.generate(5, now, rng, SKUS, platforms=["jd"])
    shop = jd_shop(sim)
    authorize(state, sqlite_engine, shop)
    old = state.live_token("jd", shop.app_key)
    with client_for(shop, engine=sqlite_engine, retry=RetryPolicy.no_wait(), timeout=5.0) as client:
        client.tokens.max_age = 3600  # it would keep the old token for the whole run
        assert list(client.fetch_changed(now - timedelta(minutes=10), now + timedelta(seconds=1)))
        new = state.refresh("jd", shop.app_key, old.refresh_token)  # the scheduler refreshed it meanwhile
        with session_scope(sqlite_engine) as s:
            shop_auth.record_refreshed(s, shop.name, old.refresh_token, TokenGrant(
                new.access_token, new.refresh_token, new.expires_at), now=now)
        assert list(client.fetch_changed(now - timedelta(minutes=10), now + timedelta(seconds=1)))
    assert sent_tokens(state)[-2:] == [old.access_token, new.access_token]
    outcomes = [c.outcome for c in state.calls if c.api == "jingdong.pop.order.search"]
    assert outcomes[-2:] == ["error 19", "ok"]
    with read_session(sqlite_engine) as s:
        [view] = shop_auth.overview(s, [shop])
    assert view.status == AuthStatus.OK  # the old token's refusal is not the shop's


def test_a_refused_stored_token_shows_on_the_shop(sim, state, sqlite_engine, now, rng):
    shop = jd_shop(sim)
    authorize(state, sqlite_engine, shop)
    state.live_token("jd", shop.app_key).revoked = True
    with pytest.raises(PlatformAuthError) as refused:
        fetch(shop, sqlite_engine, now)
    assert refused.value.code == "19"
    with read_session(sqlite_engine) as s:
        [view] = shop_auth.overview(s, [shop])
    assert view.status == AuthStatus.EXPIRED


class StoredToken:
    def current(self) -> str:
        return "DbToken-5e8c1a"

    fresh = current

    def refused(self, token: str) -> None:
        pass


@pytest.mark.parametrize("platform", ["taobao", "jd", "pdd"])
def test_the_stored_token_is_in_no_error_or_log(platform, caplog):
    caplog.set_level(logging.DEBUG)
    sent = []

    def echo(request: httpx.Request) -> httpx.Response:
        params = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        sent.append(params)
        return httpx.Response(200, json={"error_response": {"code": "15", "error_code": "70031", "msg": str(params),
                                                             "error_msg": str(params), "zh_desc": str(params)}})

    shop = ShopConfig(name="s", platform=platform, base_url="http://platform.test/router", app_key="k",
                      app_secret="AppSecret-11aa")
    with client_for(shop, tokens=StoredToken(), http=httpx.Client(transport=httpx.MockTransport(echo)),
                    retry=RetryPolicy.no_wait(attempts=1)) as client:
        with pytest.raises(PlatformError) as caught:
            list(client.fetch_changed(*(lambda t: (t - timedelta(minutes=5), t))(client.clock())))
    assert any("DbToken-5e8c1a" in str(p) for p in sent), "the stored token was not sent: the test proves nothing"
    assert "DbToken-5e8c1a" not in str(caught.value) and "DbToken-5e8c1a" not in caplog.text
