"""Pushed notifications: signature and timestamp checked, each message queued once, then fetched."""

import json
import time
from datetime import timedelta

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from oms_tui.config import ShopConfig
from oms_tui.db import read_session
from oms_tui.errors import OmsError
from oms_tui.models import Order, WebhookEvent, utcnow
from oms_tui.platforms.webhook_server import build_webhook_app
from oms_tui.services.intake import webhook
from tests.helpers.shop import assert_books_balance, normalized, stock_up

SHOP = ShopConfig(name="tb-main", platform="taobao", base_url="http://127.0.0.1:1", app_key="k", app_secret="s3cret")


def post(client, body: dict, *, ts=None, secret="s3cret", shop="tb-main"):
    raw = json.dumps(body).encode()
    ts = str(int(ts if ts is not None else time.time()))
    return client.post(f"/push/{shop}", content=raw,
                       headers={"X-OMS-Timestamp": ts, "X-OMS-Signature": webhook.sign(secret, ts, raw)})


@pytest.fixture
def client(seeded):
    with TestClient(build_webhook_app(seeded, [SHOP])) as c:
        yield c


def message(mid="m1", tid="5001", topic="taobao_trade_TradeBuyerPay"):
    return {"message_id": mid, "topic": topic, "tid": tid}


def test_good_push_is_queued_once(client, seeded):
    first = post(client, message())
    again = post(client, message())
    assert first.status_code == 200 and first.json()["status"] == "queued"
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    with read_session(seeded) as s:
        assert len(s.exec(select(WebhookEvent)).all()) == 1


@pytest.mark.parametrize("kwargs, status, text", [
    ({"secret": "wrong"}, 401, "bad signature"),
    ({"ts": time.time() - 3600}, 401, "outside the accepted window"),
    ({"shop": "nobody"}, 404, "unknown shop"),
])
def test_bad_signature_replay_and_unknown_shop_are_refused(client, seeded, kwargs, status, text):
    response = post(client, message(), **kwargs)
    assert response.status_code == status and text in response.json()["error"]
    with read_session(seeded) as s:
        assert s.exec(select(WebhookEvent)).all() == []


def test_malformed_bodies_are_refused(client):
    assert post(client, {"message_id": "x", "topic": "nope", "tid": "1"}).status_code == 400
    assert post(client, {"topic": "taobao_trade_TradeCreate", "tid": "1"}).status_code == 400
    raw = b"not json"
    ts = str(int(time.time()))
    r = client.post("/push/tb-main", content=raw, headers={"X-OMS-Timestamp": ts,
                                                          "X-OMS-Signature": webhook.sign("s3cret", ts, raw)})
    assert r.status_code == 400 and "not JSON" in r.json()["error"]
    assert client.post("/push/tb-main", content=b"{}").status_code == 401


def test_queue_fetches_the_full_order_and_retries_failures(client, seeded):
    stock_up(seeded, "HG-001", 5)
    post(client, message("m1", "5001"))
    post(client, message("m2", "5002"))
    calls = []

    def fetch(shop, order_id):
        calls.append(order_id)
        if order_id == "5002" and calls.count("5002") == 1:
            raise OmsError("taobao tb-main: code 7 app call limited")
        return normalized(order_id, {"HG-001": 1})

    first = webhook.process_pending(seeded, fetch)
    assert (first.new, first.error) == (1, "taobao tb-main: code 7 app call limited")
    assert webhook.process_pending(seeded, fetch).new == 0 and calls.count("5002") == 1  # backing off
    later = utcnow() + timedelta(seconds=webhook.BACKOFF.base_seconds)
    second = webhook.process_pending(seeded, fetch, now=later)
    assert second.new == 1 and second.error is None
    assert webhook.process_pending(seeded, fetch).new == 0  # nothing left
    with read_session(seeded) as s:
        assert sorted(o.platform_order_id for o in s.exec(select(Order))) == ["5001", "5002"]
        events = s.exec(select(WebhookEvent).order_by(WebhookEvent.id)).all()
        assert [e.attempts for e in events] == [1, 2] and all(e.processed_at for e in events)
    assert_books_balance(seeded)


