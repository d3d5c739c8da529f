"""Treatment courses: templates of phases (data, editable), and each patient's course."""

from __future__ import annotations

import enum
from datetime import datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.models.base import Base, UTCDateTime, str_enum
from scheduler.models.clinic import Practitioner, Service
from scheduler.models.patients import Patient


class Cadence(enum.StrEnum):
    ONCE = "once"  # one visit (the initial consultation)
    WEEKLY = "weekly"  # visits_per_week visits in each of `weeks` weeks
    MAINTENANCE = "maintenance"  # one visit every 4-8 weeks until stopped


class CourseStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    STOPPED = "stopped"


class CourseTemplate(Base):
    """A protocol: an ordered list of phases (DOMAIN.md section 3)."""

    __tablename__ = "course_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    phases: Mapped[list[TemplatePhase]] = relationship(
        back_populates="template", order_by="TemplatePhase.position", cascade="all, delete-orphan"
    )


class TemplatePhase(Base):
    """One phase: a service, a cadence and a count; optionally a service straight after."""

    __tablename__ = "template_phases"
    __table_args__ = (
        UniqueConstraint("template_id", "position"),
        CheckConstraint("visits_per_week BETWEEN 1 AND 3", name="per_week"),
        CheckConstraint("weeks BETWEEN 1 AND 26", name="weeks"),
        CheckConstraint("min_gap_days BETWEEN 0 AND 14", name="gap"),
        CheckConstraint(
            "interval_min_weeks <= interval_default_weeks "
            "AND interval_default_weeks <= interval_max_weeks",
            name="interval",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("course_templates.id", ondelete="CASCADE"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(80))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    cadence: Mapped[Cadence] = mapped_column(str_enum(Cadence))
    visits_per_week: Mapped[int] = mapped_column(default=1)
    weeks: Mapped[int] = mapped_column(default=1)
    min_gap_days: Mapped[int] = mapped_column(default=2)
    interval_min_weeks: Mapped[int] = mapped_column(default=4)
    interval_default_weeks: Mapped[int] = mapped_column(default=6)
    interval_max_weeks: Mapped[int] = mapped_column(default=8)
    then_service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"), nullable=True)
    aftercare: Mapped[bool] = mapped_column(Boolean, default=False)

    template: Mapped[CourseTemplate] = relationship(back_populates="phases")
    service: Mapped[Service] = relationship(foreign_keys=[service_id])
    then_service: Mapped[Service | None] = relationship(foreign_keys=[then_service_id])


class Course(Base):
    """A patient's course: the template, their preferences, and where it stands."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("course_templates.id"))
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"))
    status: Mapped[CourseStatus] = mapped_column(str_enum(CourseStatus))
    preferred_weekdays: Mapped[str] = mapped_column(String(20))  # "0,3": Monday and Thursday
    preferred_time: Mapped[time] = mapped_column(Time)
    maintenance_interval_weeks: Mapped[int | None] = mapped_column(nullable=True)  # staff override
    # Visits the planner could not place: [{"visit_number", "phase_position", "service_id",
    # "wanted_at", "note"}], for staff to arrange; re-planning tries them again.
    unplaced: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A keyed hash of the address that asked for the course online (for the cap on held visits).
    requested_from: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)

    patient: Mapped[Patient] = relationship()
    template: Mapped[CourseTemplate] = relationship()
    practitioner: Mapped[Practitioner] = relationship()

    @property
    def weekdays(self) -> list[int]:
        return [int(d) for d in self.preferred_weekdays.split(",") if d.strip().isdigit()]
