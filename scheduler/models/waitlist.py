"""The waitlist: patients asking for an earlier time, and the offers of freed slots."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.models.appointments import Appointment
from scheduler.models.base import Base, UTCDateTime, str_enum
from scheduler.models.patients import Patient


class WaitlistStatus(enum.StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    FULFILLED = "fulfilled"
    WITHDRAWN = "withdrawn"


class OfferStatus(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    DECLINED = "declined"


class WaitlistEntry(Base):
    """A wish for a time in [earliest, latest) for a service, with anyone or one practitioner."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint("earliest < latest", name="window"),
        Index("ix_waitlist_entries_waiting", "service_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    practitioner_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioners.id"), nullable=True
    )
    # The visit the patient would give up for an earlier one, if any.
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), nullable=True)
    earliest: Mapped[datetime] = mapped_column(UTCDateTime)
    latest: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[WaitlistStatus] = mapped_column(str_enum(WaitlistStatus))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    patient: Mapped[Patient] = relationship()


class WaitlistOffer(Base):
    """A freed slot held for one waiting patient until it expires."""

    __tablename__ = "waitlist_offers"
    __table_args__ = (
        Index(
            "ix_waitlist_offers_open",
            "expires_at",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("waitlist_entries.id"), index=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    status: Mapped[OfferStatus] = mapped_column(str_enum(OfferStatus))
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    entry: Mapped[WaitlistEntry] = relationship()
    appointment: Mapped[Appointment] = relationship()
