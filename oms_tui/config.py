"""Settings: a TOML file (``OMS_CONFIG``) plus ``OMS_*`` environment variables.

Environment variables win over the file, so secrets never have to be written into it.
"""

from __future__ import annotations

import os
from email.headerregistry import Address
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_serializer,
    field_validator,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from oms_tui.errors import ConfigError
from oms_tui.i18n import N_
from oms_tui.redaction import redact

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_data_dir() -> Path:
    return Path(os.environ.get("OMS_DATA_DIR", PROJECT_ROOT / "data"))


def default_database_url() -> str:
    return f"sqlite:///{default_data_dir() / 'oms.db'}"


def demo_database_path() -> Path:
    """Where ``oms demo`` keeps its database; ``oms --demo COMMAND`` reads it."""
    return default_data_dir() / "demo.db"


class ShopConfig(BaseModel):
    # A validation error would otherwise quote the whole shop table, secrets included.
    model_config = ConfigDict(hide_input_in_errors=True)

    name: str
    platform: Literal["taobao", "jd", "pdd"]
    base_url: str
    app_key: str
    # SecretStr: repr, str, logs and model_dump show '**********'; the adapters ask for the value.
    app_secret: SecretStr
    session: SecretStr = SecretStr("")  # Taobao session key / JD and PDD access_token
    sync_minutes: float = Field(default=2.0, gt=0)
    # our courier code → the platform's courier id, where the adapter's built-in table lacks one
    courier_codes: dict[str, str] = Field(default_factory=dict)

    def secret_values(self) -> tuple[str, ...]:
        """The shop's secrets in clear, for masking them out of messages (``redaction.redact``)."""
        return tuple(v for v in (self.app_secret.get_secret_value(), self.session.get_secret_value()) if v)

    def as_config(self) -> dict[str, Any]:
        """The fields as a ``[[shops]]`` table holds them, secrets in clear: only for writing a config file."""
        data = self.model_dump()
        data["app_secret"] = self.app_secret.get_secret_value()
        data["session"] = self.session.get_secret_value()
        return data


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


def _mail_address(value: str) -> str:
    """One plain address (name@example.com); ValueError otherwise."""
    try:
        address = Address(addr_spec=value.strip())
    except (ValueError, IndexError, TypeError) as exc:
        raise ValueError(f"not an e-mail address: {value!r}") from exc
    if not address.username or not address.domain:
        raise ValueError(f"not an e-mail address: {value!r}")
    return address.addr_spec


class SmtpConfig(BaseModel):
    """The mail server alerts go out through; ``[smtp]`` in the TOML file, ``OMS_SMTP__*`` in the environment."""

    model_config = ConfigDict(populate_by_name=True)

    host: str = ""
    """The SMTP server's name; empty: no e-mail is sent (alerts wait until it is set)."""
    port: int = Field(default=587, ge=1, le=65535)
    """587 for STARTTLS, 465 for SSL, 25 for a plain relay."""
    security: Literal["starttls", "ssl", "none"] = "starttls"
    """How the connection is encrypted: STARTTLS after connecting, SSL from the start, or none (a local relay)."""
    user: str = ""
    """The login name; empty: send without logging in."""
    password: SecretStr = SecretStr("")
    """The login password; set it as OMS_SMTP__PASSWORD. Never shown in a repr, a log line or an error."""
    from_address: str = Field(default="", alias="from")
    """The From address of the mail we send (``from`` in the file, OMS_SMTP__FROM); empty: the user."""
    timeout: float = Field(default=10.0, gt=0)
    """Seconds to connect and to wait for each answer; a dead server must not stall the dispatcher."""

    @field_validator("password", mode="before")
    @classmethod
    def _password_as_text(cls, value: Any) -> Any:
        # TOML reads password = 123456 as a number; refusing it would print the number in the error.
        return str(value) if isinstance(value, int | float) else value

    @field_validator("from_address")
    @classmethod
    def _from_is_an_address(cls, value: str) -> str:
        return _mail_address(value) if value.strip() else ""

    @property
    def sender(self) -> str:
        """The From address to use."""
        return self.from_address or self.user


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMS_", extra="ignore", env_nested_delimiter="__",
                                      hide_input_in_errors=True)

    database_url: str = Field(default_factory=default_database_url)
    language: str | None = None  # None: from the locale (LANG / LC_ALL)
    timezone: str = "Asia/Shanghai"
    shop_name: str = "家居母婴旗舰店"
    default_warehouse: str = "WH1"
    lock_expiry_hours: float = 72.0
    sql_echo: bool = False
    cli_user: str | None = None
    """The user of ours whose roles `oms` commands act with (OMS_CLI_USER); unset: the machine's operator, as admin."""
    import_max_rows: int = Field(default=100_000, gt=0)
    """`oms import`: order rows one file may hold; a bigger file is refused whole (split it)."""
    trusted_terminal: bool = False
    """`oms tui --user NAME` signs NAME in without a PIN (OMS_TRUSTED_TERMINAL): only where the terminal itself
    proves who sits at it. Unset: the sign-in screen opens with the name filled in and asks for the PIN."""
    shops: list[ShopConfig] = Field(default_factory=list)
    printers: list[PrinterConfig] = Field(default_factory=list)
    review: ReviewConfig = Field(default_factory=ReviewConfig)
    smtp: SmtpConfig = Field(default_factory=SmtpConfig)
    alert_recipients: list[str] = Field(default_factory=list)
    """E-mail addresses every alert goes to (stock shortages, …); empty: alerts are not sent, and marked so."""

    @field_validator("alert_recipients")
    @classmethod
    def _recipients_are_addresses(cls, value: list[str]) -> list[str]:
        return [_mail_address(address) for address in value]

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

    # database_url stays a plain str for its one reader (open_engine), but a PostgreSQL password in
    # it is masked wherever the settings are shown or dumped, as SecretStr fields are.
    def __repr_args__(self):  # noqa: ANN204 - pydantic's own signature
        for name, value in super().__repr_args__():
            yield name, redact(value) if name == "database_url" and isinstance(value, str) else value

    @field_serializer("database_url")
    def _database_url_without_password(self, value: str) -> str:
        return redact(value)


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; a missing or malformed config file is a ConfigError, not a traceback."""
    config_path = os.environ.get("OMS_CONFIG")
    if config_path and not Path(config_path).is_file():
        raise ConfigError(N_("config file not found: {path} (OMS_CONFIG)"), path=config_path)
    try:
        return Settings(**overrides)
    except PydanticValidationError as exc:
        # Where and what, never the offending input: it may be a secret (or a table holding one).
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                    for e in exc.errors(include_url=False, include_input=False)]
        more = len(problems) - 3
        details = "; ".join(problems[:3]) + (f" (+{more})" if more > 0 else "")
        raise ConfigError(N_("bad configuration: {details}"), details=redact(details)) from None
    except Exception as exc:  # TOML decode error, an OMS_* variable that is not valid JSON
        first = str(exc).strip().splitlines()
        details = redact(" ".join(first[:3]))
        raise ConfigError(N_("bad configuration: {details}"), details=details) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
