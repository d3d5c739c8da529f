"""Personal manage links: short unguessable tokens, stored only as hashes, scoped to one patient."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import ManageToken, Patient

TOKEN_BYTES = 16  # 128 bits: 22 URL-safe characters
LINK_LIFETIME = timedelta(days=180)


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


def patient_for_token(session: Session, token: str, now: datetime) -> Patient | None:
    """The patient a token belongs to, or None if it is unknown, expired or revoked."""
    if not token or len(token) > 64:
        return None
    found = session.scalars(
        select(ManageToken).where(ManageToken.token_hash == hash_token(token))
    ).first()
    if found is None or found.revoked_at is not None or found.expires_at <= now:
        return None
    return found.patient
