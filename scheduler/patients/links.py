"""Personal manage links: short unguessable tokens, stored only as hashes, scoped to one patient."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.config import Settings
from scheduler.messaging.outbox import write_message
from scheduler.messaging.texts import MessageContext, render
from scheduler.models import (
    ACTIVE_STATUSES,
    Appointment,
    ClinicRules,
    ConsentKind,
    ManageToken,
    MessageKind,
    Patient,
)
from scheduler.phones import refusal

TOKEN_BYTES = 16  # 128 bits: 22 URL-safe characters
LINK_LIFETIME = timedelta(days=180)  # at the least; longer while the patient has visits
DEFAULT_GRACE = timedelta(days=90)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link_token(session: Session, patient: Patient, now: datetime) -> str:
    """A new token for ``patient``'s manage link; only its hash is stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        ManageToken(
            patient=patient,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + LINK_LIFETIME,
        )
    )
    return token


def _grace(session: Session) -> timedelta:
    rules = session.scalars(select(ClinicRules)).first()
    return timedelta(days=rules.link_grace_days) if rules is not None else DEFAULT_GRACE


def link_valid_until(session: Session, token: ManageToken) -> datetime:
    """A link lasts its lifetime, and past it until the patient's last visit (the end of their
    course, maintenance included) plus the clinic's grace period."""
    last_visit = session.scalar(
        select(func.max(Appointment.ends_at)).where(
            Appointment.patient_id == token.patient_id,
            Appointment.status.in_(ACTIVE_STATUSES),
        )
    )
    if last_visit is None:
        return token.expires_at
    return max(token.expires_at, last_visit + _grace(session))


def patient_for_token(session: Session, token: str, now: datetime) -> Patient | None:
    """The patient a token belongs to, or None if it is unknown, expired or revoked."""
    if not token or len(token) > 64:
        return None
    found = session.scalars(
        select(ManageToken).where(ManageToken.token_hash == hash_token(token))
    ).first()
    if found is None or found.revoked_at is not None:
        return None
    if found.expires_at <= now and link_valid_until(session, found) <= now:
        return None
    return found.patient


def revoke_links(session: Session, patient: Patient, now: datetime) -> int:
    """Revoke every live link of the patient's; returns how many. ``replace_link`` also texts
    the patient a new one."""
    live = session.scalars(
        select(ManageToken).where(
            ManageToken.patient_id == patient.id, ManageToken.revoked_at.is_(None)
        )
    ).all()
    for token in live:
        token.revoked_at = now
    return len(live)


@dataclass(frozen=True)
class LinkReplaced:
    """What replacing a patient's link did: how many old links stopped working, and whether
    a new one was texted (if not, why not, in words for staff)."""

    revoked: int
    texted: bool
    not_texted_because: str = ""


def replace_link(
    session: Session, patient: Patient, settings: Settings, now: datetime
) -> LinkReplaced:
    """Revoke every live link of the patient's (a lost phone, a shared link) and text them a
    new one, at once, through the outbox. The new link is never returned: only the patient's
    phone gets it, so no one at the clinic can open their page.

    When the patient cannot be texted (opted out, no consent to visit texts, a number that
    failed or is not one the clinic texts), the old links are still revoked, no new link is
    made, and the reason is given.
    """
    revoked = revoke_links(session, patient, now)
    if reason := why_not_textable(patient, settings):
        return LinkReplaced(revoked, False, reason)
    _text_new_link(session, patient, settings, now)
    return LinkReplaced(revoked, True)


def why_not_textable(patient: Patient, settings: Settings) -> str:
    """Why a new link cannot be texted to the patient; empty if it can. A new link is one of
    the visit texts the patient agreed to ("a link to manage them"), so it needs that consent,
    as their confirmation did; an opt-out always wins."""
    if patient.sms_opted_out_at is not None:
        return "the patient has opted out of texts"
    if not patient.consents_to(ConsentKind.REMINDERS):
        return "the patient has not agreed to texts about their visits"
    if patient.phone_flagged_at is not None:
        return "texts to the patient's number have failed; correct it first"
    if refusal(patient.phone_e164, settings.sms_regions):
        return "the patient's number is not one the clinic can text"
    return ""


def _text_new_link(session: Session, patient: Patient, settings: Settings, now: datetime) -> None:
    """A fresh link, written into a text to the patient that goes at once."""
    token = issue_link_token(session, patient, now)
    context = MessageContext(
        first_name=patient.first_name,
        local_start=now.astimezone(settings.zone),
        clinic_name=settings.clinic_name,
        clinic_phone=settings.clinic_phone,
        manage_url=settings.manage_url(token),
    )
    key = f"new_link:{patient.id}:{hash_token(token)[:32]}"
    body = render(MessageKind.NEW_LINK, context)
    write_message(session, patient, MessageKind.NEW_LINK, key, body, now, now)
