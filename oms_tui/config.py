"""Settings: a TOML file (``OMS_CONFIG``) plus ``OMS_*`` environment variables.

Environment variables win over the file, so secrets never have to be written into it.
"""

from __future__ import annotations

import os
import re
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
    model_validator,
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
    platform: Literal["taobao", "jd", "pdd", "douyin"]
    base_url: str
    app_key: str
    # SecretStr: repr, str, logs and model_dump show '**********'; the adapters ask for the value.
    app_secret: SecretStr
    session: SecretStr = SecretStr("")  # Taobao session key / JD, PDD and Douyin access_token
    sync_minutes: float = Field(default=2.0, gt=0)
    # our courier code → the platform's courier id, where the adapter's built-in table lacks one
    courier_codes: dict[str, str] = Field(default_factory=dict)
    decrypt_url: str = ""
    """JD: the shop's receiver-decrypt service (run beside JD's TDE SDK; oms_tui/platforms/jd.py says what it
    is sent). Empty: receivers stay masked, and a waybill request gets the platform's ciphertext."""
    # Taobao: the trade types the shop sells (the increment API's `type`, e.g. ["fixed", "step"]); empty:
    # every documented type. Without `type` Taobao lists only its five default types.
    trade_types: list[str] = Field(default_factory=list)

    def secret_values(self) -> tuple[str, ...]:
        """The shop's secrets in clear, for masking them out of messages (``redaction.redact``)."""
        return tuple(v for v in (self.app_secret.get_secret_value(), self.session.get_secret_value()) if v)

    def as_config(self) -> dict[str, Any]:
        """The fields as a ``[[shops]]`` table holds them, secrets in clear: only for writing a config file."""
        data = self.model_dump()
        data["app_secret"] = self.app_secret.get_secret_value()
        data["session"] = self.session.get_secret_value()
        return data


class PlatformOAuth(BaseModel):
    """Where a platform authorizes shops (``[oauth.taobao]``, ``[oauth.jd]``, ``[oauth.pdd]``,
    ``[oauth.douyin]``); an empty
    address is the platform's documented one (oms_tui/platforms/oauth.py)."""

    authorize_url: str = ""
    """The consent page `oms shop authorize` prints for the shop's owner."""
    token_url: str = ""
    """Where a code is exchanged for tokens (Pinduoduo: through its API router, the shop's base_url)."""
    refresh_url: str = ""
    """Where tokens are refreshed, when not at token_url (JD has its own)."""
    redirect_uri: str = ""
    """The callback address registered for the app; the platform sends the owner back to it with the code."""


class OAuthConfig(BaseModel):
    taobao: PlatformOAuth = Field(default_factory=PlatformOAuth)
    jd: PlatformOAuth = Field(default_factory=PlatformOAuth)
    pdd: PlatformOAuth = Field(default_factory=PlatformOAuth)
    douyin: PlatformOAuth = Field(default_factory=PlatformOAuth)

    def for_platform(self, platform: str) -> PlatformOAuth:
        return getattr(self, platform)


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
    language: Literal["escpos", "tspl"] = "escpos"
    """What the printer speaks: ESC/POS (receipt and most label printers) or TSPL (TSC, Xprinter, Gprinter label
    printers). A waybill label is a raster image either way."""
    label_size: Literal["76x130", "100x180"] = "76x130"
    """The e-waybill label stock (mm) this printer holds: 76×130 (一联单) or 100×180 (标准面单)."""
    dots_per_mm: int = Field(default=8, ge=4, le=24)
    """Print resolution: 8 dots a mm is 203 dpi (most label printers), 12 is 300 dpi."""


