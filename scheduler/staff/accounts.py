"""Staff accounts: creating them, passwords as scrypt hashes, and signing in."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from scheduler.errors import ValidationFailed
from scheduler.models import Practitioner, Role, StaffUser
from scheduler.staff.sessions import end_sessions

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 12
LONGEST_PASSWORD = 200
# zxcvbn's scores run 0-4; 3 is "safely unguessable: moderate protection from an offline
# attack". It reads at most 72 characters, which is plenty to judge a password by.
MIN_STRENGTH = 3
STRENGTH_READS = 72
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Checked when no account matches an email, so that an unknown email costs the same single
# scrypt (with the same parameters) as a wrong password. Its password was random and thrown
# away: nothing signs in with it.
DUMMY_HASH = (
    f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}$f3070a0d295751c633ad432ef8020705$"
    "b0f8ed5d54a6b10edc5d7ec4687bf7c040e0e3ff7c7d7e12e3ddeaf7fd1901d3b3ad0a9c6e455d7ac279caade6"
    "9d483490b7ec4ba23da59361d33bf70e1f916d"
)


def hash_password(password: str, n: int = SCRYPT_N) -> str:
    """``scrypt$n$r$p$salt$hash``: salted and deliberately slow (``n`` is the work factor; a
    hash names its own, and is checked with it)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


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


def password_errors(password: str, known: Iterable[str] = ()) -> list[str]:
    """Why ``password`` will not do: too short, too long, or too easy to guess (zxcvbn's score
    under ``MIN_STRENGTH``, with its reason). ``known`` are the account's own words (email,
    name), which make a password easy to guess."""
    if len(password) < MIN_PASSWORD:
        return [f"Use at least {MIN_PASSWORD} characters."]
    if len(password) > LONGEST_PASSWORD:
        return [f"Use at most {LONGEST_PASSWORD} characters."]
    return _guessable(password, known)


def _guessable(password: str, known: Iterable[str]) -> list[str]:
    """zxcvbn's reason when ``password`` is too easy to guess; none when it is strong enough."""
    words = [w for word in known for w in (word, *re.split(r"[@.\s]+", word)) if w]
    verdict = zxcvbn(password[:STRENGTH_READS], user_inputs=words)
    if verdict["score"] >= MIN_STRENGTH:
        return []
    feedback = verdict["feedback"]
    reasons = [feedback["warning"], *feedback["suggestions"]]
    advice = " ".join(r for r in reasons if r) or "Add another word or two."
    return [f"This password is too easy to guess. {advice}"]


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
        password that is short or easy to guess, or a practitioner account not linked to an
        existing practitioner.
    """
    email = email.strip().lower()
    # Only a practitioner's account is tied to a practitioner.
    linked = practitioner_id if role == Role.PRACTITIONER else None
    if errors := _account_errors(session, email, name, password, role, linked):
        raise ValidationFailed(errors)
    user = _new_user(email, name, password, role, linked, now)
    session.add(user)
    session.flush()
    return user


def _account_errors(
    session: Session, email: str, name: str, password: str, role: Role, linked: int | None
) -> dict[str, list[str]]:
    """What is wrong with a new account's details, by field."""
    found = {
        "email": _email_errors(session, email),
        "name": _name_errors(name.strip()),
        "password": password_errors(password, (email, name)),
        "practitioner_id": (
            practitioner_link_errors(session, linked) if role == Role.PRACTITIONER else []
        ),
    }
    return {field: problems for field, problems in found.items() if problems}


def _email_errors(session: Session, email: str) -> list[str]:
    """A malformed or over-long address, or one another account has already."""
    if not EMAIL.match(email) or len(email) > 200:
        return ["Enter an email address."]
    taken = select(func.count()).select_from(StaffUser).where(StaffUser.email == email)
    return ["An account with this email exists."] if session.scalar(taken) else []


def _name_errors(name: str) -> list[str]:
    """An empty name, or one over 120 characters."""
    if not name:
        return ["Enter a name."]
    return ["Use at most 120 characters."] if len(name) > 120 else []


def practitioner_link_errors(session: Session, practitioner_id: int | None) -> list[str]:
    """Why a practitioner's account cannot be tied to ``practitioner_id``; none if it can."""
    if practitioner_id is None:
        return ["A practitioner account needs its practitioner."]
    if session.get(Practitioner, practitioner_id) is None:
        return ["Choose a practitioner from the list."]
    return []


def _new_user(
    email: str, name: str, password: str, role: Role, linked: int | None, now: datetime
) -> StaffUser:
    """The account as it will be kept: its name trimmed, its password hashed."""
    return StaffUser(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        role=role,
        practitioner_id=linked,
        created_at=now,
    )


def authenticate(session: Session, email: str, password: str, now: datetime) -> StaffUser | None:
    """The active account with these credentials, or None (which part was wrong is not said)."""
    user = session.scalars(
        select(StaffUser).where(StaffUser.email == email.strip().lower()[:200])
    ).first()
    if user is None or not user.active:
        verify_password(DUMMY_HASH, password[:LONGEST_PASSWORD])  # the same work either way
        return None
    if not verify_password(user.password_hash, password[:LONGEST_PASSWORD]):
        return None
    user.last_login_at = now
    return user


def change_password(session: Session, user: StaffUser, current: str, new: str) -> int:
    """Change one's own password; every session of the account ends. Returns the account's
    new session version, for the session that made the change to carry on with.

    :raise ValidationFailed: if the current password is wrong, or the new one is too short,
        too long or too easy to guess (the reason is given); nothing is changed.
    """
    errors: dict[str, list[str]] = {}
    if not verify_password(user.password_hash, current[:LONGEST_PASSWORD]):
        errors["current_password"] = ["That is not your current password."]
    if problems := password_errors(new, (user.email, user.name)):
        errors["new_password"] = problems
    if errors:
        raise ValidationFailed(errors)
    user.password_hash = hash_password(new)
    return end_sessions(user)
