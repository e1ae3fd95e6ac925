"""Serving the portal with uvicorn: in the foreground (`oms portal`) or in a background thread (tests, bench)."""

from __future__ import annotations

import functools
import socket
import threading
from dataclasses import dataclass
from typing import Any

import uvicorn
from sqlalchemy import Engine

from oms_tui.config import Settings
from oms_tui.portal.app import build_portal_app
from oms_tui.scheduler import dispatch_outbox
from oms_tui.services.core.outbox import MessageKind
from oms_tui.threaded_server import listening_socket, start_in_thread


def send_codes_now(engine: Engine, settings: Settings) -> None:
    """Send waiting sign-in texts at once (the outbox's own claim keeps a racing scheduler from sending twice)."""
    dispatch_outbox(engine, settings, kinds=[MessageKind.BUYER_SMS], limit=20)


def portal_app(engine: Engine, settings: Settings, **kwargs: Any):
    kwargs.setdefault("after_code", functools.partial(send_codes_now, engine, settings))
    return build_portal_app(engine, settings, **kwargs)


def serve(engine: Engine, settings: Settings, *, host: str, port: int) -> None:
    """Serve until interrupted."""
    config = uvicorn.Config(portal_app(engine, settings), log_level="info", lifespan="off", server_header=False,
                            proxy_headers=False)
    uvicorn.Server(config).run(sockets=[listening_socket(host, port, backlog=512)])


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
    sock = listening_socket(host, port, backlog=512)
    config = uvicorn.Config(portal_app(engine, settings, **kwargs), log_level="warning", access_log=False,
                            lifespan="off", server_header=False, proxy_headers=False, backlog=512,
                            timeout_graceful_shutdown=2)
    server, thread = start_in_thread(config, sock, name="oms-portal", startup_timeout=startup_timeout)
    return PortalHandle(server, thread, sock)
