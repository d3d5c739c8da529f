"""Setting up when people work: weekly hours with breaks, time off, and clinic closures."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.calendar.snapshot import load_policy
from scheduler.errors import NotFound, ValidationFailed
from scheduler.field_errors import FieldErrors, parse_time_of_day
from scheduler.models import Appointment, Closure, TimeOff, WorkingHours
from scheduler.setup.practitioners import get_practitioner
from scheduler.setup.services import upcoming_visits

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# "09:00-13:00"; an en dash (as word processors write it) or "to" are read as well.
STRETCH = re.compile(r"^\s*([0-9.:]+)\s*(?:-|\u2013|to)\s*([0-9.:]+)\s*$")
Stretch = tuple[time, time]


def hours_field(weekday: int) -> str:
    """The form field holding one weekday's hours."""
    return f"hours_{weekday}"


def describe_day(stretches: Sequence[Stretch]) -> str:
    """One day's stretches as staff type them: ``09:00-13:00, 14:00-18:00``."""
    return ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in sorted(stretches))


def describe_week(hours: Sequence[WorkingHours]) -> dict[int, str]:
    """Each weekday's stretches as text (empty for a day off)."""
    return {
        day: describe_day([(h.starts, h.ends) for h in hours if h.weekday == day])
        for day in range(7)
    }


def parse_day(text: str, grid_minutes: int) -> tuple[list[Stretch], list[str]]:
    """One weekday's stretches from ``09:00-13:00, 14:00-18:00`` (the gaps are breaks), and
    what is wrong with them: a stretch not written as start-end, an end not after its start,
    a time off the grid, stretches that overlap."""
    stretches: list[Stretch] = []
    problems: list[str] = []
    for part in filter(None, (p.strip() for p in re.split(r"[,;]", text or ""))):
        stretch = _stretch(part, grid_minutes, problems)
        if stretch is not None:
            stretches.append(stretch)
    stretches.sort()
    for (s1, e1), (s2, e2) in pairwise(stretches):
        if s2 < e1:
            problems.append(f"{s1:%H:%M}-{e1:%H:%M} and {s2:%H:%M}-{e2:%H:%M} overlap.")
    return stretches, problems


def _stretch(part: str, grid_minutes: int, problems: list[str]) -> Stretch | None:
    """One ``09:00-13:00`` stretch; None, with what is wrong in ``problems``, if it is not."""
    match = STRETCH.match(part)
    starts = parse_time_of_day(match.group(1)) if match else None
    ends = parse_time_of_day(match.group(2)) if match else None
    if starts is None or ends is None:
        problems.append(f'Write each stretch as 09:00-13:00 ("{part[:40]}" is not one).')
        return None
    if starts >= ends:
        problems.append(f"{starts:%H:%M}-{ends:%H:%M} must end after it starts.")
        return None
    off_grid = [t for t in (starts, ends) if (t.hour * 60 + t.minute) % grid_minutes]
    if off_grid:
        shown = " and ".join(f"{t:%H:%M}" for t in off_grid)
        problems.append(f"{shown} is not on the clinic's {grid_minutes}-minute grid.")
        return None
    return starts, ends


def set_working_hours(
    session: Session, practitioner_id: int, week: Mapping[int, str]
) -> list[WorkingHours]:
    """Replace a practitioner's weekly hours. ``week`` maps each weekday (0 is Monday) to its
    stretches as text; a missing or empty day is a day off. Visits already booked stay.

    :raise NotFound: if there is no such practitioner.
    :raise ValidationFailed: on ``hours_<weekday>`` for each day written wrongly, with
        stretches that overlap or end before they start, or off the clinic's grid; nothing
        is changed.
    """
    practitioner = get_practitioner(session, practitioner_id)
    grid = load_policy(session).grid_minutes
    errors = FieldErrors()
    rows: list[WorkingHours] = []
    for day in range(7):
        stretches, problems = parse_day(week.get(day, ""), grid)
        for problem in problems:
            errors.add(hours_field(day), problem)
        rows.extend(WorkingHours(weekday=day, starts=s, ends=e) for s, e in stretches)
    errors.raise_if_any()
    practitioner.hours = rows
    session.flush()
    return rows


