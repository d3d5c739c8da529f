"""Staff accounts: creating them, passwords as scrypt hashes, and signing in."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.errors import ValidationFailed
from scheduler.models import Practitioner, Role, StaffUser

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 12
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash``: salted and deliberately slow."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(stored: str, password: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(candidate.hex(), digest)


def password_errors(password: str) -> list[str]:
    if len(password) < MIN_PASSWORD:
        return [f"Use at least {MIN_PASSWORD} characters."]
    if len(password) > 200:
        return ["Use at most 200 characters."]
    return []


def create_staff_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    role: Role,
    now: datetime,
    practitioner_id: int | None = None,
) -> StaffUser:
    """A new account.

    :raise ValidationFailed: for a malformed or taken email, an empty or too long name, a
        short password, or a practitioner account not linked to an existing practitioner.
    """
    errors: dict[str, list[str]] = {}
    email = email.strip().lower()
    if not EMAIL.match(email) or len(email) > 200:
        errors["email"] = ["Enter an email address."]
    elif session.scalar(
        select(func.count()).select_from(StaffUser).where(StaffUser.email == email)
    ):
        errors["email"] = ["An account with this email exists."]
    if not name.strip():
        errors["name"] = ["Enter a name."]
    elif len(name.strip()) > 120:
        errors["name"] = ["Use at most 120 characters."]
    if problems := password_errors(password):
        errors["password"] = problems
    if role != Role.PRACTITIONER:
        practitioner_id = None  # only a practitioner's account is tied to a practitioner
    elif practitioner_id is None:
        errors["practitioner_id"] = ["A practitioner account needs its practitioner."]
    elif session.get(Practitioner, practitioner_id) is None:
        errors["practitioner_id"] = ["Choose a practitioner from the list."]
    if errors:
        raise ValidationFailed(errors)
    user = StaffUser(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        role=role,
        practitioner_id=practitioner_id,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str, now: datetime) -> StaffUser | None:
    """The active account with these credentials, or None (which part was wrong is not said)."""
    user = session.scalars(
        select(StaffUser).where(StaffUser.email == email.strip().lower()[:200])
    ).first()
    if user is None or not user.active:
        verify_password(hash_password("timing"), password)  # take as long either way
        return None
    if not verify_password(user.password_hash, password[:200]):
        return None
    user.last_login_at = now
    return user


def change_password(session: Session, user: StaffUser, current: str, new: str) -> None:
    """:raise ValidationFailed: if the current password is wrong or the new one too short."""
    errors: dict[str, list[str]] = {}
    if not verify_password(user.password_hash, current):
        errors["current_password"] = ["That is not your current password."]
    if problems := password_errors(new):
        errors["new_password"] = problems
    if errors:
        raise ValidationFailed(errors)
    user.password_hash = hash_password(new)
