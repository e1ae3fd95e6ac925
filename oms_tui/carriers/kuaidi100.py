"""Kuaidi100: e-waybills with their label, cancelling them, tracking subscription and the real-time query.

Signing (PROTOCOLS.md, "Kuaidi100"):

- real-time query: form ``customer``, ``param``, ``sign = hex(MD5(param + key + customer)).upper()``;
- label and cancel: form ``param``, ``key``, ``t`` (Unix milliseconds), ``sign = hex(MD5(param + t + key +
  secret)).upper()``; ``param`` is JSON, UTF-8, Chinese unescaped;
- subscription: form ``schema=json`` and ``param`` (no sign); pushes come back signed
  ``hex(MD5(param + salt)).upper()`` (checked in services/shipping/tracking.py, which takes the push).

The answers of the label calls are *(unconfirmed)*: ``parse_label_answer`` is the one place that reads
them, and anything it does not recognise is an error, never a guess. ``thirdOrderId`` (our request id,
sent on every attempt so a retry is answered with the number already issued) is *(unconfirmed)* too.
The client implements the ``LabelService`` and ``TrackingService`` protocols of services/shipping.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from oms_tui.config import Kuaidi100Config
from oms_tui.i18n import N_
from oms_tui.redaction import redact
from oms_tui.services.shipping.services import (
    CarrierBusy,
    CarrierError,
    CarrierRefused,
    LabelAnswer,
    LabelRequest,
    QueryAnswer,
    parse_query_answer,
)

SERVICE = "Kuaidi100"
MAX_LABEL_BYTES = 2 * 1024 * 1024  # a label image linked from the answer is a few tens of kB


def compact_json(value: Mapping[str, Any]) -> str:
    """``param`` as Kuaidi100 wants it: compact JSON, Chinese unescaped."""
    return json.dumps(dict(value), ensure_ascii=False, separators=(",", ":"))


def md5_upper(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def query_sign(param: str, key: str, customer: str) -> str:
    """The real-time query's ``sign = hex(MD5(param + key + customer)).upper()``."""
    return md5_upper(param + key + customer)


def label_sign(param: str, t: str, key: str, secret: str) -> str:
    """The label API's ``sign = hex(MD5(param + t + key + secret)).upper()``."""
    return md5_upper(param + t + key + secret)


def push_sign(param: str, salt: str) -> str:
    """A push's ``sign = hex(MD5(param + salt)).upper()`` *(unconfirmed)*."""
    return md5_upper(param + salt)


def label_param(config: Kuaidi100Config, request: LabelRequest) -> dict[str, Any]:
    """The ``param`` of a create call for ``request`` on its courier's account."""
    account = config.account_for(request.courier)
    if account is None:
        raise CarrierRefused(N_("no Kuaidi100 account for courier {courier} ([[kuaidi100.accounts]])"),
                             courier=request.courier)
    param: dict[str, Any] = {
        "type": "10", "partnerId": account.partner_id, "partnerKey": account.partner_key.get_secret_value(),
        "net": account.net, "kuaidicom": request.courier,
        "recManName": request.receiver_name, "recManMobile": request.receiver_phone,
        "recManPrintAddr": request.receiver_address,
        "sendManName": config.sender_name, "sendManMobile": config.sender_mobile,
        "sendManPrintAddr": config.sender_address,
        "tempid": account.template, "cargo": config.cargo, "count": str(request.count),
        "weight": request.weight, "payType": "SHIPPER", "expType": "标准快递", "remark": request.remark,
        "thirdOrderId": request.client_order_id,  # (unconfirmed) our id: a retry gets the number already issued
    }
    if account.partner_secret.get_secret_value():
        param["partnerSecret"] = account.partner_secret.get_secret_value()
    if account.partner_name:
        param["partnerName"] = account.partner_name
    if request.oaid:
        param["oaid"] = request.oaid  # (unconfirmed) the platform's receiver id, for its waybill service
    return param


