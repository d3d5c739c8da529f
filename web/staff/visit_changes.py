"""Changing visits from the staff console: each change runs the same use case as the patient's
pages and texts do, asks the permission policy, and passes on the follow-ups it returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy.orm import Session

from scheduler.calendar.read_model import VisitAction
from scheduler.errors import NotFound, SlotUnavailable
from scheduler.follow_ups import FollowUp
from scheduler.models import Appointment, AppointmentStatus, StaffUser
from scheduler.staff.permissions import Permissions
from scheduler.visits.attendance import record_attendance
from scheduler.visits.cancellation import cancel_visit
from scheduler.visits.rescheduling import Move, reschedule_visit
from scheduler.visits.review import confirm_review
from web.context import clock, db, settings
from web.enqueue import enqueue_follow_ups

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

TEXTED = {True: "The patient is texted the new time.", False: "No text goes to the patient."}


@dataclass(frozen=True)
class Moved:
    visit_id: int
    patient_name: str
    starts_at: datetime
    practitioner_name: str
    warnings: tuple[str, ...] = ()
    texted: bool = True  # whether a "moved" text to the patient is planned and would go


def move_as(
    user: StaffUser,
    appointment_id: int,
    start: datetime,
    practitioner_id: int | None,
    room_id: int | None,
) -> Moved:
    """Move a visit with the rescheduling use case (the patient is texted as usual), then hand
    its follow-ups (the freed time offered to the waitlist) to the workers.

    :raise 403: if a practitioner moves another's visit or gives it to someone else.
    :raise NotFound, NotMovable, ValidationFailed, SlotUnavailable: as ``reschedule_visit``.
    """
    if not Permissions.of(user).give_visit_to(practitioner_id):
        abort(403, "You can move your own visits only, and keep them.")

    moved, follow_ups = db().retrying(
        lambda session: _move(session, user, appointment_id, start, practitioner_id, room_id)
    )
    enqueue_follow_ups(follow_ups)
    return moved


def _move(
    session: Session,
    user: StaffUser,
    appointment_id: int,
    start: datetime,
    practitioner_id: int | None,
    room_id: int | None,
) -> tuple[Moved, tuple[FollowUp, ...]]:
    visit = session.get(Appointment, appointment_id)
    if visit is None:
        raise NotFound(f"appointment {appointment_id} does not exist")
    if not Permissions.of(user).act_on_visit(visit.practitioner_id):
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
    return _moved(move), move.follow_ups


def _moved(move: Move) -> Moved:
    patient = move.visit.patient
    return Moved(
        move.visit.id,
        f"{patient.first_name} {patient.last_name}",
        move.visit.starts_at,
        move.visit.practitioner.name,
        tuple(p.message for p in move.warnings),
        move.texted,
    )


def conflict_message(exc: SlotUnavailable) -> str:
    return f"That time is taken: {exc}. Choose another time."


def moved_message(moved: Moved) -> str:
    when = moved.starts_at.astimezone(settings().zone)
    return (
        f"{moved.patient_name} is moved to {when:%a %-d %b %H:%M} with "
        f"{moved.practitioner_name}. {TEXTED[moved.texted]}"
    )


def apply_action(
    session: Session, user: StaffUser, appointment_id: int, action: VisitAction
) -> tuple[str, tuple[FollowUp, ...]]:
    """Run the use case for ``action``; the patient's name, and the follow-ups the use case
    returned for the workers (the same as the patient's own pages and texts get).

    :raise 403: if the staff member may not change this visit.
    :raise NotFound: if there is no such visit.
    """
    visit = session.get(Appointment, appointment_id)
    if visit is None:
        raise NotFound(f"appointment {appointment_id} does not exist")
    if not Permissions.of(user).act_on_visit(visit.practitioner_id):
        abort(403, "You can change your own visits only.")
    name = f"{visit.patient.first_name} {visit.patient.last_name}"
    now = clock().now()
    if action in OUTCOMES:
        recorded = record_attendance(session, appointment_id, OUTCOMES[action], now, settings())
        return name, recorded.follow_ups
    if action == VisitAction.CANCEL:
        return name, cancel_visit(session, appointment_id, now, settings=settings()).follow_ups
    confirm_review(session, appointment_id, settings=settings(), now=now, reviewed_by_id=user.id)
    return name, ()
