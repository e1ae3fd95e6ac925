"""Keep secrets out of messages: known secret values, secret-named parameters, URL passwords.

Error texts are often built from things we do not control — an exception from httpx or a
driver, a platform's error page echoing our request — so every message that leaves an adapter,
the configuration loader or the CLI goes through ``redact`` first.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "***"

# Parameter names whose values are credentials or derived from them (a signature proves the
# secret for one request and must not be replayable from a log).
SECRET_NAMES = ("app_secret", "client_secret", "secret", "session", "access_token", "refresh_token", "token",
                "sign", "signature", "password", "passwd", "pin", "key")  # key: a WeCom robot's, in its URL
_NAMES = "|".join(sorted(SECRET_NAMES, key=len, reverse=True))
# name=value as in a query string or form body: ?session=abc&sign=DEF
_QUERY_PARAM = re.compile(rf"(?i)(?<![\w-])({_NAMES})=([^&\s'\"<>]+)")
# "name": "value" / 'name': 'value' as in a JSON or Python-dict echo of the request
_QUOTED_PARAM = re.compile(rf"(?i)([\"'])({_NAMES})\1(\s*[:=]\s*)([\"']?)([^\"',}}\s]+)")
# scheme://user:password@host, also mistyped (scheme//user:…) — greedy to the authority's last '@',
# for a raw '@' in a password
_URL_PASSWORD = re.compile(r"(?i)((?:[a-z][a-z0-9+.\-]*:?)?//[^/\s:@'\"]*:)([^\s/'\"]+)(@)")


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every known secret value, secret-named parameter and URL password masked."""
    if not text:
        return text
    # Longest first, so a secret that contains another is masked whole.
    for value in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(value, MASK)
    text = _URL_PASSWORD.sub(rf"\1{MASK}\3", text)
    text = _QUERY_PARAM.sub(rf"\1={MASK}", text)
    return _QUOTED_PARAM.sub(rf"\1\2\1\3\4{MASK}", text)


class RedactingFilter(logging.Filter):
    """Masks credentials in a library's log records (httpx logs every request's URL at INFO, and a robot's
    token, key and signature ride in its URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def redact_logger(name: str) -> None:
    """Put a ``RedactingFilter`` on the logger ``name`` (once)."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
