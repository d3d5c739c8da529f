"""Patients, the ledger of their SMS and email consents, and their personal manage links."""

from __future__ import annotations

import enum
from datetime import datetime, time

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, Time, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.models.base import Base, UTCDateTime, str_enum


class ConsentKind(enum.StrEnum):
    REMINDERS = "reminders"
    DIARY_PROMPTS = "diary_prompts"
    # Confirmations and reminders by email, to the address on the record.
    EMAIL = "email"


class Patient(Base):
    """Someone who books; reached by SMS on an E.164 mobile number."""

    __tablename__ = "patients"
    __table_args__ = (
        # A proven number belongs to one patient: their replies route to them alone.
        Index(
            "uq_patients_proven_phone",
            "phone_e164",
            unique=True,
            postgresql_where=text("phone_verified_at IS NOT NULL"),
            sqlite_where=text("phone_verified_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    phone_e164: Mapped[str] = mapped_column(String(16), index=True)
    # An optional address for confirmations by email (scheduler/patients/email_address.py).
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    # When this patient proved the number with a texted code (staff-entered numbers count).
    phone_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    sms_opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the diary prompt goes out (local), and how often: daily, weekly or off.
    diary_prompt_time: Mapped[time] = mapped_column(Time, default=time(19, 0))
    diary_frequency: Mapped[str] = mapped_column(String(10), default="daily")
    # The number failed permanently (invalid, landline...): staff must correct it.
    phone_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Warnings for the practitioner from the latest safety screen (pregnancy, anticoagulants,
    # implanted_device, fainting); never shown to the front desk.
    safety_flags: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    consents: Mapped[list[Consent]] = relationship(
        back_populates="patient", order_by="Consent.recorded_at, Consent.id"
    )

    def consents_to(self, kind: ConsentKind) -> bool:
        """The latest recorded answer for ``kind``; no answer means no consent."""
        answers = [c for c in self.consents if c.kind == kind]
        return bool(answers) and answers[-1].granted


class Consent(Base):
    """One recorded answer to one consent question: what, when, how, and the exact wording."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[ConsentKind] = mapped_column(str_enum(ConsentKind))
    granted: Mapped[bool] = mapped_column(Boolean)
    wording: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(20))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    patient: Mapped[Patient] = relationship(back_populates="consents")


class ManageToken(Base):
    """A personal link's secret, kept only as a hash; scoped to one patient, revocable."""

    __tablename__ = "manage_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    patient: Mapped[Patient] = relationship()
