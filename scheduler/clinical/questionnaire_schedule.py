"""When MIDAS and HIT-6 are due in a patient's course, and recording and reading the answers.

The schedule (DOMAIN.md section 6), each point open for a while and then closed, since late
answers would describe another time:

- ``baseline``, both: from booking the course until the end of the day of its first treatment
  session (the first visit after the consultation);
- ``session-4`` and ``session-8``, HIT-6: once the 4th (8th) treatment session of the course
  is completed (the consultation and follow-on visits such as Tui Na are not sessions); open
  28 days, and ``session-4`` closes when ``session-8`` opens;
- ``month-3``, MIDAS: three calendar months after the course's first visit; open 28 days;
- ``maintenance-<visit id>``, both: from the morning of each booked maintenance visit until
  14 days after it.

A stopped course closes every point at the moment it stopped.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scheduler.clinical.questionnaires import (
    HIT6_MEANINGFUL_FALL,
    Change,
    compare,
    meaning,
    score,
)
from scheduler.errors import DomainError
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Cadence,
    Course,
    CourseStatus,
    Patient,
    QuestionnaireKind,
    QuestionnaireResponse,
    TemplatePhase,
)

MIDAS = QuestionnaireKind.MIDAS
HIT6 = QuestionnaireKind.HIT6
BOTH = (MIDAS, HIT6)
HIT6_SESSIONS = (4, 8)
MIDAS_AFTER_MONTHS = 3
OPEN_FOR = timedelta(days=28)
MAINTENANCE_OPEN_FOR = timedelta(days=14)
# Maintenance visits that will happen or have: a proposed one is only held, not agreed.
HELD_VISITS = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.COMPLETED,
)
COURSE_VISITS = (*HELD_VISITS, AppointmentStatus.PROPOSED, AppointmentStatus.PENDING_REVIEW)


class AlreadyRecorded(DomainError):
    """The patient has already answered this questionnaire at this point."""


class NotDue(DomainError):
    """This questionnaire is not waiting for an answer at this point (not yet, or no longer)."""


@dataclass(frozen=True)
class DuePoint:
    """A questionnaire waiting for the patient's answer, and since when."""

    kind: QuestionnaireKind
    point: str
    due_since: datetime


@dataclass(frozen=True)
class ScheduledPoint:
    """A point of the schedule with its window; a maintenance point names its visit."""

    kind: QuestionnaireKind
    point: str
    opens: datetime
    closes: datetime | None
    appointment_id: int | None = None
    visit_starts_at: datetime | None = None

    def is_open(self, now: datetime) -> bool:
        return self.opens <= now and (self.closes is None or now < self.closes)


@dataclass(frozen=True)
class ScoredResponse:
    """One answered questionnaire as patients and staff see it, with the change since the
    previous answer to the same questionnaire (None for the first)."""

    id: int
    kind: QuestionnaireKind
    point: str
    point_label: str
    taken_at: datetime
    score: int
    grade: str
    meaning: str
    change: Change | None
    answers: dict[str, Any]


def point_label(point: str) -> str:
    """The point in plain words: ``session-4`` is "After session 4"."""
    if point == "baseline":
        return "Before your course starts"
    if point.startswith("session-"):
        return f"After session {point.removeprefix('session-')}"
    if point.startswith("month-"):
        return f"{point.removeprefix('month-')} months into your course"
    if point.startswith("maintenance-"):
        return "At your maintenance visit"
    return point


def _add_months(moment: datetime, months: int, zone: ZoneInfo) -> datetime:
    """The same local wall-clock time ``months`` calendar months later (the day clamped to
    the month's last), as UTC."""
    local = moment.astimezone(zone)
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    later = datetime.combine(date(year, month, day), local.time(), tzinfo=zone)
    return later.astimezone(moment.tzinfo)


def _end_of_day(moment: datetime, zone: ZoneInfo) -> datetime:
    next_day = moment.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(next_day, time.min, tzinfo=zone).astimezone(moment.tzinfo)


def _start_of_day(moment: datetime, zone: ZoneInfo) -> datetime:
    day = moment.astimezone(zone).date()
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(moment.tzinfo)


def _phases(course: Course) -> dict[int, TemplatePhase]:
    return {phase.position: phase for phase in course.template.phases}


