"""A simulated Kuaidi100: e-waybills with a label image, cancelling, subscription with pushes, the real-time query.

Written from PROTOCOLS.md, never from the adapter (oms_tui/carriers/kuaidi100.py): its own signing, its
own codes. Strict: a wrong ``sign`` (label: MD5(param + t + key + secret); query: MD5(param + key +
customer)), an unknown key or customer, a ``t`` that is not milliseconds, a missing field — all refused.
Our readings beyond PROTOCOLS.md (the label answer's shape, ``thirdOrderId``, error codes of the label
API, the push's ``lastResult`` wrapper) are marked *(unconfirmed)* where they are made.

Scenarios per waybill (``set_scenario``): ``normal`` (collected → in transit → out for delivery →
delivered over two days), ``stalled`` (collected, in transit, then nothing), ``returned`` (refused, back to
the sender), ``unknown`` (the query never has a result). Events appear as the simulator's clock passes
their time; ``push(number)`` sends the current result to the subscription's callback, signed with its salt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from oms_tui.clock import utcnow

BEIJING = timezone(timedelta(hours=8))
LABEL_PATH = "/label/order"
SUBSCRIBE_PATH = "/poll"
QUERY_PATH = "/poll/query.do"

# Waybill shapes the simulator issues, per courier code (PROTOCOLS.md's shapes).
_PREFIX = {"shunfeng": ("SF", 12), "yuantong": ("YT", 13), "jtexpress": ("JT", 13), "zhongtong": ("7", 13),
           "yunda": ("4", 14), "shentong": ("7", 12), "ems": ("11", 11)}

# (hours after shipping, state, context, location)
SCENARIOS: dict[str, list[tuple[float, str, str, str]]] = {
    "normal": [(1, "1", "快件已揽收", "杭州市"), (6, "0", "快件已发往 上海转运中心", "杭州市"),
               (20, "0", "快件已到达 上海转运中心", "上海市"), (40, "5", "快件正在派送中，派送员：王师傅", "上海市"),
               (44, "3", "快件已签收，签收人：本人", "上海市")],
    "stalled": [(1, "1", "快件已揽收", "杭州市"), (6, "0", "快件已发往 上海转运中心", "杭州市")],
    "returned": [(1, "1", "快件已揽收", "杭州市"), (20, "0", "快件已到达 上海转运中心", "上海市"),
                 (40, "14", "收件人拒收", "上海市"), (50, "6", "快件退回中", "上海市"), (90, "4", "退件已签收", "杭州市")],
    "unknown": [],
}


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def _same(received: str | None, expected: str) -> bool:
    return bool(received) and hmac.compare_digest(received.strip().upper().encode("utf-8"), expected.encode("utf-8"))


def label_png(waybill: str) -> str:
    """A small label image (PNG, base64) with a bar pattern and the number, as a courier's label would carry."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (380, 650), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((4, 4, 375, 645), outline=0, width=3)
    for i, ch in enumerate(waybill):
        width = 2 + (ord(ch) % 4)
        draw.rectangle((20 + i * 22, 60, 20 + i * 22 + width * 3, 180), fill=0)
    draw.text((20, 200), waybill, fill=0)
    out = io.BytesIO()
    image.save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode("ascii")


@dataclass
class SimWaybill:
    number: str
    courier: str
    third_order_id: str
    kd_order: str
    created_at: datetime
    scenario: str = "normal"
    cancelled: bool = False
    subscription: dict[str, Any] | None = None


