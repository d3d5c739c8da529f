"""Changing visits from the staff console: each change runs the same use case as the patient's
pages and texts do, checks the staff member's role, and names the same follow-up tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import abort
from sqlalchemy.orm import Session

from scheduler.calendar.read_model import VisitAction
from scheduler.errors import NotFound, SlotUnavailable
from scheduler.models import Appointment, AppointmentStatus, Role, StaffUser
from scheduler.visits.attendance import record_attendance
from scheduler.visits.cancellation import cancel_visit
from scheduler.visits.rescheduling import reschedule_visit
from scheduler.visits.review import confirm_review
from web.context import clock, db, settings
from web.enqueue import enqueue
from web.staff.calendar.events import may_act_on

OUTCOMES = {
    VisitAction.ARRIVED: AppointmentStatus.ARRIVED,
    VisitAction.COMPLETED: AppointmentStatus.COMPLETED,
    VisitAction.NO_SHOW: AppointmentStatus.NO_SHOW,
}
DONE = {
    VisitAction.ARRIVED: "{name} has arrived.",
    VisitAction.COMPLETED: "{name}'s visit is completed.",
    VisitAction.NO_SHOW: "{name} is marked as a no-show.",
    VisitAction.CANCEL: "{name}'s visit is cancelled; its texts will not be sent.",
    VisitAction.CONFIRM_REVIEW: "{name}'s booking is confirmed; the patient is texted.",
}
FollowUps = list[tuple[str, tuple[Any, ...]]]


@dataclass(frozen=True)
class Moved:
    visit_id: int
    patient_name: str
    starts_at: datetime
    practitioner_name: str


def move_as(
    user: StaffUser,
    appointment_id: int,
    start: datetime,
    practitioner_id: int | None,
    room_id: int | None,
) -> Moved:
    """Move a visit with the rescheduling use case (the patient is texted as usual), then offer
    the freed time to the waitlist.

    :raise 403: if a practitioner moves another's visit or gives it to someone else.
    :raise NotFound, NotMovable, ValidationFailed, SlotUnavailable: as ``reschedule_visit``.
    """
    if user.role == Role.PRACTITIONER and practitioner_id not in (None, user.practitioner_id):
        abort(403, "You can move your own visits only, and keep them.")

    def work(session: Session) -> tuple[Moved, tuple[int, datetime]]:
        visit = session.get(Appointment, appointment_id)
        if visit is None:
            raise NotFound(f"appointment {appointment_id} does not exist")
        if not may_act_on(user, visit.practitioner_id):
            abort(403, "You can move your own visits only.")
        move = reschedule_visit(
            session,
            appointment_id,
            start,
            settings=settings(),
            now=clock().now(),
            practitioner_id=practitioner_id,
            room_id=room_id,
            by_staff=True,
        )
        patient = move.visit.patient
        moved = Moved(
            move.visit.id,
            f"{patient.first_name} {patient.last_name}",
            move.visit.starts_at,
            move.visit.practitioner.name,
        )
        return moved, move.freed

    moved, freed = db().retrying(work)
    enqueue("clinic.offer_freed_time", freed[0], freed[1].isoformat())
    return moved


def conflict_message(exc: SlotUnavailable) -> str:
    return f"That time is taken: {exc}. Choose another time."


def moved_message(moved: Moved) -> str:
    when = moved.starts_at.astimezone(settings().zone)
    return (
        f"{moved.patient_name} is moved to {when:%a %-d %b %H:%M} with "
        f"{moved.practitioner_name}. The patient is texted the new time."
    )


def apply_action(
    session: Session, user: StaffUser, appointment_id: int, action: VisitAction
) -> tuple[str, FollowUps]:
    """Run the use case for ``action`` and name the follow-up tasks the workers must run, as
    the patient's own pages and the texts do for the same events."""
    visit = session.get(Appointment, appointment_id)
    if visit is None:
        raise NotFound(f"appointment {appointment_id} does not exist")
    if not may_act_on(user, visit.practitioner_id):
        abort(403, "You can change your own visits only.")
    name = f"{visit.patient.first_name} {visit.patient.last_name}"
    now = clock().now()
    course = visit.course_id is not None
    follow_ups: FollowUps = []
    if action in OUTCOMES:
        record_attendance(session, appointment_id, OUTCOMES[action], now, settings())
        if course and action == VisitAction.COMPLETED:
            follow_ups.append(("clinic.after_visit_completed", (appointment_id,)))
        if course and action == VisitAction.NO_SHOW:
            follow_ups.append(("clinic.after_visit_missed", (appointment_id,)))
    elif action == VisitAction.CANCEL:
        cancel_visit(session, appointment_id, now)
        if course:
            follow_ups.append(("clinic.after_visit_missed", (appointment_id,)))
        follow_ups.append(
            ("clinic.offer_freed_time", (visit.practitioner_id, visit.starts_at.isoformat()))
        )
    else:
        confirm_review(session, appointment_id, settings=settings(), now=now)
    return name, follow_ups
