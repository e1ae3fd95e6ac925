"""Shop authorization: each shop's access and refresh token, kept fresh, and what its state is.

`oms shop authorize NAME` gets the shop owner's consent on the platform and exchanges the code for tokens
(the adapter, oms_tui/platforms/oauth.py); ``store_grant`` keeps them in ``ShopAuth`` — never in the config
file, never shown, printed or logged. The adapters send the stored token (the config's ``session`` only
while none is stored). The scheduler's token job (``refresh_tokens``) refreshes a token before it expires
and raises an alert, days ahead, for an authorization that is about to end and cannot be refreshed; the
Shops screen, `oms shop list` and `oms sync status` show "authorization expires in 3 days" / "… expired".

When an authorization ends:

- with a refresh token that still works, at the refresh token's end (Pinduoduo's ``refresh_token_expires_at``;
  a refresh never extends it), or never, when the platform does not say;
- without one (none given, refused by the platform, or refreshes failing into the access token's last
  ``token_refresh_hours``), when the access token expires.

A token the platform refused (expired early, revoked by the owner) counts as expired until the shop is
authorized again, its token refreshed, or a sync succeeds with it.

Network I/O is never inside a transaction here: the caller hands in a ``refresher`` (the adapter) and each
outcome is written in its own short transaction.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from oms_tui.config import ShopConfig
from oms_tui.db import read_session, session_scope
from oms_tui.errors import OmsError
from oms_tui.i18n import N_, _
from oms_tui.models import ShopAuth, ShopSync, SyncStatus, utcnow
from oms_tui.redaction import redact
from oms_tui.services.core import audit, outbox
from oms_tui.services.core.actor import Actor, require
from oms_tui.services.messaging import events

log = logging.getLogger(__name__)

ALERT_EXPIRING = events.AUTHORIZATION_EXPIRING
ALERT_EXPIRED = events.AUTHORIZATION_EXPIRED


class AuthorizationRefused(OmsError):
    """The platform refused an authorization code or a refresh token: the owner must authorize the shop again."""


@dataclass(frozen=True)
class TokenGrant:
    """What a platform's token endpoint gave: the tokens (never in a repr) and how long they last."""

    access_token: str = field(repr=False)
    refresh_token: str = field(default="", repr=False)
    expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    platform_user: str = ""  # the seller account the platform names, when it does


# --- the stored tokens ------------------------------------------------------------------------------

def get_auth(session: Session, shop: str) -> ShopAuth | None:
    return session.exec(select(ShopAuth).where(ShopAuth.shop == shop)).first()


def stored_access_token(engine: Engine, shop: str) -> str:
    """The access token stored for ``shop`` ('' when none: the adapter then uses the configured one)."""
    with read_session(engine) as session:
        token = session.exec(select(ShopAuth.access_token).where(ShopAuth.shop == shop)).first()
    return token or ""


def store_grant(session: Session, *, shop: str, platform: str, grant: TokenGrant, actor: Actor,
                now: datetime | None = None) -> ShopAuth:
    """Keep the tokens `oms shop authorize` obtained (replacing the shop's earlier ones); audited, without them."""
    require(actor, "shops.authorize")
    now = now or utcnow()
    auth = get_auth(session, shop) or ShopAuth(shop=shop, platform=platform)
    auth.platform = platform
    auth.access_token, auth.refresh_token = grant.access_token, grant.refresh_token
    auth.expires_at, auth.refresh_expires_at = grant.expires_at, grant.refresh_expires_at
    auth.platform_user = grant.platform_user[:100]
    auth.authorized_at, auth.authorized_by = now, actor.name[:64]
    auth.refreshed_at = None
    auth.refresh_error, auth.refresh_failed_at, auth.refused_at = "", None, None
    auth.updated_at = now
    session.add(auth)
    session.flush()
    audit.record(session, actor.name, "shop.authorize", "shop", shop, platform=platform,
                 platform_user=auth.platform_user, expires_at=_iso(grant.expires_at),
                 refresh_expires_at=_iso(grant.refresh_expires_at), refreshable=bool(grant.refresh_token))
    return auth


def record_refused(engine: Engine, shop: str, platform: str, token: str, *, now: datetime | None = None) -> None:
    """The platform refused ``token`` for ``shop``: its authorization shows expired. A token already replaced
    (the scheduler refreshed it meanwhile) is not the shop's any more and changes nothing."""
    now = now or utcnow()
    with session_scope(engine) as session:
        auth = get_auth(session, shop)
        if auth is None:
            auth = ShopAuth(shop=shop, platform=platform)  # the configured token was refused
        elif auth.access_token and auth.access_token != token:
            return
        if _refused(auth, _last_ok_sync(session, shop)):
            return  # already counted from its first refusal
        auth.refused_at = now
        auth.updated_at = now
        session.add(auth)
        audit.record(session, "sync", "shop.token_refused", "shop", shop, platform=platform)


