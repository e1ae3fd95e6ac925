"""Sign-in codes: hashed at rest, texted once through the outbox only to numbers we hold orders for, five
minutes of life, a few tries, and rate limits per phone and per client address (enumeration refused)."""

from datetime import timedelta

import pytest
from sqlmodel import select

from oms_tui.db import read_session, session_scope
from oms_tui.errors import ValidationError
from oms_tui.models import Outbox, PortalCode
from oms_tui.services.core import outbox
from oms_tui.services.portal import codes, sessions
from tests.helpers.portal import KEY, T0, add_order

LIMITS = codes.CodeLimits()
TEXT = codes.CodeText("短信", "SMS_CODE")
PHONE = "13800138000"


def ask(engine, phone=PHONE, *, ip="10.0.0.1", now=T0, limits=LIMITS):
    with session_scope(engine) as s:
        return codes.request_code(s, phone, ip=ip, key=KEY, limits=limits, text=TEXT, now=now)


def verify(engine, code, phone=PHONE, *, now=T0):
    with session_scope(engine) as s:
        return codes.verify_code(s, phone, code, key=KEY, limits=LIMITS, now=now)


def texted_code(engine) -> str:
    with read_session(engine) as s:
        row = s.exec(select(Outbox).where(Outbox.kind == "buyer_sms").order_by(Outbox.id.desc())).first()
    return outbox.parse_payload("buyer_sms", row.payload).values["code"]


def test_code_is_texted_hashed_at_rest_and_signs_in_once(engine):
    add_order(engine, "T1", PHONE)
    asked = ask(engine, "+86 138-0013-8000")
    assert asked.phone == PHONE and asked.expires_at == T0 + timedelta(minutes=5)
    code = texted_code(engine)
    assert len(code) == 6 and code.isdigit()
    with read_session(engine) as s:
        row = s.exec(select(PortalCode)).one()
        message = s.exec(select(Outbox).where(Outbox.kind == "buyer_sms")).one()
    assert code not in row.code_hash and row.code_hash == codes.keyed_hash(KEY, PHONE, code) and row.texted
    assert message.target == PHONE and message.channel == "短信"
    assert verify(engine, code, now=T0 + timedelta(minutes=4)) == PHONE
    assert verify(engine, code, now=T0 + timedelta(minutes=4)) is None  # used up


def test_code_expires_after_five_minutes(sqlite_engine):
    add_order(sqlite_engine, "T1", PHONE)
    ask(sqlite_engine)
    assert verify(sqlite_engine, texted_code(sqlite_engine), now=T0 + timedelta(minutes=5, seconds=1)) is None


def test_wrong_codes_burn_the_code_after_the_tries(sqlite_engine):
    add_order(sqlite_engine, "T1", PHONE)
    ask(sqlite_engine)
    code = texted_code(sqlite_engine)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(LIMITS.code_tries):
        assert verify(sqlite_engine, wrong) is None
    assert verify(sqlite_engine, code) is None  # burned: the right code no longer works
    with read_session(sqlite_engine) as s:
        row = s.exec(select(PortalCode)).one()
    assert row.attempts == LIMITS.code_tries and row.used_at is not None


def test_only_the_newest_code_counts(sqlite_engine):
    add_order(sqlite_engine, "T1", PHONE)
    ask(sqlite_engine)
    first = texted_code(sqlite_engine)
    ask(sqlite_engine, now=T0 + timedelta(minutes=2))
    second = texted_code(sqlite_engine)
    if first != second:
        assert verify(sqlite_engine, first, now=T0 + timedelta(minutes=3)) is None
    assert verify(sqlite_engine, second, now=T0 + timedelta(minutes=3)) == PHONE


def test_a_number_without_orders_gets_the_same_answer_but_no_text(sqlite_engine):
    asked = ask(sqlite_engine, "13900139000")
    assert asked.phone == "13900139000"
    with read_session(sqlite_engine) as s:
        assert s.exec(select(Outbox)).all() == []
        assert s.exec(select(PortalCode)).one().texted is False


def test_not_a_mobile_is_refused_and_nothing_is_written(sqlite_engine):
    for typed in ("", "12345", "138****8000", "0571-88886666"):
        with pytest.raises(ValidationError):
            ask(sqlite_engine, typed)
    with read_session(sqlite_engine) as s:
        assert s.exec(select(PortalCode)).all() == []


