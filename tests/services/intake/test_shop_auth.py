"""Shop authorization in the database: stored tokens (never shown), what state an authorization is in, the
refresh job with a controlled clock, and the alert days ahead (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from oms_tui.config import ShopConfig
from oms_tui.db import read_session, session_scope
from oms_tui.errors import OmsError, PermissionDenied
from oms_tui.models import AuditEvent, Outbox, ShopAuth
from oms_tui.services.core.actor import Actor
from oms_tui.services.intake import shop_auth, sync
from oms_tui.services.intake.shop_auth import AuthorizationRefused, AuthStatus, TokenGrant

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
BOSS = Actor("boss", frozenset({"manager"}))
SHOP = ShopConfig(name="拼多多店", platform="pdd", base_url="http://pdd.test/api/router", app_key="pdd-app",
                  app_secret="pdd-app-secret")
ACCESS, REFRESH = "AccessToken-0b7e2c", "RefreshToken-4d1a9f"


def grant(days: float = 30, refresh_days: float | None = 60, *, n: int = 0, refreshable: bool = True) -> TokenGrant:
    return TokenGrant(access_token=f"{ACCESS}-{n}", refresh_token=f"{REFRESH}-{n}" if refreshable else "",
                      expires_at=T0 + timedelta(days=days),
                      refresh_expires_at=T0 + timedelta(days=refresh_days) if refresh_days else None,
                      platform_user="拼多多店主")


def authorize(engine, g: TokenGrant, at: datetime = T0) -> None:
    with session_scope(engine) as s:
        shop_auth.store_grant(s, shop=SHOP.name, platform="pdd", grant=g, actor=BOSS, now=at)


def view(engine, at: datetime):
    with read_session(engine) as s:
        [found] = shop_auth.overview(s, [SHOP], now=at, alert_days=3, refresh_hours=24)
    return found


def test_tokens_are_stored_for_the_adapters_and_never_shown(engine):
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        shop_auth.store_grant(s, shop=SHOP.name, platform="pdd", grant=grant(), actor=Actor("cs1", {"cs"}))
    assert shop_auth.stored_access_token(engine, SHOP.name) == ""  # none: the adapter uses the configured one
    authorize(engine, grant())
    assert shop_auth.stored_access_token(engine, SHOP.name) == f"{ACCESS}-0"
    with read_session(engine) as s:
        row = s.exec(select(ShopAuth)).one()
        audit = " ".join(a.detail for a in s.exec(select(AuditEvent)))
        shown = repr(row) + str(row) + repr(grant()) + json.dumps(view(engine, T0).as_dict())
    assert ACCESS not in shown and REFRESH not in shown and ACCESS not in audit and REFRESH not in audit
    assert "拼多多店主" in audit


def test_an_authorization_without_refresh_warns_three_days_ahead_then_expires(engine):
    authorize(engine, grant(days=10, refreshable=False))
    assert view(engine, T0 + timedelta(days=1)).status == AuthStatus.OK
    near = view(engine, T0 + timedelta(days=7))
    assert (near.status, near.days_left) == (AuthStatus.EXPIRING, 3)
    assert shop_auth.status_text(near, translate=lambda m: m) == "authorization expires in 3 days"
    gone = view(engine, T0 + timedelta(days=10, seconds=1))
    assert shop_auth.status_text(gone, translate=lambda m: m) == "authorization expired"


def test_a_refreshable_authorization_ends_with_its_refresh_token(engine):
    authorize(engine, grant(days=10, refresh_days=100))
    assert view(engine, T0 + timedelta(days=8)).status == AuthStatus.OK  # the job will refresh it
    with session_scope(engine) as s:  # the platform refused the refresh: nothing will move the end now
        shop_auth.record_refresh_failed(s, SHOP.name, f"{REFRESH}-0", "refused", refused=True, now=T0 + timedelta(days=8))
    assert (view(engine, T0 + timedelta(days=8)).status, view(engine, T0 + timedelta(days=8)).days_left) == (
        AuthStatus.EXPIRING, 2)


class Refresher:
    """The platform's token endpoint, as the job sees it: records the calls, refuses when told to."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.refuse: OmsError | None = None

    def __call__(self, shop: ShopConfig, refresh_token: str) -> TokenGrant:
        self.calls.append(refresh_token)
        if self.refuse is not None:
            raise self.refuse
        return grant(days=87, refresh_days=None, n=len(self.calls))  # 60 days after the refresh at day 27


