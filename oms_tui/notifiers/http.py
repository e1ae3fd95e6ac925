"""What the robot and SMS adapters share: one POST over httpx, with every transport failure, 5xx and
429 turned into the channel verdicts of services/messaging/channels.py, and the channel's secrets
(a token or key in the URL, a signature) masked out of every error text."""

from __future__ import annotations

from typing import Any

import httpx

from oms_tui.config import NotifyChannel
from oms_tui.i18n import N_
from oms_tui.redaction import redact, redact_logger
from oms_tui.services.messaging.channels import ChannelError, ChannelRateLimited, ChannelRefused

# httpx logs each request's URL at INFO: a DingTalk token and sign, a WeCom key would be in every log file.
redact_logger("httpx")


class ChannelClient:
    """An httpx client for one channel (``service`` names it in errors: DingTalk, WeCom, Aliyun SMS)."""

    def __init__(self, channel: NotifyChannel, service: str, *, client: httpx.Client | None = None) -> None:
        self.channel = channel
        self.service = service
        self.client = client or httpx.Client(timeout=httpx.Timeout(channel.timeout, connect=min(channel.timeout, 5.0)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.channel.name!r}, {self.service})"

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        """POST; ChannelError when the service cannot be reached or answers 5xx, ChannelRateLimited on 429."""
        try:
            response = self.client.post(url, **kwargs)
        except httpx.HTTPError as exc:
            raise ChannelError(N_("{channel}: {service} could not be reached: {error}"), channel=self.channel.name,
                               service=self.service, error=self.mask(f"{type(exc).__name__}: {exc}")) from None
        if response.status_code == 429:
            raise ChannelRateLimited(N_("{channel}: {service} says too many messages (HTTP 429)"),
                                     channel=self.channel.name, service=self.service)
        if response.status_code >= 500 or response.status_code == 408:
            raise ChannelError(N_("{channel}: {service} answered HTTP {status}"), channel=self.channel.name,
                               service=self.service, status=response.status_code)
        return response

    def answer(self, response: httpx.Response) -> dict[str, Any]:
        """The JSON object the service answered; a 4xx without one is a refusal (a wrong URL or key), any
        other answer we cannot read is worth another try."""
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            return data
        text = self.mask(response.text[:120])
        if 400 <= response.status_code < 500:
            raise ChannelRefused(N_("{channel}: {service} refused the request (HTTP {status}): {text}"),
                                 channel=self.channel.name, service=self.service, status=response.status_code,
                                 text=text)
        raise ChannelError(N_("{channel}: {service} answered something that is not JSON: {text}"),
                           channel=self.channel.name, service=self.service, text=text)

    def mask(self, text: str) -> str:
        return redact(text, self.channel.secret_values())

    def close(self) -> None:
        self.client.close()