def test_per_phone_limits_a_minute_and_an_hour(sqlite_engine):
    ask(sqlite_engine)
    with pytest.raises(codes.TooManyRequests, match="minute"):
        ask(sqlite_engine, now=T0 + timedelta(seconds=30))
    for i in range(1, LIMITS.per_phone_hour):
        ask(sqlite_engine, ip=f"10.0.1.{i}", now=T0 + timedelta(minutes=2 * i))
    with pytest.raises(codes.TooManyRequests, match="hour"):
        ask(sqlite_engine, ip="10.0.2.1", now=T0 + timedelta(minutes=30))
    ask(sqlite_engine, ip="10.0.2.1", now=T0 + timedelta(minutes=61))  # an hour later it is free again


def test_many_numbers_from_one_address_is_enumeration_and_refused(sqlite_engine):
    for i in range(LIMITS.phones_per_ip_hour):
        ask(sqlite_engine, f"1390013900{i}", now=T0 + timedelta(seconds=i))
    with pytest.raises(codes.TooManyRequests, match="different numbers"):
        ask(sqlite_engine, "13900139009", now=T0 + timedelta(seconds=10))
    ask(sqlite_engine, "13900139009", ip="10.9.9.9", now=T0 + timedelta(seconds=10))  # another address may
    ask(sqlite_engine, "13900139000", now=T0 + timedelta(minutes=2))  # a number it already asked for: allowed


def test_per_address_limit_on_codes(sqlite_engine):
    limits = codes.CodeLimits(per_ip_hour=2, phones_per_ip_hour=5)
    ask(sqlite_engine, "13900139001", limits=limits)
    ask(sqlite_engine, "13900139002", limits=limits)
    with pytest.raises(codes.TooManyRequests, match="from your network"):
        ask(sqlite_engine, "13900139003", limits=limits)


def test_the_texted_code_is_blanked_in_the_outbox_once_sent(sqlite_engine):
    add_order(sqlite_engine, "T1", PHONE)
    ask(sqlite_engine)
    sent = []

    class Recorder(outbox.Sender):
        def send(self, message):
            sent.append(message.payload.values["code"])

    result = outbox.dispatch(sqlite_engine, {outbox.MessageKind.BUYER_SMS: Recorder()})
    assert result.sent == 1 and len(sent[0]) == 6
    with read_session(sqlite_engine) as s:
        stored = outbox.parse_payload("buyer_sms", s.exec(select(Outbox)).one().payload)
    assert stored.values == {"code": outbox.ONE_TIME_BLANK}


def test_sessions_end_when_they_expire_or_sign_out(sqlite_engine):
    with session_scope(sqlite_engine) as s:
        token = sessions.open_session(s, PHONE, ip="10.0.0.1", key=KEY, minutes=30, now=T0)
    with read_session(sqlite_engine) as s:
        assert sessions.session_phone(s, token, key=KEY, now=T0 + timedelta(minutes=29)) == PHONE
        assert sessions.session_phone(s, token, key=KEY, now=T0 + timedelta(minutes=30)) is None
        assert sessions.session_phone(s, token + "x", key=KEY, now=T0) is None
        assert sessions.session_phone(s, token, key=b"another key", now=T0) is None
    with session_scope(sqlite_engine) as s:
        assert sessions.end_session(s, token, key=KEY, now=T0)
    with read_session(sqlite_engine) as s:
        assert sessions.session_phone(s, token, key=KEY, now=T0) is None


def test_a_code_text_not_sent_before_it_expired_is_never_sent(sqlite_engine):
    from oms_tui.services.shipping.buyer_sms import BuyerSmsSender
    from tests.helpers.portal import portal_settings

    add_order(sqlite_engine, "T1", PHONE)
    ask(sqlite_engine)  # at T0: long expired by the real clock the dispatcher runs on
    texts = []

    class Phone:
        def send_template(self, phones, template, values):
            texts.append(values)

    settings = portal_settings(notify={"channels": [{"name": "短信", "kind": "sms", "url": "http://127.0.0.1:9/",
                                                     "access_key_id": "id", "secret": "s", "sign_name": "店",
                                                     "template_code": "SMS_1", "phones": [PHONE]}]})
    result = outbox.dispatch(sqlite_engine, {outbox.MessageKind.BUYER_SMS: BuyerSmsSender(settings,
                                                                                          lambda c, s: Phone())})
    assert result.skipped == 1 and texts == []
    with read_session(sqlite_engine) as s:
        assert outbox.parse_payload("buyer_sms", s.exec(select(Outbox)).one().payload).values["code"] == "******"
