"""Serving the portal with uvicorn: in the foreground (`oms portal`) or in a background thread (tests, bench)."""

from __future__ import annotations

import functools
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn
from sqlalchemy import Engine

from oms_tui.config import Settings
from oms_tui.portal.app import build_portal_app
from oms_tui.scheduler import dispatch_outbox
from oms_tui.services.core.outbox import MessageKind


def send_codes_now(engine: Engine, settings: Settings) -> None:
    """Send waiting sign-in texts at once (the outbox's own claim keeps a racing scheduler from sending twice)."""
    dispatch_outbox(engine, settings, kinds=[MessageKind.BUYER_SMS], limit=20)


def portal_app(engine: Engine, settings: Settings, **kwargs: Any):
    kwargs.setdefault("after_code", functools.partial(send_codes_now, engine, settings))
    return build_portal_app(engine, settings, **kwargs)


def _socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no ~40 ms delayed-ACK wait per answer
    sock.bind((host, port))
    sock.listen(512)
    return sock


def serve(engine: Engine, settings: Settings, *, host: str, port: int) -> None:
    """Serve until interrupted."""
    config = uvicorn.Config(portal_app(engine, settings), log_level="info", lifespan="off", server_header=False,
                            proxy_headers=False)
    uvicorn.Server(config).run(sockets=[_socket(host, port)])


@dataclass
class PortalHandle:
    server: uvicorn.Server
    thread: threading.Thread
    sock: socket.socket

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(5)
        self.sock.close()

    def __enter__(self) -> PortalHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_portal(engine: Engine, settings: Settings, *, host: str = "127.0.0.1", port: int = 0,
               startup_timeout: float = 10.0, **kwargs: Any) -> PortalHandle:
    """The portal on ``host:port`` (0: a free port) in a background thread."""
    sock = _socket(host, port)
    config = uvicorn.Config(portal_app(engine, settings, **kwargs), log_level="warning", access_log=False,
                            lifespan="off", server_header=False, proxy_headers=False, backlog=512,
                            timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="oms-portal", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(2)
            sock.close()
            raise RuntimeError(f"portal did not start on {host}:{port}")
        time.sleep(0.01)
    return PortalHandle(server, thread, sock)
