"""Users and their PINs. A PIN is stored as PBKDF2-SHA256 with a per-user salt, never in clear."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from oms_tui.errors import AccountLocked, NotFound, ValidationError
from oms_tui.i18n import N_
from oms_tui.models import User, UserKey, utcnow
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


# --- administration: roles, disabling, SSH keys (the Users screen and `oms user …`) ---------------

def _any_user(session: Session, name: str) -> User:
    """``name`` whether active or disabled (``get_user`` finds active users only)."""
    user = session.exec(select(User).where(User.name == name.strip())).first()
    if user is None:
        raise NotFound(N_("unknown user {name!r}"), name=name)
    return user


def _checked_roles(roles: list[str]) -> list[str]:
    roles = [r.strip() for r in roles if r.strip()]
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ValidationError(N_("roles must be among: {roles}"), roles=", ".join(ROLES))
    return list(dict.fromkeys(roles))


def set_roles(session: Session, name: str, roles: list[str], *, actor: Actor) -> list[str]:
    """Give ``name`` exactly ``roles`` (audited with the roles before); the roles now held."""
    require(actor, "users.manage")
    user = _any_user(session, name)
    wanted = _checked_roles(roles)
    before = user.role_list
    if wanted == before:
        return before
    if user.name == actor.name and "admin" in before and "admin" not in wanted:
        raise ValidationError(N_("you cannot take the administrator role from yourself"))
    user.roles = ",".join(wanted)
    session.add(user)
    audit.record(session, actor.name, "user.roles", "user", user.name, before=before, after=wanted)
    return wanted


def disable(session: Session, name: str, *, actor: Actor) -> bool:
    """Stop ``name`` signing in; desks where they are signed in end their session at their next refresh
    (``is_active``). True if the user was active. Nobody disables themselves (the last admin stays)."""
    require(actor, "users.manage")
    user = _any_user(session, name)
    if user.name == actor.name:
        raise ValidationError(N_("you cannot disable yourself"))
    if not user.active:
        return False
    user.active = False
    session.add(user)
    audit.record(session, actor.name, "user.disable", "user", user.name)
    return True


def enable(session: Session, name: str, *, actor: Actor) -> bool:
    """Let a disabled user sign in again; True if they were disabled."""
    require(actor, "users.manage")
    user = _any_user(session, name)
    if user.active:
        return False
    user.active = True
    user.failed_pins, user.locked_until = 0, None
    session.add(user)
    audit.record(session, actor.name, "user.enable", "user", user.name)
    return True


def is_active(session: Session, name: str) -> bool:
    """Whether ``name`` may still be signed in anywhere (a desk asks on every refresh)."""
    return session.exec(select(User.id).where(User.name == name, col(User.active).is_(True))).first() is not None


# OpenSSH public key types a desk accepts (ssh-dss is refused by OpenSSH itself since 7.0).
KEY_TYPES = ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
             "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")


@dataclass(frozen=True)
class PublicKey:
    kind: str
    blob: bytes
    comment: str

    @property
    def fingerprint(self) -> str:
        """The form ``ssh-keygen -l`` prints: SHA256 of the key blob, unpadded base64."""
        return "SHA256:" + base64.b64encode(hashlib.sha256(self.blob).digest()).decode().rstrip("=")

    @property
    def line(self) -> str:
        return " ".join(p for p in (self.kind, base64.b64encode(self.blob).decode(), self.comment) if p)


def parse_public_key(text: str) -> PublicKey:
    """One OpenSSH public key line (``ssh-ed25519 AAAA… comment``); a clear ValidationError otherwise."""
    parts = text.strip().split(None, 2)
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        raise ValidationError(N_("not an OpenSSH public key: expected a line such as 'ssh-ed25519 AAAA… name'"))
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(N_("not an OpenSSH public key: its key data is not base64")) from None
    # The blob starts with its own type as an SSH string (uint32 length + bytes): it must agree.
    length = int.from_bytes(blob[:4], "big") if len(blob) >= 4 else -1
    if length <= 0 or blob[4:4 + length].decode("ascii", "replace") != parts[0]:
        raise ValidationError(N_("not an OpenSSH public key: its key data does not match its type"))
    return PublicKey(parts[0], blob, parts[2].strip() if len(parts) > 2 else "")


@dataclass(frozen=True)
class KeyRow:
    user: str
    fingerprint: str
    kind: str
    comment: str
    added_at: datetime
    added_by: str


def add_key(session: Session, name: str, public_key: str, *, actor: Actor) -> KeyRow:
    """Map an SSH public key to ``name``: that key then signs them in at an SSH desk without the PIN."""
    require(actor, "users.manage")
    user = _any_user(session, name)
    key = parse_public_key(public_key)
    existing = session.exec(select(UserKey).where(UserKey.fingerprint == key.fingerprint)).first()
    if existing is not None and existing.removed_at is None:
        raise ValidationError(N_("this key already belongs to a user"))
    if existing is not None:  # a removed key comes back: the row is reused (fingerprints are unique)
        existing.user_id, existing.public_key, existing.comment = user.id, key.line, key.comment
        existing.removed_at, existing.added_at, existing.added_by = None, utcnow(), actor.name
        row = existing
    else:
        row = UserKey(user_id=user.id, fingerprint=key.fingerprint, public_key=key.line, comment=key.comment,
                      added_by=actor.name)
    session.add(row)
    session.flush()
    audit.record(session, actor.name, "user.key_add", "user", user.name, fingerprint=key.fingerprint,
                 comment=key.comment)
    return KeyRow(user.name, row.fingerprint, key.kind, row.comment, row.added_at, row.added_by)


def remove_key(session: Session, name: str, fingerprint: str, *, actor: Actor) -> None:
    require(actor, "users.manage")
    user = _any_user(session, name)
    row = session.exec(select(UserKey).where(UserKey.user_id == user.id, UserKey.fingerprint == fingerprint.strip(),
                                             col(UserKey.removed_at).is_(None))).first()
    if row is None:
        raise NotFound(N_("{name} has no key {fingerprint}"), name=user.name, fingerprint=fingerprint)
    row.removed_at = utcnow()
    session.add(row)
    audit.record(session, actor.name, "user.key_remove", "user", user.name, fingerprint=row.fingerprint)


def list_keys(session: Session, name: str | None = None) -> list[KeyRow]:
    stmt = (select(UserKey, User.name).join(User, col(User.id) == UserKey.user_id)
            .where(col(UserKey.removed_at).is_(None)).order_by(col(User.name), col(UserKey.id)))
    if name is not None:
        stmt = stmt.where(User.name == _any_user(session, name).name)
    return [KeyRow(user_name, key.fingerprint, key.public_key.split(" ", 1)[0], key.comment, key.added_at,
                   key.added_by) for key, user_name in session.exec(stmt)]


def user_for_key(session: Session, name: str, public_key: str) -> User | None:
    """The active user ``name`` if ``public_key`` (an OpenSSH line) is one of their keys, else None."""
    try:
        fingerprint = parse_public_key(public_key).fingerprint
    except ValidationError:
        return None
    return session.exec(select(User).join(UserKey, col(UserKey.user_id) == User.id)
                        .where(User.name == name, col(User.active).is_(True), UserKey.fingerprint == fingerprint,
                               col(UserKey.removed_at).is_(None))).first()


def key_counts(session: Session) -> dict[str, int]:
    """Each user's number of SSH keys (the Users screen's column)."""
    rows = session.exec(select(User.name, func.count(col(UserKey.id))).join(UserKey, col(UserKey.user_id) == User.id)
                        .where(col(UserKey.removed_at).is_(None)).group_by(col(User.name)))
    return {name: count for name, count in rows}
