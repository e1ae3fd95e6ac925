"""DingTalk custom robots, WeCom group robots and Aliyun SMS on loopback, for the demo and the tests.

Written from PROTOCOLS.md and nothing else — never from the adapters (oms_tui/notifiers/): a
simulator that signs with the adapter's code agrees with the adapter's mistakes. Each service
checks what the real one documents, and refuses as it does:

- DingTalk ``POST /robot/send?access_token=…[&timestamp=…&sign=…]``: an unknown token; for a signed
  robot a timestamp more than an hour off, or a sign that is not ``base64(HMAC-SHA256(secret,
  "T\\nsecret"))`` (sent URL-encoded) → errcode 310000; a robot's keywords missing from the text →
  310000; more than ``per_minute`` messages a minute → 130101.
- WeCom ``POST /cgi-bin/webhook/send?key=…``: an unknown key → 93000; too many → 45009.
- Aliyun ``GET|POST /`` with ``Action=SendSms``: the RPC signature v1.0 (HMAC-SHA1 over the
  RFC 3986-encoded sorted query), a timestamp within 15 minutes, a nonce never seen before, known
  AccessKeyId, mainland numbers, at most ``sms_per_minute`` / ``sms_per_hour`` per number.

Codes beyond PROTOCOLS.md's (300001, 130101, 40035, 40008, the Aliyun codes other than OK,
isv.BUSINESS_LIMIT_CONTROL, SignatureDoesNotMatch and isv.MOBILE_NUMBER_ILLEGAL, the HTTP statuses of
Aliyun's refusals, SMS flow-control numbers) are this simulator's reading of the services' public
documentation *(unconfirmed)*.

Every message taken is kept in ``received`` (tests read it); ``go_down`` makes a service answer 503,
``inject_rate_limit`` makes its next calls rate-limited.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

DINGTALK, WECOM, SMS = "dingtalk", "wecom", "sms"
SERVICES = (DINGTALK, WECOM, SMS)
PATHS = {DINGTALK: "/robot/send", WECOM: "/cgi-bin/webhook/send", SMS: "/"}

# DingTalk (errcode 310000 is PROTOCOLS.md's; the rest unconfirmed)
DT_OK = {"errcode": 0, "errmsg": "ok"}
DT_SIGNATURE = 310000
DT_TOKEN_UNKNOWN = 300001
DT_TOO_FAST = 130101
DT_BAD_BODY = 40035
DT_MAX_SKEW = timedelta(hours=1)
# WeCom (45009 and 93000 as PROTOCOLS.md reads them; 40008 unconfirmed)
WC_RATE_LIMITED = 45009
WC_INVALID_KEY = 93000
WC_BAD_TYPE = 40008
# Aliyun SMS
SMS_ACTION, SMS_VERSION = "SendSms", "2017-05-25"
SMS_MAX_SKEW = timedelta(minutes=15)  # (unconfirmed)
SMS_TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"
SMS_REQUIRED = ("Action", "Version", "AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce",
                "Timestamp", "Signature", "PhoneNumbers", "SignName", "TemplateCode")
MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")

DEFAULT_PER_MINUTE = 20  # each robot, PROTOCOLS.md


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Received:
    """One message a simulated service took."""

    service: str
    target: str  # the robot's token or key, or the phone numbers
    body: dict[str, Any]  # the JSON body (robots) or the request's parameters (SMS)
    at: datetime
    query: str = ""  # the request's query string as it arrived


@dataclass
class Robot:
    secret: str = ""  # empty: an unsigned robot
    keywords: tuple[str, ...] = ()
    sent: list[datetime] = field(default_factory=list)


@dataclass
class SmsAccount:
    secret: str
    sign_names: tuple[str, ...] = ()  # empty: any
    templates: tuple[str, ...] = ()  # empty: any


class NotifyState:
    """The robots, the SMS accounts, what each took, and the faults asked for (thread-safe)."""

    def __init__(self, *, clock: Callable[[], datetime] = _utcnow, per_minute: int = DEFAULT_PER_MINUTE,
                 sms_per_minute: int = 1, sms_per_hour: int = 5) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.per_minute = per_minute
        self.sms_per_minute = sms_per_minute
        self.sms_per_hour = sms_per_hour
        self.dingtalk: dict[str, Robot] = {}
        self.wecom: dict[str, Robot] = {}
        self.sms: dict[str, SmsAccount] = {}
        self.received: list[Received] = []
        self.refused: list[tuple[str, Any]] = []  # (service, the code it answered)
        self._down: set[str] = set()
        self._rate_limit: dict[str, int] = {s: 0 for s in SERVICES}
        self._nonces: set[str] = set()
        self._sms_sent: dict[str, list[datetime]] = {}

    # --- set-up ------------------------------------------------------------------------------

    def add_dingtalk(self, token: str, secret: str = "", keywords: tuple[str, ...] = ()) -> None:
        with self.lock:
            self.dingtalk[token] = Robot(secret, tuple(keywords))

    def add_wecom(self, key: str) -> None:
        with self.lock:
            self.wecom[key] = Robot()

    def add_sms(self, access_key_id: str, secret: str, *, sign_names: tuple[str, ...] = (),
                templates: tuple[str, ...] = ()) -> None:
        with self.lock:
            self.sms[access_key_id] = SmsAccount(secret, tuple(sign_names), tuple(templates))

    @classmethod
    def with_demo_channels(cls, **kwargs: Any) -> NotifyState:
        """One signed DingTalk robot, one WeCom robot and one SMS account (see ``channel_configs``)."""
        state = cls(**kwargs)
        state.add_dingtalk("sim-dingtalk-token", "SECsim-dingtalk-secret")
        state.add_wecom("sim-wecom-key")
        state.add_sms("sim-sms-id", "sim-sms-secret")
        return state

    def channel_configs(self, base_url: str) -> list[dict[str, Any]]:
        """``[[notify.channels]]`` tables that reach this simulator's robots and SMS accounts (their own demo secrets)."""
        base = base_url.rstrip("/")
        with self.lock:
            tables: list[dict[str, Any]] = []
            for i, (token, robot) in enumerate(self.dingtalk.items()):
                tables.append({"name": f"钉钉群{i + 1}" if i else "钉钉群", "kind": DINGTALK,
                               "url": base + PATHS[DINGTALK], "token": token, "secret": robot.secret})
            for i, key in enumerate(self.wecom):
                tables.append({"name": f"企业微信群{i + 1}" if i else "企业微信群", "kind": WECOM,
                               "url": base + PATHS[WECOM], "key": key})
            for i, (key_id, account) in enumerate(self.sms.items()):
                tables.append({"name": f"短信{i + 1}" if i else "短信", "kind": SMS, "url": base + PATHS[SMS],
                               "access_key_id": key_id, "secret": account.secret,
                               "sign_name": account.sign_names[0] if account.sign_names else "家居旗舰店",
                               "template_code": account.templates[0] if account.templates else "SMS_100001",
                               "phones": ["13800138000"]})
            return tables

    # --- faults ------------------------------------------------------------------------------

    def go_down(self, service: str, down: bool = True) -> None:
        """``service`` answers HTTP 503 until called again with ``down=False``."""
        with self.lock:
            (self._down.add if down else self._down.discard)(service)

    def inject_rate_limit(self, service: str, n: int = 1) -> None:
        """The next ``n`` messages to ``service`` are refused as rate-limited."""
        with self.lock:
            self._rate_limit[service] += n

    def is_down(self, service: str) -> bool:
        with self.lock:
            return service in self._down

    def received_by(self, service: str, target: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.service == service and (target is None or r.target == target)]

    def _limited(self, service: str) -> bool:
        if self._rate_limit[service] > 0:
            self._rate_limit[service] -= 1
            return True
        return False

    def _refuse(self, service: str, code: Any, answer: dict[str, Any], status: int = 200) -> tuple[int, dict[str, Any]]:
        self.refused.append((service, code))
        return status, answer

    # --- DingTalk ----------------------------------------------------------------------------

    def handle_dingtalk(self, query: Mapping[str, str], raw_query: str, body: bytes) -> tuple[int, dict[str, Any]]:
        with self.lock:
            now = self.clock()
            robot = self.dingtalk.get(query.get("access_token", ""))
            if robot is None:
                return self._refuse(DINGTALK, DT_TOKEN_UNKNOWN, {"errcode": DT_TOKEN_UNKNOWN, "errmsg": "token is not exist"})
            if robot.secret:
                stamp = query.get("timestamp", "")
                if not stamp.isdigit() or abs(now - datetime.fromtimestamp(int(stamp) / 1000, timezone.utc)) > DT_MAX_SKEW:
                    return self._refuse(DINGTALK, DT_SIGNATURE, {"errcode": DT_SIGNATURE, "errmsg": "invalid timestamp"})
                if not _same(query.get("sign", ""), dingtalk_sign(stamp, robot.secret)):
                    return self._refuse(DINGTALK, DT_SIGNATURE, {"errcode": DT_SIGNATURE, "errmsg": "sign not match"})
            message = _json_object(body)
            content = _dingtalk_content(message)
            if content is None:
                return self._refuse(DINGTALK, DT_BAD_BODY, {"errcode": DT_BAD_BODY, "errmsg": "缺少参数 json"})
            if robot.keywords and not any(word in content for word in robot.keywords):
                return self._refuse(DINGTALK, DT_SIGNATURE, {"errcode": DT_SIGNATURE, "errmsg": "keywords not in content"})
            robot.sent = [t for t in robot.sent if now - t < timedelta(minutes=1)]
            if self._limited(DINGTALK) or len(robot.sent) >= self.per_minute:
                return self._refuse(DINGTALK, DT_TOO_FAST, {"errcode": DT_TOO_FAST,
                                                            "errmsg": "send too fast, exceed 20 times per minute"})
            robot.sent.append(now)
            self.received.append(Received(DINGTALK, query["access_token"], message, now, raw_query))
            return 200, dict(DT_OK)

    # --- WeCom -------------------------------------------------------------------------------

    def handle_wecom(self, query: Mapping[str, str], raw_query: str, body: bytes) -> tuple[int, dict[str, Any]]:
        with self.lock:
            now = self.clock()
            robot = self.wecom.get(query.get("key", ""))
            if robot is None:
                return self._refuse(WECOM, WC_INVALID_KEY, {"errcode": WC_INVALID_KEY, "errmsg": "invalid webhook url"})
            message = _json_object(body)
            kind = message.get("msgtype")
            part = message.get(kind) if isinstance(kind, str) else None
            if kind not in ("text", "markdown") or not isinstance(part, dict) or not str(part.get("content") or "").strip():
                return self._refuse(WECOM, WC_BAD_TYPE, {"errcode": WC_BAD_TYPE, "errmsg": "invalid message type"})
            robot.sent = [t for t in robot.sent if now - t < timedelta(minutes=1)]
            if self._limited(WECOM) or len(robot.sent) >= self.per_minute:
                return self._refuse(WECOM, WC_RATE_LIMITED, {"errcode": WC_RATE_LIMITED, "errmsg": "api freq out of limit"})
            robot.sent.append(now)
            self.received.append(Received(WECOM, query["key"], message, now, raw_query))
            return 200, {"errcode": 0, "errmsg": "ok"}

    # --- Aliyun SMS --------------------------------------------------------------------------

    def handle_sms(self, method: str, params: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            now = self.clock()
            request_id = str(uuid.uuid4()).upper()

            def error(code: str, message: str, status: int = 200) -> tuple[int, dict[str, Any]]:
                return self._refuse(SMS, code, {"Code": code, "Message": message, "RequestId": request_id}, status)

            missing = [name for name in SMS_REQUIRED if not params.get(name)]
            if missing:
                return error("MissingParameter", f"{missing[0]} is mandatory for this action.", 400)
            if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
                return error("InvalidParameter", "SignatureMethod / SignatureVersion", 400)
            account = self.sms.get(params["AccessKeyId"])
            if account is None:
                return error("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
            try:
                stamp = datetime.strptime(params["Timestamp"], SMS_TIMESTAMP).replace(tzinfo=timezone.utc)
            except ValueError:
                return error("InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.", 400)
            if abs(now - stamp) > SMS_MAX_SKEW:
                return error("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.", 400)
            if not _same(params["Signature"], sms_signature(method, params, account.secret)):
                return error("SignatureDoesNotMatch", "Specified signature is not matched with our calculation.", 400)
            if params["SignatureNonce"] in self._nonces:
                return error("SignatureNonceUsed", "Specified signature nonce was used already.", 400)
            self._nonces.add(params["SignatureNonce"])
            if params["Action"] != SMS_ACTION or params["Version"] != SMS_VERSION:
                return error("InvalidAction.NotFound", "Specified api is not found, please check your url and method.",
                             404)
            phones = params["PhoneNumbers"].split(",")
            if not all(MAINLAND_MOBILE.fullmatch(p) for p in phones):
                return error("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
            if account.sign_names and params["SignName"] not in account.sign_names:
                return error("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
            if account.templates and params["TemplateCode"] not in account.templates:
                return error("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
            template_param = params.get("TemplateParam", "")
            if template_param and not isinstance(_json_loads(template_param), dict):
                return error("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
            if self._limited(SMS) or any(self._sms_flow_exceeded(p, now) for p in phones):
                return error("isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控Permits:10")
            for phone in phones:
                self._sms_sent.setdefault(phone, []).append(now)
            self.received.append(Received(SMS, params["PhoneNumbers"], dict(params), now))
            return 200, {"Code": "OK", "Message": "OK", "BizId": uuid.uuid4().hex[:20], "RequestId": request_id}

    def _sms_flow_exceeded(self, phone: str, now: datetime) -> bool:
        sent = [t for t in self._sms_sent.get(phone, []) if now - t < timedelta(hours=1)]
        self._sms_sent[phone] = sent
        last_minute = [t for t in sent if now - t < timedelta(minutes=1)]
        return len(last_minute) >= self.sms_per_minute or len(sent) >= self.sms_per_hour


# --- the signatures, as PROTOCOLS.md states them (the simulator's own copy) ------------------------

def dingtalk_sign(timestamp: str, secret: str) -> str:
    """base64(HMAC-SHA256(key=secret, f"{timestamp}\\n{secret}")) — before URL-encoding."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _rfc3986(value: str) -> str:
    return quote(value.encode("utf-8"), safe="-_.~")


def sms_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    canonical = "&".join(f"{_rfc3986(k)}={_rfc3986(params[k])}" for k in sorted(params) if k != "Signature")
    return f"{method.upper()}&{_rfc3986('/')}&{_rfc3986(canonical)}"


def sms_signature(method: str, params: Mapping[str, str], secret: str) -> str:
    """base64(HMAC-SHA1(key=secret + "&", string_to_sign))."""
    digest = hmac.new((secret + "&").encode(), sms_string_to_sign(method, params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _same(received: str, expected: str) -> bool:
    return hmac.compare_digest(received.encode("utf-8"), expected.encode("utf-8"))


def _json_loads(text: str | bytes) -> Any:
    try:
        return json.loads(text or b"{}")
    except ValueError:
        return None


def _json_object(body: bytes) -> dict[str, Any]:
    data = _json_loads(body)
    return data if isinstance(data, dict) else {}


def _dingtalk_content(message: Mapping[str, Any]) -> str | None:
    """The text a DingTalk message shows, or None when the body is not a text or markdown message."""
    kind = message.get("msgtype")
    part = message.get(kind) if isinstance(kind, str) else None
    if not isinstance(part, dict):
        return None
    if kind == "text" and str(part.get("content") or "").strip():
        return str(part["content"])
    if kind == "markdown" and str(part.get("title") or "").strip() and str(part.get("text") or "").strip():
        return f"{part['title']}\n{part['text']}"
    return None