class CourierAccount(BaseModel):
    """One courier account Kuaidi100 issues e-waybills on (``[[kuaidi100.accounts]]``); its secrets are never shown."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid")

    courier: str = Field(min_length=1)
    """Kuaidi100's courier code (``zhongtong``, ``yuantong``, ``shunfeng`` …)."""
    partner_id: str = ""
    """The e-waybill account (partnerId) the courier's branch opened for the shop."""
    partner_key: SecretStr = SecretStr("")
    """Its password / key (partnerKey)."""
    partner_secret: SecretStr = SecretStr("")
    """partnerSecret, for the couriers that ask for one."""
    partner_name: str = ""
    """partnerName, for the couriers that ask for one."""
    net: str = ""
    """The courier branch (网点) the account belongs to, where the courier asks for it."""
    code: str = ""
    """The account's ``code`` (some couriers' customer code), sent with a cancel."""
    template: str = ""
    """The label template id (tempid) Kuaidi100 renders the label with."""

    def secret_values(self) -> tuple[str, ...]:
        return tuple(v for v in (self.partner_key.get_secret_value(), self.partner_secret.get_secret_value()) if v)


class Kuaidi100Config(BaseModel):
    """Kuaidi100: e-waybills, tracking subscription and the real-time query (``[kuaidi100]``; secrets as
    ``OMS_KUAIDI100__KEY``, ``OMS_KUAIDI100__SECRET``, ``OMS_KUAIDI100__SALT``)."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid")

    key: SecretStr = SecretStr("")
    """The authorization key (授权key): signs the query and the label calls, and names us on a subscription."""
    customer: str = ""
    """The customer id the real-time query is signed with."""
    secret: SecretStr = SecretStr("")
    """The label API's secret (``sign = MD5(param + t + key + secret)``)."""
    label_url: str = "https://api.kuaidi100.com/label/order"
    """Where e-waybills are created and cancelled (``?method=order`` / ``?method=cancel`` is added)."""
    query_url: str = "https://poll.kuaidi100.com/poll/query.do"
    """The real-time tracking query."""
    subscribe_url: str = "https://poll.kuaidi100.com/poll"
    """Tracking subscription (pushes to ``callback_url``)."""
    callback_url: str = ""
    """Our push address (`oms webhook`'s ``/kuaidi100/push``, as the internet reaches it); empty: no
    subscriptions, tracking by polling only."""
    salt: SecretStr = SecretStr("")
    """The salt pushes are signed with (``sign = MD5(param + salt)``); a push whose sign does not match is refused."""
    accounts: list[CourierAccount] = Field(default_factory=list)
    """The courier accounts e-waybills are issued on; the first is the default courier."""
    sender_name: str = ""
    """Who the labels name as sender."""
    sender_mobile: str = ""
    sender_address: str = ""
    """The sender's full printed address (province, city, district, street)."""
    cargo: str = "日用品"
    """What the label says the parcel holds."""
    timeout: float = Field(default=10.0, gt=0)
    """Seconds to connect and to wait for an answer."""

    @property
    def enabled(self) -> bool:
        """E-waybills can be requested (a key, a secret and at least one account)."""
        return bool(self.key.get_secret_value() and self.secret.get_secret_value() and self.accounts)

    @property
    def tracking_enabled(self) -> bool:
        return bool(self.key.get_secret_value() and self.customer)

    def account_for(self, courier: str | None) -> CourierAccount | None:
        """The account for ``courier``; None: the default account (the first)."""
        if courier is None:
            return self.accounts[0] if self.accounts else None
        return next((a for a in self.accounts if a.courier == courier), None)

    def secret_values(self) -> tuple[str, ...]:
        values = [self.key.get_secret_value(), self.secret.get_secret_value(), self.salt.get_secret_value()]
        for account in self.accounts:
            values += account.secret_values()
        return tuple(v for v in values if v)


class TrackingConfig(BaseModel):
    """How shipments are followed after they leave (``[tracking]``)."""

    model_config = ConfigDict(extra="forbid")

    stall_days: float = Field(default=3.0, gt=0)
    """A shipment with no new event for this many days is stalled: a ``logistics_stalled`` task and an SMS to
    the buyer."""
    queries_per_run: int = Field(default=60, ge=1, le=1000)
    """At most this many real-time queries a poll run makes (the poll runs every minute): Kuaidi100's rate."""
    nightly_hour: int = Field(default=2, ge=0, le=23)
    """The nightly batch (every undelivered shipment looked up once) starts at this hour, shop time."""
    nightly_max: int = Field(default=5000, ge=1)
    """At most this many queries the nightly batch makes."""
    give_up_days: float = Field(default=45.0, gt=0)
    """A shipment not delivered after this many days is no longer polled."""
    sms_channel: str = ""
    """The ``[[notify.channels]]`` SMS channel (Aliyun) the buyer's stall SMS goes out through; empty: none is sent."""
    stall_sms_template: str = ""
    """The approved template (``SMS_…``) of the buyer's stall SMS; it gets ``order``, ``courier`` and ``waybill``."""