@dataclass(frozen=True)
class AwayInput:
    """A stretch of time off or a closure as typed into the form: local date and time."""

    starts: str | datetime
    ends: str | datetime
    reason: str = ""


@dataclass(frozen=True)
class Added:
    """What was added, and how many visits still to come fall in it (for staff to move)."""

    row: TimeOff | Closure
    clashes: int


def _check_away(data: AwayInput, zone: ZoneInfo, now: datetime) -> tuple[datetime, datetime, str]:
    errors = FieldErrors()
    starts = errors.local_moment("starts", data.starts, zone)
    ends = errors.local_moment("ends", data.ends, zone)
    reason = errors.text("reason", data.reason, longest=200, required=False)
    if starts and ends:
        if ends <= starts:
            errors.add("ends", "The end must be after the start.")
        elif ends <= now:
            errors.add("ends", "That time has already passed.")
    errors.raise_if_any()
    assert starts is not None and ends is not None
    return starts, ends, reason


def add_time_off(
    session: Session, practitioner_id: int, data: AwayInput, *, zone: ZoneInfo, now: datetime
) -> Added:
    """Time off for one practitioner (no new bookings then). Visits already booked in it stay
    and are counted, for staff to move.

    :raise NotFound: if there is no such practitioner.
    :raise ValidationFailed: if a time is missing or not one, the end is not after the start,
        or it is all in the past; nothing is written.
    """
    get_practitioner(session, practitioner_id)
    starts, ends, reason = _check_away(data, zone, now)
    row = TimeOff(practitioner_id=practitioner_id, starts_at=starts, ends_at=ends, reason=reason)
    session.add(row)
    session.flush()
    clashes = upcoming_visits(
        session,
        now,
        Appointment.practitioner_id == practitioner_id,
        Appointment.starts_at < ends,
        Appointment.ends_at > starts,
    )
    return Added(row, clashes)


def add_closure(session: Session, data: AwayInput, *, zone: ZoneInfo, now: datetime) -> Added:
    """A stretch when the whole clinic is closed (no new bookings then). Visits already
    booked in it stay and are counted, for staff to move.

    :raise ValidationFailed: as for ``add_time_off``; nothing is written.
    """
    starts, ends, reason = _check_away(data, zone, now)
    row = Closure(starts_at=starts, ends_at=ends, reason=reason)
    session.add(row)
    session.flush()
    clashes = upcoming_visits(
        session, now, Appointment.starts_at < ends, Appointment.ends_at > starts
    )
    return Added(row, clashes)


def _remove(session: Session, row: TimeOff | Closure | None, now: datetime) -> None:
    if row is None:
        raise NotFound("no such time off or closure")
    if row.ends_at <= now:
        raise ValidationFailed({"remove": ["This has passed; it stays on record."]})
    session.delete(row)
    session.flush()


def remove_time_off(
    session: Session, practitioner_id: int, time_off_id: int, now: datetime
) -> None:
    """Take back time off that has not yet ended.

    :raise NotFound: if the practitioner has no such time off.
    :raise ValidationFailed: if it has ended (it stays on record).
    """
    row = session.get(TimeOff, time_off_id)
    _remove(session, row if row and row.practitioner_id == practitioner_id else None, now)


def remove_closure(session: Session, closure_id: int, now: datetime) -> None:
    """Reopen: take back a closure that has not yet ended.

    :raise NotFound: if there is no such closure.
    :raise ValidationFailed: if it has ended (it stays on record).
    """
    _remove(session, session.get(Closure, closure_id), now)


RECENT = timedelta(days=90)


def list_time_off(session: Session, practitioner_id: int, now: datetime) -> list[TimeOff]:
    """A practitioner's time off that is to come, under way, or ended in the last 90 days."""
    return list(
        session.scalars(
            select(TimeOff)
            .where(TimeOff.practitioner_id == practitioner_id, TimeOff.ends_at > now - RECENT)
            .order_by(TimeOff.starts_at)
        )
    )


def list_closures(session: Session, now: datetime) -> list[Closure]:
    """Closures to come, under way, or ended in the last 90 days."""
    return list(
        session.scalars(
            select(Closure).where(Closure.ends_at > now - RECENT).order_by(Closure.starts_at)
        )
    )
