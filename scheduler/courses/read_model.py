"""A course as the patient sees it: every numbered visit, booked, proposed, moved or unplaced."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scheduler.courses.phase_wording import describe_phase
from scheduler.models import ACTIVE_STATUSES, Appointment, Course, Patient, TemplatePhase


@dataclass(frozen=True)
class CourseVisit:
    visit_number: int
    phase: str  # the clinic's name for the phase, as staff know it
    phase_words: str  # the same in plain words for the patient: "Twice a week for 4 weeks"
    service: str
    status: str
    appointment_id: int | None
    start: datetime | None
    practitioner_id: int | None
    wanted: datetime | None
    note: str


@dataclass(frozen=True)
class CourseView:
    course: Course
    visits: list[CourseVisit]


def view_course(session: Session, course: Course) -> CourseView:
    """The course's active visits and its unplaced ones, in visit order."""
    phases = {p.position: p for p in course.template.phases}
    appointments = session.scalars(
        select(Appointment)
        .where(Appointment.course_id == course.id, Appointment.status.in_(ACTIVE_STATUSES))
        .options(selectinload(Appointment.service))
    )
    visits = [_placed_visit(a, phases) for a in appointments]
    visits += [_unplaced_visit(record, phases) for record in course.unplaced]
    visits.sort(key=lambda v: v.visit_number)
    return CourseView(course, visits)


def _placed_visit(visit: Appointment, phases: dict[int, TemplatePhase]) -> CourseVisit:
    phase = phases.get(visit.phase_position) if visit.phase_position is not None else None
    return CourseVisit(
        visit_number=visit.visit_number or 0,
        phase=phase.name if phase else "",
        phase_words=describe_phase(phase) if phase else "",
        service=visit.service.name,
        status=visit.status.value,
        appointment_id=visit.id,
        start=visit.starts_at,
        practitioner_id=visit.practitioner_id,
        wanted=None,
        note=visit.planning_note,
    )


def _unplaced_visit(record: dict[str, Any], phases: dict[int, TemplatePhase]) -> CourseVisit:
    phase = phases.get(record.get("phase_position", 0))
    wanted = record.get("wanted_at")
    return CourseVisit(
        visit_number=int(record.get("visit_number", 0)),
        phase=phase.name if phase else "",
        phase_words=describe_phase(phase) if phase else "",
        service=phase.service.name if phase else "",
        status="unplaced",
        appointment_id=None,
        start=None,
        practitioner_id=None,
        wanted=datetime.fromisoformat(wanted) if isinstance(wanted, str) else None,
        note=str(record.get("note", "")),
    )


def courses_of(session: Session, patient: Patient) -> list[CourseView]:
    courses = session.scalars(
        select(Course).where(Course.patient_id == patient.id).order_by(Course.created_at)
    )
    return [view_course(session, c) for c in courses]
