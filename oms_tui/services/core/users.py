"""Users and their PINs. A PIN is stored as PBKDF2-SHA256 with a per-user salt, never in clear."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlmodel import Session, col, select

from oms_tui.errors import AccountLocked, NotFound, ValidationError
from oms_tui.i18n import N_
from oms_tui.models import User, utcnow
from oms_tui.services.core import audit
from oms_tui.services.core.actor import ROLES, Actor, require

_ITERATIONS = 100_000


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, _ITERATIONS)
    return f"pbkdf2_sha256${_ITERATIONS}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        _, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(candidate.hex(), digest)


def add_user(session: Session, name: str, pin: str, roles: list[str], *, display_name: str = "",
             actor: Actor) -> User:
    require(actor, "users.manage")
    by = actor.name
    name = name.strip()
    if not name:
        raise ValidationError(N_("a user needs a name"))
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):  # '²' and full-width '１' pass isdigit
        raise ValidationError(N_("a PIN is 4 to 8 digits"))
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ValidationError(N_("roles must be among: {roles}"), roles=", ".join(ROLES))
    if session.exec(select(User).where(User.name == name)).first():
        raise ValidationError(N_("user {name!r} already exists"), name=name)
    user = User(name=name, display_name=display_name or name, roles=",".join(roles), pin_hash=hash_pin(pin))
    session.add(user)
    session.flush()
    audit.record(session, by, "user.add", "user", name, roles=roles)
    return user


def get_user(session: Session, name: str) -> User:
    user = session.exec(select(User).where(User.name == name, col(User.active).is_(True))).first()
    if user is None:
        raise NotFound(N_("unknown user {name!r}"), name=name)
    return user


MAX_WRONG_PINS = 5
LOCK_MINUTES = 5


def authenticate(session: Session, name: str, pin: str) -> User | None:
    """The user if the PIN matches, else None (same answer for unknown name and wrong PIN).

    Run it in a writing transaction: wrong PINs are counted, and the fifth in a row locks the name
    for LOCK_MINUTES (AccountLocked until then), so a 4-digit PIN cannot be guessed at a terminal.
    """
    user = session.exec(select(User).where(User.name == name, col(User.active).is_(True))).first()
    if user is None:
        return None
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        wait = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise AccountLocked(N_("too many wrong PINs for {name}: try again in {wait} min or ask a lead"), name=name,
                            wait=wait)
    if not verify_pin(pin, user.pin_hash):
        user.failed_pins += 1
        if user.failed_pins >= MAX_WRONG_PINS:
            user.failed_pins = 0
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            audit.record(session, "system", "user.locked", "user", name, minutes=LOCK_MINUTES)
        session.add(user)
        return None
    if user.failed_pins or user.locked_until:
        user.failed_pins, user.locked_until = 0, None
        session.add(user)
    return user


def unlock(session: Session, name: str, *, actor: Actor) -> bool:
    """Let ``name`` sign in again at once after too many wrong PINs (a lead's job; audited).
    True if the name was locked; a name that was not changes nothing."""
    require(actor, "users.unlock")
    user = get_user(session, name.strip())
    was_locked = user.locked_until is not None and user.locked_until > utcnow()
    if not (user.failed_pins or user.locked_until):
        return False
    user.failed_pins, user.locked_until = 0, None
    session.add(user)
    audit.record(session, actor.name, "user.unlock", "user", user.name, was_locked=was_locked)
    return was_locked


def unlock_by_lead(session: Session, name: str, *, lead: str, lead_pin: str) -> bool | None:
    """The sign-in screen's unlock: ``lead`` proves who they are with their PIN and unlocks ``name`` as
    themselves (``unlock``). None when the lead's name or PIN is wrong, counted like any wrong PIN,
    so run it in a writing transaction that commits."""
    user = authenticate(session, lead.strip(), lead_pin)
    if user is None:
        return None
    return unlock(session, name, actor=Actor(user.name, frozenset(user.role_list)))


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.name))))