class PortalConfig(BaseModel):
    """The buyer self-service page, `oms portal` (``[portal]``): sign-in texts, limits, policy answers."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    """The address `oms portal` listens on (put a TLS reverse proxy in front of it on the internet)."""
    port: int = Field(default=8088, ge=0, le=65535)
    """Its port."""
    secret: SecretStr = SecretStr("")
    """The key sign-in codes and session tokens are hashed with (OMS_PORTAL__SECRET); empty: a random one per
    process, so codes and sessions do not outlive a restart."""
    language: str = "zh_CN"
    """The page's language (zh_CN or en)."""
    sms_channel: str = ""
    """The ``[[notify.channels]]`` SMS channel (Aliyun) the sign-in code goes out through."""
    code_template: str = ""
    """The approved template (``SMS_…``) of the sign-in code SMS; it gets ``code``."""
    code_minutes: float = Field(default=5.0, gt=0, le=60)
    """A code expires this many minutes after it was sent."""
    code_tries: int = Field(default=5, ge=1, le=20)
    """Wrong codes typed against one code before it is burned."""
    codes_per_phone_minute: int = Field(default=1, ge=1)
    """Codes one mobile number may be sent in a minute."""
    codes_per_phone_hour: int = Field(default=5, ge=1)
    """…and in an hour."""
    codes_per_ip_hour: int = Field(default=10, ge=1)
    """Codes one client address may ask for in an hour."""
    phones_per_ip_hour: int = Field(default=3, ge=1)
    """Different mobile numbers one client address may ask codes for in an hour: more is taken for enumeration."""
    session_minutes: float = Field(default=30.0, gt=0, le=24 * 60)
    """A signed-in buyer's cookie (and its session) ends this many minutes after sign-in."""
    trusted_proxy: bool = False
    """Take the client address from X-Forwarded-For (only behind a reverse proxy that sets it)."""
    cs_contact: str = "在线客服 9:00–21:00"
    """How a buyer reaches customer service (shown when the question box cannot answer)."""
    return_policy: str = "签收后 7 天内可申请无理由退货：在下单平台的订单页点“申请售后”，审核通过后按页面地址寄回。"
    """The answer to "怎么退货" (how do I return something)."""
    address_change_policy: str = "发货前可以改地址：请联系客服并提供订单号；已发货的包裹请联系快递改派。"
    """The answer to "能改地址吗" (can I change the address)."""
    shipping_policy: str = "付款后 48 小时内发货（预售商品以页面时间为准）。"
    """Added to the answer to "发货了吗" (has it shipped) while an order waits to ship."""

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("zh_CN", "en"):
            raise ValueError("language must be zh_CN or en")
        return value

    def secret_values(self) -> tuple[str, ...]:
        value = self.secret.get_secret_value()
        return (value,) if value else ()


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


# --- notifications ---------------------------------------------------------------------------------

ChannelKind = Literal["dingtalk", "wecom", "email", "sms"]
_MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")
# The services' own endpoints (PROTOCOLS.md); a channel's ``url`` replaces one (the simulator, a proxy).
DEFAULT_CHANNEL_URLS: dict[str, str] = {
    "dingtalk": "https://oapi.dingtalk.com/robot/send",
    "wecom": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send",
    "sms": "https://dysmsapi.aliyuncs.com/",
}
DEFAULT_PER_MINUTE: dict[str, int] = {"dingtalk": 20, "wecom": 20, "sms": 1, "email": 60}


