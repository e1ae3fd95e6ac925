"""Request signing for Taobao TOP, Pinduoduo, JD JOS (PROTOCOLS.md) and Douyin Shop (below).

All three build the same string S: every parameter except ``sign``, sorted by name in byte order,
concatenated as ``name1value1name2value2…``. They differ only in how S is hashed:

- Taobao ``md5``:          hex(MD5(secret + S + secret)).upper()
- Taobao ``hmac``:         hex(HMAC-MD5(key=secret, S)).upper()
- Taobao ``hmac-sha256``:  hex(HMAC-SHA256(key=secret, S)).upper()
- PDD:                     hex(MD5(client_secret + S + client_secret)).upper()
- JD (sign_method=md5):    hex(MD5(secret + S + secret)).upper()  (the 360buy_param_json string is one value)

Douyin Shop (抖店, checked against the ``doudian`` package on PyPI and the platform's Go SDK) signs a fixed
string instead: ``P = "app_key" + app_key + "method" + method + "param_json" + param_json + "timestamp" +
timestamp + "v" + v`` (``access_token`` and ``sign_method`` are not signed), wrapped in the app secret:
``md5``: hex(MD5(secret + P + secret)), ``hmac-sha256``: hex(HMAC-SHA256(key=secret, secret + P + secret)),
both lower-case. ``param_json`` is the business parameters as JSON with every object's keys sorted, no spaces.

Parameters whose value is ``None`` are left out (they are not sent either); every other value is
signed as ``str(value)``, which is what goes on the wire.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

TOP_SIGN_METHODS = ("md5", "hmac", "hmac-sha256")


def string_to_sign(params: Mapping[str, Any]) -> str:
    """S: the parameters except ``sign`` sorted by name (byte order), as ``name1value1name2value2…``."""
    items = [(k, str(v)) for k, v in params.items() if k != "sign" and v is not None]
    items.sort(key=lambda kv: kv[0].encode("utf-8"))
    return "".join(k + v for k, v in items)


def _md5_wrapped(secret: str, s: str) -> str:
    return hashlib.md5((secret + s + secret).encode("utf-8")).hexdigest().upper()


def top_sign(params: Mapping[str, Any], secret: str, sign_method: str | None = None) -> str:
    """Taobao TOP sign. ``sign_method`` defaults to the ``sign_method`` parameter (else md5)."""
    method = sign_method or str(params.get("sign_method") or "md5")
    s = string_to_sign(params)
    if method == "md5":
        return _md5_wrapped(secret, s)
    if method == "hmac":
        return hmac.new(secret.encode("utf-8"), s.encode("utf-8"), hashlib.md5).hexdigest().upper()
    if method == "hmac-sha256":
        return hmac.new(secret.encode("utf-8"), s.encode("utf-8"), hashlib.sha256).hexdigest().upper()
    raise ValueError(f"unknown TOP sign_method {method!r} (expected one of {', '.join(TOP_SIGN_METHODS)})")


def pdd_sign(params: Mapping[str, Any], client_secret: str) -> str:
    """Pinduoduo sign: hex(MD5(client_secret + S + client_secret)).upper()."""
    return _md5_wrapped(client_secret, string_to_sign(params))


def jd_sign(params: Mapping[str, Any], secret: str) -> str:
    """JD JOS sign (sign_method=md5): hex(MD5(secret + S + secret)).upper()."""
    return _md5_wrapped(secret, string_to_sign(params))


DOUYIN_SIGN_METHODS = ("md5", "hmac-sha256")


def douyin_param_json(biz: Mapping[str, Any]) -> str:
    """Douyin's ``param_json``: keys sorted at every depth, compact, non-ASCII and ``/ < > &`` unescaped (the Go
    SDK's marshalling). *(unconfirmed)*: the ``doudian`` PyPI package escapes non-ASCII (``\\uXXXX``); for
    ASCII-only parameters the two agree, and the platform checks the sign over the string it was sent."""
    return json.dumps(biz, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def douyin_sign(app_key: str, secret: str, method: str, param_json: str, timestamp: str | int, *,
                v: str = "2", sign_method: str = "hmac-sha256") -> str:
    """Douyin Shop sign (lower-case hex); see the module docstring."""
    pattern = f"app_key{app_key}method{method}param_json{param_json}timestamp{timestamp}v{v}"
    wrapped = (secret + pattern + secret).encode("utf-8")
    if sign_method == "md5":
        return hashlib.md5(wrapped).hexdigest()
    if sign_method == "hmac-sha256":
        return hmac.new(secret.encode("utf-8"), wrapped, hashlib.sha256).hexdigest()
    raise ValueError(f"unknown Douyin sign_method {sign_method!r} (expected one of {', '.join(DOUYIN_SIGN_METHODS)})")


def verify(expected_sign: str | None, computed: str) -> bool:
    """Constant-time comparison of a received sign with the one we computed (case-insensitive)."""
    if not expected_sign:
        return False
    return hmac.compare_digest(expected_sign.strip().upper(), computed.upper())
