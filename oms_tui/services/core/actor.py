"""Who acts, and what each role may do: one permission table for every service, the menu and the palette.

Services that carry out a user's action take an ``Actor`` and call ``require(actor, "stock.adjust")``
before they change anything, so a refused action is refused whatever screen, command or script called
it. Work the system does on its own (platform sync, the scheduler, the webhook) acts as
``Actor.system("sync")``; the audit trail records the actor's name either way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from oms_tui.errors import PermissionDenied
from oms_tui.i18n import N_
from oms_tui.names import ROLE_NAMES

# Roles that may do everything: the administrator, and the system's own jobs.
ALL_POWERFUL = frozenset({"admin", "system"})

CS = "cs"
CS_LEAD = "cs_lead"
WAREHOUSE = "warehouse"
WAREHOUSE_LEAD = "warehouse_lead"
PURCHASING = "purchasing"
FINANCE = "finance"
MANAGER = "manager"
ROLES = tuple(ROLE_NAMES)  # cs, cs_lead, warehouse, warehouse_lead, purchasing, finance, manager, admin


def _may(*roles: str) -> frozenset[str]:
    return frozenset(roles)


# permission → (the roles that hold it, what it lets them do: an N_() msgid shown when it is refused)
PERMISSIONS: dict[str, tuple[frozenset[str], str]] = {
    "orders.view": (_may(CS, CS_LEAD, WAREHOUSE_LEAD, FINANCE, MANAGER), N_("look at orders")),
    "orders.cancel": (_may(CS, CS_LEAD, MANAGER), N_("cancel orders")),
    "orders.resolve_hold": (_may(CS, CS_LEAD, WAREHOUSE_LEAD, MANAGER), N_("resolve holds on orders")),
    "stock.view": (_may(CS, CS_LEAD, WAREHOUSE, WAREHOUSE_LEAD, PURCHASING, FINANCE, MANAGER), N_("look at stock")),
    "stock.purchase": (_may(PURCHASING, WAREHOUSE_LEAD, MANAGER), N_("order stock from suppliers")),
    "stock.receive": (_may(WAREHOUSE, WAREHOUSE_LEAD, PURCHASING), N_("receive stock from suppliers")),
    "stock.adjust": (_may(WAREHOUSE_LEAD, MANAGER), N_("adjust stock after a count")),
    "stock.reserve": (_may(PURCHASING, WAREHOUSE_LEAD, CS_LEAD, MANAGER), N_("reserve or release stock quota")),
    "review.view": (_may(CS, CS_LEAD, MANAGER), N_("open the review queue")),
    "review.decide": (_may(CS, CS_LEAD, MANAGER), N_("decide orders in review")),
    "customers.view": (_may(CS, CS_LEAD, MANAGER), N_("look up customers")),
    "customers.merge": (_may(CS, CS_LEAD, MANAGER), N_("merge customer records")),
    "customers.vip": (_may(CS_LEAD, MANAGER), N_("mark customers as VIP")),
    "exceptions.view": (_may(CS, CS_LEAD, WAREHOUSE_LEAD, MANAGER), N_("open the exceptions desk")),
    "exceptions.resolve": (_may(CS, CS_LEAD, WAREHOUSE_LEAD, MANAGER), N_("resolve exceptions")),
    "exceptions.bulk_resolve": (_may(CS, CS_LEAD, WAREHOUSE_LEAD, MANAGER), N_("resolve exceptions in bulk")),
    "approvals.view": (_may(CS_LEAD, WAREHOUSE_LEAD, MANAGER), N_("open approvals")),
    "approvals.request": (_may(CS, CS_LEAD, WAREHOUSE_LEAD, MANAGER), N_("ask for an approval")),
    "approvals.decide": (_may(CS_LEAD, WAREHOUSE_LEAD, MANAGER), N_("approve or reject requests")),
    "waves.view": (_may(WAREHOUSE, WAREHOUSE_LEAD, MANAGER), N_("open waves and pick lists")),
    "waves.create": (_may(WAREHOUSE, WAREHOUSE_LEAD), N_("create waves")),
    "waves.print": (_may(WAREHOUSE, WAREHOUSE_LEAD, MANAGER), N_("print pick lists")),
    "pack.ship": (_may(WAREHOUSE, WAREHOUSE_LEAD), N_("pack and ship parcels")),
    "waybill.cancel": (_may(WAREHOUSE_LEAD, CS_LEAD, MANAGER), N_("cancel e-waybills with the courier")),
    "returns.receive": (_may(WAREHOUSE, WAREHOUSE_LEAD, CS_LEAD, MANAGER), N_("receive returns")),
    "print.view": (_may(WAREHOUSE, WAREHOUSE_LEAD, MANAGER), N_("open the print queue")),
    "print.manage": (_may(WAREHOUSE, WAREHOUSE_LEAD, MANAGER), N_("retry, reprint and cancel print jobs")),
    "shops.view": (_may(CS_LEAD, WAREHOUSE_LEAD, MANAGER), N_("look at shops and sync")),
    "shops.authorize": (_may(MANAGER), N_("authorize shops on their platforms")),
    "dashboard.view": (_may(CS_LEAD, WAREHOUSE_LEAD, PURCHASING, FINANCE, MANAGER), N_("open the dashboard")),
    "intake.import": (_may(CS_LEAD, MANAGER), N_("import order files")),
    "skus.map": (_may(CS, CS_LEAD, WAREHOUSE_LEAD, MANAGER), N_("map the platforms' SKUs to ours")),
    "users.manage": (_may(), N_("add users and administer them: roles, disabling, SSH keys")),
    "users.unlock": (_may(CS_LEAD, WAREHOUSE_LEAD, MANAGER), N_("unlock locked-out users")),
    "purchasing.view": (_may(PURCHASING, WAREHOUSE_LEAD, MANAGER),
                        N_("see purchase suggestions, purchase orders and stock counts")),
    "finance.view": (_may(FINANCE, MANAGER), N_("see the month-end reconciliation")),
    "finance.import": (_may(FINANCE, MANAGER), N_("import the platforms' settlement bills")),
    "alerts.view": (_may(CS, CS_LEAD, WAREHOUSE, WAREHOUSE_LEAD, PURCHASING, FINANCE, MANAGER),
                    N_("see the alerts sent to your roles")),
}


def roles_may(roles: Iterable[str], permission: str) -> bool:
    """Whether any of ``roles`` holds ``permission`` (unknown permissions are held by nobody but admin)."""
    held = set(roles)
    if held & ALL_POWERFUL:
        return True
    allowed, _what = PERMISSIONS.get(permission, (frozenset(), ""))
    return bool(held & allowed)


@dataclass(frozen=True)
class Actor:
    """The person (or the system job) on whose behalf a service acts: a name for the audit trail, and roles."""

    name: str
    roles: frozenset[str]

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", frozenset(self.roles))
        if not self.name or not self.name.strip():
            raise ValueError("an actor needs a name")

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        """The system's own work (sync, scheduler, webhook): may do everything, recorded under ``name``."""
        return cls(name, frozenset({"system"}))

    def may(self, permission: str) -> bool:
        return roles_may(self.roles, permission)


def require(actor: Actor, permission: str) -> None:
    """Refuse (``PermissionDenied``, nothing changed) unless ``actor`` holds ``permission``."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")  # a programming error, not a user's
    if not isinstance(actor, Actor):
        raise TypeError(f"services act for an Actor, not {type(actor).__name__}")
    if not actor.may(permission):
        _roles, what = PERMISSIONS[permission]
        raise PermissionDenied(N_("{user} may not {action}"), user=actor.name, action=what)
