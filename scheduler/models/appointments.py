"""Appointments: one visit of one patient with one practitioner, in a room, at a UTC time."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.models.base import Base, UTCDateTime, str_enum
from scheduler.models.clinic import Practitioner, Room, Service
from scheduler.models.courses import Course
from scheduler.models.patients import Patient


class AppointmentStatus(enum.StrEnum):
    PROPOSED = "proposed"
    PENDING_REVIEW = "pending_review"
    BOOKED = "booked"
    CONFIRMED = "confirmed"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    CANCELLED_LATE = "cancelled_late"
    NO_SHOW = "no_show"


# Statuses that hold the practitioner's and the room's time.
ACTIVE_STATUSES = (
    AppointmentStatus.PROPOSED,
    AppointmentStatus.PENDING_REVIEW,
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.COMPLETED,
)
ACTIVE_STATUS_SQL = ", ".join(f"'{s.value}'" for s in ACTIVE_STATUSES)


class Appointment(Base):
    """A visit. ``blocked_until`` is the end plus the service's buffer: the time it holds."""

    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="order"),
        CheckConstraint("ends_at <= blocked_until", name="buffer"),
        Index("ix_appointments_practitioner_time", "practitioner_id", "starts_at"),
        Index("ix_appointments_room_time", "room_id", "starts_at"),
        Index("ix_appointments_starts_at", "starts_at"),
        # One active visit per numbered place in a course: re-planning twice cannot add two.
        Index(
            "uq_appointments_course_visit",
            "course_id",
            "visit_number",
            unique=True,
            postgresql_where=text(f"status IN ({ACTIVE_STATUS_SQL}) AND course_id IS NOT NULL"),
            sqlite_where=text(f"status IN ({ACTIVE_STATUS_SQL}) AND course_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), nullable=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[AppointmentStatus] = mapped_column(str_enum(AppointmentStatus))
    booked_via: Mapped[str] = mapped_column(String(20), default="web")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Raised on every move and on cancelling: a calendar invite's SEQUENCE, so the patient's
    # calendar app takes the latest invite for the visit's UID over the ones before.
    revision: Mapped[int] = mapped_column(default=0, server_default="0")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), nullable=True)
    phase_position: Mapped[int | None] = mapped_column(nullable=True)
    visit_number: Mapped[int | None] = mapped_column(nullable=True)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), nullable=True)
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    planning_note: Mapped[str] = mapped_column(String(300), default="")

    patient: Mapped[Patient] = relationship()
    practitioner: Mapped[Practitioner] = relationship()
    service: Mapped[Service] = relationship()
    room: Mapped[Room | None] = relationship()
    course: Mapped[Course | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES
