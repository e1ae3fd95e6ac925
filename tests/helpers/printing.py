"""Printer settings for the print-queue tests: a loopback network printer and the bytes a document becomes."""

from __future__ import annotations

from oms_tui.config import PrinterConfig, Settings
from oms_tui.printers.documents import render_bytes
from tests.helpers.printer_listener import PrinterListener

SHOP = "测试旗舰店"


def settings_with(*printers: PrinterConfig) -> Settings:
    return Settings(database_url="sqlite://", shop_name=SHOP, timezone="Asia/Shanghai", printers=list(printers))


def network(name: str, listener: PrinterListener, **kw) -> PrinterConfig:
    return PrinterConfig(name=name, kind="network", host="127.0.0.1", port=listener.port, timeout=2, **kw)


def expected_bytes(document, data, config: PrinterConfig) -> bytes:
    return render_bytes(document, data, width_mm=config.width_mm, shop_name=SHOP, encoding=config.encoding,
                        timezone="Asia/Shanghai")
