"""Errors a platform adapter raises: each names the platform, the shop and the platform's code.

Only errors that make a whole sync (or a ship notice) impossible are raised; a single bad order
record is yielded as a ``MalformedRecord`` instead (see ``base.py``).

Whether a refusal is final is decided here and nowhere else (``PlatformError.permanent``): a request
the platform refused as written — the order does not exist, its state does not allow it, a parameter
such as the waybill is wrong — fails the same way however often it is sent, so a ship notice stops
and a person is told at once. Rate limits, the platform's own faults (``isp.*``), the network, an
answer we cannot read and a session or signature to fix are transient: the same request may pass later.
"""

from __future__ import annotations

from collections.abc import Iterable

from oms_tui.errors import OmsError, Throttled
from oms_tui.i18n import N_
from oms_tui.redaction import redact


# TOP-style sub-codes (PROTOCOLS.md): ``isp.*`` is the platform's own fault (transient), ``isv.*`` the
# caller's request refused as written (a trade that does not exist, a state that does not allow shipping,
# a bad parameter).
TRANSIENT_SUB_CODE_PREFIXES = ("isp.",)
FINAL_SUB_CODE_PREFIXES = ("isv.",)
# Business error codes that say nothing about the request itself, per platform (PROTOCOLS.md): the same
# call may pass later. Every other business refusal is final.
TRANSIENT_CODES: dict[str, frozenset[str]] = {
    "taobao": frozenset({"7", "15"}),  # app call limited; remote service error without an isv.* sub-code
    "jd": frozenset({"2", "8"}),  # app call limited; invalid timestamp (our clock, not the order)
    "pdd": frozenset(),
    # Douyin: 20000 service unavailable, 20001 internal timeout, 60000 rate limited (the platform's base error
    # table); 50001 "platform processing failed" is left final (its sub-codes are token refusals).
    "douyin": frozenset({"20000", "20001", "60000"}),
}


class PlatformError(OmsError):
    """A platform refused a call or answered with something we cannot use."""

    kind = N_("platform error")
    hint = ""
    retry_after: float | None = None  # seconds, when the platform said (HTTP Retry-After, Taobao's ban)
    # False for the subclasses below: a session, a signature, a rate limit or the network, never the request.
    may_be_final = True

    def __init__(self, platform: str, shop: str, code: str | int | None = None, detail: str = "", *,
                 sub_code: str | None = None, request_id: str | None = None, api: str | None = None) -> None:
        self.platform = platform
        self.shop = shop
        self.code = None if code is None else str(code)
        self.detail = detail
        self.sub_code = sub_code
        self.request_id = request_id
        self.api = api
        template, params = self._template()
        super().__init__(template, **params)

    @property
    def permanent(self) -> bool:
        """Whether sending the same request again cannot succeed (see the module docstring)."""
        if not self.may_be_final:
            return False
        sub_code = (self.sub_code or "").lower()
        if sub_code.startswith(TRANSIENT_SUB_CODE_PREFIXES):
            return False
        if sub_code.startswith(FINAL_SUB_CODE_PREFIXES):
            return True
        return self.code not in TRANSIENT_CODES.get(self.platform, frozenset())

    @property
    def platform_message(self) -> str:
        """What the platform itself said (its message and sub-code), for a person to read."""
        return " ".join(part for part in (self.detail, f"({self.sub_code})" if self.sub_code else "") if part) \
            or (f"code {self.code}" if self.code is not None else self.kind)

    def redact(self, secrets: Iterable[str | None]) -> PlatformError:
        """Mask ``secrets`` (and anything shaped like a credential) in the texts the platform gave us."""
        secrets = list(secrets)
        self.detail = redact(self.detail, secrets)
        self.sub_code = redact(self.sub_code, secrets) if self.sub_code else self.sub_code
        self.template, self.params = self._template()
        self.args = (self._format(self.template, self.params),)
        return self

    # The message is a template with the platform's own words as values, so a shop's "last error" and a
    # refused ship notice read in the reader's language (the kind and hint are msgids); str() stays English.
    translated_params = ("kind", "hint")
    _TEMPLATES = {
        (False, False): N_("{platform} shop '{shop}': {kind}{inner}"),
        (True, False): N_("{platform} shop '{shop}': {kind}{inner} calling {api}"),
        (False, True): N_("{platform} shop '{shop}': {kind}{inner} — {hint}"),
        (True, True): N_("{platform} shop '{shop}': {kind}{inner} calling {api} — {hint}"),
    }

    def _template(self) -> tuple[str, dict[str, str]]:
        inner = [part for part in (None if self.code is None else f"code {self.code}", self.sub_code, self.detail)
                 if part]
        params = {"platform": self.platform, "shop": self.shop, "kind": self.kind,
                  "inner": f" ({': '.join(inner)})" if inner else ""}
        if self.api:
            params["api"] = self.api
        if self.hint:  # only when there is one: an empty msgid would translate to the catalogue's header
            params["hint"] = self.hint
        return self._TEMPLATES[(bool(self.api), bool(self.hint))], params


class PlatformAuthError(PlatformError):
    """Session / access token missing, expired or invalid: the shop must be re-authorized."""

    kind = N_("session expired or invalid")
    may_be_final = False
    hint = N_("re-authorize the shop: oms shop authorize SHOP")


class PlatformSignatureError(PlatformError):
    """The platform rejected our signature: wrong app secret (or app key) in the shop config."""

    kind = N_("invalid signature")
    may_be_final = False
    hint = N_("check the shop's app key and app secret")


class PlatformRateLimited(PlatformError, Throttled):
    """Still rate limited after every retry, or banned for longer than the retries wait (``retry_after``)."""

    kind = N_("rate limited")
    may_be_final = False
    hint = N_("retried with back-off; try again later")


class PlatformUnavailable(PlatformError):
    """The platform could not be reached, timed out, or kept answering HTTP 5xx."""

    kind = N_("platform unavailable")
    may_be_final = False


class PlatformResponseError(PlatformError):
    """An answer that is not the documented shape (not JSON, missing the response key...)."""

    kind = N_("unexpected response")
    may_be_final = False


class PlatformPermissionError(PlatformError):
    """The app may not call this API for the shop (Taobao code 11, isv.permission-api-package-limit):
    nothing about one order; the whole sync stops and its window is read again next time."""

    kind = N_("insufficient permission")
    may_be_final = False  # the app's API package, not this order
    hint = N_("grant the app this API on the platform (its API package), then sync again")


class PlatformClockError(PlatformError):
    """The platform refused the request's timestamp (JD code 8: more than ±6 minutes off its clock)."""

    kind = N_("request time refused")
    may_be_final = False
    hint = N_("check this computer's clock: the platform allows only a few minutes' difference")
