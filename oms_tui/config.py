"""Settings: a TOML file (``OMS_CONFIG``) plus ``OMS_*`` environment variables.

Environment variables win over the file, so secrets never have to be written into it.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from oms_tui.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_data_dir() -> Path:
    return Path(os.environ.get("OMS_DATA_DIR", PROJECT_ROOT / "data"))


def default_database_url() -> str:
    return f"sqlite:///{default_data_dir() / 'oms.db'}"


class ShopConfig(BaseModel):
    name: str
    platform: Literal["taobao", "jd", "pdd"]
    base_url: str
    app_key: str
    app_secret: str
    session: str = ""
    sync_minutes: float = Field(default=2.0, gt=0)
    # our courier code → the platform's courier id, where the adapter's built-in table lacks one
    courier_codes: dict[str, str] = Field(default_factory=dict)


class PrinterConfig(BaseModel):
    name: str
    kind: Literal["network", "usb", "serial", "file"]
    host: str | None = None
    port: int = 9100
    vendor_id: int | None = None
    product_id: int | None = None
    device: str | None = None
    baudrate: int = 9600
    width_mm: Literal[58, 80] = 80
    encoding: str = "gb18030"
    timeout: float = 5.0  # seconds to connect / write (network); a dead printer must not stall the queue
    # Documents this printer takes by default (pick_list, packing_slip, return_slip, test_page);
    # empty: any. A job without a printer goes to the first printer naming its document.
    documents: list[str] = Field(default_factory=list)


class PurchaseLimit(BaseModel):
    """At most ``qty`` units of ``sku`` per customer in any ``days`` days (checked on intake)."""

    sku: str
    qty: int = Field(gt=0)
    days: int = Field(default=30, gt=0)


class ReviewConfig(BaseModel):
    """The review rules run on intake (services/review_rules.py); ``[review]`` in the TOML file."""

    address_check: bool = True
    min_address_chars: int = Field(default=4, ge=0)  # an unmasked detail line shorter than this is invalid
    remark_check: bool = True
    # A discount above this share of the price (whole percent) needs a look; None: never.
    coupon_max_percent: int | None = Field(default=30, ge=0, le=100)
    # Same customer, shared SKU, both open, created within this many hours: duplicate suspect on both,
    # shipping paused until CS decides (merge into one parcel, keep both, cancel one).
    duplicate_check: bool = True
    duplicate_window_hours: float = Field(default=24.0, gt=0)
    # "cross_platform": only orders on different platforms (a repeat buyer on one platform is normal);
    # "any": also orders on the same platform.
    duplicate_scope: Literal["cross_platform", "any"] = "cross_platform"
    limits: list[PurchaseLimit] = Field(default_factory=list)  # e.g. [{sku="MB-DPR-001", qty=6, days=30}]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMS_", extra="ignore", env_nested_delimiter="__")

    database_url: str = Field(default_factory=default_database_url)
    language: str | None = None  # None: from the locale (LANG / LC_ALL)
    timezone: str = "Asia/Shanghai"
    shop_name: str = "家居母婴旗舰店"
    default_warehouse: str = "WH1"
    lock_expiry_hours: float = 72.0
    sql_echo: bool = False
    cli_user: str | None = None
    """The user of ours whose roles `oms` commands act with (OMS_CLI_USER); unset: the machine's operator, as admin."""
    trusted_terminal: bool = False
    """`oms tui --user NAME` signs NAME in without a PIN (OMS_TRUSTED_TERMINAL): only where the terminal itself
    proves who sits at it. Unset: the sign-in screen opens with the name filled in and asks for the PIN."""
    shops: list[ShopConfig] = Field(default_factory=list)
    printers: list[PrinterConfig] = Field(default_factory=list)
    review: ReviewConfig = Field(default_factory=ReviewConfig)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_path = os.environ.get("OMS_CONFIG")
        if config_path:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_path)))
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; a missing or malformed config file is a ConfigError, not a traceback."""
    config_path = os.environ.get("OMS_CONFIG")
    if config_path and not Path(config_path).is_file():
        raise ConfigError(f"config file not found: {config_path} (OMS_CONFIG)")
    try:
        return Settings(**overrides)
    except Exception as exc:  # pydantic ValidationError, TOML decode error
        first = str(exc).strip().splitlines()
        raise ConfigError(f"bad configuration: {' '.join(first[:3])}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