def _is_main_visit(visit: Appointment, phase: TemplatePhase | None, cadence: Cadence) -> bool:
    """A visit of the phase's own service (not a follow-on such as Tui Na) in ``cadence``."""
    return phase is not None and phase.cadence == cadence and visit.service_id == phase.service_id


def _close(point: ScheduledPoint, course: Course) -> ScheduledPoint | None:
    """The point as a stopped course leaves it: closed when the course stopped, or gone if it
    would only have opened later."""
    if course.status != CourseStatus.STOPPED or course.ended_at is None:
        return point
    if point.opens >= course.ended_at:
        return None
    closes = course.ended_at if point.closes is None else min(point.closes, course.ended_at)
    return ScheduledPoint(
        point.kind, point.point, point.opens, closes, point.appointment_id, point.visit_starts_at
    )


def _course_points(
    course: Course, visits: list[Appointment], zone: ZoneInfo
) -> list[ScheduledPoint]:
    """Baseline, the HIT-6 session points and the MIDAS month point of one course."""
    phases = _phases(course)
    held = [v for v in visits if v.status in COURSE_VISITS]
    sessions = [
        v for v in held if _is_main_visit(v, phases.get(v.phase_position or 0), Cadence.WEEKLY)
    ]
    baseline_closes = _end_of_day(sessions[0].starts_at, zone) if sessions else None
    points: list[ScheduledPoint] = [
        ScheduledPoint(kind, "baseline", course.created_at, baseline_closes) for kind in BOTH
    ]
    completed = [v for v in sessions if v.status == AppointmentStatus.COMPLETED]
    opens_at = {n: completed[n - 1].ends_at for n in HIT6_SESSIONS if len(completed) >= n}
    for n, opens in opens_at.items():
        closes = opens + OPEN_FOR
        later = [opens_at[m] for m in HIT6_SESSIONS if m > n and m in opens_at]
        points.append(ScheduledPoint(HIT6, f"session-{n}", opens, min([closes, *later])))
    first_visit = min((v.starts_at for v in held), default=course.created_at)
    month = _add_months(first_visit, MIDAS_AFTER_MONTHS, zone)
    points.append(ScheduledPoint(MIDAS, f"month-{MIDAS_AFTER_MONTHS}", month, month + OPEN_FOR))
    return points


def _maintenance_points(
    course: Course, visits: list[Appointment], zone: ZoneInfo
) -> list[ScheduledPoint]:
    phases = _phases(course)
    return [
        ScheduledPoint(
            kind,
            f"maintenance-{visit.id}",
            _start_of_day(visit.starts_at, zone),
            visit.starts_at + MAINTENANCE_OPEN_FOR,
            appointment_id=visit.id,
            visit_starts_at=visit.starts_at,
        )
        for visit in visits
        if visit.status in HELD_VISITS
        and _is_main_visit(visit, phases.get(visit.phase_position or 0), Cadence.MAINTENANCE)
        for kind in BOTH
    ]


def scheduled_points(session: Session, patient: Patient) -> list[ScheduledPoint]:
    """Every point of the patient's schedule with its window, answered or not.

    The baseline, session and month points follow the patient's latest course (each is
    answered once per patient); maintenance points come from every course.
    """
    courses = _courses(session, patient.id)
    if not courses:
        return []
    visits = _visits(session, courses)
    zone = ZoneInfo(patient.time_zone)
    latest = courses[-1]
    points: list[ScheduledPoint] = []
    for course in courses:
        own = [v for v in visits if v.course_id == course.id]
        candidates = _maintenance_points(course, own, zone)
        if course is latest:
            candidates = _course_points(course, own, zone) + candidates
        closed = (_close(point, course) for point in candidates)
        points.extend(point for point in closed if point is not None)
    return points


def _courses(session: Session, patient_id: int) -> list[Course]:
    """The patient's courses, oldest first."""
    return list(
        session.scalars(
            select(Course)
            .where(Course.patient_id == patient_id)
            .order_by(Course.created_at, Course.id)
        )
    )


def _visits(session: Session, courses: list[Course]) -> list[Appointment]:
    """Every visit of these courses, in time order."""
    return list(
        session.scalars(
            select(Appointment)
            .where(Appointment.course_id.in_([c.id for c in courses]))
            .order_by(Appointment.starts_at, Appointment.id)
        )
    )


