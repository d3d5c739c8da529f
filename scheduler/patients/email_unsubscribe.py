"""One-click unsubscribe from emails (RFC 8058): a signed token for a patient's address, and
withdrawing their email consent with it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from scheduler.config import Settings
from scheduler.errors import NotFound
from scheduler.models import ConsentKind, Patient
from scheduler.patients.consents import record_consent_answers
from scheduler.redaction import keyed_hash

SALT = "email-unsubscribe"
PATH = "/email/unsubscribe/"
# How a withdrawal came, in the consent ledger: the page's button, or a mail client's POST.
CHANNEL_PAGE = "email-page"
CHANNEL_ONE_CLICK = "email-one-click"
REFUSED = "This link to stop emails is not valid: the address may have changed since it was sent."


class UnsubscribeRefused(NotFound):
    """The token is forged, damaged, or for an address the patient no longer has."""


class Outcome(enum.StrEnum):
    WITHDRAWN = "withdrawn"  # the email consent was withdrawn now
    ALREADY = "already"  # no email consent stood: nothing was recorded


@dataclass(frozen=True)
class Unsubscribed:
    patient_id: int
    outcome: Outcome


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)


def _address_tag(secret_key: str, patient_id: int, email: str) -> str:
    """A keyed hash of the address (the token names no address), bound to the patient."""
    return keyed_hash(secret_key, SALT, f"{patient_id}:{email}")[:32]


def unsubscribe_token(secret_key: str, patient_id: int, email: str) -> str:
    """A token that stops emails to ``email`` for this patient. It never expires (a link in
    an old email must still work), and a changed address makes it invalid."""
    return str(
        _serializer(secret_key).dumps([patient_id, _address_tag(secret_key, patient_id, email)])
    )


def unsubscribe_url(settings: Settings, patient: Patient) -> str:
    """The unsubscribe link for the patient's current address (the page, and RFC 8058's
    ``List-Unsubscribe`` target).

    :raise ValueError: if the patient has no email address.
    """
    if patient.email is None:
        raise ValueError("the patient has no email address")
    token = unsubscribe_token(settings.secret_key, patient.id, patient.email)
    return f"{settings.public_base_url}{PATH}{token}"


def patient_for_unsubscribe(
    session: Session, token: str, *, secret_key: str, lock: bool = False
) -> Patient:
    """The patient whose current address ``token`` was made for (``lock``: their row locked
    for this transaction, so withdrawals side by side record one answer).

    :raise UnsubscribeRefused: if the token is not valid, or no longer matches the address.
    """
    try:
        payload = _serializer(secret_key).loads(token)
    except BadSignature as exc:
        raise UnsubscribeRefused(REFUSED) from exc
    if not (
        isinstance(payload, list)
        and len(payload) == 2
        and isinstance(payload[0], int)
        and isinstance(payload[1], str)
    ):
        raise UnsubscribeRefused(REFUSED)
    patient_id, tag = payload
    patient = session.get(Patient, patient_id, with_for_update=lock or None)
    if patient is None or patient.email is None:
        raise UnsubscribeRefused(REFUSED)
    if tag != _address_tag(secret_key, patient.id, patient.email):
        raise UnsubscribeRefused(REFUSED)
    return patient


def unsubscribe(
    session: Session, token: str, now: datetime, channel: str, *, secret_key: str
) -> Unsubscribed:
    """Withdraw the patient's email consent: a ``granted=False`` answer in the ledger, unless
    none stands already (then nothing is recorded). Texts are not affected.

    :raise UnsubscribeRefused: if the token is not valid; nothing is written.
    """
    patient = patient_for_unsubscribe(session, token, secret_key=secret_key, lock=True)
    recorded = record_consent_answers(
        session, patient, {ConsentKind.EMAIL: False}, channel=channel, now=now
    )
    return Unsubscribed(patient.id, Outcome.WITHDRAWN if recorded else Outcome.ALREADY)
