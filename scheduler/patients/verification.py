"""Proving a phone: a 6-digit code texted to it, a few tries to answer it, and the proof a
booking redeems once (DOMAIN.md section 7, the public surface).

Codes and proofs are kept only as hashes. A number is sent a new code at most once a minute and
a few times an hour, and one address may ask for a few codes an hour, so nobody can make the
clinic text numbers without end.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from scheduler.config import Settings
from scheduler.errors import DomainError, NotFound, ValidationFailed
from scheduler.messaging.gsm import segment_count
from scheduler.messaging.texts import phone_code_text
from scheduler.models import (
    MessageKind,
    MessageStatus,
    OutboundMessage,
    Patient,
    PhoneVerification,
)
from scheduler.phones import InvalidPhone, to_e164
from scheduler.redaction import keyed_hash

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
RESEND_AFTER = timedelta(seconds=60)
MAX_TRIES = 5
CODES_PER_NUMBER_PER_HOUR = 5
CODES_PER_ADDRESS_PER_HOUR = 10
PROOF_LIFETIME = timedelta(minutes=30)
HOUR = timedelta(hours=1)
# A waiting booking (with its screen answers) is kept only while its code could be answered.
PAYLOAD_KEPT = CODE_LIFETIME + HOUR
# Rows stay as long as the hourly limits need them, with a wide margin, then go.
ROWS_KEPT = timedelta(days=2)
T = TypeVar("T")

PROOF_NEEDED = "Confirm your mobile number with the code we text to it."
PROOF_NOT_VALID = "Your mobile number's confirmation has expired or was used. Ask for a new code."
PROOF_OTHER_NUMBER = "The code was sent to another number. Confirm this number with a new code."
CODE_FORMAT = f"Enter the {CODE_DIGITS} digits of the code we texted you."


class CodeRequestRefused(DomainError):
    """Too many codes asked for: a new code for the number too soon (``reason`` "resend"), too
    many for the number this hour ("number"), or from the address ("address").
    ``retry_after_s``: when to ask again; ``message``: the same in words for the asker."""

    def __init__(self, reason: str, retry_after_s: int) -> None:
        super().__init__(f"no new code now ({reason}); ask again in {retry_after_s} s")
        self.reason = reason
        self.retry_after_s = retry_after_s

    @property
    def message(self) -> str:
        why = {
            "resend": "We texted a code to this number less than a minute ago.",
            "number": "This number has had all the codes it can have in an hour.",
            "address": "Too many codes have been asked for from here in the last hour.",
        }[self.reason]
        return f"{why} You can ask for a new one in {wait_in_words(self.retry_after_s)}."


def wait_in_words(seconds: int) -> str:
    """A wait as people say it, rounded up: "45 seconds" up to a minute and a half, then
    "2 minutes", "12 minutes"."""
    if seconds <= 90:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes"


def wrong_code_text(tries_left: int) -> str:
    """What a wrong answer is told: the tries left, or that a new code is needed."""
    if tries_left <= 0:
        return "That code is not right, and it cannot be tried again. Ask for a new code."
    tries = "1 try" if tries_left == 1 else f"{tries_left} tries"
    return f"That code is not right. You have {tries} left."


class CodeExpired(DomainError):
    """The code's ten minutes have passed: a new one must be asked for."""


class CodeSpent(DomainError):
    """The code can no longer be answered: it was answered already (``answered``), or its
    tries are used up."""

    def __init__(self, *, answered: bool) -> None:
        super().__init__("the code was answered already" if answered else "no tries left")
        self.answered = answered


@dataclass(frozen=True)
class CodeSent:
    """A code waiting for its answer: which, to what number, until when, and from when a new
    one may be asked for. ``texted`` is False when a live code was reused (no new text)."""

    verification_id: int
    phone: str
    expires_at: datetime
    resend_at: datetime
    texted: bool = True


@dataclass(frozen=True)
class CodeCheck:
    """The answer to a code: right (with the proof a booking presents) or wrong (with the
    tries left)."""

    right: bool
    tries_left: int
    proof: str = ""
    proof_expires_at: datetime | None = None


def _keyed(settings: Settings, purpose: str, value: str) -> str:
    """A code, an address or a reference hashed under the app's secret: a 6-digit code cannot
    be found from its hash without the key, as it could from a plain hash."""
    return keyed_hash(settings.secret_key, purpose, value)


def address_key(address: str, settings: Settings) -> str:
    """A keyed hash of a client's address: enough to count its requests, never the address."""
    return _keyed(settings, "address", address or "unknown")


def _proof_hash(proof: str) -> str:
    # A proof is 192 random bits: a plain hash is as safe as a keyed one.
    return hashlib.sha256(proof.encode()).hexdigest()


