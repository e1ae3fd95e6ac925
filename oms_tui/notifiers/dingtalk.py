"""DingTalk custom group robot (自定义机器人), as PROTOCOLS.md states it.

``POST {url}?access_token=TOKEN[&timestamp=T&sign=S]`` with a JSON body (text or markdown). A signed
robot: ``T`` is Unix milliseconds, ``S = urlencode(base64(HMAC-SHA256(key=secret, f"{T}\\n{secret}")))``;
DingTalk refuses a ``T`` more than an hour off. The answer is ``{"errcode": 0, "errmsg": "ok"}``; any
other errcode is a failure, classified by ``ERRORS``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from oms_tui.config import NotifyChannel
from oms_tui.i18n import N_
from oms_tui.notifiers.http import ChannelClient
from oms_tui.services.messaging.channels import ChannelError, ChannelRateLimited, ChannelRefused, RenderedNotice

SERVICE = "DingTalk"
# errcode → the verdict. 310000 (signature, keyword or IP not allowed) is PROTOCOLS.md's; the others are
# DingTalk's published codes as we read them *(unconfirmed)*; any other non-zero code is tried again.
ERR_SIGNATURE_OR_KEYWORD = 310000
ERR_TOKEN_UNKNOWN = 300001  # (unconfirmed) "token is not exist"
ERR_TOO_FAST = 130101  # (unconfirmed) "send too fast, exceed 20 times per minute"
ERRORS: dict[int, type[ChannelError] | type[ChannelRefused]] = {
    ERR_SIGNATURE_OR_KEYWORD: ChannelRefused,
    ERR_TOKEN_UNKNOWN: ChannelRefused,
    ERR_TOO_FAST: ChannelRateLimited,
}
MAX_TEXT_BYTES = 20_000  # a message longer than this is cut *(unconfirmed: the robot's documented limit)*


def sign(timestamp_ms: int, secret: str) -> str:
    """The robot's signature for ``timestamp_ms``: base64 of HMAC-SHA256(secret, "T\\nsecret") (not yet URL-encoded)."""
    string_to_sign = f"{timestamp_ms}\n{secret}"
    digest = hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_url(url: str, token: str, secret: str, timestamp_ms: int) -> str:
    """The webhook URL with ``access_token`` and, for a signed robot, ``timestamp`` and the URL-encoded ``sign``."""
    query = f"access_token={quote(token, safe='')}"
    if secret:
        query += f"&timestamp={timestamp_ms}&sign={quote(sign(timestamp_ms, secret), safe='')}"
    return f"{url}{'&' if '?' in url else '?'}{query}"


def body(notice: RenderedNotice, *, markdown: bool) -> dict[str, Any]:
    """The JSON body: markdown (title + text) or text, @-mentioning ``notice.mentions``."""
    at = {"atMobiles": list(notice.mentions), "isAtAll": False}
    if markdown:
        return {"msgtype": "markdown", "markdown": {"title": notice.title, "text": _cut(notice.markdown)}, "at": at}
    return {"msgtype": "text", "text": {"content": _cut(notice.text)}, "at": at}


def _cut(text: str) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= MAX_TEXT_BYTES else data[:MAX_TEXT_BYTES].decode("utf-8", "ignore")


class DingTalkRobot:
    """Sends notices to one DingTalk group robot."""

    def __init__(self, channel: NotifyChannel, *, clock: Callable[[], float] = time.time,
                 client: httpx.Client | None = None) -> None:
        self.channel = channel
        self.clock = clock
        self.http = ChannelClient(channel, SERVICE, client=client)

    def __repr__(self) -> str:
        return f"DingTalkRobot({self.channel.name!r})"

    def send(self, notice: RenderedNotice) -> None:
        url = signed_url(self.channel.endpoint, self.channel.token.get_secret_value(),
                         self.channel.secret.get_secret_value(), int(self.clock() * 1000))
        data = self.http.answer(self.http.post(url, json=body(notice, markdown=self.channel.markdown)))
        errcode = data.get("errcode")
        if errcode == 0:
            return
        verdict = ERRORS.get(errcode if isinstance(errcode, int) else -1, ChannelError)
        raise verdict(N_("{channel}: DingTalk refused the message: errcode {code} {message}"), channel=self.channel.name,
                      code=errcode, message=self.http.mask(str(data.get("errmsg", ""))[:200]))

    def close(self) -> None:
        self.http.close()
