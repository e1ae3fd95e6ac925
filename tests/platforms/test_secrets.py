"""No app secret, session token or request signature in any error or log line of an adapter."""

from __future__ import annotations

import logging
import socket
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

import httpx
import pytest

from oms_tui.config import ShopConfig
from oms_tui.errors import ConfigError
from oms_tui.platforms import (
    PlatformError,
    PlatformUnavailable,
    RetryPolicy,
    client_for,
)

APP_SECRET = "AppSecret-7f3a9c1e"
SESSION = "Session-61020b4e9d"
DB_PASSWORD = "UrlPassw0rd-55"
WHEN = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def shop(platform: str, base_url: str) -> ShopConfig:
    return ShopConfig(name=f"{platform}-main", platform=platform, base_url=base_url, app_key="key-1",
                      app_secret=APP_SECRET, session=SESSION)


def assert_clean(text: str, *extra: str) -> None:
    for secret in (APP_SECRET, SESSION, DB_PASSWORD, *extra):
        assert secret not in text, f"{secret!r} leaked into: {text}"


@pytest.mark.parametrize("platform", ["taobao", "jd", "pdd"])
def test_unreachable_platform_error_and_logs_hold_no_secret(platform, caplog):
    caplog.set_level(logging.DEBUG)  # httpx and httpcore log at DEBUG/INFO too
    url = f"http://admin:{DB_PASSWORD}@127.0.0.1:{closed_port()}/api?access_token={SESSION}"
    with client_for(shop(platform, url), retry=RetryPolicy.no_wait(attempts=2), timeout=2.0) as client:
        with pytest.raises(PlatformUnavailable) as caught:
            list(client.fetch_changed(WHEN - timedelta(minutes=5), WHEN))
    message = str(caught.value)
    assert "cannot reach" in message and "127.0.0.1" in message  # still says what failed
    assert_clean(message)
    assert caplog.records, "the retry should have been logged"
    assert_clean(caplog.text)
    assert caught.value.__cause__ is None  # the raw httpx error is not chained into tracebacks


def echoing(kind: str, sent: list[dict[str, str]]):
    """A platform that answers with our own request echoed back: what a proxy's error page or a
    verbose platform message may do."""

    def handler(request: httpx.Request) -> httpx.Response:
        params = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        sent.append(params)
        echo = request.content.decode()
        if kind == "http400":
            return httpx.Response(400, text=f"<html>Bad Request: {echo}</html>")
        if kind == "http500":
            return httpx.Response(503, text=f"upstream failed for {echo}")
        if kind == "not_json":
            return httpx.Response(200, text=f"<pre>{echo}</pre>")
        message = f"invalid session {SESSION} for app secret {APP_SECRET}, sign {params.get('sign')}"
        return httpx.Response(200, json={"error_response": {"code": "27", "error_code": "10019", "msg": message,
                                                             "error_msg": message, "zh_desc": message,
                                                             "sub_code": f"isv.session={SESSION}",
                                                             "sub_msg": message}})

    return handler


@pytest.mark.parametrize("platform", ["taobao", "jd", "pdd"])
@pytest.mark.parametrize("kind", ["http400", "http500", "not_json", "error_response"])
def test_platform_reply_echoing_the_request_is_redacted(platform, kind, caplog):
    caplog.set_level(logging.DEBUG)
    sent: list[dict[str, str]] = []
    http = httpx.Client(transport=httpx.MockTransport(echoing(kind, sent)))
    with client_for(shop(platform, "http://platform.test/router"), http=http,
                    retry=RetryPolicy.no_wait(attempts=2)) as client:
        with pytest.raises(PlatformError) as caught:
            list(client.fetch_changed(WHEN - timedelta(minutes=5), WHEN))
    signs = [p["sign"] for p in sent]
    assert sent and all(signs), "the request was not signed: the test would prove nothing"
    assert any(SESSION in str(p) for p in sent), "the session was not sent: the test would prove nothing"
    assert_clean(str(caught.value), *signs)
    assert_clean(caplog.text, *signs)


def test_a_base_url_that_is_not_a_url_is_a_config_error_without_its_password():
    with pytest.raises(ConfigError) as caught:
        client_for(shop("taobao", f"http://relay:{DB_PASSWORD}@[::1/router"))
    assert "base_url is not a URL" in str(caught.value) and "relay:***@" in str(caught.value)
    assert_clean(str(caught.value))
