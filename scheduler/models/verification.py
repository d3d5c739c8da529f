"""Proving a phone: one-time codes texted to a number, kept only as hashes, and their proofs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.models.base import Base, UTCDateTime


class PhoneVerification(Base):
    """A code sent to a number, and once it is answered, the proof a booking presents.

    The code and the proof are stored as hashes only; ``requester`` is a keyed hash of the
    address that asked (for per-address limits), never the address itself. ``payload`` holds
    what the booker is waiting to book until the code is answered, and is cleared after.
    """

    __tablename__ = "phone_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_e164: Mapped[str] = mapped_column(String(16), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    requester: Mapped[str] = mapped_column(String(64), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    proof_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    proof_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)


class EmergencyPhrase(Base):
    """A phrase staff added to the emergency detector's built-in list (DOMAIN.md section 7)."""

    __tablename__ = "emergency_phrases"

    id: Mapped[int] = mapped_column(primary_key=True)
    phrase: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(120), default="")
