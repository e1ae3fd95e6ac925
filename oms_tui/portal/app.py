"""`oms portal`: the buyer's self-service page (Starlette), served by uvicorn.

Routes: ``GET /`` (the phone form, or the orders once signed in), ``POST /code`` (text a code),
``POST /login`` (code → session), ``GET /orders``, ``POST /ask`` (the question box), ``POST /logout``,
``GET /portal.css``. The rules live in services/portal; this module speaks HTTP only.

- CSRF: every form carries a token equal to the ``portal_csrf`` cookie (double submit; both random, the
  cookie HttpOnly and SameSite=Strict); a POST without the pair is refused with 403.
- Session: ``portal_session`` is a random token, HttpOnly, SameSite=Strict, Max-Age ``session_minutes``,
  Secure when the request came over HTTPS; its server-side row ends it at the same time.
- Headers on every answer: a Content-Security-Policy with no script at all, X-Frame-Options DENY,
  X-Content-Type-Options nosniff, Referrer-Policy no-referrer, Cache-Control no-store.
- The client address for the rate limits is the socket's peer, or X-Forwarded-For's first entry when
  ``[portal] trusted_proxy`` says a proxy sets it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from hmac import compare_digest
from urllib.parse import parse_qs

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oms_tui.clock import utcnow
from oms_tui.config import Settings
from oms_tui.db import read_session, session_scope
from oms_tui.errors import OmsError
from oms_tui.i18n import N_, translator
from oms_tui.portal import pages
from oms_tui.services.portal import answers, codes, orders, sessions

CSRF_COOKIE = "portal_csrf"
SESSION_COOKIE = "portal_session"
MAX_FORM_BYTES = 4096
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                                 b"frame-ancestors 'none'; base-uri 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _value in SECURITY_HEADERS}
                message["headers"] = [h for h in message.get("headers", []) if h[0] not in names] + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, with_headers)


def build_portal_app(engine: Engine, settings: Settings, *, key: bytes | None = None,
                     after_code: Callable[[], object] | None = None,
                     clock: Callable[[], datetime] = utcnow) -> ASGIApp:
    """The portal as an ASGI app over ``engine``; ``after_code`` runs after a code was asked for (the portal
    process sends the waiting SMS at once with it instead of waiting for the scheduler's next dispatch)."""
    config = settings.portal
    if key is None:
        configured = config.secret.get_secret_value()
        key = configured.encode() if configured else secrets.token_bytes(32)
    t = translator(config.language)
    lang = config.language
    limits = codes.CodeLimits.from_config(config)
    text = codes.CodeText(config.sms_channel, config.code_template)
    shop = settings.shop_name

    def client_ip(request: Request) -> str:
        if config.trusted_proxy:
            forwarded = request.headers.get("x-forwarded-for", "")
            if forwarded:
                return forwarded.split(",")[0].strip()[:64]
        return request.client.host if request.client else ""

    def html(request: Request, body: str, *, status: int = 200, csrf: str | None = None,
             background: BackgroundTask | None = None) -> HTMLResponse:
        response = HTMLResponse(body, status_code=status, background=background)
        if csrf is not None and request.cookies.get(CSRF_COOKIE) != csrf:
            response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", path="/",
                                secure=request.url.scheme == "https")
        return response

    def csrf_of(request: Request) -> str:
        token = request.cookies.get(CSRF_COOKIE, "")
        return token if 20 <= len(token) <= 100 else secrets.token_urlsafe(24)

    async def form_of(request: Request) -> dict[str, str] | None:
        """The form's fields when its CSRF token matches the cookie's; None otherwise."""
        # Our forms are small and urlencoded; parsed here, bounded, without a multipart parser.
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return None
        if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
            return None
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return None
        try:
            fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), max_num_fields=10).items()}
        except ValueError:  # more fields than any of our forms has
            return None
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not cookie or not compare_digest(cookie.encode(), fields.get("csrf", "").encode()):
            return None
        return fields

    def refused(request: Request) -> HTMLResponse:
        return html(request, pages.message_page(t, lang, t(N_("This form has expired: open the page again."))),
                    status=403)

    def signed_in(request: Request) -> str | None:
        with read_session(engine) as session:
            return sessions.session_phone(session, request.cookies.get(SESSION_COOKIE), key=key, now=clock())

    async def index(request: Request) -> Response:
        if await run_in_threadpool(signed_in, request):
            return RedirectResponse("/orders", status_code=303)
        csrf = csrf_of(request)
        return html(request, pages.phone_page(t, lang, shop, minutes=config.code_minutes, csrf=csrf), csrf=csrf)

    async def send_code(request: Request) -> Response:
        fields = await form_of(request)
        if fields is None:
            return refused(request)
        csrf = request.cookies[CSRF_COOKIE]
        typed = fields.get("phone", "")[:20]

        def ask() -> codes.CodeRequest:
            with session_scope(engine) as session:
                return codes.request_code(session, typed, ip=client_ip(request), key=key, limits=limits,
                                          text=text, now=clock())

        try:
            asked = await run_in_threadpool(ask)
        except OmsError as exc:
            status = 429 if isinstance(exc, codes.TooManyRequests) else 400
            return html(request, pages.phone_page(t, lang, shop, minutes=config.code_minutes, csrf=csrf, phone=typed,
                                                  error=_localized(exc, t)), status=status)
        notice = t(N_("If we hold orders for {phone}, a code is on its way by SMS.")).format(
            phone=codes.masked(asked.phone))
        return html(request, pages.code_page(t, lang, shop, csrf=csrf, phone=asked.phone, notice=notice),
                    background=BackgroundTask(after_code) if after_code else None)

    async def login(request: Request) -> Response:
        fields = await form_of(request)
        if fields is None:
            return refused(request)
        csrf = request.cookies[CSRF_COOKIE]
        typed, code = fields.get("phone", "")[:20], fields.get("code", "")[:12]

        def verify() -> str | None:
            with session_scope(engine) as session:
                phone = codes.verify_code(session, typed, code, key=key, limits=limits, now=clock())
                if phone is None:
                    return None
                return sessions.open_session(session, phone, ip=client_ip(request), key=key,
                                             minutes=config.session_minutes, now=clock())

        try:
            token = await run_in_threadpool(verify)
        except OmsError as exc:
            return html(request, pages.phone_page(t, lang, shop, minutes=config.code_minutes, csrf=csrf, phone=typed, error=_localized(exc, t)),
                        status=400)
        if token is None:
            return html(request, pages.code_page(t, lang, shop, csrf=csrf, phone=typed,
                                                 error=t(codes.CODE_REFUSED)), status=400)
        response = RedirectResponse("/orders", status_code=303)
        response.set_cookie(SESSION_COOKIE, token, max_age=int(config.session_minutes * 60), httponly=True,
                            samesite="strict", path="/", secure=request.url.scheme == "https")
        # A fresh CSRF token for the signed-in pages.
        response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(24), httponly=True, samesite="strict", path="/",
                            secure=request.url.scheme == "https")
        return response

    def load(request: Request) -> tuple[str, list[orders.BuyerOrder]] | None:
        with read_session(engine) as session:
            phone = sessions.session_phone(session, request.cookies.get(SESSION_COOKIE), key=key, now=clock())
            if phone is None:
                return None
            return phone, orders.buyer_orders(session, phone)

    async def show_orders(request: Request, question: str = "") -> Response:
        found = await run_in_threadpool(load, request)
        if found is None:
            response = RedirectResponse("/", status_code=303)
            response.delete_cookie(SESSION_COOKIE, path="/")
            return response
        phone, mine = found
        answer = answers.answer(question, mine, config, zone=settings.timezone) if question else None
        csrf = csrf_of(request)
        return html(request, pages.orders_page(t, lang, shop, csrf=csrf, phone_masked=codes.masked(phone),
                                               orders=mine, zone=settings.timezone, question=question,
                                               answer=answer), csrf=csrf)

    async def orders_route(request: Request) -> Response:
        return await show_orders(request)

    async def ask(request: Request) -> Response:
        fields = await form_of(request)
        if fields is None:
            return refused(request)
        question = fields.get("q", "").strip()[:200]
        return await show_orders(request, question or " ")

    async def logout(request: Request) -> Response:
        fields = await form_of(request)
        if fields is None:
            return refused(request)

        def end() -> None:
            with session_scope(engine) as session:
                sessions.end_session(session, request.cookies.get(SESSION_COOKIE), key=key, now=clock())

        await run_in_threadpool(end)
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def css(request: Request) -> Response:
        return Response(pages.CSS, media_type="text/css")

    app = Starlette(routes=[
        Route("/", index, methods=["GET"]),
        Route("/code", send_code, methods=["POST"]),
        Route("/login", login, methods=["POST"]),
        Route("/orders", orders_route, methods=["GET"]),
        Route("/ask", ask, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/portal.css", css, methods=["GET"]),
    ])
    return SecurityHeaders(app)


def _localized(error: OmsError, t: pages.Translate) -> str:
    """An error's message in the page's language (not the process's)."""
    if not error.template:
        return str(error)
    params = {k: t(v) if k in error.translated_params and isinstance(v, str) else v for k, v in error.params.items()}
    return error._format(t(error.template), params)
