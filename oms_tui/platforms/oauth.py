"""Shop authorization on each platform: the consent page's address, code → tokens, and token refresh.

`oms shop authorize NAME` prints ``authorize_url(state)``; the shop's owner approves on the platform and is
sent to the app's ``redirect_uri`` with ``code`` (and our ``state``); ``exchange_code`` turns the code into
an access and a refresh token, which services/intake/shop_auth.py stores; the scheduler's token job calls
``refresh``. The addresses are the documented ones unless ``[oauth.<platform>]`` in the config says others
(the simulator). A refusal by the platform (bad or used code, dead refresh token, wrong app secret) is
``AuthorizationRefused``: the owner must authorize again; anything else (unreachable, 5xx, an answer of the
wrong shape) is a ``PlatformError`` and a later try may work.

What each platform documents (PROTOCOLS.md gives the expired-token codes: PDD 10019, JD 19, Taobao 27):

- Taobao (oauth.taobao.com): consent ``/authorize?response_type=code&client_id&redirect_uri&state&view=web``;
  ``POST /token`` form ``grant_type=authorization_code`` + ``code`` + ``redirect_uri`` (or ``refresh_token``)
  with ``client_id``/``client_secret`` → ``access_token`` (the session), ``expires_in``, ``refresh_token``,
  ``re_expires_in``, ``taobao_user_nick``; refusals ``{"error", "error_description"}``. *(unconfirmed:
  ``re_expires_in`` 0 — only some app types may refresh — is read as "cannot be refreshed".)*
- JD (open-oauth.jd.com): consent ``/oauth2/to_login?app_key&response_type=code&redirect_uri&state
  &scope=snsapi_base``; ``/oauth2/access_token?app_key&app_secret&grant_type=authorization_code&code`` and
  ``/oauth2/refresh_token?…&grant_type=refresh_token&refresh_token`` (GET, as documented) → ``access_token``,
  ``expires_in``, ``refresh_token``, ``uid``…; refusals ``{"code": N ≠ 0, "msg"}``. JD does not say when the
  refresh token ends. The query string holds the app secret: the httpx request log is redacted below.
- Pinduoduo: consent ``https://fuwu.pinduoduo.com/service-market/auth?response_type=code&client_id
  &redirect_uri&state``; router types ``pdd.pop.auth.token.create`` (``code``) / ``pdd.pop.auth.token.refresh``
  (``refresh_token``), signed like every call, no access_token → ``pop_auth_token_create_response`` /
  ``…_refresh_response`` with ``access_token``, ``expires_at`` (Unix s), ``refresh_token``,
  ``refresh_token_expires_at``, ``owner_name``; refusals ``error_response``.
- Douyin Shop: consent ``https://fuwu.jinritemai.com/authorize?service_id&state`` (the app's service-market id;
  *(unconfirmed)*: we send the app key as ``service_id`` — set ``oauth.douyin.authorize_url`` with the real one);
  ``token.create`` (``code``, ``grant_type=authorization_code``) and ``token.refresh`` (``refresh_token``,
  ``grant_type=refresh_token``) on the API host, signed like every call, no access_token → ``data`` with
  ``access_token``, ``expires_in`` (s, 7 days), ``refresh_token`` (14 days, not given as a number: taken as
  14 days *(unconfirmed)*), ``shop_id``, ``shop_name``; refusals ``code`` 50001 ``dop.token-generate-failed:…``.
"""

from __future__ import annotations

import json
import logging
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from oms_tui.clock import utcnow
from oms_tui.config import OAuthConfig, PlatformOAuth, ShopConfig
from oms_tui.errors import ConfigError
from oms_tui.i18n import N_
from oms_tui.platforms.base import DEFAULT_TIMEOUT, as_str_params, endpoint_url
from oms_tui.platforms import douyin, pdd
from oms_tui.platforms.errors import PlatformRateLimited, PlatformResponseError, PlatformUnavailable
from oms_tui.platforms.signing import douyin_param_json, douyin_sign, pdd_sign
from oms_tui.redaction import redact
from oms_tui.services.intake.shop_auth import AuthorizationRefused, TokenGrant

log = logging.getLogger(__name__)


