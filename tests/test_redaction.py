"""What ``redact`` masks, and what it leaves readable."""

from __future__ import annotations

import pytest

from oms_tui.redaction import MASK, redact


@pytest.mark.parametrize("text, secret_part, kept", [
    ("GET http://h/r?method=x&session=abc123&sign=DEF456 failed", "abc123", "method=x"),
    ("GET http://h/r?method=x&session=abc123&sign=DEF456 failed", "DEF456", "http://h/r"),
    ("body: app_secret=s3&access_token=t0k", "s3", "body:"),
    ("body: app_secret=s3&access_token=t0k", "t0k", "body:"),
    ('{"access_token": "t0k", "code": 19}', "t0k", '"code": 19'),
    ("{'refresh_token': 'r3f', 'shop': 'a'}", "r3f", "'shop': 'a'"),
    ("postgresql://oms:pw1@db:5432/oms", "pw1", "db:5432/oms"),
    ("postgresql://oms:p@ss@db/oms", "ss@db", "db/oms"),  # a raw '@' in the password
    ("POST http://h/cgi-bin/webhook/send?key=wk-123 200", "wk-123", "webhook/send"),  # a WeCom robot's key
])
def test_credentials_are_masked_and_the_rest_kept(text, secret_part, kept):
    out = redact(text)
    assert secret_part not in out and MASK in out and kept in out


def test_known_values_are_masked_anywhere_longest_first():
    out = redact("secret s3cret-long, then s3cret alone", ["s3cret", "s3cret-long", "", None])
    assert out == f"secret {MASK}, then {MASK} alone"


@pytest.mark.parametrize("text", [
    "taobao shop 'a': session expired or invalid (code 27) — re-authorize the shop",
    "next_token=5 and http://host:8080/path",
    "app_key=12345678&method=x",
    "",
])
def test_plain_text_is_left_alone(text):
    assert redact(text) == text
