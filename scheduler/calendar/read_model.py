"""The staff calendar's read side: the visits of a time range, and what staff may do with each."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, literal, select, union_all
from sqlalchemy.orm import Session

from scheduler.calendar.availability import from_minutes
from scheduler.calendar.calendar_rows import epoch_minutes
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Patient,
    Practitioner,
    Room,
    Service,
)
from scheduler.models.clinic import LONGEST_SERVICE_MIN
from scheduler.visits.attendance import ALLOWED, EARLY_ARRIVAL
from scheduler.visits.cancellation import CANCELLABLE

# No visit is longer than this (the services table's limit): the lower bound keeps the index
# range to the window.
LONGEST_VISIT = timedelta(minutes=LONGEST_SERVICE_MIN)
EARLY_ARRIVAL_MIN = int(EARLY_ARRIVAL.total_seconds() // 60)
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
    """One visit as the calendar shows it: when (in epoch minutes), who, what, where, and its
    status."""

    id: int
    start_min: int
    end_min: int
    status: AppointmentStatus
    patient_id: int
    patient_name: str
    service_name: str
    practitioner_id: int
    practitioner_name: str
    room_id: int | None
    room_name: str | None
    course_id: int | None

    @property
    def starts_at(self) -> datetime:
        return from_minutes(self.start_min)

    @property
    def ends_at(self) -> datetime:
        return from_minutes(self.end_min)


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
    practitioner and room names: two queries, whatever the number of visits.

    Cancelled visits only with ``include_cancelled``; one practitioner's or one room's when
    asked.
    """
    query = _calendar_query(session.get_bind().dialect.name, start, end)
    if practitioner_id is not None:
        query = query.where(Appointment.practitioner_id == practitioner_id)
    if room_id is not None:
        query = query.where(Appointment.room_id == room_id)
    if not include_cancelled:
        query = query.where(Appointment.status.not_in(CANCELLED))
    # Plain rows through the session's connection: nothing here is an ORM object to track.
    connection = session.connection()
    rows = connection.execute(query).all()
    if not rows:
        return []
    # Read after the visits: services, practitioners and rooms are never deleted, so every
    # one a visit names is there.
    names = _Names.read(connection)
    return [
        CalendarVisit(
            id=visit_id,
            start_min=start_min,
            end_min=end_min,
            status=status,
            patient_id=patient,
            patient_name=patient_name,
            service_name=names.services[service],
            practitioner_id=practitioner,
            practitioner_name=names.practitioners[practitioner],
            room_id=room,
            room_name=names.rooms[room] if room is not None else None,
            course_id=course,
        )
        for (
            visit_id,
            start_min,
            end_min,
            status,
            patient,
            patient_name,
            service,
            practitioner,
            room,
            course,
        ) in rows
    ]


def _calendar_query(dialect: str, start: datetime, end: datetime) -> Select[*tuple[Any, ...]]:
    """Every visit overlapping [start, end), by start: its times in whole minutes computed by
    the database, its patient's name joined by it (no datetime objects and no string building
    per row), and the ids of its service, practitioner and room.

    Their names are not joined: the planner can count few visits in a busy future week (the
    bounds on ``starts_at`` and ``ends_at`` look independent to it) and then runs through
    those small tables once a visit, which cost more than the query did.
    """
    return (
        select(
            Appointment.id,
            epoch_minutes(Appointment.starts_at, dialect),
            epoch_minutes(Appointment.ends_at, dialect),
            Appointment.status,
            Appointment.patient_id,
            Patient.first_name + " " + Patient.last_name,
            Appointment.service_id,
            Appointment.practitioner_id,
            Appointment.room_id,
            Appointment.course_id,
        )
        .join(Patient, Patient.id == Appointment.patient_id)
        .where(
            Appointment.starts_at >= start - LONGEST_VISIT,
            Appointment.starts_at < end,
            Appointment.ends_at > start,
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )


@dataclass(frozen=True)
class _Names:
    """Every service's, practitioner's and room's name by id."""

    services: dict[int, str]
    practitioners: dict[int, str]
    rooms: dict[int, str]

    @classmethod
    def read(cls, connection: Connection) -> _Names:
        """All three in one statement."""
        kinds: dict[str, dict[int, str]] = {"service": {}, "practitioner": {}, "room": {}}
        query = union_all(
            *(
                select(literal(kind), model.id, model.name)
                for kind, model in (
                    ("service", Service),
                    ("practitioner", Practitioner),
                    ("room", Room),
                )
            )
        )
        for kind, key, name in connection.execute(query):
            kinds[kind][key] = name
        return cls(kinds["service"], kinds["practitioner"], kinds["room"])


def possible_actions(
    status: AppointmentStatus, start_min: int, now_min: int
) -> tuple[VisitAction, ...]:
    """What the clinic's rules allow for a visit in ``status`` starting at ``start_min``, at
    ``now_min`` (epoch minutes).

    The same rules the use cases enforce (attendance, cancellation, rescheduling, review);
    who may do them is the caller's concern.
    """
    actions: list[VisitAction] = []
    started = now_min >= start_min
    if status in ALLOWED[AppointmentStatus.ARRIVED] and now_min >= start_min - EARLY_ARRIVAL_MIN:
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
