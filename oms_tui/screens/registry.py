"""The screens, in menu order, each with the permission that opens it: the menu and the command palette
offer a screen to whoever holds its permission in ``services.core.actor.PERMISSIONS`` — the same table
the services check, so what the menu shows and what the services allow cannot drift apart.

``target`` is "module:Class" under ``oms_tui.screens`` and is
imported only when the screen opens; ``None`` marks a screen that is not built yet (the menu shows
it greyed out as coming). To add a screen, write its module and fill in its target here.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass

from textual.screen import Screen

from oms_tui.i18n import N_
from oms_tui.services.core.actor import roles_may


@dataclass(frozen=True)
class ScreenEntry:
    key: str
    title: str  # N_() msgid, translated where shown
    description: str  # N_() msgid
    permission: str  # the entry in services.core.actor.PERMISSIONS that opens this screen
    target: str | None = None  # "module:Class" under oms_tui.screens; None: coming

    @property
    def available(self) -> bool:
        return self.target is not None

    def allows(self, roles: Iterable[str]) -> bool:
        return roles_may(roles, self.permission)

    def build(self, **kwargs) -> Screen:
        if self.target is None:
            raise LookupError(f"screen {self.key!r} is not built yet")
        module_name, class_name = self.target.split(":")
        module = importlib.import_module(f"{__package__}.{module_name}")
        return getattr(module, class_name)(**kwargs)


SCREENS: tuple[ScreenEntry, ...] = (
    ScreenEntry("orders", N_("Orders"), N_("Find orders by status, platform, date; see lines, holds, history"),
                "orders.view", "orders:OrdersScreen"),
    ScreenEntry("stock", N_("Stock"), N_("Stock per SKU and warehouse; scan a barcode; the ledger"),
                "stock.view", "stock:StockScreen"),
    ScreenEntry("review", N_("Review queue"), N_("Orders waiting for customer service"),
                "review.view", "review:ReviewScreen"),
    ScreenEntry("customers", N_("Customer lookup"), N_("A customer's orders across platforms"),
                "customers.view", "lookup:LookupScreen"),
    ScreenEntry("exceptions", N_("Exceptions"), N_("Open holds by kind and age"),
                "exceptions.view", "exceptions:ExceptionsScreen"),
    ScreenEntry("skumap", N_("SKU mapping"), N_("Map the platforms' SKUs and bundles to ours; held orders go on"),
                "skus.map", "sku_mapping:SkuMappingScreen"),
    ScreenEntry("approvals", N_("Approvals"), N_("Orders waiting for your decision"),
                "approvals.view", "approvals:ApprovalsScreen"),
    ScreenEntry("picklist", N_("Pick list"), N_("Waves of ready orders; print the pick list"),
                "waves.view", "waves:PickListScreen"),
    ScreenEntry("pack", N_("Pack station"), N_("Scan order, items and waybill; ship"),
                "pack.ship", "pack_station:PackStationScreen"),
    ScreenEntry("returns", N_("Returns"), N_("Receive returned parcels into stock"),
                "returns.receive", "returns:ReturnsScreen"),
    ScreenEntry("printqueue", N_("Print queue"), N_("Print jobs: status and errors; retry and reprint"),
                "print.view", "print_queue:PrintQueueScreen"),
    ScreenEntry("shops", N_("Shops and sync"), N_("Each shop's order sync: last run, new orders, errors"),
                "shops.view", "shops:ShopsScreen"),
    ScreenEntry("alerts", N_("Alerts"), N_("What was sent to your roles, and whether it arrived"),
                "alerts.view", "alerts:AlertsScreen"),
    ScreenEntry("purchasing", N_("Purchasing"),
                N_("Purchase suggestions by supplier; purchase orders; receiving against them"),
                "purchasing.view", "purchasing:PurchasingScreen"),
    ScreenEntry("stockcount", N_("Stock count"), N_("Count the shelves; on_hand set to what was found"),
                "stock.adjust", "stock_count:StockCountScreen"),
    ScreenEntry("finance", N_("Finance"), N_("Month-end reconciliation per platform; the platforms' bills"),
                "finance.view", "finance:FinanceScreen"),
    ScreenEntry("dashboard", N_("Dashboard"), N_("Today's orders, backlog and exceptions"),
                "dashboard.view", "dashboard:DashboardScreen"),
    ScreenEntry("users", N_("Users"), N_("Who may sign in: roles, disabling, lock-outs, SSH keys"),
                "users.manage", "users:UsersScreen"),
)

BY_KEY = {entry.key: entry for entry in SCREENS}


def screens_for(roles: Iterable[str]) -> list[ScreenEntry]:
    """The entries these roles may see, in menu order (built and coming alike)."""
    roles = set(roles)
    return [entry for entry in SCREENS if entry.allows(roles)]


def may_open(roles: Iterable[str], key: str) -> bool:
    entry = BY_KEY.get(key)
    return entry is not None and entry.available and entry.allows(roles)

