"""How the staff calendar presents visits: status labels, FullCalendar events, and the
actions the permission policy lets a staff member take on each visit."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.calendar.availability import from_minutes
from scheduler.calendar.read_model import CalendarVisit, VisitAction, possible_actions
from scheduler.models import AppointmentStatus
from scheduler.staff.permissions import Permissions
from web.dates import day_and_span, time_span

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


def permitted_actions(
    may: Permissions, visit: CalendarVisit, now_min: int
) -> tuple[VisitAction, ...]:
    """The actions the clinic's rules allow on ``visit`` at ``now_min`` (epoch minutes) that the
    policy lets this staff member take: none on a visit they may not act on, and confirming a
    review only for those who may confirm one."""
    if not may.act_on_visit(visit.practitioner_id):
        return ()
    allowed = possible_actions(visit.status, visit.start_min, now_min)
    if may.confirm_review() or VisitAction.CONFIRM_REVIEW not in allowed:
        return allowed
    return tuple(a for a in allowed if a != VisitAction.CONFIRM_REVIEW)


class WallClock:
    """Epoch minutes as the clinic's wall-clock time without an offset, the way FullCalendar
    reads dates in a named time zone: ``2026-03-04T10:00:00``.

    The zone is consulted once per hour of the range, not once per visit: a week of a thousand
    visits formats in well under a millisecond.
    """

    def __init__(self, zone: ZoneInfo, locale: str = "en_GB") -> None:
        self.zone = zone
        self.locale = locale
        self._hours: dict[int, str | None] = {}

    def words(self, visit: CalendarVisit) -> dict[str, str]:
        """The visit's times in the clinic's locale: "12:00-12:45" (an en dash in
        en-GB), and the whole date too."""
        start, end = visit.starts_at.astimezone(self.zone), visit.ends_at.astimezone(self.zone)
        return {
            "time": time_span(start.time(), end.time(), self.locale),
            "when": day_and_span(start.date(), start.time(), end.time(), self.locale),
        }

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
            "practitioner_id": visit.practitioner_id,
            "room": visit.room_name,
            "room_id": visit.room_id,
            "patient_id": visit.patient_id,
            "actions": actions,
            **wall.words(visit),
        },
    }
