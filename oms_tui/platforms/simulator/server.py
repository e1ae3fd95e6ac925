"""The simulator served over HTTP: a Starlette app with each platform's paths and the notification
services' (DingTalk and WeCom robots, Aliyun SMS: notify.py), run by uvicorn in a background thread
on loopback."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from oms_tui.config import ShopConfig
from oms_tui.platforms.simulator import jd
from oms_tui.platforms.simulator import kuaidi100 as kuaidi100_sim
from oms_tui.platforms.simulator.kuaidi100 import Kuaidi100State
from oms_tui.platforms.simulator import notify as notify_sim
from oms_tui.platforms.simulator.notify import NotifyState
from oms_tui.platforms.simulator.state import (
    EXTRA_ROUTES,
    PATHS,
    PLATFORMS,
    RAW_PLATFORMS,
    SIMULATOR_COURIER_CODES,
    SimulatorState,
    oauth_urls,
)
from oms_tui.threaded_server import listening_socket, start_in_thread


async def _request_params(request: Request) -> dict[str, str]:
    params: dict[str, str] = dict(request.query_params)
    if request.method == "POST":
        body = await request.body()
        ctype = request.headers.get("content-type", "")
        if "json" in ctype:
            try:
                data = json.loads(body or b"{}")
            except ValueError:
                data = {}
            if isinstance(data, dict):
                for k, v in data.items():
                    params[k] = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, separators=(",", ":"))
        else:
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def _notify_routes(notify: NotifyState) -> list[Route]:
    def robot(service: str, handler: Callable[..., tuple[int, dict[str, Any]]]) -> Callable[[Request], Any]:
        async def handle(request: Request) -> JSONResponse:
            if notify.is_down(service):
                return JSONResponse({"error": "service unavailable"}, status_code=503)
            status, body = handler(dict(request.query_params), request.url.query, await request.body())
            return JSONResponse(body, status_code=status)
        return handle

    async def sms(request: Request) -> JSONResponse:
        if notify.is_down(notify_sim.SMS):
            return JSONResponse({"error": "service unavailable"}, status_code=503)
        status, body = notify.handle_sms(request.method, await _request_params(request))
        return JSONResponse(body, status_code=status)

    return [Route(notify_sim.PATHS[notify_sim.DINGTALK], robot(notify_sim.DINGTALK, notify.handle_dingtalk),
                  methods=["POST"]),
            Route(notify_sim.PATHS[notify_sim.WECOM], robot(notify_sim.WECOM, notify.handle_wecom), methods=["POST"]),
            Route(notify_sim.PATHS[notify_sim.SMS], sms, methods=["GET", "POST"])]


def _kuaidi100_routes(kd: Kuaidi100State) -> list[Route]:
    async def label(request: Request) -> JSONResponse:
        status, body = kd.handle_label(request.query_params.get("method", ""), await _request_params(request))
        return JSONResponse(body, status_code=status)

    async def query(request: Request) -> JSONResponse:
        status, body = kd.handle_query(await _request_params(request))
        return JSONResponse(body, status_code=status)

    async def subscribe(request: Request) -> JSONResponse:
        status, body = kd.handle_subscribe(await _request_params(request))
        return JSONResponse(body, status_code=status)

    return [Route(kuaidi100_sim.LABEL_PATH, label, methods=["POST"]),
            Route(kuaidi100_sim.QUERY_PATH, query, methods=["POST"]),
            Route(kuaidi100_sim.SUBSCRIBE_PATH, subscribe, methods=["POST"])]


def build_simulator_app(state: SimulatorState, notify: NotifyState | None = None,
                        kuaidi100: Kuaidi100State | None = None) -> Starlette:
    """The platforms of ``state``, the notification services of ``notify`` (default: the demo channels) and
    Kuaidi100 (``kuaidi100``, default a fresh one)."""
    def endpoint(platform: str) -> Callable[[Request], Any]:
        async def handle(request: Request) -> JSONResponse:
            result = state.handle(platform, await _request_params(request))
            return JSONResponse(result.body, status_code=result.status, headers=result.headers)
        return handle

    def extra(handler: Callable[..., Any]) -> Callable[[Request], Any]:
        async def handle(request: Request) -> JSONResponse:
            result = handler(state, await _request_params(request))
            return JSONResponse(result.body, status_code=result.status, headers=result.headers)
        return handle

    def raw_endpoint(platform: str) -> Callable[[Request], Any]:
        async def handle(request: Request) -> JSONResponse:
            result = state.handle_raw(platform, request.url.path, dict(request.query_params), await request.body())
            return JSONResponse(result.body, status_code=result.status, headers=result.headers)
        return handle

    notify = notify if notify is not None else NotifyState.with_demo_channels()
    # A platform with one path per API (Douyin) is served under its base path; the others at one router path.
    routes = [Route(path + "/{api:path}", raw_endpoint(p), methods=["POST"]) if p in RAW_PLATFORMS
              else Route(path, endpoint(p), methods=["GET", "POST"]) for p in PLATFORMS for path in PATHS[p]]
    routes += [Route(path, extra(handler), methods=["GET", "POST"])
               for p in PLATFORMS for path, handler in EXTRA_ROUTES[p].items()]
    kuaidi100 = kuaidi100 if kuaidi100 is not None else Kuaidi100State(clock=state.clock)
    app = Starlette(routes=routes + _notify_routes(notify) + _kuaidi100_routes(kuaidi100))
    app.state.simulator = state
    app.state.notify = notify
    app.state.kuaidi100 = kuaidi100
    return app


class SimulatorHandle:
    """A running simulator: ``base_url``, ``url_for(platform)``, ``shop_configs()``, ``stop()``."""

    def __init__(self, server: Any, thread: threading.Thread, sock: socket.socket, state: SimulatorState,
                 notify: NotifyState | None = None, kuaidi100: Kuaidi100State | None = None) -> None:
        self._server = server
        self._thread = thread
        self._sock = sock
        self.state = state
        self.notify = notify if notify is not None else NotifyState()
        self.kuaidi100 = kuaidi100 if kuaidi100 is not None else Kuaidi100State()
        self.host, self.port = sock.getsockname()[:2]
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.base_url = f"http://{host}:{self.port}"
        self._ticker: threading.Thread | None = None
        self._ticker_stop = threading.Event()

    def start_ticking(self, every_seconds: float = 5.0) -> None:
        """Call ``state.tick(state.clock())`` every ``every_seconds`` in a background thread until stop()."""
        if self._ticker is not None:
            return

        def run() -> None:
            self.state.tick(self.state.clock())
            while not self._ticker_stop.wait(every_seconds):
                try:
                    self.state.tick(self.state.clock())
                except Exception:  # noqa: BLE001 - a generator bug must not kill the demo's simulator
                    import logging

                    logging.getLogger(__name__).exception("simulator tick failed")

        self._ticker = threading.Thread(target=run, name="oms-simulator-ticker", daemon=True)
        self._ticker.start()

    def courier_codes(self, platform: str) -> dict[str, str]:
        return dict(SIMULATOR_COURIER_CODES[platform])

    def url_for(self, platform: str) -> str:
        return self.base_url + PATHS[platform][0]

    def shop_configs(self) -> list[ShopConfig]:
        return self.state.shop_configs(self.base_url)

    def oauth_settings(self) -> dict[str, dict[str, str]]:
        """``Settings(oauth=...)`` that sends shop authorization and token refresh to this simulator."""
        return oauth_urls(self.base_url)

    def decrypt_url(self) -> str:
        """The JD receiver-decrypt service this simulator plays (a shop's ``decrypt_url``)."""
        return self.base_url + jd.DECRYPT_PATH

    def kuaidi100_config(self, *, callback_url: str = "", salt: str = "") -> dict[str, Any]:
        """A ``[kuaidi100]`` table for this simulator's Kuaidi100."""
        return self.kuaidi100.config(self.base_url, callback_url=callback_url, salt=salt)

    def notify_channels(self) -> list[dict[str, Any]]:
        """``[[notify.channels]]`` tables for this simulator's robots and SMS account."""
        return self.notify.channel_configs(self.base_url)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving (and ticking) and wait for the threads; RuntimeError if the server would not stop."""
        self._ticker_stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout)
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout)
        self._sock.close()
        if self._thread.is_alive():
            raise RuntimeError(f"simulator on {self.base_url} did not stop within {2 * timeout:.0f}s")

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_simulator(host: str = "127.0.0.1", port: int = 0, state: SimulatorState | None = None, *,
                  startup_timeout: float = 10.0, tick_seconds: float | None = None,
                  notify: NotifyState | None = None, kuaidi100: Kuaidi100State | None = None) -> SimulatorHandle:
    """Serve the simulator with uvicorn in a background thread (``port=0``: a free port); ``notify``: the
    robots and SMS accounts it serves (default: one of each, ``NotifyState.with_demo_channels``).

    With ``tick_seconds`` the state also generates traffic (``tick``) on that period until stop().
    """
    import uvicorn

    state = state or SimulatorState.with_demo_shops()
    notify = notify if notify is not None else NotifyState.with_demo_channels()
    sock = listening_socket(host, port)
    kuaidi100 = kuaidi100 if kuaidi100 is not None else Kuaidi100State(clock=state.clock)
    config = uvicorn.Config(build_simulator_app(state, notify, kuaidi100), log_level="warning", access_log=False,
                            lifespan="off", timeout_graceful_shutdown=2)
    server, thread = start_in_thread(config, sock, name="oms-platform-simulator", startup_timeout=startup_timeout)
    handle = SimulatorHandle(server, thread, sock, state, notify, kuaidi100)
    if tick_seconds:
        handle.start_ticking(tick_seconds)
    return handle
