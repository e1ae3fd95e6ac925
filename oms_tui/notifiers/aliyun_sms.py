"""Aliyun SMS ``SendSms`` (RPC style, signature version 1.0), as PROTOCOLS.md states it.

Every parameter but ``Signature`` is percent-encoded (RFC 3986: ``A-Z a-z 0-9 - _ . ~`` stay, the rest
is UTF-8 ``%XX``, a space ``%20``), sorted, joined as ``k=v&…``; the string to sign is
``METHOD&%2F&enc(canonical)`` and ``Signature = base64(HMAC-SHA1(key=secret + "&", string_to_sign))``.
We POST the parameters as a form, so the signature never sits in a URL. The answer's ``Code`` is
``OK`` or the reason, classified by ``CODES``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from urllib.parse import quote

import httpx

from oms_tui.clock import utcnow
from oms_tui.config import NotifyChannel
from oms_tui.i18n import N_
from oms_tui.notifiers.http import ChannelClient
from oms_tui.services.messaging.channels import ChannelError, ChannelRateLimited, ChannelRefused, RenderedNotice

SERVICE = "Aliyun SMS"
ACTION = "SendSms"
VERSION = "2017-05-25"
REGION = "cn-hangzhou"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

OK = "OK"
# Code → the verdict. The four of PROTOCOLS.md first; the rest are Aliyun's published codes as we read
# them *(unconfirmed)*. A code not listed is tried again (with back-off, a bounded number of times).
CODES: dict[str, type[ChannelError] | type[ChannelRefused]] = {
    "isv.BUSINESS_LIMIT_CONTROL": ChannelRateLimited,
    "SignatureDoesNotMatch": ChannelRefused,
    "isv.MOBILE_NUMBER_ILLEGAL": ChannelRefused,
    "Throttling": ChannelRateLimited,  # (unconfirmed)
    "Throttling.User": ChannelRateLimited,  # (unconfirmed)
    "InvalidAccessKeyId.NotFound": ChannelRefused,  # (unconfirmed)
    "isv.SMS_SIGNATURE_ILLEGAL": ChannelRefused,  # (unconfirmed)
    "isv.SMS_TEMPLATE_ILLEGAL": ChannelRefused,  # (unconfirmed)
    "isv.TEMPLATE_MISSING_PARAMETERS": ChannelRefused,  # (unconfirmed)
    "isv.INVALID_PARAMETERS": ChannelRefused,  # (unconfirmed)
}


def percent_encode(value: str) -> str:
    """RFC 3986: unreserved characters stay, everything else is UTF-8 ``%XX`` (a space is ``%20``)."""
    return quote(value, safe="-_.~", encoding="utf-8")


def canonical_query(params: Mapping[str, str]) -> str:
    """Every parameter but ``Signature``, encoded and sorted: ``k1=v1&k2=v2…``."""
    pairs = sorted((percent_encode(k), percent_encode(v)) for k, v in params.items() if k != "Signature")
    return "&".join(f"{k}={v}" for k, v in pairs)


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def signature(method: str, params: Mapping[str, str], secret: str) -> str:
    """``base64(HMAC-SHA1(key=secret + "&", string_to_sign))``."""
    digest = hmac.new(f"{secret}&".encode("utf-8"), string_to_sign(method, params).encode("utf-8"), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode("ascii")


def send_sms_params(*, access_key_id: str, phones: list[str], sign_name: str, template_code: str,
                    template_param: Mapping[str, str], timestamp: datetime, nonce: str) -> dict[str, str]:
    """SendSms's parameters, unsigned."""
    return {
        "Action": ACTION, "Version": VERSION, "RegionId": REGION, "Format": "JSON",
        "AccessKeyId": access_key_id, "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
        "SignatureNonce": nonce, "Timestamp": timestamp.astimezone(timezone.utc).strftime(TIMESTAMP_FORMAT),
        "PhoneNumbers": ",".join(phones), "SignName": sign_name, "TemplateCode": template_code,
        "TemplateParam": json.dumps(dict(template_param), ensure_ascii=False, separators=(",", ":")),
    }


class AliyunSms:
    """Sends each notice as one SendSms to every phone of the channel (the template gets ``event`` and ``subject``)."""

    def __init__(self, channel: NotifyChannel, *, clock: Callable[[], datetime] = utcnow,
                 nonce: Callable[[], str] = lambda: uuid.uuid4().hex, client: httpx.Client | None = None) -> None:
        self.channel = channel
        self.clock = clock
        self.nonce = nonce
        self.http = ChannelClient(channel, SERVICE, client=client)

    def __repr__(self) -> str:
        return f"AliyunSms({self.channel.name!r})"

    def send(self, notice: RenderedNotice) -> None:
        channel = self.channel
        params = send_sms_params(access_key_id=channel.access_key_id, phones=channel.phones,
                                 sign_name=channel.sign_name, template_code=channel.template_code,
                                 template_param=notice.sms, timestamp=self.clock(), nonce=self.nonce())
        params["Signature"] = signature("POST", params, channel.secret.get_secret_value())
        data = self.http.answer(self.http.post(channel.endpoint, data=params))
        code = str(data.get("Code", ""))
        if code == OK:
            return
        verdict = CODES.get(code, ChannelError)
        raise verdict(N_("{channel}: Aliyun SMS refused the message: {code} {message}"), channel=channel.name,
                      code=code or "(no Code)", message=self.http.mask(str(data.get("Message", ""))[:200]))

    def send_template(self, phones: list[str], template_code: str, values: Mapping[str, str]) -> None:
        """One SendSms to ``phones`` (a buyer) with another approved template of the same account."""
        channel = self.channel
        params = send_sms_params(access_key_id=channel.access_key_id, phones=list(phones),
                                 sign_name=channel.sign_name, template_code=template_code,
                                 template_param=values, timestamp=self.clock(), nonce=self.nonce())
        params["Signature"] = signature("POST", params, channel.secret.get_secret_value())
        self._check(self.http.answer(self.http.post(channel.endpoint, data=params)))

    def _check(self, data: Mapping[str, object]) -> None:
        code = str(data.get("Code", ""))
        if code == OK:
            return
        verdict = CODES.get(code, ChannelError)
        raise verdict(N_("{channel}: Aliyun SMS refused the message: {code} {message}"), channel=self.channel.name,
                      code=code or "(no Code)", message=self.http.mask(str(data.get("Message", ""))[:200]))

    def close(self) -> None:
        self.http.close()