@dataclass
class Kuaidi100State:
    key: str = "KD100KEY-SIM"
    customer: str = "KD100CUSTOMER-SIM"
    secret: str = "kd100-label-secret-sim"
    partners: dict[str, str] = field(default_factory=lambda: {"SIM-PARTNER": "partner-key-sim"})
    clock: Callable[[], datetime] = utcnow
    waybills: dict[str, SimWaybill] = field(default_factory=dict)
    by_third: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    pushes: list[tuple[str, int]] = field(default_factory=list)  # (number, HTTP status our server answered)
    fail_next: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # queued (status, body) answers
    default_scenario: str = "normal"
    _seq: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def config(self, base_url: str, *, callback_url: str = "", salt: str = "") -> dict[str, Any]:
        """A ``[kuaidi100]`` table for an adapter talking to this simulator."""
        return {"key": self.key, "customer": self.customer, "secret": self.secret,
                "label_url": base_url + LABEL_PATH, "query_url": base_url + QUERY_PATH,
                "subscribe_url": base_url + SUBSCRIBE_PATH, "callback_url": callback_url, "salt": salt,
                "accounts": [{"courier": c, "partner_id": "SIM-PARTNER", "partner_key": "partner-key-sim",
                              "template": "sim-76x130"} for c in ("zhongtong", "yuantong", "shunfeng")],
                "sender_name": "家居母婴旗舰店", "sender_mobile": "13800000000",
                "sender_address": "浙江省杭州市余杭区仓前街道 1 号仓"}

    def set_scenario(self, number: str, scenario: str) -> None:
        self.waybills[number].scenario = scenario

    def _injected(self) -> tuple[int, dict[str, Any]] | None:
        return self.fail_next.pop(0) if self.fail_next else None

    # --- label ------------------------------------------------------------------------------------

    def handle_label(self, method: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.calls.append((f"label:{method}", form))
        injected = self._injected()
        if injected:
            return injected
        for name in ("param", "key", "t", "sign"):
            if not form.get(name):
                return 200, {"success": False, "code": 10000, "message": f"缺少参数 {name}"}  # (unconfirmed)
        if form["key"] != self.key:
            return 200, {"success": False, "code": 10002, "message": "key 不存在"}  # (unconfirmed)
        if not form["t"].isdigit() or len(form["t"]) != 13:
            return 200, {"success": False, "code": 10003, "message": "t 须为毫秒时间戳"}  # (unconfirmed)
        if not _same(form["sign"], _md5(form["param"] + form["t"] + self.key + self.secret)):
            return 200, {"success": False, "code": 10001, "message": "签名错误"}  # (unconfirmed)
        try:
            param = json.loads(form["param"])
        except ValueError:
            return 200, {"success": False, "code": 10000, "message": "param 不是 JSON"}
        if not isinstance(param, dict) or self.partners.get(param.get("partnerId", "")) != param.get("partnerKey"):
            return 200, {"success": False, "code": 30001, "message": "电子面单账号错误"}  # (unconfirmed)
        if method == "cancel":
            return self._cancel(param)
        if method != "order":
            return 200, {"success": False, "code": 10000, "message": "method 不支持"}
        courier = str(param.get("kuaidicom", ""))
        if courier not in _PREFIX:
            return 200, {"success": False, "code": 30002, "message": "不支持的快递公司"}  # (unconfirmed)
        for name in ("recManName", "recManMobile", "recManPrintAddr", "sendManName", "sendManPrintAddr"):
            if not str(param.get(name, "")).strip():
                return 200, {"success": False, "code": 10000, "message": f"缺少 {name}"}
        with self._lock:
            third = str(param.get("thirdOrderId", ""))
            if third and third in self.by_third:  # (unconfirmed) the same request again: the same waybill
                waybill = self.waybills[self.by_third[third]]
            else:
                self._seq += 1
                prefix, digits = _PREFIX[courier]
                number = prefix + str(10 ** (digits - 1) + self._seq * 7919)[-digits:]
                if courier == "ems":
                    number = "EA" + str(100000000 + self._seq)[-9:] + "CN"
                waybill = SimWaybill(number, courier, third, f"KD{self._seq:08d}", self.clock(),
                                     self.default_scenario)
                self.waybills[number] = waybill
                if third:
                    self.by_third[third] = number
        return 200, {"success": True, "code": 200, "message": "success",  # (unconfirmed) answer shape
                     "data": {"taskId": f"T{waybill.kd_order}", "kuaidinum": waybill.number,
                              "kdComOrderNum": waybill.kd_order, "label": label_png(waybill.number)}}

    def _cancel(self, param: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        waybill = self.waybills.get(str(param.get("kuaidinum", "")))
        if waybill is None or waybill.courier != param.get("kuaidicom"):
            return 200, {"success": False, "code": 30003, "message": "运单不存在"}  # (unconfirmed)
        if waybill.cancelled:
            return 200, {"success": False, "code": 30004, "message": "运单已取消"}  # (unconfirmed)
        if self._events(waybill):
            return 200, {"success": False, "code": 30005, "message": "已揽收，不能取消"}  # (unconfirmed)
        waybill.cancelled = True
        return 200, {"success": True, "code": 200, "message": "success"}

    # --- tracking ---------------------------------------------------------------------------------

    def _events(self, waybill: SimWaybill) -> list[dict[str, str]]:
        now = self.clock()
        rows = []
        for hours, state, context, location in SCENARIOS.get(waybill.scenario, []):
            at = waybill.created_at + timedelta(hours=hours)
            if at <= now:
                text = at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
                rows.append({"time": text, "ftime": text, "context": context, "location": location,
                             "status": state})
        return list(reversed(rows))  # newest first

    def result(self, number: str) -> dict[str, Any] | None:
        waybill = self.waybills.get(number)
        if waybill is None or waybill.cancelled:
            return None
        events = self._events(waybill)
        if not events:
            return None
        state = events[0]["status"]
        return {"message": "ok", "nu": number, "ischeck": "1" if state in ("3", "4") else "0",
                "com": waybill.courier, "status": "200", "state": state, "condition": "F00", "data": events}

    def handle_query(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.calls.append(("query", form))
        injected = self._injected()
        if injected:
            return injected
        if not form.get("param") or not form.get("sign") or not form.get("customer"):
            return 200, {"result": False, "returnCode": "400", "message": "找不到对应公司"}
        if form["customer"] != self.customer or not _same(form["sign"], _md5(form["param"] + self.key + self.customer)):
            return 200, {"result": False, "returnCode": "503", "message": "验证签名失败"}
        try:
            param = json.loads(form["param"])
        except ValueError:
            return 200, {"result": False, "returnCode": "400", "message": "param 不是 JSON"}
        waybill = self.waybills.get(str(param.get("num", "")))
        if waybill is not None and waybill.courier == "shunfeng" and len(str(param.get("phone", ""))) < 4:
            return 200, {"result": False, "returnCode": "400", "message": "顺丰需要手机号后四位"}
        found = self.result(str(param.get("num", "")))
        if found is None or (waybill is not None and waybill.courier != param.get("com")):
            return 200, {"result": False, "returnCode": "500", "message": "查询无结果，请隔段时间再查"}
        return 200, found

    def handle_subscribe(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.calls.append(("subscribe", form))
        injected = self._injected()
        if injected:
            return injected
        if form.get("schema") != "json":
            return 200, {"result": False, "returnCode": "400", "message": "schema 必须为 json"}
        try:
            param = json.loads(form.get("param") or "")
        except ValueError:
            return 200, {"result": False, "returnCode": "400", "message": "param 不是 JSON"}
        if not isinstance(param, dict) or param.get("key") != self.key:
            return 200, {"result": False, "returnCode": "600", "message": "您不是合法的订阅者"}  # (unconfirmed)
        parameters = param.get("parameters") or {}
        if not parameters.get("callbackurl"):
            return 200, {"result": False, "returnCode": "400", "message": "缺少 callbackurl"}
        waybill = self.waybills.get(str(param.get("number", "")))
        if waybill is None:  # a number issued elsewhere: followed as "unknown"
            waybill = SimWaybill(str(param.get("number")), str(param.get("company")), "", "", self.clock(), "unknown")
            self.waybills[waybill.number] = waybill
        if waybill.subscription is not None:
            return 200, {"result": False, "returnCode": "501", "message": "重复订阅"}  # (unconfirmed)
        waybill.subscription = dict(parameters)
        return 200, {"result": True, "returnCode": "200", "message": "提交成功"}

    def push_form(self, number: str, *, salt: str | None = None) -> dict[str, str]:
        """The form Kuaidi100 would push for ``number`` now: ``param`` (with ``lastResult``) and its ``sign``."""
        waybill = self.waybills[number]
        subscription = waybill.subscription or {}
        result = self.result(number) or {"message": "ok", "nu": number, "com": waybill.courier, "state": "0",
                                         "ischeck": "0", "data": []}
        param = json.dumps({"status": "polling", "billstatus": "got", "message": "", "lastResult": result},
                           ensure_ascii=False, separators=(",", ":"))
        salt = subscription.get("salt", "") if salt is None else salt
        return {"param": param, "sign": _md5(param + salt) if salt else ""}

    def push(self, number: str) -> int:
        """POST the current result to the number's callback (as Kuaidi100 does); the HTTP status we got."""
        import httpx

        waybill = self.waybills[number]
        if waybill.subscription is None:
            raise ValueError(f"{number} is not subscribed")
        response = httpx.post(waybill.subscription["callbackurl"], data=self.push_form(number), timeout=10)
        self.pushes.append((number, response.status_code))
        return response.status_code
