"""Shop authorization against the simulator: the documented consent addresses, code → tokens, refresh, and
an expired token refused with each platform's documented code (PDD 10019, JD 19, Taobao 27)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from oms_tui.config import OAuthConfig, ShopConfig
from oms_tui.platforms import PlatformAuthError, RetryPolicy, client_for
from oms_tui.platforms.oauth import code_from, oauth_for
from oms_tui.services.intake.shop_auth import AuthorizationRefused

REDIRECT = "https://oms.example.com/oauth/callback"
EXPIRED_CODES = {"taobao": 27, "jd": "19", "pdd": 10019}
CONSENT_PARAMS = {
    "taobao": {"response_type", "client_id", "redirect_uri", "state", "view"},
    "jd": {"app_key", "response_type", "redirect_uri", "state", "scope"},
    "pdd": {"response_type", "client_id", "redirect_uri", "state"},
}


class Clock:
    """The simulator's and the clients' now, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(state) -> Clock:
    clock = Clock()
    state.clock = clock
    return clock


def config(sim, platform: str) -> ShopConfig:
    shop = next(s for s in sim.state.shops if s.platform == platform)
    return sim.state.shop_config(shop, sim.base_url)


def oauth_settings(sim) -> OAuthConfig:
    return OAuthConfig.model_validate({p: {**urls, "redirect_uri": REDIRECT} for p, urls in sim.oauth_settings().items()})


def consent(url: str) -> str:
    """The owner approves: the consent page sends them to the redirect_uri with the code."""
    response = httpx.get(url, timeout=5)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def authorized(sim, platform: str, clock: Clock):
    shop = config(sim, platform)
    with oauth_for(shop, oauth_settings(sim), clock=clock) as flow:
        return flow.exchange_code(code_from(consent(flow.authorize_url("st-1")), expected_state="st-1"))


def fetch(shop: ShopConfig, token: str, clock: Clock):
    shop = shop.model_copy(update={"session": shop.session.__class__(token)})
    with client_for(shop, retry=RetryPolicy.no_wait(), timeout=5.0, clock=clock) as client:
        return list(client.fetch_changed(clock.now - timedelta(minutes=5), clock.now))


@pytest.mark.parametrize("platform", ["taobao", "jd", "pdd"])
def test_the_consent_address_has_the_documented_shape(sim, platform) -> None:
    with oauth_for(config(sim, platform), oauth_settings(sim)) as flow:
        url = flow.authorize_url("st-1")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert set(query) == CONSENT_PARAMS[platform]
    assert query["redirect_uri"] == REDIRECT and query["state"] == "st-1" and query["response_type"] == "code"
    assert config(sim, platform).app_secret.get_secret_value() not in url
    with oauth_for(config(sim, platform)) as flow:  # no [oauth] override: the documented consent page
        assert urlsplit(flow.authorize_base).netloc == {
            "taobao": "oauth.taobao.com", "jd": "open-oauth.jd.com", "pdd": "fuwu.pinduoduo.com"}[platform]


@pytest.mark.parametrize("platform", ["taobao", "jd", "pdd"])
def test_a_code_becomes_tokens_that_open_the_shop_and_expire(sim, state, clock, platform) -> None:
    shop = config(sim, platform)
    grant = authorized(sim, platform, clock)
    assert grant.access_token and grant.refresh_token and grant.expires_at == clock.now + state.access_token_lifetime
    assert grant.access_token not in repr(grant) and grant.refresh_token not in repr(grant)
    fetch(shop, grant.access_token, clock)  # the new token opens the shop
    with pytest.raises(PlatformAuthError) as refused:  # authorizing again revoked what the shop had
        fetch(shop, shop.session.get_secret_value(), clock)
    assert refused.value.code == str(EXPIRED_CODES[platform])
    clock.now = grant.expires_at + timedelta(seconds=1)
    with pytest.raises(PlatformAuthError) as expired:
        fetch(shop, grant.access_token, clock)
    assert expired.value.code == str(EXPIRED_CODES[platform])


