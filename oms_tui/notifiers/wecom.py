"""WeCom (企业微信) group robot, as PROTOCOLS.md states it.

``POST {url}?key=KEY`` with a JSON body: ``{"msgtype": "text", "text": {"content", "mentioned_mobile_list"}}``
or ``{"msgtype": "markdown", "markdown": {"content"}}``. The answer is ``{"errcode": 0, "errmsg": "ok"}``;
45009 is rate limited, 93000 an invalid key *(both unconfirmed)*; any other code is tried again.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from oms_tui.config import NotifyChannel
from oms_tui.i18n import N_
from oms_tui.notifiers.http import ChannelClient
from oms_tui.services.messaging.channels import ChannelError, ChannelRateLimited, ChannelRefused, RenderedNotice

SERVICE = "WeCom"
ERR_RATE_LIMITED = 45009  # (unconfirmed)
ERR_INVALID_KEY = 93000  # (unconfirmed)
ERRORS: dict[int, type[ChannelError] | type[ChannelRefused]] = {
    ERR_RATE_LIMITED: ChannelRateLimited,
    ERR_INVALID_KEY: ChannelRefused,
}
# The robot's limits on content *(unconfirmed)*: text 2048 bytes, markdown 4096 bytes (UTF-8).
MAX_BYTES = {"text": 2048, "markdown": 4096}


def webhook_url(url: str, key: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}key={quote(key, safe='')}"


def body(notice: RenderedNotice, *, markdown: bool) -> dict[str, Any]:
    if markdown:
        return {"msgtype": "markdown", "markdown": {"content": _cut(notice.markdown, MAX_BYTES["markdown"])}}
    return {"msgtype": "text", "text": {"content": _cut(notice.text, MAX_BYTES["text"]),
                                        "mentioned_mobile_list": list(notice.mentions)}}


def _cut(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


class WeComRobot:
    """Sends notices to one WeCom group robot."""

    def __init__(self, channel: NotifyChannel, *, client: httpx.Client | None = None) -> None:
        self.channel = channel
        self.http = ChannelClient(channel, SERVICE, client=client)

    def __repr__(self) -> str:
        return f"WeComRobot({self.channel.name!r})"

    def send(self, notice: RenderedNotice) -> None:
        url = webhook_url(self.channel.endpoint, self.channel.key.get_secret_value())
        data = self.http.answer(self.http.post(url, json=body(notice, markdown=self.channel.markdown)))
        errcode = data.get("errcode")
        if errcode == 0:
            return
        verdict = ERRORS.get(errcode if isinstance(errcode, int) else -1, ChannelError)
        raise verdict(N_("{channel}: WeCom refused the message: errcode {code} {message}"), channel=self.channel.name,
                      code=errcode, message=self.http.mask(str(data.get("errmsg", ""))[:200]))

    def close(self) -> None:
        self.http.close()
