"""Personal manage links: short unguessable tokens, stored only as hashes, scoped to one patient."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.models import ACTIVE_STATUSES, Appointment, ClinicRules, ManageToken, Patient

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
    """Revoke every live link of the patient's (a lost phone, a shared link); returns how many.

    A new link can then be issued and texted with ``issue_link_token``.
    """
    live = session.scalars(
        select(ManageToken).where(
            ManageToken.patient_id == patient.id, ManageToken.revoked_at.is_(None)
        )
    ).all()
    for token in live:
        token.revoked_at = now
    return len(live)