def verification_ref(verification_id: int, settings: Settings) -> str:
    """The id a client names a code by: the row's id and a keyed tag, so nobody can spend the
    tries of a code someone else asked for by counting ids."""
    tag = _keyed(settings, "verification", str(verification_id))[:20]
    return f"{verification_id}-{tag}"


def verification_id_from(ref: str, settings: Settings) -> int | None:
    """The id in a client's ``ref``; None if it is malformed or its tag is not ours."""
    raw_id, _, _tag = (ref or "").partition("-")
    if not raw_id.isdigit() or len(raw_id) > 9:
        return None
    expected = verification_ref(int(raw_id), settings)
    return int(raw_id) if hmac.compare_digest(expected, ref) else None


def _checked_phone(phone: str, settings: Settings) -> str:
    """:raise ValidationFailed: if ``phone`` is not a mobile number that can receive a text."""
    try:
        return to_e164(phone, settings.default_phone_region, settings.sms_regions)
    except InvalidPhone as exc:
        raise ValidationFailed({"phone": [str(exc)]}) from exc


def request_code(
    session: Session,
    phone: str,
    requester: str,
    settings: Settings,
    now: datetime,
    payload: dict[str, Any] | None = None,
    *,
    reuse_id: int | None = None,
) -> CodeSent:
    """Text a new 6-digit code to ``phone`` (through the outbox, due now), asked for by
    ``requester`` (the client's address, or the web's keyed hash of it; kept only as a keyed
    hash); ``payload`` (the booking waiting for the code) is kept with it.

    With ``reuse_id``, the code the same booker asked for a moment ago is kept when it is for
    this number and still open: only its payload is replaced, and no new text is sent.

    :raise ValidationFailed: if ``phone`` is not a mobile number; nothing is written.
    :raise CodeRequestRefused: if a code went to the number less than a minute ago, or the
        number or the address had their codes for the hour; nothing is written.
    """
    e164 = _checked_phone(phone, settings)
    live = _open_code(session, reuse_id, e164, now)
    if live is not None:
        live.payload = payload
        return _sent(live, texted=False)
    _check_limits(session, e164, address_key(requester, settings), now)
    return send_code(session, e164, requester, settings, now, payload)


def send_code(
    session: Session,
    phone: str,
    requester: str,
    settings: Settings,
    now: datetime,
    payload: dict[str, Any] | None = None,
) -> CodeSent:
    """Text a new code to ``phone`` (E.164) without checking the limits: the step
    ``request_code`` takes once they allow it."""
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    asker = address_key(requester, settings)
    verification = _new_verification(phone, _keyed(settings, "code", code), asker, now, payload)
    session.add(verification)
    session.flush()
    session.add(_code_text(verification, code, settings, now))
    return _sent(verification)


def _new_verification(
    phone: str, code_hash: str, asker: str, now: datetime, payload: dict[str, Any] | None
) -> PhoneVerification:
    return PhoneVerification(
        phone_e164=phone,
        code_hash=code_hash,
        requester=asker,
        attempts=0,
        created_at=now,
        expires_at=now + CODE_LIFETIME,
        payload=payload,
    )


def _sent(verification: PhoneVerification, *, texted: bool = True) -> CodeSent:
    return CodeSent(
        verification.id,
        verification.phone_e164,
        verification.expires_at,
        verification.created_at + RESEND_AFTER,
        texted,
    )


def _open_code(
    session: Session, verification_id: int | None, phone: str, now: datetime
) -> PhoneVerification | None:
    """The code ``verification_id`` if it went to ``phone`` and can still be answered."""
    if verification_id is None:
        return None
    found = session.get(PhoneVerification, verification_id)
    if found is None or found.phone_e164 != phone or found.verified_at is not None:
        return None
    if found.expires_at <= now or found.attempts >= MAX_TRIES:
        return None
    return found


def _check_limits(session: Session, phone: str, asker: str, now: datetime) -> None:
    """:raise CodeRequestRefused: if the number or the address may not have a code now."""
    for_number = _asked_since(session, PhoneVerification.phone_e164 == phone, now - HOUR)
    if for_number and for_number[-1] + RESEND_AFTER > now:
        raise CodeRequestRefused("resend", _seconds(for_number[-1] + RESEND_AFTER - now))
    if len(for_number) >= CODES_PER_NUMBER_PER_HOUR:
        again = for_number[-CODES_PER_NUMBER_PER_HOUR] + HOUR
        raise CodeRequestRefused("number", _seconds(again - now))
    from_address = _asked_since(session, PhoneVerification.requester == asker, now - HOUR)
    if len(from_address) >= CODES_PER_ADDRESS_PER_HOUR:
        again = from_address[-CODES_PER_ADDRESS_PER_HOUR] + HOUR
        raise CodeRequestRefused("address", _seconds(again - now))