class NotifyChannel(BaseModel):
    """One place alerts are sent to: a DingTalk or WeCom group robot, a list of e-mail addresses, or
    phones by Aliyun SMS; a ``[[notify.channels]]`` table. Its secrets are never shown."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid")

    name: str = Field(min_length=1, max_length=32)
    """What routes and the Alerts screen call the channel (``仓库群``, ``采购邮件``)."""
    kind: ChannelKind
    """``dingtalk`` (custom group robot), ``wecom`` (group robot), ``email`` (through ``[smtp]``) or ``sms`` (Aliyun)."""
    url: str = ""
    """The service's endpoint; empty: the real one (DingTalk ``oapi.dingtalk.com/robot/send``, WeCom
    ``qyapi.weixin.qq.com/cgi-bin/webhook/send``, Aliyun ``dysmsapi.aliyuncs.com``). `oms simulate` prints its own."""
    token: SecretStr = SecretStr("")
    """DingTalk: the robot's ``access_token`` (from its webhook URL)."""
    secret: SecretStr = SecretStr("")
    """DingTalk: the robot's signing secret (``SEC…``; empty: an unsigned robot). SMS: the AccessKeySecret."""
    key: SecretStr = SecretStr("")
    """WeCom: the robot's ``key`` (from its webhook URL)."""
    access_key_id: str = ""
    """SMS: the Aliyun AccessKeyId."""
    sign_name: str = ""
    """SMS: the approved signature (签名) the text goes out under."""
    template_code: str = ""
    """SMS: the approved template (``SMS_…``); it is given the variables ``event`` and ``subject``."""
    recipients: list[str] = Field(default_factory=list)
    """E-mail: the addresses."""
    phones: list[str] = Field(default_factory=list)
    """SMS: mainland mobile numbers (11 digits); also the DingTalk / WeCom members to @-mention."""
    markdown: bool = True
    """DingTalk / WeCom: send markdown (a bold title, one line per fact); false: plain text."""
    language: str | None = None
    """The language of the messages (``zh_CN`` or ``en``); empty: the configured ``language``."""
    per_minute: int | None = Field(default=None, ge=1, le=600)
    """At most this many messages a minute, more wait their turn; empty: the kind's default (robots 20 — what
    they allow —, SMS 1 — Aliyun's flow control per number —, e-mail 60)."""
    timeout: float = Field(default=10.0, gt=0)
    """Seconds to connect and to wait for the answer."""

    @field_validator("token", "secret", "key", mode="before")
    @classmethod
    def _secret_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value  # refusing it would print it

    @field_validator("recipients")
    @classmethod
    def _recipients_are_addresses(cls, value: list[str]) -> list[str]:
        return [_mail_address(address) for address in value]

    @field_validator("phones")
    @classmethod
    def _phones_are_mobiles(cls, value: list[str]) -> list[str]:
        phones = []
        for phone in value:
            digits = re.sub(r"[\s-]", "", str(phone)).removeprefix("+86")
            if not _MAINLAND_MOBILE.fullmatch(digits):
                raise ValueError(f"not a mainland mobile number: {phone!r}")
            phones.append(digits)
        return phones

    @model_validator(mode="after")
    def _has_what_its_kind_needs(self) -> NotifyChannel:
        needs = {"dingtalk": ("token",), "wecom": ("key",), "email": ("recipients",),
                 "sms": ("access_key_id", "secret", "sign_name", "template_code", "phones")}[self.kind]
        missing = [name for name in needs if not _filled(getattr(self, name))]
        if missing:
            raise ValueError(f"channel {self.name!r} ({self.kind}) needs {', '.join(missing)}")
        return self

    @property
    def pace(self) -> int:
        """Messages a minute this channel is sent at most."""
        return self.per_minute or DEFAULT_PER_MINUTE[self.kind]

    @property
    def endpoint(self) -> str:
        return self.url or DEFAULT_CHANNEL_URLS.get(self.kind, "")

    def secret_values(self) -> tuple[str, ...]:
        """The channel's secrets in clear, for masking them out of messages (``redaction.redact``)."""
        return tuple(v for v in (self.token.get_secret_value(), self.secret.get_secret_value(),
                                 self.key.get_secret_value()) if v)


def _filled(value: Any) -> bool:
    if isinstance(value, SecretStr):
        return bool(value.get_secret_value())
    return bool(value)


