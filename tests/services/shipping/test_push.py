"""Kuaidi100's tracking pushes at the webhook process: signed with our salt they are stored (once), anything
else is refused and changes nothing."""

import hashlib
import json
from datetime import datetime, timedelta, timezone

from sqlmodel import select
from starlette.testclient import TestClient

from oms_tui.db import read_session
from oms_tui.models import Shipment, TrackingEvent
from oms_tui.platforms.webhook_server import build_webhook_app
from tests.helpers.kuaidi100 import SALT, ship


def test_push_with_our_salt_is_stored_and_a_wrong_sign_changes_nothing(shop, kd, kd_config, carrier, kd_clock):
    number = ship(shop, kd, kd_config, carrier, "P1")
    carrier.subscribe("zhongtong", number, "8000")
    kd_clock.advance(hours=21)
    app = TestClient(build_webhook_app(shop, [], kuaidi100_salt=SALT))
    form = kd.kuaidi100.push_form(number)
    forged = dict(form, sign=hashlib.md5((form["param"] + "other-salt").encode()).hexdigest().upper())
    refused = app.post("/kuaidi100/push", data=forged)
    assert refused.status_code == 400 and refused.json()["result"] is False
    with read_session(shop) as s:
        assert s.exec(select(TrackingEvent)).all() == []
    unsigned = app.post("/kuaidi100/push", data={"param": form["param"]})
    assert unsigned.status_code == 400
    taken = app.post("/kuaidi100/push", data=form)
    assert taken.status_code == 200 and taken.json() == {"result": True, "returnCode": "200", "message": "成功"}
    with read_session(shop) as s:
        assert len(s.exec(select(TrackingEvent)).all()) == 3
        shipment = s.exec(select(Shipment)).one()
    assert shipment.next_poll_at > datetime.now(timezone.utc) + timedelta(hours=11)  # the push defers the poll
    assert app.post("/kuaidi100/push", data=form).status_code == 200  # the same push again: nothing twice
    with read_session(shop) as s:
        assert len(s.exec(select(TrackingEvent)).all()) == 3
    assert json.loads(form["param"])["lastResult"]["nu"] == number


def test_push_is_refused_when_no_salt_is_configured(shop):
    app = TestClient(build_webhook_app(shop, []))
    assert app.post("/kuaidi100/push", data={"param": "{}", "sign": "X"}).status_code == 400