PDD_SHOP = ShopConfig(name="pdd-main", platform="pdd", base_url="http://127.0.0.1:1", app_key="k2", app_secret="pdd-s3cret")


def test_the_same_message_id_from_two_shops_is_two_messages(seeded):
    """Taobao and Pinduoduo number their messages independently: an id first seen on one shop is
    news on the other, and still a duplicate on its own."""
    with TestClient(build_webhook_app(seeded, [SHOP, PDD_SHOP])) as client:
        taobao = post(client, message("m-42", "5001"))
        pdd_body = {"message_id": "m-42", "topic": "pdd_trade_TradeConfirmed", "order_sn": "240101-77"}
        pdd = post(client, pdd_body, secret="pdd-s3cret", shop="pdd-main")
        pdd_again = post(client, pdd_body, secret="pdd-s3cret", shop="pdd-main")
        taobao_again = post(client, message("m-42", "5001"))
    assert [r.json()["status"] for r in (taobao, pdd, pdd_again, taobao_again)] == \
        ["queued", "queued", "duplicate", "duplicate"]
    assert pdd.json()["message_id"] == "m-42"  # the pusher's id, as it sent it
    with read_session(seeded) as s:
        events = s.exec(select(WebhookEvent).order_by(WebhookEvent.id)).all()
    assert [(e.shop, e.platform_order_id) for e in events] == [("tb-main", "5001"), ("pdd-main", "240101-77")]


def test_long_message_ids_differing_only_at_the_end_are_two_messages(seeded):
    prefix = "x" * 200
    with TestClient(build_webhook_app(seeded, [SHOP])) as client:
        first = post(client, message(prefix + "-1", "5001"))
        second = post(client, message(prefix + "-2", "5002"))
        again = post(client, message(prefix + "-2", "5002"))
    assert [r.json()["status"] for r in (first, second, again)] == ["queued", "queued", "duplicate"]
    assert webhook.dedupe_key("tb-main", prefix + "-1") != webhook.dedupe_key("tb-main", prefix + "-2")
    assert len(webhook.dedupe_key("tb-main", prefix)) <= webhook.DEDUPE_KEY_MAX


def test_failed_fetches_back_off_with_jitter_then_stop(client, seeded):
    post(client, message("m1", "5001"))
    now = utcnow()
    waits = []

    def fetch(shop, order_id):
        raise OmsError("taobao tb-main: code 7 app call limited")

    for _ in range(webhook.BACKOFF.max_attempts):
        assert webhook.process_pending(seeded, fetch, now=now).error
        with read_session(seeded) as s:
            event = s.exec(select(WebhookEvent)).one()
        waits.append((event.next_attempt_at - now).total_seconds())
        now = event.next_attempt_at
    exact = [min(webhook.BACKOFF.base_seconds * 2 ** (n - 1), webhook.BACKOFF.cap_seconds)
             for n in range(1, webhook.BACKOFF.max_attempts + 1)]
    assert all((1 - webhook.BACKOFF.jitter) * e <= w <= e for w, e in zip(waits, exact, strict=True))
    assert webhook.process_pending(seeded, fetch, now=now + timedelta(days=1)).error is None  # given up
    assert event.attempts == webhook.BACKOFF.max_attempts and event.processed_at is None


def test_the_order_is_fetched_with_no_transaction_open_and_a_dead_fetchers_lease_runs_out(client, seeded):
    from tests.no_transaction import assert_no_transaction_open

    stock_up(seeded, "HG-001", 5)
    post(client, message("m1", "5001"))
    with read_session(seeded) as s:
        event_id = s.exec(select(WebhookEvent)).one().id
    now = utcnow()
    assert webhook.claim(seeded, event_id, now=now) is not None  # a scheduler took it and died
    fetched = []

    def fetch(shop, order_id):
        assert_no_transaction_open(seeded)
        fetched.append(order_id)
        return normalized(order_id, {"HG-001": 1})

    assert webhook.process_pending(seeded, fetch, now=now).new == 0
    later = now + timedelta(seconds=webhook.LEASE_SECONDS + 1)
    assert webhook.process_pending(seeded, fetch, now=later).new == 1
    assert fetched == ["5001"]