class NotifyConfig(BaseModel):
    """Where alerts go: ``[[notify.channels]]``, ``[notify.routes]`` (role → channel names) and
    ``[notify.events]`` (event → roles, over the built-in defaults)."""

    model_config = ConfigDict(extra="forbid")

    channels: list[NotifyChannel] = Field(default_factory=list)
    """The channels; see ``NotifyChannel``."""
    routes: dict[str, list[str]] = Field(default_factory=dict)
    """Role → the names of the channels its alerts go to (``warehouse_lead = ["仓库群"]``); ``"*"``: every
    role without a route of its own."""
    events: dict[str, list[str]] = Field(default_factory=dict)
    """Event kind → the roles told of it (``stock_short = ["purchasing", "warehouse_lead"]``), replacing the
    built-in default for that event. An alert that names its roles (an approval step's) keeps them."""
    dedupe_minutes: float = Field(default=30.0, ge=0)
    """An alert with the same subject on the same channel within this many minutes is not sent again."""

    @model_validator(mode="after")
    def _routes_name_channels(self) -> NotifyConfig:
        names = [channel.name for channel in self.channels]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"channel name {repeated[0]!r} is used twice")
        for role, channels in self.routes.items():
            unknown = [name for name in channels if name not in names]
            if unknown:
                raise ValueError(f"routes.{role}: no channel named {unknown[0]!r} (channels: {', '.join(names) or 'none'})")
        return self


