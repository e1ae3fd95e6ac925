"""`oms shop authorize`, `oms shop list` and `oms sync status` against the simulator: the tokens go to the
database (never to the output or a log), the sync sends them, and an expiring or refused authorization shows."""

from __future__ import annotations

import json
import logging
import random
import re
from datetime import timedelta

import httpx
import pytest

from oms_tui.db import make_engine
from oms_tui.models import utcnow
from tests.helpers.shop import SIM_SKUS, seed_catalogue

REDIRECT = "https://oms.example.com/oauth/callback"


@pytest.fixture
def configured(monkeypatch, tmp_path, db_url, sim):
    """A seeded database and a config file with the simulator's shops and its consent / token addresses."""
    monkeypatch.setenv("OMS_DATABASE_URL", db_url)
    engine = make_engine(db_url)
    seed_catalogue(engine)
    engine.dispose()
    lines = []
    for shop in sim.shop_configs():
        lines.append("[[shops]]")
        lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in shop.as_config().items()]
    for platform, urls in sim.oauth_settings().items():
        lines.append(f"[oauth.{platform}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in {**urls, "redirect_uri": REDIRECT}.items()]
    path = tmp_path / "oms.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("OMS_CONFIG", str(path))
    return sim


def _shop(sim, platform):
    return next(s for s in sim.state.shops if s.platform == platform)


def _tokens(sim) -> list[str]:
    return [t for token in sim.state.tokens for t in (token.access_token, token.refresh_token)]


def _assert_no_token(sim, *texts):
    for text in texts:
        for token in _tokens(sim):
            assert token not in text, f"a token leaked into: {text}"


def test_authorize_with_a_code_and_sync_with_the_stored_token(oms, configured, caplog):
    sim = configured
    caplog.set_level(logging.DEBUG)
    jd = _shop(sim, "jd")
    configured_session = jd.session
    code = sim.state.issue_code("jd", jd.app_key, REDIRECT)  # the owner approved on JD's consent page
    status, out, err = oms("shop", "authorize", jd.name, "--code", code)
    assert status == 0, err
    assert f"Shop {jd.name} authorized on jd" in out
    assert sim.state.live_token("jd", jd.app_key) is not None and not sim.state.token_ok("jd", jd.app_key,
                                                                                          configured_session)
    status, listed, _ = oms("shop", "list", "--format", "json")
    rows = {row["shop"]: row for row in json.loads(listed)}
    assert (rows[jd.name]["authorization"], rows[jd.name]["token_source"]) == ("ok", "database")
    assert rows[_shop(sim, "pdd").name]["authorization"] == "config"
    sim.state.generate(6, utcnow(), random.Random(3), SIM_SKUS, platforms=["jd"])
    status, synced, sync_err = oms("sync", "--once", "--shop", jd.name)
    assert status == 0 and " new" in synced, synced + sync_err  # only the stored token opens the shop now
    _assert_no_token(sim, out, err, listed, synced, sync_err, caplog.text)
    status, again, again_err = oms("shop", "authorize", jd.name, "--code", code)  # a code works once
    assert status == 1 and "jd refused the authorization" in again_err
    _assert_no_token(sim, again, again_err)


def test_authorize_asks_for_the_code_or_the_address_the_platform_sent(oms, configured, capsys, monkeypatch):
    sim = configured
    pdd = _shop(sim, "pdd")
    shown = {}

    def owner_approves(prompt, **kwargs):  # the owner opens the printed address and pastes where it led
        printed = capsys.readouterr().out
        shown["text"] = printed
        url = re.search(r"https?://\S+/pdd/service-market/auth\?\S+", printed).group(0)
        return httpx.get(url, timeout=5).headers["location"]

    monkeypatch.setattr("typer.prompt", owner_approves)
    status, out, err = oms("shop", "authorize", pdd.name)
    assert status == 0, err
    assert "client_id=sim-pdd-key" in shown["text"] and f"Shop {pdd.name} authorized on pdd" in out
    _assert_no_token(sim, shown["text"], out, err)


def test_an_expiring_and_a_refused_authorization_show(oms, configured, caplog, monkeypatch):
    from oms_tui.commands.common import console

    sim = configured
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(console, "width", 220)  # each row on one line
    sim.state.access_token_lifetime = sim.state.refresh_token_lifetime = timedelta(days=2, hours=12)
    taobao, jd, pdd = _shop(sim, "taobao"), _shop(sim, "jd"), _shop(sim, "pdd")
    for shop in (taobao, jd, pdd):
        assert oms("shop", "authorize", shop.name, "--code",
                   sim.state.issue_code(shop.platform, shop.app_key, REDIRECT))[0] == 0
    status, listed, _ = oms("shop", "list")
    # Taobao and Pinduoduo say when the refresh token ends (no refresh goes past it); JD does not.
    assert status == 0 and listed.count("authorization expires in 3 days") == 2 and "authorized " in listed
    sim.state.live_token("jd", jd.app_key).revoked = True  # the owner withdrew it (or it expired early)
    status, synced, _ = oms("sync", "--once", "--shop", jd.name)
    assert status == 1 and "code 19" in synced
    status, shown, _ = oms("sync", "status", "--format", "json")
    rows = {row["shop"]: row for row in json.loads(shown)}
    assert rows[jd.name]["authorization_text"] == "authorization expired" and rows[jd.name]["status"] == "error"
    assert rows[taobao.name]["authorization_text"] == "authorization expires in 3 days"
    status, table, _ = oms("sync", "status")
    assert status == 0 and "authorization expired" in table
    _assert_no_token(sim, listed, synced, shown, table, caplog.text)


def test_an_unknown_shop_and_a_role_without_the_permission_are_refused(oms, configured, monkeypatch, db_url):
    from oms_tui.db import session_scope
    from oms_tui.services.core import users
    from oms_tui.services.core.actor import Actor

    status, _, err = oms("shop", "authorize", "no-such-shop", "--code", "x")
    assert status == 1 and "no shop 'no-such-shop'" in err and err.count("\n") == 1
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        users.add_user(s, "cs1", "1234", ["cs"], actor=Actor.system("t"))
    engine.dispose()
    monkeypatch.setenv("OMS_CLI_USER", "cs1")
    status, out, err = oms("shop", "authorize", _shop(configured, "jd").name)
    assert status == 1 and "may not authorize shops" in err and "http" not in out  # refused before the address