def _alerts(engine) -> list[dict]:
    with read_session(engine) as s:
        return [json.loads(m.payload) for m in s.exec(select(Outbox).where(Outbox.kind == "alert"))]


def test_the_job_refreshes_before_expiry_and_alerts_days_ahead_when_it_cannot(engine):
    authorize(engine, grant(days=30, refresh_days=90))
    refresher = Refresher()

    def run(at: datetime):
        return shop_auth.refresh_tokens(engine, [SHOP], refresher, now=at, refresh_hours=24, alert_days=3)

    assert run(T0 + timedelta(days=20)).as_dict() == {"refreshed": 0, "failed": 0, "alerts": 0}  # not due yet
    done = run(T0 + timedelta(days=27, hours=1))  # within three days of expiry: refreshed
    assert (done.refreshed, refresher.calls) == (1, [f"{REFRESH}-0"])
    assert shop_auth.stored_access_token(engine, SHOP.name) == f"{ACCESS}-1"
    refreshed = view(engine, T0 + timedelta(days=27, hours=1))
    # The new token lasts until the authorization's end: a refresh never extends it.
    assert refreshed.status == AuthStatus.OK and refreshed.ends_at == T0 + timedelta(days=90)
    assert _alerts(engine) == []

    refresher.refuse = AuthorizationRefused("pdd refused the authorization of shop {shop!r}: {detail}",
                                            shop=SHOP.name, detail=f"refresh_token {REFRESH}-1 expired")
    at = T0 + timedelta(days=27 + 60 - 3, hours=2)  # the new token's last three days
    failed = run(at)
    assert (failed.failed, failed.alerts) == (1, 1) and REFRESH not in " ".join(failed.errors)
    [alert] = _alerts(engine)
    assert alert["event"] == "authorization_expiring" and alert["platform"] == "pdd"
    assert alert["detail"]["shop"] == SHOP.name and alert["detail"]["days_left"] == "3"
    assert REFRESH not in json.dumps(alert) and ACCESS not in json.dumps(alert)
    again = run(at + timedelta(hours=1))
    assert (again.failed, again.alerts, len(refresher.calls)) == (0, 0, 2)  # nothing left to refresh, alerted once
    assert view(engine, at).status == AuthStatus.EXPIRING


def test_transient_refresh_failures_are_retried_and_only_alert_at_the_end(engine):
    authorize(engine, grant(days=30, refresh_days=90))
    refresher = Refresher()
    refresher.refuse = OmsError("pdd unreachable")
    first = shop_auth.refresh_tokens(engine, [SHOP], refresher, now=T0 + timedelta(days=27, hours=1))
    assert (first.failed, first.alerts) == (1, 0)  # the refresh token still works: try again next run
    last_day = shop_auth.refresh_tokens(engine, [SHOP], refresher, now=T0 + timedelta(days=29, hours=1))
    assert (last_day.failed, last_day.alerts, len(refresher.calls)) == (1, 1, 2)
    assert _alerts(engine)[0]["detail"]["refresh_error"] == "pdd unreachable"


def test_a_refused_token_shows_expired_until_a_sync_works_again(engine):
    shop = SHOP.model_copy(update={"session": SHOP.session.__class__("configured-token")})
    shop_auth.record_refused(engine, shop.name, "pdd", "configured-token", now=T0)
    with read_session(engine) as s:
        [refused] = shop_auth.overview(s, [shop], now=T0 + timedelta(minutes=1))
    assert (refused.status, refused.source) == (AuthStatus.EXPIRED, "config")
    authorize(engine, grant())
    shop_auth.record_refused(engine, shop.name, "pdd", "an-older-token", now=T0 + timedelta(minutes=2))
    assert view(engine, T0 + timedelta(minutes=3)).status == AuthStatus.OK  # not the token stored now
    shop_auth.record_refused(engine, shop.name, "pdd", f"{ACCESS}-0", now=T0 + timedelta(minutes=4))
    assert view(engine, T0 + timedelta(minutes=5)).status == AuthStatus.EXPIRED
    with session_scope(engine) as s:
        state = sync.shop_state(s, shop.name, "pdd")
        state.last_status, state.last_finished_at = "ok", T0 + timedelta(minutes=6)
    assert view(engine, T0 + timedelta(minutes=7)).status == AuthStatus.OK