def _ok(data: Mapping[str, Any]) -> bool:
    """Both answer styles Kuaidi100's label APIs use *(unconfirmed)*: ``success``/``code`` or ``result``/``returnCode``."""
    if data.get("success") is True or data.get("result") is True:
        return True
    return str(data.get("code", data.get("returnCode", ""))) == "200" and data.get("success") is not False


def parse_label_answer(data: Any) -> tuple[str, str, str, str]:
    """(waybill, courier order id, label base64, label URL) from a create answer; CarrierError when it is not one.

    *(unconfirmed)* shape: ``{"success": true, "code": 200, "data": {"kuaidinum": …, "kdComOrderNum": …,
    "label": base64 | "imgBase64": [base64] | "labelUrl": URL}}``.
    """
    if not isinstance(data, dict):
        raise CarrierError(N_("{service}: an answer that is not a JSON object"), service=SERVICE)
    if not _ok(data):
        code = str(data.get("code", data.get("returnCode", "")))
        message = str(data.get("message", ""))[:200]
        raise CarrierRefused(N_("{service} refused the waybill: {code} {message}"), service=SERVICE,
                             code=code or "?", message=message)
    body = data.get("data")
    if isinstance(body, list) and body:
        body = body[0]
    if not isinstance(body, dict):
        raise CarrierError(N_("{service}: a waybill answer without its data"), service=SERVICE)
    waybill = str(body.get("kuaidinum") or "").strip()
    if not waybill:
        raise CarrierError(N_("{service}: a waybill answer without the waybill number"), service=SERVICE)
    image = body.get("label") or body.get("imgBase64") or ""
    if isinstance(image, list):
        image = image[0] if image else ""
    image = str(image)
    url = ""
    if image.startswith(("http://", "https://")):
        image, url = "", image
    url = url or str(body.get("labelUrl") or "")
    if not image and not url:
        raise CarrierError(N_("{service}: a waybill answer without a label"), service=SERVICE)
    if image:
        image = image.split(",", 1)[1] if image.startswith("data:") else image
        try:
            base64.b64decode(image, validate=True)
        except ValueError:
            raise CarrierError(N_("{service}: the label is not base64"), service=SERVICE) from None
    return waybill, str(body.get("kdComOrderNum") or ""), image, url


