"""The portal over HTTP (Starlette's test client): CSRF on every form, cookie flags, security headers, nothing
shown without the code, another buyer's orders never shown, enumeration refused with 429."""

import re

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from oms_tui.db import read_session
from oms_tui.models import OrderStatus, Outbox
from oms_tui.portal.app import build_portal_app
from oms_tui.services.core import outbox
from tests.helpers.portal import KEY, T0, add_order, portal_settings

PHONE = "13800138000"


@pytest.fixture
def client(sqlite_engine):
    add_order(sqlite_engine, "T1", PHONE, status=OrderStatus.SHIPPED, events=[(T0, "【杭州】已揽收")])
    add_order(sqlite_engine, "T9", "13800138001", name="李四")
    app = build_portal_app(sqlite_engine, portal_settings(), key=KEY)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


def csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def last_code(engine) -> str:
    with read_session(engine) as s:
        row = s.exec(select(Outbox).where(Outbox.kind == "buyer_sms").order_by(Outbox.id.desc())).first()
    return outbox.parse_payload("buyer_sms", row.payload).values["code"]


def sign_in(client, engine, phone=PHONE):
    token = csrf(client.get("/").text)
    page = client.post("/code", data={"csrf": token, "phone": phone})
    assert page.status_code == 200
    return client.post("/login", data={"csrf": token, "phone": phone, "code": last_code(engine)},
                       follow_redirects=False)


def test_security_headers_and_cookie_flags(client, sqlite_engine):
    first = client.get("/")
    assert first.status_code == 200 and "我的订单" in first.text and 'lang="zh-CN"' in first.text
    csp = first.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp
    assert first.headers["x-frame-options"] == "DENY" and first.headers["x-content-type-options"] == "nosniff"
    assert first.headers["referrer-policy"] == "no-referrer"
    assert re.search(r"portal_csrf=[^;]+;.*HttpOnly", first.headers["set-cookie"], re.I)
    signed = sign_in(client, sqlite_engine)
    assert signed.status_code == 303 and signed.headers["location"] == "/orders"
    cookie = next(c for c in signed.headers.get_list("set-cookie") if c.startswith("portal_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict") and "Max-Age=1800" in cookie


def test_forms_without_the_csrf_token_are_refused(client):
    client.get("/")
    assert client.post("/code", data={"phone": PHONE}).status_code == 403
    assert client.post("/code", data={"phone": PHONE, "csrf": "forged-token-forged-token"}).status_code == 403
    assert client.post("/login", data={"phone": PHONE, "code": "123456"}).status_code == 403


def test_nothing_without_the_code_and_only_the_buyers_own_orders_with_it(client, sqlite_engine):
    assert client.get("/orders", follow_redirects=False).headers["location"] == "/"
    token = csrf(client.get("/").text)
    client.post("/code", data={"csrf": token, "phone": PHONE})
    wrong = client.post("/login", data={"csrf": token, "phone": PHONE, "code": "000000"
                                        if last_code(sqlite_engine) != "000000" else "111111"})
    assert wrong.status_code == 400 and "验证码错误" in wrong.text
    client.cookies.set("portal_session", "guessed-token")
    assert client.get("/orders", follow_redirects=False).status_code == 303
    client.cookies.delete("portal_session")
    client.post("/code", data={"csrf": token, "phone": PHONE})  # a minute has not passed: refused
    page = client.post("/login", data={"csrf": token, "phone": PHONE, "code": last_code(sqlite_engine)})
    assert page.status_code == 200 and "T1" in page.text and "【杭州】已揽收" in page.text
    assert "T9" not in page.text and "13800138001" not in page.text and "李四" not in page.text
    assert "138****8000" in page.text and "文三路" not in page.text
    answer = client.post("/ask", data={"csrf": csrf(page.text), "q": "到哪了"})
    assert "【杭州】已揽收" in answer.text and 'id="answer"' in answer.text
    out = client.post("/logout", data={"csrf": csrf(page.text)}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/orders", follow_redirects=False).status_code == 303


def test_enumeration_from_one_address_is_refused(client):
    token = csrf(client.get("/").text)
    answers = [client.post("/code", data={"csrf": token, "phone": f"1390013900{i}"}).status_code for i in range(5)]
    assert answers == [200, 200, 200, 429, 429]
    page = client.post("/code", data={"csrf": token, "phone": "13900139008"})
    assert "号码过多" in page.text


def test_values_are_escaped(client):
    token = csrf(client.get("/").text)
    page = client.post("/code", data={"csrf": token, "phone": '<script>alert(1)</script>'})
    assert page.status_code == 400 and "<script>" not in page.text and "&lt;script&gt;" in page.text