def _last_ok_sync(session: Session, shop: str) -> datetime | None:
    return session.exec(select(ShopSync.last_finished_at).where(ShopSync.shop == shop,
                                                                 ShopSync.last_status == SyncStatus.OK)).first()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- what state an authorization is in ----------------------------------------------------------------

class AuthStatus(StrEnum):
    UNAUTHORIZED = "unauthorized"  # no stored token and none configured
    CONFIG = "config"  # the configured token: the platform has not said when it ends
    OK = "ok"
    EXPIRING = "expiring"  # ends within token_alert_days and cannot be refreshed past that
    EXPIRED = "expired"


@dataclass(frozen=True)
class AuthView:
    """One shop's authorization as the screens and commands show it (no token in it)."""

    shop: str
    platform: str
    status: AuthStatus
    source: str  # database, config or none: where the adapters' token comes from
    expires_at: datetime | None = None  # the access token's end
    ends_at: datetime | None = None  # the authorization's end (see the module docstring)
    days_left: int | None = None
    refreshable: bool = False
    refreshed_at: datetime | None = None
    refresh_error: str = ""
    platform_user: str = ""

    @property
    def needs_attention(self) -> bool:
        return self.status in (AuthStatus.EXPIRING, AuthStatus.EXPIRED, AuthStatus.UNAUTHORIZED)

    def as_dict(self) -> dict:
        return {"shop": self.shop, "platform": self.platform, "authorization": self.status.value,
                "token_source": self.source, "expires_at": _iso(self.expires_at), "ends_at": _iso(self.ends_at),
                "days_left": self.days_left, "refreshable": self.refreshable, "refreshed_at": _iso(self.refreshed_at),
                "refresh_error": self.refresh_error, "platform_user": self.platform_user,
                "text": status_text(self, translate=lambda message: message)}


EXPIRES_IN_DAYS = N_("authorization expires in {days} days")
EXPIRES_IN_ONE_DAY = N_("authorization expires in 1 day")
EXPIRED = N_("authorization expired")
AUTHORIZED_UNTIL = N_("authorized until {date}")
AUTHORIZED = N_("authorized")
CONFIG_TOKEN = N_("configured token (expiry unknown)")
UNAUTHORIZED = N_("not authorized")


def status_text(view: AuthView, translate: Callable[[str], str] = _, *,
                show_date: Callable[[datetime], str] | None = None) -> str:
    """"authorization expires in 3 days", "authorization expired", … in the reader's language."""
    if view.status == AuthStatus.EXPIRED:
        return translate(EXPIRED)
    if view.status == AuthStatus.EXPIRING:
        if view.days_left == 1:
            return translate(EXPIRES_IN_ONE_DAY)
        return translate(EXPIRES_IN_DAYS).format(days=view.days_left)
    if view.status == AuthStatus.OK:
        if view.ends_at is None:
            return translate(AUTHORIZED)
        date = show_date(view.ends_at) if show_date else view.ends_at.strftime("%Y-%m-%d")
        return translate(AUTHORIZED_UNTIL).format(date=date)
    if view.status == AuthStatus.CONFIG:
        return translate(CONFIG_TOKEN)
    return translate(UNAUTHORIZED)


def _last_good(auth: ShopAuth) -> datetime | None:
    """When the stored token last came fresh from the platform."""
    times = [t for t in (auth.authorized_at, auth.refreshed_at) if t is not None]
    return max(times) if times else None


def _refreshable(auth: ShopAuth, now: datetime, refresh_hours: float) -> bool:
    if not auth.refresh_token or (auth.refresh_expires_at is not None and auth.refresh_expires_at <= now):
        return False
    good = _last_good(auth)
    failing = auth.refresh_failed_at is not None and (good is None or auth.refresh_failed_at > good)
    # Refreshes that keep failing into the access token's last hours: count on none.
    return not (failing and auth.expires_at is not None and auth.expires_at - now <= timedelta(hours=refresh_hours))


def _refused(auth: ShopAuth, last_ok_sync_at: datetime | None) -> bool:
    if auth.refused_at is None:
        return False
    good = _last_good(auth)
    if good is not None and good > auth.refused_at:
        return False
    return not (last_ok_sync_at is not None and last_ok_sync_at > auth.refused_at)


