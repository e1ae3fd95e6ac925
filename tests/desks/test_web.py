"""`oms serve-web` in headless Chromium (Debian's chromium, driven by Playwright): the sign-in screen
appears in the tab, zhang signs in with name and PIN, and a key opens a screen.

The terminal in the page is drawn on a canvas, so what the desk shows is read from the WebSocket frames
the page receives (the terminal's own output), with the escape sequences taken out."""

from __future__ import annotations

import re
import socket
import threading
import time

import pytest

from tests.helpers.desks import Server, require_binary, server_env

CHROMIUM = "/usr/bin/chromium"
ESCAPES = re.compile(rb"\x1b\[[0-9;?>=$ ]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-B]|\x1b[=>]")
WAIT_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Frames:
    """What the tab's WebSocket received, as text."""

    def __init__(self) -> None:
        self.data = b""
        self._lock = threading.Lock()

    def add(self, payload) -> None:  # noqa: ANN001 - bytes (the terminal) or str (JSON control messages)
        if isinstance(payload, bytes):
            with self._lock:
                self.data += payload

    def text(self) -> str:
        with self._lock:
            return ESCAPES.sub(b"", self.data).decode("utf-8", "replace")


def _wait_for(page, frames: Frames, text: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while text not in frames.text():
        assert time.monotonic() < deadline, f"{text!r} never appeared; the tab got: {frames.text()[-1500:]!r}"
        page.wait_for_timeout(100)  # Playwright's own wait: it keeps handling the page's events meanwhile


def _settle(page, frames: Frames, mark: int, quiet_ms: int = 300) -> None:
    """Until the tab got output after ``mark`` and then nothing more for ``quiet_ms``: the desk is done
    redrawing after a key."""
    deadline = time.monotonic() + WAIT_SECONDS
    while len(frames.data) <= mark:
        assert time.monotonic() < deadline, "the desk never answered the key"
        page.wait_for_timeout(50)
    seen = -1
    while seen != len(frames.data) and time.monotonic() < deadline:
        seen = len(frames.data)
        page.wait_for_timeout(quiet_ms)


def _press(page, text: str) -> None:
    """Key by key, as a person types (xterm.js takes a typed burst as one input event)."""
    for char in text:
        page.keyboard.press(char)


@pytest.fixture(scope="module")
def web_server(desk_shop):
    url, key = desk_shop
    server = Server(["serve-web", "--port", str(_free_port())], server_env(url, key.parent))
    yield server
    server.stop()


def test_a_browser_tab_signs_in_and_opens_a_screen(web_server):
    chromium = require_binary("chromium", CHROMIUM)
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    frames = Frames()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"], timeout=WAIT_SECONDS * 1000)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.on("websocket", lambda ws: ws.on("framereceived", frames.add))
            page.goto(f"http://127.0.0.1:{web_server.port}/", timeout=WAIT_SECONDS * 1000)
            _wait_for(page, frames, "PIN")  # the sign-in screen: a browser is no way round it
            page.focus(".xterm-helper-textarea")  # xterm.js takes keys through its hidden text area
            _press(page, "zhang")
            _wait_for(page, frames, "zhang")
            mark = len(frames.data)
            page.keyboard.press("Enter")
            _settle(page, frames, mark)  # the PIN field has the focus now (keys that come sooner went to the name)
            _press(page, "1234")
            page.keyboard.press("Enter")
            _wait_for(page, frames, "Review queue")  # zhang's menu
            page.keyboard.press("1")
            _wait_for(page, frames, "— Orders")
        finally:
            browser.close()
