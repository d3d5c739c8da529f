"""The outbox: every text or email the system sends is a row with a due time, a key and a state."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.models.base import Base, UTCDateTime, str_enum
from scheduler.models.patients import Patient


class MessageKind(enum.StrEnum):
    CONFIRMATION = "confirmation"
    REMINDER_48H = "reminder_48h"
    REMINDER_2H = "reminder_2h"
    RESCHEDULED = "rescheduled"
    WAITLIST_OFFER = "waitlist_offer"
    AFTERCARE = "aftercare"
    MAINTENANCE_DUE = "maintenance_due"
    DIARY_PROMPT = "diary_prompt"
    QUESTIONNAIRE = "questionnaire"
    REPLY = "reply"
    PHONE_CODE = "phone_code"
    NEW_LINK = "new_link"
    CANCELLATION = "cancellation"  # by email only: the invite that takes a visit off a calendar


class Channel(enum.StrEnum):
    """How a message reaches the patient."""

    SMS = "sms"
    EMAIL = "email"


class MessageStatus(enum.StrEnum):
    """pending -> queued (claimed, task enqueued) -> sending (provider called) -> sent.

    ``queued`` and ``sending`` are told apart so that a lost task (``queued`` too long) can be
    handed out again safely, while a send whose outcome is unknown (``sending``) is never
    repeated without asking the provider first.
    """

    PENDING = "pending"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


class OutboundMessage(Base):
    """One text or one email to one patient, unique by ``dedupe_key`` so no plan can write it
    twice. A text has a phone; an email an address and a subject (checked by the database)."""

    __tablename__ = "outbound_messages"
    __table_args__ = (
        CheckConstraint(
            "(channel = 'sms' AND to_phone IS NOT NULL) OR "
            "(channel = 'email' AND to_email IS NOT NULL AND subject IS NOT NULL)",
            name="destination",
        ),
        # The dispatcher's claim reads only this index: due pending rows, oldest first.
        Index(
            "ix_outbound_messages_due_pending",
            "due_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        # Whether a number was ever texted, and since when (the ceiling on new numbers).
        Index("ix_outbound_messages_to_phone_sent_at", "to_phone", "sent_at"),
        Index("ix_outbound_messages_sent_at", "sent_at"),
        Index(
            "ix_outbound_messages_claimed",
            "claimed_at",
            postgresql_where=text("status IN ('queued', 'sending')"),
            sqlite_where=text("status IN ('queued', 'sending')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a phone code: it goes to a number before anyone there is a patient.
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id"), nullable=True, index=True
    )
    # The patient's message this one answers (replies go at once, even in quiet hours).
    in_reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id"), nullable=True
    )
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id"), nullable=True, index=True
    )
    kind: Mapped[MessageKind] = mapped_column(str_enum(MessageKind))
    channel: Mapped[Channel] = mapped_column(
        str_enum(Channel), default=Channel.SMS, server_default=Channel.SMS.value
    )
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    to_phone: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    subject: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The text body (a text's words, or an email's plain-text part), and an email's HTML part
    # and calendar invite (iCalendar, METHOD:REQUEST or CANCEL).
    body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    invite: Mapped[str | None] = mapped_column(Text, nullable=True)
    # For an email sent because a text could never be delivered: that text.
    fallback_for_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbound_messages.id"), nullable=True
    )
    segments: Mapped[int] = mapped_column(default=1)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The visit start this message was written for (a moved visit makes it stale), or for a
    # diary prompt the start of the day it asks about.
    planned_for: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[MessageStatus] = mapped_column(str_enum(MessageStatus))
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    provider_sid: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    provider_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    error_message: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    patient: Mapped[Patient | None] = relationship()
