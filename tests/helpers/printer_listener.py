"""A network printer stand-in on loopback: accepts connections and keeps the bytes each one sent.

The port is a free one the system picks (never 9100, which a real printer or another test may hold).
It is reserved from the start: until ``start()`` the socket is bound but not listening, so a
connection is refused exactly as with a printer that is switched off.
"""

from __future__ import annotations

import socket
import threading
import time

WAIT_SECONDS = 5.0


class PrinterListener:
    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.host, self.port = self.sock.getsockname()
        self.connections: list[bytes] = []  # what each finished connection sent
        self._open = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> PrinterListener:
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        thread = threading.Thread(target=self._accept, name=f"printer-listener:{self.port}", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _addr = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._open += 1
            thread = threading.Thread(target=self._receive, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _receive(self, conn: socket.socket) -> None:
        chunks: list[bytes] = []
        conn.settimeout(WAIT_SECONDS)
        try:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except OSError:
            pass
        finally:
            conn.close()
            with self._lock:
                self.connections.append(b"".join(chunks))
                self._open -= 1

    def wait_idle(self, timeout: float = WAIT_SECONDS) -> None:
        """Wait until every accepted connection has been closed by the client."""
        deadline = time.monotonic() + timeout
        time.sleep(0.05)  # a connection being accepted right now
        while time.monotonic() < deadline:
            with self._lock:
                if self._open == 0:
                    return
            time.sleep(0.02)
        raise AssertionError("the printer connection was not closed in time")

    @property
    def received(self) -> bytes:
        self.wait_idle()
        with self._lock:
            return b"".join(self.connections)

    def stop(self) -> None:
        self._stop.set()
        self.sock.close()
        for thread in self._threads:
            thread.join(timeout=WAIT_SECONDS)
