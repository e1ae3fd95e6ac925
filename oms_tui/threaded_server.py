"""An ASGI app served by uvicorn on a background thread, on a socket bound before the thread starts: the
platform simulator and the buyer portal run so in tests, benches and the demo (port 0: a free port that
is known as soon as the call returns)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any


def listening_socket(host: str, port: int, *, backlog: int = 128) -> socket.socket:
    """A TCP socket bound to ``host:port`` and listening."""
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP,
    # and without it every response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


def start_in_thread(config: Any, sock: socket.socket, *, name: str, startup_timeout: float = 10.0):  # noqa: ANN201
    """Run ``uvicorn.Server(config)`` on ``sock`` in a daemon thread; return (server, thread) once it serves.

    Stop it with ``server.should_exit = True`` and a join. A server that dies or does not start within
    ``startup_timeout`` is told to exit, its socket closed, and RuntimeError raised."""
    import uvicorn  # only what serves pays for the import

    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            address = sock.getsockname()
            server.should_exit = True
            thread.join(2)
            sock.close()
            raise RuntimeError(f"{name} did not start on {address}")
        time.sleep(0.01)
    return server, thread