def _asked_since(session: Session, which: Any, since: datetime) -> list[datetime]:
    """When each code matching ``which`` was asked for since ``since``, oldest first."""
    return list(
        session.scalars(
            select(PhoneVerification.created_at)
            .where(which, PhoneVerification.created_at > since)
            .order_by(PhoneVerification.created_at, PhoneVerification.id)
        )
    )


def _seconds(wait: timedelta) -> int:
    return max(1, math.ceil(wait.total_seconds()))


def _code_text(
    verification: PhoneVerification, code: str, settings: Settings, now: datetime
) -> OutboundMessage:
    """The code's text: to the number, due now, no patient (nobody there is one yet)."""
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    body = phone_code_text(settings.clinic_name, code, minutes)
    return OutboundMessage(
        patient_id=None,
        kind=MessageKind.PHONE_CODE,
        dedupe_key=f"phone-code:{verification.id}",
        to_phone=verification.phone_e164,
        body=body,
        segments=segment_count(body),
        due_at=now,
        status=MessageStatus.PENDING,
        created_at=now,
        updated_at=now,
    )


def resend_code(
    session: Session, verification_id: int, requester: str, settings: Settings, now: datetime
) -> CodeSent:
    """A new code to the number of code ``verification_id``; the booking waiting for the old
    code now waits for the new one.

    :raise NotFound: if there is no such code.
    :raise CodeRequestRefused: as ``request_code``; nothing is written.
    """
    old = session.get(PhoneVerification, verification_id)
    if old is None:
        raise NotFound(f"phone verification {verification_id} does not exist")
    sent = request_code(session, old.phone_e164, requester, settings, now, old.payload)
    old.payload = None
    return sent


def pending_booking(session: Session, verification_id: int) -> PhoneVerification | None:
    """The code ``verification_id`` with the booking waiting for it; None if unknown."""
    return session.get(PhoneVerification, verification_id)


def _typed_code(code: str) -> str:
    """The digits typed, spaces and dashes dropped.

    :raise ValidationFailed: if that is not 6 digits (no try is used up).
    """
    digits = re.sub(r"[\s-]", "", code or "")
    if len(digits) != CODE_DIGITS or not digits.isascii() or not digits.isdigit():
        raise ValidationFailed({"code": [CODE_FORMAT]})
    return digits


def check_code(
    session: Session, verification_id: int, code: str, settings: Settings, now: datetime
) -> CodeCheck:
    """Answer the code ``verification_id``: right, it gives a proof of the number, valid 30
    minutes and good for one booking; wrong, it uses up one of the code's 5 tries (a wrong
    answer is written: the caller commits it).

    :raise ValidationFailed: if ``code`` is not 6 digits; no try is used up.
    :raise NotFound: if there is no such code.
    :raise CodeExpired: if its ten minutes have passed.
    :raise CodeSpent: if it was answered already or has no tries left.
    """
    digits = _typed_code(code)
    verification = _answerable(session, verification_id, now)
    _use_a_try(session, verification)
    tries_left = MAX_TRIES - verification.attempts
    if not hmac.compare_digest(verification.code_hash, _keyed(settings, "code", digits)):
        return CodeCheck(right=False, tries_left=tries_left)
    proof = secrets.token_urlsafe(24)
    _mark_verified(session, verification, _proof_hash(proof), now)
    return CodeCheck(True, tries_left, proof, now + PROOF_LIFETIME)


@dataclass(frozen=True)
class AnsweredCode(Generic[T]):
    """A code answered on the way to a booking: the answer, and the booking when it was right."""

    check: CodeCheck
    booked: T | None = None


def book_with_code(
    session: Session,
    verification_id: int,
    code: str,
    book: Callable[[str], T],
    settings: Settings,
    now: datetime,
) -> AnsweredCode[T]:
    """Answer the code and, when it is right, ``book`` with its proof in the same transaction:
    a booking refused (a time just taken) undoes the answer too, so the same code can be given
    again with a corrected booking. A wrong answer uses a try (the caller commits it).

    :raise ValidationFailed, NotFound, CodeExpired, CodeSpent: as ``check_code``.
    :raise: whatever ``book`` raises; nothing is written then.
    """
    check = check_code(session, verification_id, code, settings, now)
    if not check.right:
        return AnsweredCode(check)
    return AnsweredCode(check, book(check.proof))


