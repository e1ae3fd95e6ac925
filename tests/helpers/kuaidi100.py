"""The simulated Kuaidi100 for the shipping tests: a movable clock, settings that point at it, a packed parcel."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from oms_tui.config import PrinterConfig, Settings
from oms_tui.services.catalogue import skus as catalogue
from oms_tui.services.core.actor import Actor
from oms_tui.db import session_scope
from oms_tui.services.floor import labels, packing, waves
from tests.helpers.shop import ingest, stock_up

SALT = "test-salt"
TOWEL = "6901234567892"  # the seeded HG-001's barcode


class MovableClock:
    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def kd_settings(handle, *, printers=None, **tracking) -> Settings:
    return Settings(database_url="sqlite://", timezone="Asia/Shanghai",
                    kuaidi100=handle.kuaidi100_config(callback_url="http://127.0.0.1:9/kuaidi100/push", salt=SALT),
                    printers=printers if printers is not None else [
                        PrinterConfig(name="label", kind="network", host="127.0.0.1", port=9, language="tspl",
                                      documents=["waybill_label"])],
                    tracking=tracking)


def ready_parcel(engine, ref="K1", courier="zhongtong", **kw) -> None:
    """One order of one towel in a wave of ``courier``, being picked."""
    stock_up(engine, "HG-001", 5)
    ingest(engine, ref, {"HG-001": 1}, **kw)
    with session_scope(engine) as s:
        waves.create_wave(s, catalogue.get_warehouse(s, "WH1"), courier=courier, actor=Actor.system("li"))


def station(settings, service) -> packing.PackSession:
    actor = Actor("li", {"warehouse"})
    pack = packing.PackSession(station="P1", actor=actor)
    pack.issuer = lambda engine, parcel_id: labels.issue_and_print(engine, parcel_id, actor=actor, service=service,
                                                                   settings=settings)
    return pack


def ship(shop, kd, kd_config, carrier, ref, **kw) -> str:
    """Pack and ship one order through the e-waybill station; its waybill number."""
    ready_parcel(shop, ref, **kw)
    pack = station(kd_config, carrier)
    pack.scan(shop, ref)
    number = pack.scan(shop, TOWEL).params["waybill"]
    assert pack.scan(shop, number).result == "waybill"
    return number
