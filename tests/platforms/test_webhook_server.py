"""The webhook server as attackers and broken clients meet it: a real uvicorn on a free loopback port.

Every socket has a timeout and the platform tests' watchdog bounds each test.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn

from oms_tui.config import ShopConfig
from oms_tui.platforms.webhook_server import MAX_BODY, build_webhook_app, webhook_config
from oms_tui.services.intake import webhook

TAOBAO = ShopConfig(name="tb-main", platform="taobao", base_url="http://127.0.0.1:1", app_key="k1",
                    app_secret="tb-s3cret")
PDD = ShopConfig(name="pdd-main", platform="pdd", base_url="http://127.0.0.1:1", app_key="k2",
                 app_secret="pdd-s3cret")
MB = 1024 * 1024
SOCKET_TIMEOUT = 10.0


class BodyCounter:
    """ASGI middleware counting the body bytes the application actually took in."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app
        self.body_bytes = 0

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        async def counting_receive():  # noqa: ANN202
            message = await receive()
            if message["type"] == "http.request":
                self.body_bytes += len(message.get("body", b""))
            return message

        await self.app(scope, counting_receive, send)


@contextmanager
def serving(app, **options) -> Iterator[tuple[str, int]]:  # noqa: ANN001
    """``app`` under uvicorn with the webhook's configuration, in a thread; yields (host, port)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    host, port = listener.getsockname()
    # log_config=None: uvicorn leaves logging alone, so its records reach caplog.
    server = uvicorn.Server(webhook_config(app, host=host, port=port, log_config=None, **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + SOCKET_TIMEOUT
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        yield host, port
    finally:
        server.should_exit = True
        thread.join(SOCKET_TIMEOUT)
        listener.close()
        assert not thread.is_alive(), "uvicorn did not stop"


def connect(address: tuple[str, int]) -> socket.socket:
    return socket.create_connection(address, timeout=SOCKET_TIMEOUT)


def read_reply(sock: socket.socket) -> bytes:
    """What the server sent until it closed the connection (or reset it after answering)."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return data


def head(path: str, *headers: str) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            + "".join(h + "\r\n" for h in headers) + "\r\n").encode()


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRss:
    """The largest resident set size seen while the block ran, sampled every few milliseconds."""

    def __enter__(self) -> PeakRss:
        self.start = self.peak = rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_bytes())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth(self) -> int:
        return self.peak - self.start


@pytest.fixture
def counted(sqlite_engine) -> BodyCounter:
    return BodyCounter(build_webhook_app(sqlite_engine, [TAOBAO, PDD]))


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="RSS read from /proc")
def test_100_mb_body_declared_up_front_is_refused_before_it_is_read(counted):
    with serving(counted) as address, PeakRss() as rss, connect(address) as sock:
        sock.sendall(head("/push/tb-main", f"Content-Length: {100 * MB}"))
        reply = read_reply(sock)
    assert reply.startswith(b"HTTP/1.1 413") and b"body too large" in reply
    assert counted.body_bytes == 0
    assert rss.growth < 30 * MB


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="RSS read from /proc")
def test_100_mb_chunked_body_is_cut_off_at_the_cap(counted):
    chunk = b" " * (64 * 1024)
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    with serving(counted) as address, PeakRss() as rss, connect(address) as sock:
        sock.sendall(head("/push/tb-main", "Transfer-Encoding: chunked"))
        try:
            while sent < 100 * MB:
                sock.sendall(frame)
                sent += len(chunk)
        except OSError:  # the server answered 413 and closed: the rest cannot be sent
            pass
        reply = read_reply(sock)
    assert sent < 50 * MB, f"the server took {sent / MB:.0f} MB before refusing"
    assert counted.body_bytes <= MAX_BODY + 256 * 1024  # what the handler read: the cap and one read more
    assert rss.growth < 30 * MB
    assert not reply or reply.startswith(b"HTTP/1.1 413")  # the answer may be lost to the reset


@pytest.mark.parametrize("trickle", [b"", b"X-Slow: 1\r\n"], ids=["silent", "trickling-headers"])
def test_a_client_that_never_completes_its_head_is_disconnected(sqlite_engine, trickle):
    app = build_webhook_app(sqlite_engine, [TAOBAO])
    with serving(app, head_timeout=1.0) as address, connect(address) as sock:
        started = time.monotonic()
        if trickle:
            sock.sendall(b"POST /push/tb-main HTTP/1.1\r\n")
        sock.settimeout(0.2)
        closed = False
        while not closed and time.monotonic() - started < 8:
            try:
                if trickle:
                    sock.sendall(trickle)
                closed = sock.recv(1024) == b""
            except TimeoutError:
                continue
            except OSError:
                closed = True
        elapsed = time.monotonic() - started
    assert closed, "the slow client kept its connection"
    assert 0.8 <= elapsed < 5


def test_a_body_that_trickles_in_is_refused_with_408(sqlite_engine):
    app = build_webhook_app(sqlite_engine, [TAOBAO], body_timeout=1.0)
    with serving(app) as address, connect(address) as sock:
        started = time.monotonic()
        sock.sendall(head("/push/tb-main", "Content-Length: 100"))
        sock.settimeout(0.2)
        reply = b""
        while not reply and time.monotonic() - started < 8:
            try:
                sock.sendall(b" ")
                reply = sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
        elapsed = time.monotonic() - started
    assert reply.startswith(b"HTTP/1.1 408")
    assert 0.8 <= elapsed < 5


def test_a_client_hanging_up_mid_body_leaves_no_traceback(counted, caplog):
    caplog.set_level(logging.INFO)

    def problems() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.exc_info or r.levelno >= logging.WARNING]

    with serving(counted) as address:
        with connect(address) as sock:
            sock.sendall(head("/push/tb-main", "Content-Length: 1000") + b'{"message_id": "m')
            deadline = time.monotonic() + SOCKET_TIMEOUT
            while counted.body_bytes == 0 and time.monotonic() < deadline:  # the handler is reading
                time.sleep(0.01)
        deadline = time.monotonic() + SOCKET_TIMEOUT
        while not (problems() or "hung up" in caplog.text) and time.monotonic() < deadline:
            time.sleep(0.01)
    assert not problems() and "Traceback" not in caplog.text, caplog.text
    assert "hung up before its push to tb-main was complete" in caplog.text


def signed_push(client: httpx.Client, shop: ShopConfig, body: dict) -> httpx.Response:
    raw = json.dumps(body).encode()
    ts = str(int(time.time()))
    return client.post(f"/push/{shop.name}", content=raw, headers={
        "X-OMS-Timestamp": ts, "X-OMS-Signature": webhook.sign(shop.app_secret.get_secret_value(), ts, raw)})


def test_health_says_ok_and_the_same_id_on_two_shops_is_two_messages(counted):
    with serving(counted) as (host, port), httpx.Client(base_url=f"http://{host}:{port}", timeout=5) as client:
        health = client.get("/health")
        taobao = signed_push(client, TAOBAO, {"message_id": "m-7", "topic": "taobao_trade_TradeBuyerPay",
                                              "tid": "5001"})
        pdd = signed_push(client, PDD, {"message_id": "m-7", "topic": "pdd_trade_TradeConfirmed",
                                        "order_sn": "240101-77"})
        pdd_again = signed_push(client, PDD, {"message_id": "m-7", "topic": "pdd_trade_TradeConfirmed",
                                              "order_sn": "240101-77"})
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert "tb-main" not in health.text and "pdd-main" not in health.text
    assert [r.json()["status"] for r in (taobao, pdd, pdd_again)] == ["queued", "queued", "duplicate"]
