"""What patients send us, kept raw, and the alerts it raises for staff."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.models.base import Base, UTCDateTime


class InboundMessage(Base):
    """One SMS received, always stored, even when not understood."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_phone: Mapped[str] = mapped_column(String(32), index=True)
    to_phone: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id"), nullable=True, index=True
    )
    understood_as: Mapped[str] = mapped_column(String(30))
    reply: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StaffAlert(Base):
    """Something a person at the clinic must look at (an emergency word, a content block...).

    A safety alert is a task: someone closes it with an outcome and a note (``resolved_at`` is
    when), and one left open too long is escalated."""

    __tablename__ = "staff_alerts"
    # The work queue: open alerts of a kind, oldest first.
    __table_args__ = (Index("ix_staff_alerts_open", "resolved_at", "kind", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id"), nullable=True, index=True
    )
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"), nullable=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbound_messages.id"), nullable=True
    )
    detail: Mapped[str] = mapped_column(String(300))
    # At most one open alert per key (e.g. one safety stop per phone per day).
    dedupe_key: Mapped[str | None] = mapped_column(String(120), nullable=True, unique=True)
    # Whether the phone behind the alert was proven with a code (None: no phone involved).
    phone_proven: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The safety screen whose answers raised (or last raised) the alert.
    screen_id: Mapped[int | None] = mapped_column(ForeignKey("safety_screens.id"), nullable=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(30), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
