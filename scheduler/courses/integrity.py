"""Whether a visit at a new time keeps its course in order and gaps, and its patient free."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.errors import ValidationFailed
from scheduler.models import ACTIVE_STATUSES, Appointment, Course


class Rule(enum.StrEnum):
    """The course rules a new time can break; the value is the code the API answers with."""

    ORDER = "course_order"
    GAP = "course_gap"
    OVERLAP = "own_visit_overlap"


@dataclass(frozen=True)
class Problem:
    """One broken rule, in plain words."""

    rule: Rule
    message: str


class CourseRuleBroken(ValidationFailed):
    """A patient's move that would scramble their course or overlap their own visits."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__({"start": [p.message for p in problems]})
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Booked:
    """Another active visit of the same patient, as the rules see it. ``gap_days`` is its
    phase's minimum number of days after the course visit before it (0 outside a course)."""

    start: datetime
    end: datetime
    name: str
    course_id: int | None
    gap_days: int = 0


@dataclass(frozen=True)
class CourseCheck:
    """A visit about to move (its course, old start, length and phase gap), and the patient's
    other active visits. Course visits on the visit's own day (a visit straight after it)
    are its companions: they count for overlaps only."""

    course_id: int | None
    old_start: datetime
    duration: timedelta
    gap_days: int
    others: tuple[Booked, ...]
    zone: ZoneInfo

    def problems(self, new_start: datetime, whose: str = "your") -> list[Problem]:
        """Every rule the visit breaks at ``new_start``; ``whose`` words the patient's visits
        ("your" for the patient, "the patient's" for staff)."""
        found = self._order_and_gaps(new_start)
        new_end = new_start + self.duration
        for other in self.others:
            if other.start < new_end and new_start < other.end:
                found.append(
                    Problem(Rule.OVERLAP, f"This overlaps {whose} other visit ({self._at(other)}).")
                )
        return found

    def _neighbours(self) -> tuple[Booked | None, Booked | None]:
        """The course visits just before and just after the visit, as the course stands."""
        own_day = self._day(self.old_start)
        course = [
            o
            for o in self.others
            if self.course_id is not None
            and o.course_id == self.course_id
            and self._day(o.start) != own_day
        ]
        before = [o for o in course if o.start < self.old_start]
        after = [o for o in course if o.start > self.old_start]
        previous = max(before, key=lambda o: o.start) if before else None
        following = min(after, key=lambda o: o.start) if after else None
        return previous, following

    def _order_and_gaps(self, new_start: datetime) -> list[Problem]:
        previous, following = self._neighbours()
        day = self._day(new_start)
        found = []
        if previous is not None and new_start <= previous.start:
            found.append(Problem(Rule.ORDER, f"This is before {self._prior(previous)}."))
        elif previous is not None and (day - self._day(previous.start)).days < self.gap_days:
            found.append(self._gap(self.gap_days, self._prior(previous)))
        if following is not None and new_start >= following.start:
            found.append(Problem(Rule.ORDER, f"This is after {self._later(following)}."))
        elif following is not None and (self._day(following.start) - day).days < following.gap_days:
            found.append(self._gap(following.gap_days, self._later(following)))
        return found

    def _gap(self, days: int, where: str) -> Problem:
        unit = "day" if days == 1 else "days"
        return Problem(
            Rule.GAP,
            f"This is too close to {where}: the treatment needs at least {days} {unit} between "
            "visits.",
        )

    def _prior(self, visit: Booked) -> str:
        return f"the course's previous visit ({self._at(visit)})"

    def _later(self, visit: Booked) -> str:
        return f"the course's next visit ({self._at(visit)})"

    def _at(self, visit: Booked) -> str:
        return f"{visit.name}, {visit.start.astimezone(self.zone):%a %-d %b %H:%M}"

    def _day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()


def course_check(session: Session, visit: Appointment, zone: ZoneInfo) -> CourseCheck:
    """The rules' view of ``visit`` and the patient's other active visits."""
    others = session.scalars(
        select(Appointment).where(
            Appointment.patient_id == visit.patient_id,
            Appointment.id != visit.id,
            Appointment.status.in_(ACTIVE_STATUSES),
        )
    )
    gaps = _phase_gaps(session, visit.course_id)
    course_id = visit.course_id
    return CourseCheck(
        course_id=visit.course_id,
        old_start=visit.starts_at,
        duration=visit.ends_at - visit.starts_at,
        gap_days=gaps.get(visit.phase_position, 0),
        others=tuple(_booked(o, gaps if o.course_id == course_id else {}) for o in others),
        zone=zone,
    )


def _phase_gaps(session: Session, course_id: int | None) -> dict[int | None, int]:
    """Each phase's minimum gap in days, by position, for the visit's course."""
    course = session.get(Course, course_id) if course_id is not None else None
    if course is None:
        return {}
    return {p.position: p.min_gap_days for p in course.template.phases}


def _booked(visit: Appointment, gaps: dict[int | None, int]) -> Booked:
    return Booked(
        start=visit.starts_at,
        end=visit.ends_at,
        name=visit.service.name,
        course_id=visit.course_id,
        gap_days=gaps.get(visit.phase_position, 0),
    )