class Kuaidi100Client:
    """Kuaidi100 over httpx. ``clock`` gives Unix milliseconds (``t``); secrets never appear in an error."""

    def __init__(self, config: Kuaidi100Config, *, client: httpx.Client | None = None,
                 clock: Callable[[], int] = lambda: int(time.time() * 1000)) -> None:
        self.config = config
        self.clock = clock
        self.http = client or httpx.Client(timeout=config.timeout)

    def __repr__(self) -> str:
        return f"Kuaidi100Client({self.config.label_url!r})"

    # --- HTTP ---------------------------------------------------------------------------------

    def _mask(self, text: str) -> str:
        return redact(text, self.config.secret_values())

    def _post(self, url: str, form: Mapping[str, str], *, params: Mapping[str, str] | None = None) -> Any:
        try:
            response = self.http.post(url, data=dict(form), params=params)
        except httpx.HTTPError as exc:
            raise CarrierBusy(N_("{service} not reachable: {reason}"), service=SERVICE,
                              reason=self._mask(str(exc) or type(exc).__name__)[:200]) from None
        if response.status_code >= 500:
            raise CarrierBusy(N_("{service} answered HTTP {status}"), service=SERVICE, status=response.status_code)
        try:
            return response.json()
        except ValueError:
            raise CarrierError(N_("{service}: an answer that is not JSON (HTTP {status})"), service=SERVICE,
                               status=response.status_code) from None

    def _signed_label_form(self, param: Mapping[str, Any]) -> dict[str, str]:
        text = compact_json(param)
        t = str(self.clock())
        key = self.config.key.get_secret_value()
        return {"param": text, "key": key, "t": t,
                "sign": label_sign(text, t, key, self.config.secret.get_secret_value())}

    # --- LabelService -------------------------------------------------------------------------

    def create_label(self, request: LabelRequest) -> LabelAnswer:
        form = self._signed_label_form(label_param(self.config, request))
        waybill, order_id, image, url = parse_label_answer(
            self._post(self.config.label_url, form, params={"method": "order"}))
        if not image:
            image = self._fetch_image(url)
        return LabelAnswer(waybill=waybill, courier_order_id=order_id, label_base64=image)

    def _fetch_image(self, url: str) -> str:
        try:
            response = self.http.get(url)
        except httpx.HTTPError as exc:
            raise CarrierBusy(N_("{service}: the label could not be fetched: {reason}"), service=SERVICE,
                              reason=str(exc)[:200]) from None
        if response.status_code != 200 or len(response.content) > MAX_LABEL_BYTES:
            raise CarrierError(N_("{service}: the label could not be fetched: {reason}"), service=SERVICE,
                               reason=f"HTTP {response.status_code}, {len(response.content)} bytes")
        return base64.b64encode(response.content).decode("ascii")

    def cancel_label(self, courier: str, waybill: str, courier_order_id: str, reason: str) -> None:
        account = self.config.account_for(courier)
        if account is None:
            raise CarrierRefused(N_("no Kuaidi100 account for courier {courier} ([[kuaidi100.accounts]])"),
                                 courier=courier)
        param = {"partnerId": account.partner_id, "partnerKey": account.partner_key.get_secret_value(),
                 "partnerSecret": account.partner_secret.get_secret_value(), "partnerName": account.partner_name,
                 "net": account.net, "code": account.code, "kuaidicom": courier, "kuaidinum": waybill,
                 "orderId": courier_order_id, "reason": reason}
        data = self._post(self.config.label_url, self._signed_label_form(param), params={"method": "cancel"})
        if not isinstance(data, dict) or not _ok(data):
            message = str(data.get("message", "")) if isinstance(data, dict) else ""
            code = str(data.get("code", data.get("returnCode", ""))) if isinstance(data, dict) else ""
            raise CarrierRefused(N_("{service} refused to cancel waybill {waybill}: {code} {message}"),
                                 service=SERVICE, waybill=waybill, code=code or "?", message=message[:200])

    # --- TrackingService ----------------------------------------------------------------------

    def query(self, courier: str, waybill: str, phone_tail: str = "") -> QueryAnswer:
        param = compact_json({"com": courier, "num": waybill, "phone": phone_tail, "resultv2": "1"})
        key, customer = self.config.key.get_secret_value(), self.config.customer
        form = {"customer": customer, "sign": query_sign(param, key, customer), "param": param}
        return parse_query_answer(self._post(self.config.query_url, form))

    def subscribe(self, courier: str, waybill: str, phone_tail: str = "") -> None:
        if not self.config.callback_url:
            raise CarrierRefused(N_("no Kuaidi100 callback_url configured: tracking is by polling only"))
        parameters = {"callbackurl": self.config.callback_url, "resultv2": "1"}
        if self.config.salt.get_secret_value():
            parameters["salt"] = self.config.salt.get_secret_value()
        if phone_tail:
            parameters["phone"] = phone_tail
        param = compact_json({"company": courier, "number": waybill, "key": self.config.key.get_secret_value(),
                              "parameters": parameters})
        data = self._post(self.config.subscribe_url, {"schema": "json", "param": param})
        if not isinstance(data, dict):
            raise CarrierError(N_("{service}: an answer that is not a JSON object"), service=SERVICE)
        code = str(data.get("returnCode", ""))
        if data.get("result") is True or code == "200":
            return
        if code == "501":  # *(unconfirmed)* "POLL:重复订阅": it is subscribed already
            return
        error = CarrierBusy if code in ("502", "500") else CarrierRefused
        raise error(N_("{service} refused the subscription: {code} {message}"), service=SERVICE, code=code or "?",
                    message=str(data.get("message", ""))[:200])

    def close(self) -> None:
        self.http.close()


def client_for(config: Kuaidi100Config) -> Kuaidi100Client:
    return Kuaidi100Client(config)