def _answerable(session: Session, verification_id: int, now: datetime) -> PhoneVerification:
    """:raise NotFound, CodeSpent, CodeExpired: unless the code can still be answered."""
    verification = session.get(PhoneVerification, verification_id)
    if verification is None:
        raise NotFound(f"phone verification {verification_id} does not exist")
    if verification.verified_at is not None:
        raise CodeSpent(answered=True)
    if verification.attempts >= MAX_TRIES:
        raise CodeSpent(answered=False)
    if verification.expires_at <= now:
        raise CodeExpired("the code has expired")
    return verification


def _use_a_try(session: Session, verification: PhoneVerification) -> None:
    """Count one try, atomically: answers sent side by side never get more than 5 tries.

    :raise CodeSpent: if another answer took the last try or answered it first.
    """
    result = session.execute(
        update(PhoneVerification)
        .where(
            PhoneVerification.id == verification.id,
            PhoneVerification.attempts < MAX_TRIES,
            PhoneVerification.verified_at.is_(None),
        )
        .values(attempts=PhoneVerification.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise CodeSpent(answered=False)
    session.refresh(verification)


def _mark_verified(
    session: Session, verification: PhoneVerification, proof_hash: str, now: datetime
) -> None:
    """Record the right answer and the proof's hash.

    :raise CodeSpent: if a concurrent right answer was recorded first (one proof per code).
    """
    result = session.execute(
        update(PhoneVerification)
        .where(PhoneVerification.id == verification.id, PhoneVerification.verified_at.is_(None))
        .values(verified_at=now, proof_hash=proof_hash, proof_expires_at=now + PROOF_LIFETIME)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise CodeSpent(answered=True)
    session.refresh(verification)


def redeem_proof(session: Session, proof: str, phone: str, now: datetime) -> None:
    """Spend ``proof`` on a booking for ``phone`` (E.164): once only, within its 30 minutes;
    the booking that waited for the code is cleared from it.

    :raise ValidationFailed: on ``phone_proof`` if the proof is unknown, expired, used, or
        for another number; nothing is written.
    """
    if _could_be_proof(proof):
        # Spent in one statement when it is good (the usual case); looked at only when not.
        spent = session.execute(
            update(PhoneVerification)
            .where(
                PhoneVerification.proof_hash == _proof_hash(proof),
                PhoneVerification.phone_e164 == phone,
                PhoneVerification.used_at.is_(None),
                PhoneVerification.proof_expires_at > now,
            )
            .values(used_at=now, payload=None)
            .returning(PhoneVerification.id)
            .execution_options(synchronize_session=False)
        ).first()
        if spent is not None:
            return
    found = _live_proof(session, proof, now)
    if found is not None and found.phone_e164 != phone:
        raise ValidationFailed({"phone_proof": [PROOF_OTHER_NUMBER]})
    # Unknown, expired, used, or spent by a concurrent booking a moment ago.
    raise ValidationFailed({"phone_proof": [PROOF_NOT_VALID]})


def _could_be_proof(proof: str) -> bool:
    """Whether ``proof`` is worth looking up: not empty, and no longer than a proof is."""
    return bool(proof) and len(proof) <= 64


def _live_proof(session: Session, proof: str, now: datetime) -> PhoneVerification | None:
    """The code ``proof`` came from, if the proof is unused and within its lifetime."""
    if not _could_be_proof(proof):
        return None
    found = session.scalars(
        select(PhoneVerification).where(PhoneVerification.proof_hash == _proof_hash(proof))
    ).first()
    if found is None or found.used_at is not None:
        return None
    if found.proof_expires_at is None or found.proof_expires_at <= now:
        return None
    return found


def proven_owner(session: Session, phone: str) -> Patient | None:
    """The patient who proved ``phone`` (E.164), if one has: a proven number has one owner."""
    return session.scalars(
        select(Patient).where(Patient.phone_e164 == phone, Patient.phone_verified_at.is_not(None))
    ).first()


@dataclass(frozen=True)
class Purged:
    """What a purge forgot: waiting bookings cleared, and old codes deleted."""

    cleared: int
    deleted: int


def purge_stale(session: Session, now: datetime) -> Purged:
    """Forget what waits for codes nobody answered: the waiting booking (a patient's details
    and screen answers) an hour after its code expired, and every code row two days old.
    Idempotent; run by the workers every hour."""
    cleared = session.execute(
        update(PhoneVerification)
        .where(
            PhoneVerification.payload.is_not(None),
            PhoneVerification.created_at < now - PAYLOAD_KEPT,
        )
        .values(payload=None)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    deleted = session.execute(
        delete(PhoneVerification)
        .where(PhoneVerification.created_at < now - ROWS_KEPT)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    return Purged(cleared or 0, deleted or 0)
