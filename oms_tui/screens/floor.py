"""What the warehouse-floor screens (pick list, pack station, returns) share: courier names and how
a print request ended."""

from __future__ import annotations

from oms_tui.i18n import _, current_language
from oms_tui.services.catalogue import couriers
from oms_tui.services.floor.print_request import PrintOutcome


def courier_label(code: str | None) -> str:
    """The courier as the warehouse says it: 圆通速递 in Chinese, the Kuaidi100 code in English."""
    if not code:
        return ""
    courier = couriers.COURIERS.get(code)
    if courier is None:
        return code
    return courier.name if current_language() == "zh_CN" else code


def courier_options() -> list[tuple[str, str]]:
    return [(f"{courier_label(code)} ({code})" if current_language() == "zh_CN" else code, code)
            for code in couriers.COURIERS]


def print_note(outcome: PrintOutcome) -> str:
    """One line on how a print request ended."""
    if outcome.queued:
        return _("Sent to printer {printer}").format(printer=outcome.printer or "")
    return _("No printer configured: nothing printed")
