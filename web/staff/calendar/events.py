"""How the staff calendar presents visits: status labels, FullCalendar events, and the
actions a staff member's role lets them take on each visit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.calendar.availability import from_minutes
from scheduler.calendar.read_model import CalendarVisit, VisitAction, possible_actions
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


@dataclass(frozen=True)
class Permissions:
    """What one staff member may do, read once per request rather than once per visit."""

    own_practitioner_id: int | None  # a practitioner: their own visits only
    may_review: bool

    @classmethod
    def of(cls, user: StaffUser) -> Permissions:
        own = user.practitioner_id if user.role == Role.PRACTITIONER else None
        return cls(own_practitioner_id=own, may_review=user.role in REVIEWERS)

    def actions(self, visit: CalendarVisit, now_min: int) -> tuple[VisitAction, ...]:
        """The actions the clinic's rules allow on ``visit`` at ``now_min`` (epoch minutes)
        that this role permits."""
        if self.own_practitioner_id not in (None, visit.practitioner_id):
            return ()
        allowed = possible_actions(visit.status, visit.start_min, now_min)
        if not self.may_review and VisitAction.CONFIRM_REVIEW in allowed:
            return tuple(a for a in allowed if a != VisitAction.CONFIRM_REVIEW)
        return allowed


class WallClock:
    """Epoch minutes as the clinic's wall-clock time without an offset, the way FullCalendar
    reads dates in a named time zone: ``2026-03-04T10:00:00``.

    The zone is consulted once per hour of the range, not once per visit: a week of a thousand
    visits formats in well under a millisecond.
    """

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._hours: dict[int, str | None] = {}

    def iso(self, minutes: int) -> str:
        hour, minute = divmod(minutes, 60)
        if hour not in self._hours:
            local = from_minutes(hour * 60).astimezone(self.zone)
            # A zone offset by a part of an hour has no whole-hour prefix.
            self._hours[hour] = None if local.minute else f"{local:%Y-%m-%dT%H}:"
        prefix = self._hours[hour]
        if prefix is None:
            return wall_time(from_minutes(minutes), self.zone)
        return f"{prefix}{minute:02d}:00"


def wall_time(moment: datetime, zone: ZoneInfo) -> str:
    """One instant as the clinic's wall-clock time without an offset."""
    return moment.astimezone(zone).replace(tzinfo=None).isoformat(timespec="seconds")


def event(
    visit: CalendarVisit, actions: tuple[VisitAction, ...], wall: WallClock
) -> dict[str, Any]:
    """One visit as a FullCalendar event; the title is the patient's name, shown as text."""
    return {
        "id": str(visit.id),
        "title": visit.patient_name,
        "start": wall.iso(visit.start_min),
        "end": wall.iso(visit.end_min),
        "classNames": ["cal-visit", f"cal-status-{visit.status}"],
        "startEditable": VisitAction.MOVE in actions,
        "extendedProps": {
            "status": visit.status,
            "status_label": STATUS_LABELS[visit.status],
            "service": visit.service_name,
            "practitioner": visit.practitioner_name,
            "room": visit.room_name,
            "patient_id": visit.patient_id,
            "actions": actions,
        },
    }
