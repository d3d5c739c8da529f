"""How the staff calendar presents visits: status labels, FullCalendar events, and the
actions a staff member's role lets them take on each visit."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.calendar_view import CalendarVisit, VisitAction, possible_actions
from scheduler.models import AppointmentStatus, Role, StaffUser

STATUS_LABELS = {
    AppointmentStatus.PENDING_REVIEW: "Pending review",
    AppointmentStatus.PROPOSED: "Proposed",
    AppointmentStatus.BOOKED: "Booked",
    AppointmentStatus.CONFIRMED: "Confirmed",
    AppointmentStatus.ARRIVED: "Arrived",
    AppointmentStatus.COMPLETED: "Completed",
    AppointmentStatus.NO_SHOW: "No-show",
    AppointmentStatus.CANCELLED: "Cancelled",
    AppointmentStatus.CANCELLED_LATE: "Cancelled late",
}
ACTION_LABELS = {
    VisitAction.ARRIVED: "Arrived",
    VisitAction.COMPLETED: "Completed",
    VisitAction.NO_SHOW: "No-show",
    VisitAction.CONFIRM_REVIEW: "Confirm review",
    VisitAction.MOVE: "Move…",
    VisitAction.CANCEL: "Cancel visit",
}
# Confirming a booking that waited for review is a clinical decision.
REVIEWERS = (Role.ADMIN, Role.PRACTITIONER)


def may_act_on(user: StaffUser, practitioner_id: int) -> bool:
    """Admins and the front desk act on every visit; a practitioner only on their own."""
    return user.role != Role.PRACTITIONER or user.practitioner_id == practitioner_id


def actions_for(user: StaffUser, visit: CalendarVisit, now: datetime) -> tuple[VisitAction, ...]:
    """The actions the clinic's rules allow on ``visit`` now that ``user``'s role permits."""
    if not may_act_on(user, visit.practitioner_id):
        return ()
    allowed = possible_actions(visit.status, visit.starts_at, now)
    if user.role not in REVIEWERS:
        allowed = tuple(a for a in allowed if a != VisitAction.CONFIRM_REVIEW)
    return allowed


def wall_time(moment: datetime, zone: ZoneInfo) -> str:
    """The clinic's local time without an offset, as FullCalendar reads it in a named zone."""
    return moment.astimezone(zone).replace(tzinfo=None).isoformat(timespec="seconds")


def event(visit: CalendarVisit, actions: tuple[VisitAction, ...], zone: ZoneInfo) -> dict[str, Any]:
    """One visit as a FullCalendar event; the title is the patient's name, shown as text."""
    movable = VisitAction.MOVE in actions
    return {
        "id": str(visit.id),
        "title": visit.patient_name,
        "start": wall_time(visit.starts_at, zone),
        "end": wall_time(visit.ends_at, zone),
        "classNames": ["cal-visit", f"cal-status-{visit.status.value}"],
        "startEditable": movable,
        "durationEditable": False,
        "extendedProps": {
            "status": visit.status.value,
            "status_label": STATUS_LABELS[visit.status],
            "service": visit.service_name,
            "practitioner": visit.practitioner_name,
            "practitioner_id": visit.practitioner_id,
            "room": visit.room_name,
            "room_id": visit.room_id,
            "patient_id": visit.patient_id,
            "course": visit.course_id is not None,
            "actions": [a.value for a in actions],
        },
    }