class ApprovalRule(BaseModel):
    """One approval rule (``[[approvals.rules]]``): which requests it covers and the path they take.

    A rule covers a request when its kind is in ``kinds`` and every condition it sets holds (conditions
    left empty are not checked): the order's total above ``total_above_yuan``, a line whose SKU has one
    of ``sku_tags``, the order's ``shops`` or ``platforms``. The path is ``steps`` in order; a step is one
    role (``"cs_lead"``) or a list of roles that must each sign (``["warehouse_lead", "cs_lead"]``).
    The intake kinds (``large_order``, ``custom_item``) are raised by the order itself when a rule for
    them matches, so such a rule must set a condition."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    kinds: list[str] = Field(min_length=1)
    total_above_yuan: float | None = Field(default=None, ge=0)
    sku_tags: list[str] = Field(default_factory=list)
    shops: list[str] = Field(default_factory=list)
    platforms: list[str] = Field(default_factory=list)
    steps: list[str | list[str]] = Field(min_length=1)
    escalate_after_hours: float | None = Field(default=None, gt=0)
    """No decision within this many hours: the request climbs to the next role up (default: the section's)."""

    @property
    def path(self) -> list[list[str]]:
        """The steps, each as the list of roles that sign it."""
        return [[step] if isinstance(step, str) else list(step) for step in self.steps]

    @model_validator(mode="after")
    def _rule_is_sound(self) -> ApprovalRule:
        from oms_tui.names import APPROVAL_KIND_NAMES, INTAKE_APPROVAL_KINDS, PLATFORM_NAMES, ROLE_NAMES

        where = f"approval rule {self.name!r}"
        unknown = [kind for kind in self.kinds if kind not in APPROVAL_KIND_NAMES]
        if unknown:
            raise ValueError(f"{where}: unknown request kind {unknown[0]!r} (kinds: {', '.join(APPROVAL_KIND_NAMES)})")
        for step in self.path:
            if not step:
                raise ValueError(f"{where}: a step names no role")
            bad = [role for role in step if role not in ROLE_NAMES]
            if bad:
                raise ValueError(f"{where}: unknown role {bad[0]!r} (roles: {', '.join(ROLE_NAMES)})")
            if len(set(step)) != len(step):
                raise ValueError(f"{where}: a co-signed step names a role twice")
        bad_platforms = [p for p in self.platforms if p not in PLATFORM_NAMES]
        if bad_platforms:
            raise ValueError(f"{where}: unknown platform {bad_platforms[0]!r}")
        if set(self.kinds) & set(INTAKE_APPROVAL_KINDS) and self.total_above_yuan is None and not self.sku_tags:
            raise ValueError(f"{where}: an intake rule needs total_above_yuan or sku_tags, or it stops every order")
        return self


def _default_approval_rules() -> list[ApprovalRule]:
    """The shop's practice: big or custom orders and price changes go to the CS lead; a transfer between
    warehouses or a pre-sale delay needs the warehouse lead and the CS lead both."""
    return [
        ApprovalRule(name="large-order", kinds=["large_order"], total_above_yuan=5000, steps=["cs_lead"]),
        ApprovalRule(name="custom-item", kinds=["custom_item"], sku_tags=["custom"], steps=["cs_lead"]),
        ApprovalRule(name="price-change", kinds=["price_change", "gift"], steps=["cs_lead"]),
        ApprovalRule(name="transfer-or-presale", kinds=["transfer", "presale_delay"],
                     steps=[["warehouse_lead", "cs_lead"]]),
        ApprovalRule(name="address-after-picking", kinds=["address_change"], steps=[["cs_lead", "warehouse_lead"]]),
    ]


class ApprovalsConfig(BaseModel):
    """``[approvals]``: the rules (first match wins per request), escalation time and the chain of roles."""

    model_config = ConfigDict(extra="forbid")

    rules: list[ApprovalRule] = Field(default_factory=_default_approval_rules)
    escalate_after_hours: float = Field(default=2.0, gt=0)
    """No decision within this many hours (a rule may set its own): escalate to the next role up and tell them."""
    escalation: dict[str, str] = Field(default_factory=lambda: {
        "cs": "cs_lead", "warehouse": "warehouse_lead", "cs_lead": "manager", "warehouse_lead": "manager",
        "purchasing": "manager", "finance": "manager"})
    """Role → the role above it, whom a stalled request climbs to."""
    default_steps: list[str | list[str]] = Field(default_factory=lambda: ["cs_lead"])
    """The path of a request no rule covers."""

    @model_validator(mode="after")
    def _rules_are_sound(self) -> ApprovalsConfig:
        from oms_tui.names import ROLE_NAMES

        names = [rule.name for rule in self.rules]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"approval rule name {repeated[0]!r} is used twice")
        for low, high in self.escalation.items():
            bad = [role for role in (low, high) if role not in ROLE_NAMES]
            if bad:
                raise ValueError(f"approvals.escalation: unknown role {bad[0]!r}")
        for role in self.escalation:  # a chain that comes back to itself would climb for ever
            chain, up = [role], self.escalation.get(role)
            while up is not None:
                if up in chain:
                    raise ValueError(f"approvals.escalation: {role!r} climbs back to itself")
                chain.append(up)
                up = self.escalation.get(up)
        ApprovalRule(name="default_steps", kinds=["price_change"], steps=self.default_steps)  # the same checks
        return self


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
    oauth: OAuthConfig = Field(default_factory=OAuthConfig)
    """Shop authorization per platform (`oms shop authorize`): consent page, token address, callback."""
    token_refresh_hours: float = Field(default=24.0, gt=0)
    """The scheduler refreshes a shop's token when it expires within this many hours (or half its life)."""
    token_alert_days: float = Field(default=3.0, gt=0)
    """A token that cannot be refreshed raises an alert this many days before the shop's authorization ends."""
    alert_recipients: list[str] = Field(default_factory=list)
    """E-mail addresses every alert goes to (stock shortages, …), besides the ``[notify]`` channels of its roles."""
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    approvals: ApprovalsConfig = Field(default_factory=ApprovalsConfig)
    """Approval rules and escalation: ``[[approvals.rules]]``, ``[approvals]`` (see ApprovalsConfig)."""
    """Alert channels and routes: ``[[notify.channels]]``, ``[notify.routes]``, ``[notify.events]``."""
    kuaidi100: Kuaidi100Config = Field(default_factory=Kuaidi100Config)
    """E-waybills and tracking through Kuaidi100: keys, courier accounts, the sender on the label."""
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)
    """Tracking after shipping: stall days, query rate, the nightly batch, the buyer's stall SMS."""
    portal: PortalConfig = Field(default_factory=PortalConfig)
    """The buyer self-service page (`oms portal`): sign-in code SMS, limits, policy texts, CS contact."""

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
