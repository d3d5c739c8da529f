"""The clinic's own records about its work: the audit trail, notes, feeds and wording."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.models.base import Base, UTCDateTime


class AuditEvent(Base):
    """Who (staff, patient or system) changed which appointment, course or patient, and how."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity", "entity_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_kind: Mapped[str] = mapped_column(String(10))  # staff, patient, system
    actor_id: Mapped[int | None] = mapped_column(nullable=True)
    actor_label: Mapped[str] = mapped_column(String(120))
    entity: Mapped[str] = mapped_column(String(20))  # appointment, course, patient
    entity_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(20))  # created, changed
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)  # field -> [old, new]
    via: Mapped[str] = mapped_column(String(60), default="")  # the page, API call or task


class PatientNote(Base):
    """A staff member's note on a patient's record."""

    __tablename__ = "patient_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CalendarFeed(Base):
    """A practitioner's private ICS feed; the token is kept only as a hash and is revocable."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MessageTemplate(Base):
    """The clinic's own wording for one kind of SMS, replacing the built-in text."""

    __tablename__ = "message_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), unique=True)
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)