def assess(shop: ShopConfig, auth: ShopAuth | None, *, now: datetime, alert_days: float, refresh_hours: float,
           last_ok_sync_at: datetime | None = None) -> AuthView:
    """The authorization state of ``shop`` (its stored row, if any) at ``now``."""
    configured = bool(shop.session.get_secret_value())
    if auth is None or not auth.access_token:
        source = "config" if configured else "none"
        if auth is not None and _refused(auth, last_ok_sync_at):
            return AuthView(shop.name, shop.platform, AuthStatus.EXPIRED, source)
        return AuthView(shop.name, shop.platform, AuthStatus.CONFIG if configured else AuthStatus.UNAUTHORIZED, source)
    refreshable = _refreshable(auth, now, refresh_hours)
    ends_at = auth.refresh_expires_at if refreshable else auth.expires_at
    common = dict(source="database", expires_at=auth.expires_at, ends_at=ends_at, refreshable=refreshable,
                  refreshed_at=auth.refreshed_at, refresh_error=auth.refresh_error, platform_user=auth.platform_user)
    if _refused(auth, last_ok_sync_at) or (auth.expires_at is not None and auth.expires_at <= now):
        return AuthView(shop.name, shop.platform, AuthStatus.EXPIRED, days_left=0, **common)
    if ends_at is not None and ends_at - now <= timedelta(days=alert_days):
        days = max(1, math.ceil((ends_at - now) / timedelta(days=1)))
        return AuthView(shop.name, shop.platform, AuthStatus.EXPIRING, days_left=days, **common)
    days = math.ceil((ends_at - now) / timedelta(days=1)) if ends_at is not None else None
    return AuthView(shop.name, shop.platform, AuthStatus.OK, days_left=days, **common)


def overview(session: Session, shops: Sequence[ShopConfig], *, now: datetime | None = None, alert_days: float = 3.0,
             refresh_hours: float = 24.0) -> list[AuthView]:
    """The authorization of every configured shop, in the config's order."""
    now = now or utcnow()
    names = [shop.name for shop in shops]
    rows = {a.shop: a for a in session.exec(select(ShopAuth).where(col(ShopAuth.shop).in_(names)))} if names else {}
    synced = {s.shop: s.last_finished_at for s in session.exec(select(ShopSync).where(
        col(ShopSync.shop).in_(names), ShopSync.last_status == SyncStatus.OK))} if names else {}
    return [assess(shop, rows.get(shop.name), now=now, alert_days=alert_days, refresh_hours=refresh_hours,
                   last_ok_sync_at=synced.get(shop.name)) for shop in shops]


# --- refreshing, and the alert ---------------------------------------------------------------------------

@dataclass(frozen=True)
class DueRefresh:
    shop: ShopConfig
    refresh_token: str = field(repr=False)


@dataclass
class RefreshRun:
    refreshed: int = 0
    failed: int = 0
    alerts: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"refreshed": self.refreshed, "failed": self.failed, "alerts": self.alerts}


def refresh_window(auth: ShopAuth, *, refresh_hours: float, alert_days: float) -> timedelta:
    """How long before the access token expires it is refreshed: early enough that a refresh the platform
    refuses still leaves ``alert_days`` to authorize again, but never before half the token's life."""
    ahead = max(timedelta(hours=refresh_hours), timedelta(days=alert_days))
    start = _last_good(auth)
    if auth.expires_at is not None and start is not None and auth.expires_at > start:
        ahead = min(ahead, (auth.expires_at - start) / 2)
    return ahead


def due_refreshes(session: Session, shops: Sequence[ShopConfig], *, now: datetime, refresh_hours: float,
                  alert_days: float) -> list[DueRefresh]:
    """The configured shops whose stored token should be refreshed now."""
    by_name = {shop.name: shop for shop in shops}
    if not by_name:
        return []
    due = []
    for auth in session.exec(select(ShopAuth).where(col(ShopAuth.shop).in_(sorted(by_name)))):
        if not auth.refresh_token or auth.expires_at is None:
            continue
        if auth.refresh_expires_at is not None and auth.refresh_expires_at <= now:
            continue
        if auth.expires_at - now <= refresh_window(auth, refresh_hours=refresh_hours, alert_days=alert_days):
            due.append(DueRefresh(by_name[auth.shop], auth.refresh_token))
    return due


