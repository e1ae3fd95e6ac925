"""The role → screen map: which screens the menu and the command palette offer to whom.

One row per screen, in menu order. ``target`` is "module:Class" under ``oms_tui.screens`` and is
imported only when the screen opens; ``None`` marks a screen that is not built yet (the menu shows
it greyed out as coming). To add a screen, write its module and fill in its target here.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass

from textual.screen import Screen

from oms_tui.i18n import N_


@dataclass(frozen=True)
class ScreenEntry:
    key: str
    title: str  # N_() msgid, translated where shown
    description: str  # N_() msgid
    roles: frozenset[str]
    target: str | None = None  # "module:Class" under oms_tui.screens; None: coming

    @property
    def available(self) -> bool:
        return self.target is not None

    def allows(self, roles: Iterable[str]) -> bool:
        return bool(self.roles & set(roles))

    def build(self, **kwargs) -> Screen:
        if self.target is None:
            raise LookupError(f"screen {self.key!r} is not built yet")
        module_name, class_name = self.target.split(":")
        module = importlib.import_module(f"{__package__}.{module_name}")
        return getattr(module, class_name)(**kwargs)


def _roles(*names: str) -> frozenset[str]:
    return frozenset(names) | {"admin"}


SCREENS: tuple[ScreenEntry, ...] = (
    ScreenEntry("orders", N_("Orders"), N_("Find orders by status, platform, date; see lines, holds, history"),
                _roles("cs", "cs_lead", "warehouse_lead", "finance", "manager"), "orders:OrdersScreen"),
    ScreenEntry("stock", N_("Stock"), N_("Stock per SKU and warehouse; scan a barcode; the ledger"),
                _roles("cs", "cs_lead", "warehouse", "warehouse_lead", "purchasing", "finance", "manager"),
                "stock:StockScreen"),
    ScreenEntry("review", N_("Review queue"), N_("Orders waiting for customer service"),
                _roles("cs", "cs_lead", "manager"), "review:ReviewScreen"),
    ScreenEntry("customers", N_("Customer lookup"), N_("A customer's orders across platforms"),
                _roles("cs", "cs_lead", "manager"), "lookup:LookupScreen"),
    ScreenEntry("exceptions", N_("Exceptions"), N_("Open holds by kind and age"),
                _roles("cs", "cs_lead", "warehouse_lead", "manager"), "exceptions:ExceptionsScreen"),
    ScreenEntry("approvals", N_("Approvals"), N_("Orders waiting for your decision"),
                _roles("cs_lead", "warehouse_lead", "finance", "manager")),
    ScreenEntry("picklist", N_("Pick list"), N_("Waves of ready orders; print the pick list"),
                _roles("warehouse", "warehouse_lead", "manager"), "waves:PickListScreen"),
    ScreenEntry("pack", N_("Pack station"), N_("Scan order, items and waybill; ship"),
                _roles("warehouse", "warehouse_lead"), "pack_station:PackStationScreen"),
    ScreenEntry("returns", N_("Returns"), N_("Receive returned parcels into stock"),
                _roles("warehouse", "warehouse_lead", "cs_lead", "manager"), "returns:ReturnsScreen"),
    ScreenEntry("printqueue", N_("Print queue"), N_("Print jobs: status and errors; retry and reprint"),
                _roles("warehouse", "warehouse_lead", "manager"), "print_queue:PrintQueueScreen"),
    ScreenEntry("shops", N_("Shops and sync"), N_("Each shop's order sync: last run, new orders, errors"),
                _roles("cs_lead", "warehouse_lead", "manager"), "shops:ShopsScreen"),
    ScreenEntry("dashboard", N_("Dashboard"), N_("Today's orders, backlog and exceptions"),
                _roles("cs_lead", "warehouse_lead", "purchasing", "finance", "manager")),
)

BY_KEY = {entry.key: entry for entry in SCREENS}


def screens_for(roles: Iterable[str]) -> list[ScreenEntry]:
    """The entries these roles may see, in menu order (built and coming alike)."""
    roles = set(roles)
    return [entry for entry in SCREENS if entry.allows(roles)]


def may_open(roles: Iterable[str], key: str) -> bool:
    entry = BY_KEY.get(key)
    return entry is not None and entry.available and entry.allows(roles)

ROLE_NAMES: dict[str, str] = {
    "cs": N_("customer service"),
    "cs_lead": N_("CS lead"),
    "warehouse": N_("warehouse"),
    "warehouse_lead": N_("warehouse lead"),
    "purchasing": N_("purchasing"),
    "finance": N_("finance"),
    "manager": N_("manager"),
    "admin": N_("administrator"),
}
