"""The kinds of alert the system raises: what each is called, and who hears of it by default.

An alert names its event (``stock_short``, …). ``[notify.events]`` in the config may give an event
other roles; an alert that names its roles itself (an approval step's role) keeps them. An event
not listed here is still sent — to ``FALLBACK_ROLES``, under its own name — so an area that starts
raising a new kind of alert loses nothing before it is added here.
"""

from __future__ import annotations

from oms_tui.i18n import N_

STOCK_SHORT = "stock_short"
APPROVAL_WAITING = "approval_waiting"
APPROVAL_STALLED = "approval_stalled"
SHIP_NOTICE_FAILED = "ship_notice_failed"
SYNC_FAILING = "sync_failing"
PRINTER_OFFLINE = "printer_offline"
LOGISTICS_STALLED = "logistics_stalled"
AUTHORIZATION_EXPIRING = "authorization_expiring"
AUTHORIZATION_EXPIRED = "authorization_expired"
PLATFORM_BLOCKED = "platform_blocked"
NOTIFY_FAILED = "notify_failed"
TEST = "test"

# event → its title (an N_() msgid, shown in the channel's language)
TITLES: dict[str, str] = {
    STOCK_SHORT: N_("Stock short"),
    APPROVAL_WAITING: N_("Approval waiting"),
    APPROVAL_STALLED: N_("Approval stalled"),
    SHIP_NOTICE_FAILED: N_("Ship notice refused"),
    SYNC_FAILING: N_("Order sync failing"),
    PRINTER_OFFLINE: N_("Printer offline"),
    LOGISTICS_STALLED: N_("Parcel stalled"),
    AUTHORIZATION_EXPIRING: N_("Shop authorization ending"),
    AUTHORIZATION_EXPIRED: N_("Shop authorization expired"),
    PLATFORM_BLOCKED: N_("Order blocked by the platform"),
    NOTIFY_FAILED: N_("Notification failed"),
    TEST: N_("Test message"),
}

# event → the roles told of it when neither the alert nor [notify.events] says otherwise. Approval
# alerts name the step's role themselves; these are for one raised without it.
DEFAULT_ROLES: dict[str, tuple[str, ...]] = {
    STOCK_SHORT: ("purchasing", "warehouse_lead"),
    APPROVAL_WAITING: ("cs_lead",),
    APPROVAL_STALLED: ("manager",),
    SHIP_NOTICE_FAILED: ("cs_lead", "manager"),
    SYNC_FAILING: ("cs_lead", "manager"),
    PRINTER_OFFLINE: ("warehouse_lead",),
    LOGISTICS_STALLED: ("cs_lead",),
    AUTHORIZATION_EXPIRING: ("manager",),
    AUTHORIZATION_EXPIRED: ("manager",),
    PLATFORM_BLOCKED: ("cs_lead",),
    NOTIFY_FAILED: ("manager",),
    TEST: ("manager",),
}
FALLBACK_ROLES: tuple[str, ...] = ("manager",)


def title(event: str) -> str:
    """The event's msgid (translate it where shown); an unknown event is its own name."""
    return TITLES.get(event, event)