def record_refreshed(session: Session, shop: str, used_refresh_token: str, grant: TokenGrant, *,
                     now: datetime) -> bool:
    """Keep a refreshed pair; False (nothing changed) if the shop was authorized afresh meanwhile."""
    auth = get_auth(session, shop)
    if auth is None or auth.refresh_token != used_refresh_token:
        return False
    auth.access_token = grant.access_token
    auth.refresh_token = grant.refresh_token or used_refresh_token
    auth.expires_at = grant.expires_at
    # A refresh never extends the authorization (Pinduoduo); keep the end we know when none is given.
    auth.refresh_expires_at = grant.refresh_expires_at or auth.refresh_expires_at
    auth.platform_user = (grant.platform_user or auth.platform_user)[:100]
    auth.refreshed_at = now
    auth.refresh_error, auth.refresh_failed_at, auth.refused_at = "", None, None
    auth.updated_at = now
    session.add(auth)
    audit.record(session, "scheduler", "shop.token_refresh", "shop", shop, expires_at=_iso(grant.expires_at))
    return True


def record_refresh_failed(session: Session, shop: str, used_refresh_token: str, error: str, *, refused: bool,
                          now: datetime) -> None:
    """Note why a refresh failed; a refresh token the platform refused is dropped (it will never work)."""
    auth = get_auth(session, shop)
    if auth is None or auth.refresh_token != used_refresh_token:
        return
    auth.refresh_error = error[:500]
    auth.refresh_failed_at = now
    if refused:
        auth.refresh_token = ""
    auth.updated_at = now
    session.add(auth)
    audit.record(session, "scheduler", "shop.token_refresh_failed", "shop", shop, refused=refused, error=error[:200])


def raise_alerts(session: Session, shops: Sequence[ShopConfig], *, now: datetime, alert_days: float,
                 refresh_hours: float) -> int:
    """One alert per coming end of a shop's authorization that no refresh will move (and one when it has
    expired without warning); returns how many were raised."""
    raised = 0
    views = {view.shop: view for view in overview(session, shops, now=now, alert_days=alert_days,
                                                  refresh_hours=refresh_hours)}
    for auth in session.exec(select(ShopAuth).where(col(ShopAuth.shop).in_(sorted(views)))) if views else []:
        view = views[auth.shop]
        if view.status == AuthStatus.EXPIRING:
            key, event = view.ends_at, ALERT_EXPIRING
        elif view.status == AuthStatus.EXPIRED:
            key, event = auth.refused_at or auth.expires_at, ALERT_EXPIRED
        else:
            continue
        if key is None or auth.alerted_for == key:
            continue  # announced already (an end that was warned of is not announced again when it comes)
        detail = {"shop": auth.shop, "ends": _iso(key) or ""}
        if view.days_left:
            detail["days_left"] = str(view.days_left)
        if auth.refresh_error:
            detail["refresh_error"] = auth.refresh_error[:300]
        outbox.enqueue(session, outbox.MessageKind.ALERT, target="operations", payload={
            "event": event, "platform": auth.platform, "detail": detail})
        auth.alerted_for = key
        session.add(auth)
        raised += 1
    return raised


def refresh_tokens(engine: Engine, shops: Sequence[ShopConfig], refresher: Callable[[ShopConfig, str], TokenGrant],
                   *, now: datetime | None = None, refresh_hours: float = 24.0, alert_days: float = 3.0
                   ) -> RefreshRun:
    """The scheduler's token job: refresh every token that is due (``refresher`` talks to the platform,
    outside any transaction), then raise the alerts for authorizations about to end."""
    now = now or utcnow()
    run = RefreshRun()
    with read_session(engine) as session:
        due = due_refreshes(session, shops, now=now, refresh_hours=refresh_hours, alert_days=alert_days)
    for item in due:
        secrets = [item.refresh_token, item.shop.app_secret.get_secret_value()]
        try:
            grant = refresher(item.shop, item.refresh_token)
        except OmsError as exc:
            refused = isinstance(exc, AuthorizationRefused)
            error = redact(str(exc), secrets)
            run.failed += 1
            run.errors.append(f"{item.shop.name}: {error}")
            log.warning("token refresh for shop %s failed: %s", item.shop.name, error)
            with session_scope(engine) as session:
                record_refresh_failed(session, item.shop.name, item.refresh_token, error, refused=refused,
                                      now=now)
            continue
        with session_scope(engine) as session:
            if record_refreshed(session, item.shop.name, item.refresh_token, grant, now=now):
                run.refreshed += 1
    with session_scope(engine) as session:
        run.alerts = raise_alerts(session, shops, now=now, alert_days=alert_days, refresh_hours=refresh_hours)
    return run