@pytest.mark.parametrize("platform", ["taobao", "jd", "pdd"])
def test_refresh_gives_a_new_pair_and_never_extends_the_authorization(sim, state, clock, platform) -> None:
    state.access_token_lifetime = timedelta(days=10)
    state.refresh_token_lifetime = timedelta(days=15)
    first = authorized(sim, platform, clock)
    clock.now += timedelta(days=9)
    with oauth_for(config(sim, platform), oauth_settings(sim), clock=clock) as flow:
        second = flow.refresh(first.refresh_token)
        assert second.access_token != first.access_token and second.refresh_token != first.refresh_token
        # Capped at the refresh token's end (6 days from now), not 10 more days.
        assert second.expires_at == clock.now + timedelta(days=6)
        with pytest.raises(AuthorizationRefused):
            flow.refresh(first.refresh_token)  # used once
    fetch(config(sim, platform), second.access_token, clock)
    with pytest.raises(PlatformAuthError):
        fetch(config(sim, platform), first.access_token, clock)


@pytest.mark.parametrize("platform", ["taobao", "jd", "pdd"])
def test_refusals_are_authorization_refused_without_a_secret(sim, state, clock, platform, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    shop = config(sim, platform)
    with oauth_for(shop, oauth_settings(sim), clock=clock) as flow:
        with pytest.raises(AuthorizationRefused) as bad_code:
            flow.exchange_code("no-such-code")
        code = code_from(consent(flow.authorize_url("s")))
        clock.now += timedelta(minutes=11)  # codes last 10 minutes
        with pytest.raises(AuthorizationRefused):
            flow.exchange_code(code)
    wrong = shop.model_copy(update={"app_secret": shop.app_secret.__class__("not-the-secret")})
    with oauth_for(wrong, oauth_settings(sim), clock=clock) as flow:
        with pytest.raises(AuthorizationRefused) as wrong_secret:
            flow.refresh("some-refresh-token")
    secrets = [shop.app_secret.get_secret_value(), "not-the-secret", "some-refresh-token", "no-such-code"]
    for text in (str(bad_code.value), str(wrong_secret.value), caplog.text):
        assert not any(secret in text for secret in secrets), text
    assert "HTTP Request" in caplog.text or platform != "jd"  # httpx did log JD's GET: redacted


def test_the_pasted_address_must_carry_our_state() -> None:
    assert code_from("  abc123 ") == "abc123"
    assert code_from(f"{REDIRECT}?code=abc123&state=s1", expected_state="s1") == "abc123"
    with pytest.raises(AuthorizationRefused):
        code_from(f"{REDIRECT}?code=abc123&state=other", expected_state="s1")


@pytest.mark.parametrize(("platform", "answer", "refused"), [
    ("taobao", {"error": "invalid_grant", "error_description": "code used"}, True),
    ("taobao", {"error": "server_error", "error_description": "busy"}, False),
    ("pdd", {"error_response": {"error_code": 10000, "error_msg": "refresh_token无效"}}, True),
    ("pdd", {"error_response": {"error_code": 52001, "error_msg": "请求过于频繁"}}, False),
    ("jd", {"code": 304, "msg": "当前会话没有做过授权"}, True),
])
def test_only_a_real_refusal_drops_the_refresh_token(platform, answer, refused) -> None:
    """A refusal means "authorize again" (the job drops the refresh token and alerts); anything else is
    tried again on the next run. (A parsing check on canned answers: httpx's MockTransport.)"""
    from oms_tui.platforms import PlatformError

    shop = ShopConfig(name="s", platform=platform, base_url="http://platform.test/api/router", app_key="k",
                      app_secret="AppSecret-2b")
    http = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(400, json=answer)))
    with oauth_for(shop, OAuthConfig(), http=http) as flow:
        with pytest.raises(PlatformError if not refused else AuthorizationRefused):
            flow.refresh("RefreshToken-9f")
