"""Errors a platform adapter raises: each names the platform, the shop and the platform's code.

Only errors that make a whole sync (or a ship notice) impossible are raised; a single bad order
record is yielded as a ``MalformedRecord`` instead (see ``base.py``).
"""

from __future__ import annotations

from collections.abc import Iterable

from oms_tui.errors import OmsError, Throttled
from oms_tui.redaction import redact


class PlatformError(OmsError):
    """A platform refused a call or answered with something we cannot use."""

    kind = "platform error"
    hint = ""
    retry_after: float | None = None  # seconds, when the platform said (HTTP Retry-After, Taobao's ban)

    def __init__(self, platform: str, shop: str, code: str | int | None = None, detail: str = "", *,
                 sub_code: str | None = None, request_id: str | None = None, api: str | None = None) -> None:
        self.platform = platform
        self.shop = shop
        self.code = None if code is None else str(code)
        self.detail = detail
        self.sub_code = sub_code
        self.request_id = request_id
        self.api = api
        super().__init__(self._message())

    def redact(self, secrets: Iterable[str | None]) -> PlatformError:
        """Mask ``secrets`` (and anything shaped like a credential) in the texts the platform gave us."""
        secrets = list(secrets)
        self.detail = redact(self.detail, secrets)
        self.sub_code = redact(self.sub_code, secrets) if self.sub_code else self.sub_code
        self.args = (self._message(),)
        return self

    def _message(self) -> str:
        parts = [f"{self.platform} shop '{self.shop}': {self.kind}"]
        inner = []
        if self.code is not None:
            inner.append(f"code {self.code}")
        if self.sub_code:
            inner.append(self.sub_code)
        if self.detail:
            inner.append(self.detail)
        if inner:
            parts.append(f" ({': '.join(inner)})")
        if self.api:
            parts.append(f" calling {self.api}")
        if self.hint:
            parts.append(f" — {self.hint}")
        return "".join(parts)


class PlatformAuthError(PlatformError):
    """Session / access token missing, expired or invalid: the shop must be re-authorized."""

    kind = "session expired or invalid"
    hint = "re-authorize the shop: oms shop authorize SHOP"


class PlatformSignatureError(PlatformError):
    """The platform rejected our signature: wrong app secret (or app key) in the shop config."""

    kind = "invalid signature"
    hint = "check the shop's app key and app secret"


class PlatformRateLimited(PlatformError, Throttled):
    """Still rate limited after every retry, or banned for longer than the retries wait (``retry_after``)."""

    kind = "rate limited"
    hint = "retried with back-off; try again later"


class PlatformUnavailable(PlatformError):
    """The platform could not be reached, timed out, or kept answering HTTP 5xx."""

    kind = "platform unavailable"


class PlatformResponseError(PlatformError):
    """An answer that is not the documented shape (not JSON, missing the response key...)."""

    kind = "unexpected response"


class PlatformPermissionError(PlatformError):
    """The app may not call this API for the shop (Taobao code 11, isv.permission-api-package-limit):
    nothing about one order; the whole sync stops and its window is read again next time."""

    kind = "insufficient permission"
    hint = "grant the app this API on the platform (its API package), then sync again"


class PlatformClockError(PlatformError):
    """The platform refused the request's timestamp (JD code 8: more than ±6 minutes off its clock)."""

    kind = "request time refused"
    hint = "check this computer's clock: the platform allows only a few minutes' difference"