def _answered(session: Session, patient_id: int) -> set[tuple[QuestionnaireKind, str]]:
    rows = session.execute(
        select(QuestionnaireResponse.kind, QuestionnaireResponse.point).where(
            QuestionnaireResponse.patient_id == patient_id
        )
    )
    return {(kind, point) for kind, point in rows}


def open_points(session: Session, patient: Patient, now: datetime) -> list[ScheduledPoint]:
    """The points open at ``now`` and not yet answered, earliest first."""
    answered = _answered(session, patient.id)
    return sorted(
        (
            p
            for p in scheduled_points(session, patient)
            if p.is_open(now) and (p.kind, p.point) not in answered
        ),
        key=lambda p: (p.opens, p.point, p.kind.value),
    )


def due_points(session: Session, patient: Patient, now: datetime) -> list[DuePoint]:
    """What the patient is asked to answer now and has not answered, earliest first."""
    return [DuePoint(p.kind, p.point, p.opens) for p in open_points(session, patient, now)]


def record_response(
    session: Session,
    patient: Patient,
    kind: QuestionnaireKind,
    point: str,
    answers: dict[str, Any],
    now: datetime,
) -> QuestionnaireResponse:
    """Validate, score and store the patient's answers to ``kind`` at ``point``.

    :raise AlreadyRecorded: if that point was answered already (also when two submits race:
        the database's unique key decides); nothing is changed.
    :raise NotDue: if the point is not open for this patient now.
    :raise ValidationFailed: with a message for every item that is wrong; nothing is written.
    """
    _check_open(session, patient, kind, point, now)
    response = _scored_response(patient, kind, point, answers, now)
    try:
        with session.begin_nested():
            session.add(response)
    except IntegrityError as exc:
        raise AlreadyRecorded("these answers have already been recorded") from exc
    return response


def _check_open(
    session: Session, patient: Patient, kind: QuestionnaireKind, point: str, now: datetime
) -> None:
    """That the point may be answered now.

    :raise AlreadyRecorded: if it was answered already.
    :raise NotDue: if it is not open for this patient now.
    """
    if (kind, point) in _answered(session, patient.id):
        raise AlreadyRecorded("these answers have already been recorded")
    if not any(p.kind == kind and p.point == point for p in open_points(session, patient, now)):
        raise NotDue("this questionnaire is not open now")


def _scored_response(
    patient: Patient, kind: QuestionnaireKind, point: str, answers: dict[str, Any], now: datetime
) -> QuestionnaireResponse:
    """The answers validated and scored, as a new response row.

    :raise ValidationFailed: with a message for every item that is wrong.
    """
    scored = score(kind, answers)
    return QuestionnaireResponse(
        patient_id=patient.id,
        kind=kind,
        point=point,
        answers=scored.answers,
        score=scored.score,
        grade=scored.grade,
        taken_at=now,
    )


def scores_for(
    session: Session, patient_id: int, meaningful_fall: int = HIT6_MEANINGFUL_FALL
) -> list[ScoredResponse]:
    """The patient's answered questionnaires, oldest first, each scored, graded in plain
    words and compared with the previous answer to the same questionnaire."""
    responses = session.scalars(
        select(QuestionnaireResponse)
        .where(QuestionnaireResponse.patient_id == patient_id)
        .order_by(QuestionnaireResponse.taken_at, QuestionnaireResponse.id)
    )
    previous: dict[QuestionnaireKind, int] = {}
    scored: list[ScoredResponse] = []
    for response in responses:
        scored.append(_scored(response, previous.get(response.kind), meaningful_fall))
        previous[response.kind] = response.score
    return scored


def _scored(
    response: QuestionnaireResponse, before: int | None, meaningful_fall: int
) -> ScoredResponse:
    """One response in plain words, compared with the score ``before`` it (if any)."""
    return ScoredResponse(
        id=response.id,
        kind=response.kind,
        point=response.point,
        point_label=point_label(response.point),
        taken_at=response.taken_at,
        score=response.score,
        grade=response.grade,
        meaning=meaning(response.kind, response.grade),
        change=None
        if before is None
        else compare(response.kind, before, response.score, meaningful_fall),
        answers=dict(response.answers),
    )
