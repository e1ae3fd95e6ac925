"""Sign-in codes for the buyer portal: a 6-digit code texted to a mobile number, then typed back.

- Only a keyed hash of the code is stored (HMAC-SHA256 with the portal's secret, over the phone and the
  code), in ``PortalCode``; the text itself goes through the outbox as a one-time ``buyer_sms`` whose values
  are blanked once it is sent (services/core/outbox.forget_one_time) and which is not sent after expiry.
- A code expires after ``code_minutes`` (5); only the newest code of a phone counts; ``code_tries`` wrong
  codes burn it.
- Rate limits are counted from the ``PortalCode`` rows themselves, so they hold across restarts and across
  several portal processes on one database: per phone a minute and an hour, per client address an hour, and
  at most ``phones_per_ip_hour`` different numbers per client address an hour — asking for more numbers is
  enumeration and is refused. Two requests racing on PostgreSQL may both pass a limit by one (no lock is
  taken for a count); SQLite serialises writers, so there it is exact.
- Enumeration is also refused by the answer itself: a number we hold no order for gets the same answer as
  one we do (the code row is written either way), only no SMS is sent to it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from oms_tui.config import PortalConfig
from oms_tui.errors import OmsError, ValidationError
from oms_tui.i18n import N_
from oms_tui.models import PortalCode
from oms_tui.services.core import audit, outbox
from oms_tui.services.customers.normalize import normalize_mobile
from oms_tui.services.portal.orders import holds_orders_for

CODE_DIGITS = 6


class TooManyRequests(OmsError):
    """A rate limit of the portal refused the request; nothing was sent."""


# One message for a wrong, used, burned or expired code: it tells an attacker nothing.
CODE_REFUSED = N_("the code is wrong or has expired: ask for a new one")


@dataclass(frozen=True)
class CodeLimits:
    code_minutes: float = 5.0
    code_tries: int = 5
    per_phone_minute: int = 1
    per_phone_hour: int = 5
    per_ip_hour: int = 10
    phones_per_ip_hour: int = 3

    @classmethod
    def from_config(cls, config: PortalConfig) -> CodeLimits:
        return cls(config.code_minutes, config.code_tries, config.codes_per_phone_minute, config.codes_per_phone_hour,
                   config.codes_per_ip_hour, config.phones_per_ip_hour)


@dataclass(frozen=True)
class CodeText:
    """Where the code's SMS goes: an SMS channel and its approved template (which gets ``code``)."""

    channel: str = ""
    template_code: str = ""


@dataclass(frozen=True)
class CodeRequest:
    phone: str
    expires_at: datetime


def keyed_hash(key: bytes, *parts: str) -> str:
    """HMAC-SHA256 of the parts (joined by NUL) under the portal's key, hex: what is stored instead of a secret."""
    return hmac.new(key, "\0".join(parts).encode(), hashlib.sha256).hexdigest()


def buyer_mobile(text: str) -> str:
    """The mainland mobile a buyer typed (spaces, dashes and +86 allowed); ValidationError otherwise."""
    mobile = normalize_mobile((text or "").strip())
    if mobile is None:
        raise ValidationError(N_("type an 11-digit mainland mobile number"))
    return mobile


def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def check_limits(session: Session, phone: str, ip: str, limits: CodeLimits, now: datetime) -> None:
    """TooManyRequests when one more code for ``phone`` from ``ip`` would pass a limit."""
    hour_ago, minute_ago = now - timedelta(hours=1), now - timedelta(minutes=1)
    by_phone = session.exec(select(PortalCode.created_at).where(PortalCode.phone == phone,
                                                                col(PortalCode.created_at) > hour_ago)).all()
    if sum(1 for at in by_phone if at > minute_ago) >= limits.per_phone_minute:
        raise TooManyRequests(N_("a code was sent to this number less than a minute ago: wait a minute"))
    if len(by_phone) >= limits.per_phone_hour:
        raise TooManyRequests(N_("too many codes for this number: try again in an hour"))
    if ip:
        from_ip = session.exec(select(func.count()).select_from(PortalCode)
                               .where(PortalCode.ip == ip, col(PortalCode.created_at) > hour_ago)).one()
        if from_ip >= limits.per_ip_hour:
            raise TooManyRequests(N_("too many codes asked for from your network: try again in an hour"))
        phones = set(session.exec(select(PortalCode.phone).distinct()
                                  .where(PortalCode.ip == ip, col(PortalCode.created_at) > hour_ago)).all())
        if phone not in phones and len(phones) >= limits.phones_per_ip_hour:
            raise TooManyRequests(N_("too many different numbers from your network: try again in an hour"))


def request_code(session: Session, phone_text: str, *, ip: str, key: bytes, limits: CodeLimits, text: CodeText,
                 now: datetime) -> CodeRequest:
    """Make a code for the number and text it (through the outbox) when we hold orders for it; same answer
    either way. ValidationError for a number that is not a mobile, TooManyRequests past a limit."""
    phone = buyer_mobile(phone_text)
    check_limits(session, phone, ip, limits, now)
    code = new_code()
    expires_at = now + timedelta(minutes=limits.code_minutes)
    row = PortalCode(phone=phone, ip=ip[:64], code_hash=keyed_hash(key, phone, code), created_at=now,
                     expires_at=expires_at)
    if text.channel and text.template_code and holds_orders_for(session, phone):
        outbox.enqueue(session, outbox.MessageKind.BUYER_SMS, channel=text.channel, target=phone,
                       subject="portal sign-in code",
                       payload=outbox.BuyerSms(phone=phone, template_code=text.template_code, values={"code": code},
                                               one_time=True, expires_at=expires_at))
        row.texted = True
    session.add(row)
    session.flush()
    audit.record(session, "portal", "portal.code", "portalcode", row.id, phone=masked(phone), ip=ip,
                 texted=row.texted)
    return CodeRequest(phone, expires_at)


def verify_code(session: Session, phone_text: str, code: str, *, key: bytes, limits: CodeLimits,
                now: datetime) -> str | None:
    """The phone, when ``code`` is its newest live code (which is then used up); None otherwise (show
    CODE_REFUSED, and commit: a wrong code counts a try on the newest code; ``code_tries`` of them burn it)."""
    phone = buyer_mobile(phone_text)
    typed = (code or "").strip()
    row = session.exec(select(PortalCode).where(PortalCode.phone == phone)
                       .order_by(col(PortalCode.created_at).desc(), col(PortalCode.id).desc())
                       .limit(1).with_for_update()).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    if not (typed.isdigit() and len(typed) == CODE_DIGITS
            and hmac.compare_digest(row.code_hash, keyed_hash(key, phone, typed))):
        row.attempts += 1
        if row.attempts >= limits.code_tries:
            row.used_at = now  # burned
        session.add(row)
        audit.record(session, "portal", "portal.code_wrong", "portalcode", row.id, attempts=row.attempts)
        return None
    row.used_at = now
    session.add(row)
    audit.record(session, "portal", "portal.signed_in", "portalcode", row.id, phone=masked(phone))
    return phone


def masked(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"
