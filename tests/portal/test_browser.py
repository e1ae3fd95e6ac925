"""End to end in headless Chromium (Debian's, driven by Playwright): a buyer asks for a code, the code goes out
through the outbox and Aliyun SMS to the simulator, is read there and typed in; the buyer sees their orders
and a parcel's timeline, asks where it is, and never sees another buyer's order; many numbers from one
address are refused.

Skipped only where chromium or Playwright is truly absent, and never under CI=true (a failure there)."""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest

from oms_tui.models import OrderStatus
from oms_tui.platforms.simulator.notify import SMS
from oms_tui.portal.server import run_portal
from tests.helpers.notify import channel, notify_settings
from tests.helpers.portal import T0, add_customer, add_order

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
PHONE = "13800138000"


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Playwright needed under CI: {exc}")
        pytest.skip("Playwright is not installed")
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium needed under CI (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def portal(sqlite_engine, sim):
    sms = channel(sim, "sms")
    settings = notify_settings([sms], {}, language="zh_CN",
                               portal={"sms_channel": sms["name"], "code_template": "SMS_100001",
                                       "cs_contact": "客服热线 400-000-0000"})
    me = add_customer(sqlite_engine, PHONE, buyer_id="tb_me")
    add_order(sqlite_engine, "T1001", PHONE, customer_id=me, status=OrderStatus.SHIPPED,
              events=[(T0, "【杭州市】快件已揽收"), (T0.replace(hour=14), "【上海市】已到达 上海转运中心")])
    add_order(sqlite_engine, "J2002", "138****8000", customer_id=me, platform="jd")
    other = add_customer(sqlite_engine, "13800138001", name="李四")
    add_order(sqlite_engine, "T9009", "13800138001", customer_id=other, name="李四")
    with run_portal(sqlite_engine, settings) as handle:
        yield handle


def texted_code(sim, phone: str, *, seen: int = 0, timeout: float = 10.0) -> str:
    """The code in the newest SMS the simulator took for ``phone`` (the portal sends it right after answering)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = sim.notify.received_by(SMS, phone)
        if len(got) > seen:
            return json.loads(got[-1].body["TemplateParam"])["code"]
        time.sleep(0.02)  # the SMS leaves in the portal's background task: wait for it, bounded
    raise AssertionError(f"no SMS reached the simulator for {phone}")


def test_buyer_signs_in_with_the_texted_code_and_sees_orders_and_timeline(browser, portal, sim):
    page = browser.new_page()
    page.goto(portal.url + "/")
    assert "我的订单" in page.title()
    page.fill("#phone", PHONE)
    page.click("#send-code")
    page.wait_for_selector("#code")
    assert "验证码已通过短信发出" in page.content()
    code = texted_code(sim, PHONE)
    page.fill("#code", code)
    page.click("#sign-in")
    page.wait_for_selector("section.order")
    text = page.inner_text("main")
    assert "T1001" in text and "J2002" in text  # the masked JD order, found through the customer we hold
    assert "【上海市】已到达 上海转运中心" in text and "【杭州市】快件已揽收" in text
    assert "T9009" not in text and "李四" not in text and "13800138001" not in text
    assert "138****8000" in text
    cookie = next(c for c in page.context.cookies() if c["name"] == "portal_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] > 0
    page.fill("#q", "到哪了")
    page.click("#ask")
    page.wait_for_selector("#answer")
    assert "上海转运中心" in page.inner_text("#answer")
    page.fill("#q", "你们老板是谁")
    page.click("#ask")
    page.wait_for_selector("#answer")
    assert "客服热线 400-000-0000" in page.inner_text("#answer")
    page.context.close()


def test_many_numbers_from_one_browser_are_refused(browser, portal, sim):
    page = browser.new_page()
    refused = []
    for i in range(4):
        page.goto(portal.url + "/")
        page.fill("#phone", f"1390013900{i}")
        page.click("#send-code")
        page.wait_for_load_state()
        refused.append("号码过多" in page.content())
    assert refused == [False, False, False, True]
    assert sim.notify.received_by(SMS) == []  # none of them has an order with us: nobody was texted
    page.context.close()

