"""The staff calendar's read side: the visits of a time range, and what staff may do with each."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.attendance import ALLOWED, EARLY_ARRIVAL
from scheduler.cancellation import CANCELLABLE
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Patient,
    Practitioner,
    Room,
    Service,
)

# No visit is longer than this: the lower bound keeps the index range to the window.
LONGEST_VISIT = timedelta(hours=8)
CANCELLED = (AppointmentStatus.CANCELLED, AppointmentStatus.CANCELLED_LATE)


class VisitAction(enum.StrEnum):
    """What staff can do to a visit from the calendar (the value is the URL segment)."""

    ARRIVED = "arrived"
    COMPLETED = "completed"
    NO_SHOW = "no-show"
    CANCEL = "cancel"
    CONFIRM_REVIEW = "confirm-review"
    MOVE = "move"


@dataclass(frozen=True, slots=True)
class CalendarVisit:
    """One visit as the calendar shows it: when, who, what, where, and its status."""

    id: int
    starts_at: datetime
    ends_at: datetime
    status: AppointmentStatus
    patient_id: int
    patient_name: str
    service_name: str
    practitioner_id: int
    practitioner_name: str
    room_id: int | None
    room_name: str | None
    course_id: int | None


def visits_between(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    practitioner_id: int | None = None,
    room_id: int | None = None,
    include_cancelled: bool = False,
) -> list[CalendarVisit]:
    """Visits overlapping [start, end), ordered by start, with their patient, service,
    practitioner and room names: one query, whatever the number of visits.

    Cancelled visits only with ``include_cancelled``; one practitioner's or one room's when
    asked.
    """
    query = (
        select(
            Appointment.id,
            Appointment.starts_at,
            Appointment.ends_at,
            Appointment.status,
            Appointment.patient_id,
            Patient.first_name,
            Patient.last_name,
            Service.name,
            Appointment.practitioner_id,
            Practitioner.name,
            Appointment.room_id,
            Room.name,
            Appointment.course_id,
        )
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(Service, Service.id == Appointment.service_id)
        .join(Practitioner, Practitioner.id == Appointment.practitioner_id)
        .outerjoin(Room, Room.id == Appointment.room_id)
        .where(
            Appointment.starts_at >= start - LONGEST_VISIT,
            Appointment.starts_at < end,
            Appointment.ends_at > start,
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    if practitioner_id is not None:
        query = query.where(Appointment.practitioner_id == practitioner_id)
    if room_id is not None:
        query = query.where(Appointment.room_id == room_id)
    if not include_cancelled:
        query = query.where(Appointment.status.not_in(CANCELLED))
    return [
        CalendarVisit(
            id=row[0],
            starts_at=row[1],
            ends_at=row[2],
            status=row[3],
            patient_id=row[4],
            patient_name=f"{row[5]} {row[6]}",
            service_name=row[7],
            practitioner_id=row[8],
            practitioner_name=row[9],
            room_id=row[10],
            room_name=row[11],
            course_id=row[12],
        )
        for row in session.execute(query)
    ]


def possible_actions(
    status: AppointmentStatus, starts_at: datetime, now: datetime
) -> tuple[VisitAction, ...]:
    """What the clinic's rules allow for a visit in ``status`` starting at ``starts_at``, now.

    The same rules the use cases enforce (attendance, cancellation, rescheduling, review);
    who may do them is the caller's concern.
    """
    actions: list[VisitAction] = []
    started = now >= starts_at
    if status in ALLOWED[AppointmentStatus.ARRIVED] and now >= starts_at - EARLY_ARRIVAL:
        actions.append(VisitAction.ARRIVED)
    if status in ALLOWED[AppointmentStatus.COMPLETED] and started:
        actions.append(VisitAction.COMPLETED)
    if status in ALLOWED[AppointmentStatus.NO_SHOW] and started:
        actions.append(VisitAction.NO_SHOW)
    if status == AppointmentStatus.PENDING_REVIEW:
        actions.append(VisitAction.CONFIRM_REVIEW)
    if status in CANCELLABLE and not started:
        actions += [VisitAction.MOVE, VisitAction.CANCEL]
    return tuple(actions)
