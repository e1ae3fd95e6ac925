"""What the shipping services ask of a courier adapter (oms_tui/carriers/), in plain values, and how it fails.

- ``CarrierBusy``: down, timed out, busy — try again later;
- ``CarrierRefused``: the courier service refused the request or our account/signature — trying the
  same again cannot help (``permanent``);
- ``CarrierError``: anything else we could not read — tried again, a bounded number of times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from oms_tui.errors import OmsError
from oms_tui.i18n import N_

SERVICE = "Kuaidi100"
# Query failures (PROTOCOLS.md): returnCode → what it means for us.
QUERY_NO_RESULT = "500"  # nothing yet: not an error of ours, try later
QUERY_BUSY = ("501", "502")  # server error / busy: later
QUERY_REFUSED = ("400", "503", "601")  # bad request, bad signature, key expired or out of quota


class CarrierError(OmsError):
    """The courier service's answer could not be used (unexpected shape)."""


class CarrierBusy(CarrierError):
    """The courier service is down or busy: later."""


class CarrierRefused(CarrierError):
    """The courier service refused: the same request again cannot succeed."""

    permanent = True


@dataclass(frozen=True)
class LabelRequest:
    """One e-waybill to create. ``client_order_id`` is ours and the same on every attempt for the parcel."""

    client_order_id: str
    courier: str
    receiver_name: str
    receiver_phone: str
    receiver_address: str
    oaid: str = ""
    count: int = 1
    weight: str = ""
    remark: str = ""

    def __repr__(self) -> str:  # the receiver's data stays out of logs
        return f"LabelRequest({self.client_order_id!r}, {self.courier!r})"


@dataclass(frozen=True)
class LabelAnswer:
    waybill: str
    courier_order_id: str
    label_base64: str  # the label image (PNG or another format Pillow reads)

    def __repr__(self) -> str:
        return f"LabelAnswer({self.waybill!r}, {len(self.label_base64)} base64 chars)"


@dataclass(frozen=True)
class QueryEvent:
    time: str  # "YYYY-MM-DD HH:MM:SS", Beijing time
    context: str
    location: str = ""
    state: str = ""  # the event's own state code, where resultv2 gives one


@dataclass(frozen=True)
class QueryAnswer:
    """A tracking result (query or push): Kuaidi100's ``state`` code and the events, newest first."""

    state: str | None
    events: tuple[QueryEvent, ...]
    signed: bool = False  # ischeck = 1
    no_result: bool = False  # returnCode 500: nothing known about the number yet


class LabelService(Protocol):
    def create_label(self, request: LabelRequest) -> LabelAnswer: ...

    def cancel_label(self, courier: str, waybill: str, courier_order_id: str, reason: str) -> None: ...

    def close(self) -> None: ...


class TrackingService(Protocol):
    def query(self, courier: str, waybill: str, phone_tail: str = "") -> QueryAnswer: ...

    def subscribe(self, courier: str, waybill: str, phone_tail: str = "") -> None: ...

    def close(self) -> None: ...


# The tracking result is the same in a query's answer and in a push, so the push's receiver (the webhook
# process) and the adapter read it with this one function.
def parse_query_answer(data: Any) -> QueryAnswer:
    """A real-time query answer or a push's tracking result → ``QueryAnswer``; errors by ``returnCode``."""
    if not isinstance(data, dict):
        raise CarrierError(N_("{service}: an answer that is not a JSON object"), service=SERVICE)
    if data.get("result") is False or ("returnCode" in data and "data" not in data):
        code = str(data.get("returnCode", ""))
        message = str(data.get("message", ""))[:200]
        if code == QUERY_NO_RESULT:
            return QueryAnswer(state=None, events=(), no_result=True)
        error = CarrierBusy if code in QUERY_BUSY else CarrierRefused if code in QUERY_REFUSED else CarrierError
        raise error(N_("{service} query failed: {code} {message}"), service=SERVICE, code=code or "?",
                    message=message)
    events = []
    for row in data.get("data") or []:
        if not isinstance(row, dict):
            continue
        events.append(QueryEvent(time=str(row.get("ftime") or row.get("time") or ""),
                                 context=str(row.get("context") or ""), location=str(row.get("location") or ""),
                                 state=str(row.get("status") or row.get("statusCode") or "")))
    state = data.get("state")
    return QueryAnswer(state=str(state) if state is not None else None, events=tuple(events),
                       signed=str(data.get("ischeck", "0")) == "1")