# An authorization code in a query string (a one-time credential; "code" alone is too common a word for
# redaction.SECRET_NAMES).
_CODE_PARAM = re.compile(r"(?<=[?&])code=[^&\s'\"]+")


class _RedactHttpxLog(logging.Filter):
    """httpx logs every request's URL at INFO; JD's token calls carry the app secret, the code and the refresh
    token in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is not ours to fix
            return True
        cleaned = _CODE_PARAM.sub("code=***", redact(message))
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_HTTPX_LOG_FILTER = _RedactHttpxLog()
if not any(isinstance(f, _RedactHttpxLog) for f in logging.getLogger("httpx").filters):
    logging.getLogger("httpx").addFilter(_HTTPX_LOG_FILTER)


def code_from(answer: str, *, expected_state: str | None = None) -> str:
    """The authorization code from what the owner pasted: the code itself, or the whole address the platform
    sent them to (its ``state`` must then be ours)."""
    text = answer.strip()
    if "code=" not in text:
        return text
    query = parse_qs(urlsplit(text).query or text.split("?", 1)[-1])
    codes = query.get("code") or [""]
    states = query.get("state")
    if expected_state is not None and states and states[0] != expected_state:
        raise AuthorizationRefused(N_("the address's state {got!r} is not this authorization's {expected!r}: "
                                      "open the address printed above"), got=states[0], expected=expected_state)
    return codes[0].strip()


class ShopOAuth(ABC):
    """One shop's authorization flow on its platform. Use as a context manager, or call ``close()``."""

    platform: ClassVar[str]
    default_authorize_url: ClassVar[str]
    default_token_url: ClassVar[str] = ""

    def __init__(self, shop: ShopConfig, config: PlatformOAuth | None = None, *, http: httpx.Client | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        if shop.platform != self.platform:
            raise ValueError(f"shop {shop.name!r} is a {shop.platform} shop, not {self.platform}")
        self.shop = shop
        self.config = config or PlatformOAuth()
        self.clock = clock
        self._own_http = http is None
        self._http = http or httpx.Client(timeout=DEFAULT_TIMEOUT)

    @property
    def authorize_base(self) -> str:
        return self.config.authorize_url or self.default_authorize_url

    @property
    def token_url(self) -> str:
        return self.config.token_url or self.default_token_url

    @property
    def redirect_uri(self) -> str:
        if not self.config.redirect_uri:
            raise ConfigError(N_("set oauth.{platform}.redirect_uri in the config: the callback address "
                                 "registered for the shop's app"), platform=self.platform)
        return self.config.redirect_uri

    def authorize_url(self, state: str) -> str:
        """The consent page the shop's owner opens (no secret in it: the app key is public)."""
        return f"{self.authorize_base}?{urlencode(self._authorize_params(state))}"

    @abstractmethod
    def _authorize_params(self, state: str) -> dict[str, str]: ...

    @abstractmethod
    def exchange_code(self, code: str) -> TokenGrant:
        """The tokens for an authorization code (``AuthorizationRefused`` when the platform will not)."""

    @abstractmethod
    def refresh(self, refresh_token: str) -> TokenGrant:
        """A new pair for ``refresh_token`` (``AuthorizationRefused`` when the platform will not)."""

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    def __enter__(self) -> ShopOAuth:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- shared -------------------------------------------------------------------------------

    def _secrets(self, *values: str | None) -> list[str]:
        return [*self.shop.secret_values(), *(v for v in values if v)]

    def _send(self, method: str, url: str, secrets: list[str], **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise PlatformUnavailable(self.platform, self.shop.name, None, f"cannot reach {url}: {exc}",
                                      api="oauth").redact(secrets) from None

    def _json(self, response: httpx.Response, secrets: list[str]) -> Any:
        if response.status_code >= 500:
            raise PlatformUnavailable(self.platform, self.shop.name, f"HTTP {response.status_code}",
                                      response.text[:200], api="oauth").redact(secrets)
        try:
            return json.loads(response.content)
        except ValueError:
            raise PlatformResponseError(self.platform, self.shop.name, f"HTTP {response.status_code}",
                                        f"not JSON: {response.text[:200]!r}", api="oauth").redact(secrets) from None

    def _refused(self, detail: str, secrets: list[str]) -> AuthorizationRefused:
        return AuthorizationRefused(N_("{platform} refused the authorization of shop {shop!r}: {detail}"),
                                    platform=self.platform, shop=self.shop.name, detail=redact(detail, secrets)[:300])

    def _at(self, seconds: Any) -> datetime | None:
        """``now + seconds`` for a positive number of seconds; None otherwise."""
        try:
            value = int(str(seconds))
        except (TypeError, ValueError):
            return None
        return self.clock() + timedelta(seconds=value) if value > 0 else None


def _epoch(value: Any) -> datetime | None:
    try:
        seconds = int(str(value))
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(seconds, timezone.utc) if seconds > 0 else None


def _grant(access: str, refresh: str, expires_at: datetime | None, refresh_expires_at: datetime | None,
           user: Any) -> TokenGrant:
    return TokenGrant(access_token=access, refresh_token=refresh, expires_at=expires_at,
                      refresh_expires_at=refresh_expires_at, platform_user="" if user is None else str(user))


class TaobaoOAuth(ShopOAuth):
    platform = "taobao"
    default_authorize_url = "https://oauth.taobao.com/authorize"
    default_token_url = "https://oauth.taobao.com/token"
    # OAuth 2.0's errors that mean "not with this code / token / app"; any other (server_error,
    # temporarily_unavailable …) is worth another try.
    REFUSALS = frozenset({"invalid_grant", "invalid_client", "invalid_request", "unauthorized_client",
                          "unsupported_grant_type"})

    def _authorize_params(self, state: str) -> dict[str, str]:
        return {"response_type": "code", "client_id": self.shop.app_key, "redirect_uri": self.redirect_uri,
                "state": state, "view": "web"}

    def exchange_code(self, code: str) -> TokenGrant:
        return self._token({"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri},
                           code)

    def refresh(self, refresh_token: str) -> TokenGrant:
        return self._token({"grant_type": "refresh_token", "refresh_token": refresh_token}, refresh_token)

    def _token(self, form: dict[str, str], secret: str) -> TokenGrant:
        form = {**form, "client_id": self.shop.app_key, "client_secret": self.shop.app_secret.get_secret_value()}
        secrets = self._secrets(secret)
        body = self._json(self._send("POST", self.token_url, secrets, data=form), secrets)
        if isinstance(body, dict) and body.get("error") and body.get("error") not in self.REFUSALS:
            raise PlatformUnavailable(self.platform, self.shop.name, str(body.get("error")),
                                      str(body.get("error_description", "")), api="oauth").redact(secrets)
        if not isinstance(body, dict) or body.get("error") or not body.get("access_token"):
            detail = (f"{body.get('error')}: {body.get('error_description', '')}" if isinstance(body, dict)
                      else "no access_token")
            raise self._refused(detail, secrets)
        refresh = str(body.get("refresh_token") or "")
        refresh_ends = self._at(body.get("re_expires_in"))
        if refresh and refresh_ends is None:
            refresh = ""  # re_expires_in 0: this app may not refresh (our reading, unconfirmed)
        return _grant(str(body["access_token"]), refresh, self._at(body.get("expires_in")), refresh_ends,
                      body.get("taobao_user_nick") or body.get("taobao_user_id"))


class JdOAuth(ShopOAuth):
    platform = "jd"
    default_authorize_url = "https://open-oauth.jd.com/oauth2/to_login"
    default_token_url = "https://open-oauth.jd.com/oauth2/access_token"
    default_refresh_url = "https://open-oauth.jd.com/oauth2/refresh_token"

    @property
    def refresh_url(self) -> str:
        return self.config.refresh_url or self.default_refresh_url

    def _authorize_params(self, state: str) -> dict[str, str]:
        return {"app_key": self.shop.app_key, "response_type": "code", "redirect_uri": self.redirect_uri,
                "state": state, "scope": "snsapi_base"}

    def exchange_code(self, code: str) -> TokenGrant:
        return self._token(self.token_url, {"grant_type": "authorization_code", "code": code}, code)

    def refresh(self, refresh_token: str) -> TokenGrant:
        return self._token(self.refresh_url, {"grant_type": "refresh_token", "refresh_token": refresh_token},
                           refresh_token)

    def _token(self, url: str, params: dict[str, str], secret: str) -> TokenGrant:
        query = {"app_key": self.shop.app_key, "app_secret": self.shop.app_secret.get_secret_value(), **params}
        secrets = self._secrets(secret)
        body = self._json(self._send("GET", url, secrets, params=query), secrets)
        if not isinstance(body, dict) or str(body.get("code", "0")) != "0" or not body.get("access_token"):
            detail = (f"code {body.get('code')}: {body.get('msg', '')}" if isinstance(body, dict)
                      else "no access_token")
            raise self._refused(detail, secrets)
        return _grant(str(body["access_token"]), str(body.get("refresh_token") or ""),
                      self._at(body.get("expires_in")), None, body.get("uid") or body.get("open_id"))


class PddOAuth(ShopOAuth):
    platform = "pdd"
    default_authorize_url = "https://fuwu.pinduoduo.com/service-market/auth"
    API_CREATE = "pdd.pop.auth.token.create"
    API_REFRESH = "pdd.pop.auth.token.refresh"
    RESPONSE_KEYS = {API_CREATE: "pop_auth_token_create_response", API_REFRESH: "pop_auth_token_refresh_response"}

    @property
    def token_url(self) -> str:  # the API router: the shop's own endpoint unless configured otherwise
        return self.config.token_url or endpoint_url(self.shop.base_url, "/api/router")

    def _authorize_params(self, state: str) -> dict[str, str]:
        return {"response_type": "code", "client_id": self.shop.app_key, "redirect_uri": self.redirect_uri,
                "state": state}

    def exchange_code(self, code: str) -> TokenGrant:
        return self._token(self.API_CREATE, {"code": code}, code)

    def refresh(self, refresh_token: str) -> TokenGrant:
        return self._token(self.API_REFRESH, {"refresh_token": refresh_token}, refresh_token)

    def _token(self, api: str, biz: dict[str, str], secret: str) -> TokenGrant:
        params = as_str_params({"type": api, "client_id": self.shop.app_key, "timestamp": int(self.clock().timestamp()),
                                "data_type": "JSON", "version": "V1", **biz})
        params["sign"] = pdd_sign(params, self.shop.app_secret.get_secret_value())
        secrets = self._secrets(secret, params["sign"])
        body = self._json(self._send("POST", self.token_url, secrets, data=params), secrets)
        if isinstance(body, dict) and isinstance(body.get("error_response"), dict):
            err = body["error_response"]
            detail = " / ".join(str(x) for x in (err.get("error_code"), err.get("error_msg"), err.get("sub_msg")) if x)
            if pdd.ERROR_CLASSES.get(_int_or_none(err.get("error_code"))) is PlatformRateLimited:  # not a refusal: later
                raise PlatformRateLimited(self.platform, self.shop.name, err.get("error_code"), detail,
                                          api=api).redact(secrets)
            raise self._refused(detail, secrets)
        data = body.get(self.RESPONSE_KEYS[api]) if isinstance(body, dict) else None
        if not isinstance(data, dict) or not data.get("access_token"):
            raise PlatformResponseError(self.platform, self.shop.name, None,
                                        f"no {self.RESPONSE_KEYS[api]} with an access_token", api=api)
        expires = _epoch(data.get("expires_at")) or self._at(data.get("expires_in"))
        refresh_ends = _epoch(data.get("refresh_token_expires_at")) or self._at(data.get("refresh_token_expires_in"))
        return _grant(str(data["access_token"]), str(data.get("refresh_token") or ""), expires, refresh_ends,
                      data.get("owner_name") or data.get("owner_id"))


class DouyinOAuth(ShopOAuth):
    platform = "douyin"
    default_authorize_url = "https://fuwu.jinritemai.com/authorize"
    API_CREATE = "token.create"
    API_REFRESH = "token.refresh"
    REFRESH_TOKEN_LIFETIME = timedelta(days=14)  # the SDK's word for it; the answer gives no number

    @property
    def token_url(self) -> str:  # the API host: the shop's own unless configured otherwise
        return self.config.token_url or endpoint_url(self.shop.base_url, douyin.DEFAULT_PATH)

    def _authorize_params(self, state: str) -> dict[str, str]:
        # redirect_uri: the platform sends the owner to the address registered for the app *(unconfirmed that it
        # ignores this one)*; the simulator's consent page needs it.
        return {"service_id": self.shop.app_key, "state": state, "redirect_uri": self.redirect_uri}

    def exchange_code(self, code: str) -> TokenGrant:
        return self._token(self.API_CREATE, {"code": code, "grant_type": "authorization_code"}, code)

    def refresh(self, refresh_token: str) -> TokenGrant:
        return self._token(self.API_REFRESH, {"grant_type": "refresh_token", "refresh_token": refresh_token},
                           refresh_token)

    def _token(self, api: str, biz: dict[str, str], secret: str) -> TokenGrant:
        param_json = douyin_param_json(biz)
        timestamp = str(int(self.clock().timestamp()))
        query = {"app_key": self.shop.app_key, "method": api, "timestamp": timestamp, "v": douyin.API_VERSION,
                 "sign_method": douyin.SIGN_METHOD}
        query["sign"] = douyin_sign(self.shop.app_key, self.shop.app_secret.get_secret_value(), api, param_json,
                                    timestamp, v=douyin.API_VERSION, sign_method=douyin.SIGN_METHOD)
        secrets = self._secrets(secret, query["sign"])
        url = self.token_url.rstrip("/") + douyin.api_path(api)
        body = self._json(self._send("POST", url, secrets, params=query, content=param_json.encode("utf-8"),
                                     headers={"Content-Type": "application/json"}), secrets)
        code = _int_or_none(body.get("code")) if isinstance(body, dict) else None
        if isinstance(body, dict) and code != douyin.SUCCESS_CODE:
            sub_code = str(body.get("sub_code") or "")
            detail = " / ".join(str(x) for x in (body.get("code"), body.get("msg"), body.get("sub_msg"), sub_code) if x)
            cls = douyin.ERROR_CLASSES.get(code or 0)
            if cls in (PlatformRateLimited, PlatformUnavailable):  # not a refusal: later
                raise cls(self.platform, self.shop.name, body.get("code"), detail, api=api).redact(secrets)
            raise self._refused(detail, secrets)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not data.get("access_token"):
            raise PlatformResponseError(self.platform, self.shop.name, None, "no data with an access_token", api=api)
        refresh_ends = self._at(data.get("refresh_expires_in")) or (self.clock() + self.REFRESH_TOKEN_LIFETIME)
        return _grant(str(data["access_token"]), str(data.get("refresh_token") or ""), self._at(data.get("expires_in")),
                      refresh_ends, data.get("shop_name") or data.get("shop_id"))


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


OAUTH_CLIENTS: dict[str, type[ShopOAuth]] = {"taobao": TaobaoOAuth, "jd": JdOAuth, "pdd": PddOAuth,
                                             "douyin": DouyinOAuth}


def oauth_for(shop: ShopConfig, config: OAuthConfig | None = None, **kwargs: Any) -> ShopOAuth:
    """The authorization flow for ``shop`` with the ``[oauth]`` settings (keyword arguments: http, clock)."""
    cls = OAUTH_CLIENTS.get(shop.platform)
    if cls is None:
        raise ConfigError(N_("no shop authorization for platform {platform!r}"), platform=shop.platform)
    return cls(shop, (config or OAuthConfig()).for_platform(shop.platform), **kwargs)


def refresh_with(config: OAuthConfig | None = None, **kwargs: Any) -> Callable[[ShopConfig, str], TokenGrant]:
    """A ``refresher`` for services/intake/shop_auth.refresh_tokens: one platform call per shop."""

    def refresh(shop: ShopConfig, refresh_token: str) -> TokenGrant:
        with oauth_for(shop, config, **kwargs) as flow:
            started = time.monotonic()
            grant = flow.refresh(refresh_token)
            log.info("shop %s: token refreshed in %.2fs", shop.name, time.monotonic() - started)
            return grant

    return refresh


