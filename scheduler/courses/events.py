"""What follows a course visit's events, each idempotent: running one twice changes nothing.

- after the booking: place any visit the first plan could not (``fill_unplaced_visits``);
- after a completed visit: book the next visit day, and plan the next maintenance visit;
- after a cancellation or a no-show: a replacement in the same phase, so no visit is lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.calendar.availability import local_minutes, to_minutes
from scheduler.calendar.snapshot import load_policy, load_snapshot
from scheduler.clinical.progress import diary_trend_for
from scheduler.config import Settings
from scheduler.courses.booking import appointment_for, phase_spec
from scheduler.courses.maintenance import DiaryTrend, maintenance_interval_weeks
from scheduler.courses.planning import (
    PhaseSpec,
    PlannedVisit,
    Planner,
    Preferences,
    ServiceSpec,
    plan_maintenance_visit,
)
from scheduler.messaging.outbox import plan_visit_messages
from scheduler.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    Cadence,
    Course,
    CourseStatus,
    TemplatePhase,
)
from scheduler.patients.links import issue_link_token

log = logging.getLogger("clinic.courses")

MISSED = (AppointmentStatus.CANCELLED, AppointmentStatus.CANCELLED_LATE, AppointmentStatus.NO_SHOW)
REPLAN_SEARCH_DAYS = 21


def _course_visits(session: Session, course_id: int) -> list[Appointment]:
    return list(
        session.scalars(
            select(Appointment)
            .where(Appointment.course_id == course_id)
            .order_by(Appointment.starts_at, Appointment.id)
        )
    )


def _phase(course: Course, position: int | None) -> TemplatePhase | None:
    return next((p for p in course.template.phases if p.position == position), None)


def _planner(session: Session, course: Course, settings: Settings, now: datetime) -> Planner:
    policy = load_policy(session)
    until = now + policy.course_horizon
    snapshot = load_snapshot(session, now - timedelta(days=1), until, settings.zone)
    prefs = Preferences(tuple(course.weekdays), course.preferred_time, course.practitioner_id)
    return Planner(
        snapshot,
        prefs,
        policy.grid_minutes,
        to_minutes(now + policy.minimum_notice),
        to_minutes(until),
    )


def _write(
    session: Session,
    course: Course,
    visits: list[PlannedVisit],
    visit_number: int,
    now: datetime,
    replaces: Appointment | None = None,
) -> list[Appointment]:
    """Persist planned visits as proposed appointments numbered from ``visit_number``."""
    written = []
    for offset, visit in enumerate(v for v in visits if v.placed):
        visit.visit_number = visit_number + offset
        appointment = appointment_for(visit, course, course.patient, "system", now, first=False)
        appointment.replaces_id = replaces.id if replaces is not None else None
        session.add(appointment)
        written.append(appointment)
    session.flush()
    return written


def _next_number(visits: list[Appointment]) -> int:
    return max((v.visit_number or 0 for v in visits), default=0) + 1


def confirm_next_visit_day(
    session: Session, course_id: int, settings: Settings, now: datetime
) -> list[Appointment]:
    """Book every proposed visit on the course's next visit day and tell the patient."""
    visits = [v for v in _course_visits(session, course_id) if v.status in ACTIVE_STATUSES]
    upcoming = [v for v in visits if v.starts_at > now]
    if not upcoming or upcoming[0].status != AppointmentStatus.PROPOSED:
        return []
    day = upcoming[0].starts_at.astimezone(settings.zone).date()
    confirmed = [
        v
        for v in upcoming
        if v.status == AppointmentStatus.PROPOSED
        and v.starts_at.astimezone(settings.zone).date() == day
    ]
    token = issue_link_token(session, confirmed[0].patient, now)
    for visit in confirmed:
        visit.status = AppointmentStatus.BOOKED
        visit.updated_at = now
        plan_visit_messages(
            session, visit, manage_url=settings.manage_url(token), settings=settings, now=now
        )
    return confirmed


def after_visit_completed(
    session: Session,
    appointment_id: int,
    settings: Settings,
    now: datetime,
    trend: DiaryTrend | None = None,
) -> list[Appointment]:
    """Book the next visit day; after a maintenance visit (or the last weekly one), plan the
    next maintenance visit at the diary-driven interval if none is planned. Idempotent.

    Without a ``trend`` given, it comes from the patient's diary (``scheduler.clinical.progress``).
    """
    visit = session.get(Appointment, appointment_id)
    if visit is None or visit.course_id is None or visit.status != AppointmentStatus.COMPLETED:
        return []
    course = session.get_one(Course, visit.course_id)
    if course.status != CourseStatus.ACTIVE:
        return []
    planned = _plan_next_maintenance(session, course, visit, settings, now, trend)
    return planned + [
        v for v in confirm_next_visit_day(session, course.id, settings, now) if v not in planned
    ]


def _plan_next_maintenance(
    session: Session,
    course: Course,
    visit: Appointment,
    settings: Settings,
    now: datetime,
    trend: DiaryTrend | None,
) -> list[Appointment]:
    """The next maintenance visit after ``visit``, unless the course already has a later one."""
    maintenance = next(
        (p for p in course.template.phases if p.cadence == Cadence.MAINTENANCE), None
    )
    visits = _course_visits(session, course.id)
    later = [v for v in visits if v.status in ACTIVE_STATUSES and v.starts_at > visit.starts_at]
    if maintenance is None or later:
        return []
    if trend is None and course.maintenance_interval_weeks is None:
        trend = diary_trend_for(session, course.patient, now)
    weeks = maintenance_interval_weeks(trend, course.maintenance_interval_weeks)
    planner = _planner(session, course, settings, now)
    plan_maintenance_visit(
        planner, phase_spec(maintenance), visit.starts_at.astimezone(settings.zone).date(), weeks
    )
    return _write(session, course, planner.visits, _next_number(visits), now)


def after_visit_missed(
    session: Session, appointment_id: int, settings: Settings, now: datetime
) -> list[Appointment]:
    """Plan a replacement for a cancelled or missed course visit, once.

    A weekly-phase visit is replaced in its own week if a day there keeps the gaps, else in the
    days after; a maintenance visit a week later. Never on the day given up, nor at a time the
    patient has another visit. The consultation is left to staff.
    """
    found = _replaceable(session, appointment_id)
    if found is None:
        return []
    missed, course, phase = found
    visits = [v for v in _course_visits(session, course.id) if v.status in ACTIVE_STATUSES]
    planner = _planner(session, course, settings, now)
    planner.patient_busy = _patient_times(session, missed.patient_id)
    if not _plan_replacement(planner, phase, missed, visits, settings, now):
        return []
    return _write_replacement(session, course, planner.visits, missed, visits, now)


def _replaceable(
    session: Session, appointment_id: int
) -> tuple[Appointment, Course, TemplatePhase] | None:
    """The missed visit, its course and phase, when it is one to replace and has no
    replacement yet; None otherwise."""
    missed = session.get(Appointment, appointment_id)
    if missed is None or missed.course_id is None or missed.status not in MISSED:
        return None
    already = session.scalars(
        select(Appointment.id).where(Appointment.replaces_id == missed.id)
    ).first()
    course = session.get_one(Course, missed.course_id)
    phase = _phase(course, missed.phase_position)
    if already is not None or course.status != CourseStatus.ACTIVE or phase is None:
        return None
    if phase.cadence == Cadence.ONCE or missed.service_id != phase.service_id:
        return None  # the consultation, or a follow-on whose main visit is replaced with it
    return missed, course, phase


def _patient_times(session: Session, patient_id: int) -> list[tuple[int, int]]:
    """The patient's active visits, as (start, end) epoch minutes."""
    rows = session.execute(
        select(Appointment.starts_at, Appointment.ends_at).where(
            Appointment.patient_id == patient_id, Appointment.status.in_(ACTIVE_STATUSES)
        )
    )
    return [(to_minutes(start), to_minutes(end)) for start, end in rows]


def _plan_replacement(
    planner: Planner,
    phase: TemplatePhase,
    missed: Appointment,
    visits: list[Appointment],
    settings: Settings,
    now: datetime,
) -> bool:
    """Plan the missed visit's replacement: a maintenance visit a week later, or a weekly one
    on the first day that keeps the gaps; False when no day has room."""
    spec = phase_spec(phase)
    if phase.cadence == Cadence.MAINTENANCE:
        missed_day = missed.starts_at.astimezone(settings.zone).date()
        plan_maintenance_visit(planner, spec, missed_day, 1)
        return True
    return _plan_weekly_replacement(planner, spec, missed, visits, settings, now)


def _plan_weekly_replacement(
    planner: Planner,
    spec: PhaseSpec,
    missed: Appointment,
    visits: list[Appointment],
    settings: Settings,
    now: datetime,
) -> bool:
    """A weekly visit in place of ``missed`` (and its follow-on); False when no day has room."""
    missed_day = missed.starts_at.astimezone(settings.zone).date()
    day = _replacement_day(
        planner, spec.service, spec.min_gap_days, visits, missed_day, now, settings, missed_day
    )
    if day is None:
        log.warning("no replacement day found for visit %s", missed.id)
        return False
    best = planner.best_on_day(day, spec.service)
    if best is None:
        return False
    wanted = local_minutes(missed_day, planner.prefs.at, settings.zone)
    placed = planner.place_with_follow_on(spec, best[0], best[1], wanted or best[0])
    replaces = f"Replaces the visit of {missed.starts_at.astimezone(settings.zone):%a %d %b}. "
    placed.note = (replaces + placed.note).strip()
    return True


def _write_replacement(
    session: Session,
    course: Course,
    planned: list[PlannedVisit],
    missed: Appointment,
    visits: list[Appointment],
    now: datetime,
) -> list[Appointment]:
    """The replacement under the missed visit's number, marked as replacing it; a follow-on
    visit numbered after the course's last."""
    number = missed.visit_number or _next_number(visits)
    written = _write(session, course, planned[:1], number, now, replaces=missed)
    if len(planned) > 1:
        written += _write(session, course, planned[1:], _next_number(visits), now)
    return written


def _replacement_day(
    planner: Planner,
    service: ServiceSpec,
    gap: int,
    visits: list[Appointment],
    from_day: date,
    now: datetime,
    settings: Settings,
    given_up: date | None = None,
) -> date | None:
    """The first day from ``from_day`` on that keeps ``gap`` days from every other visit and
    has a free time the patient is free at, trying the patient's preferred weekdays first;
    never ``given_up``, the day of the visit being replaced."""
    taken = {v.starts_at.astimezone(settings.zone).date() for v in visits}
    start = max(from_day, now.astimezone(settings.zone).date() + timedelta(days=1))
    days = [start + timedelta(days=i) for i in range(REPLAN_SEARCH_DAYS)]
    days = [d for d in days if d.weekday() < 5 or d.weekday() in planner.prefs.weekdays]
    days.sort(key=lambda d: (d.weekday() not in planner.prefs.weekdays, d))
    for day in days:
        if day == given_up or any(abs((day - other).days) < gap for other in taken):
            continue
        best = planner.best_on_day(day, service)
        if best is not None and planner.patient_free(best[0], best[0] + service.duration):
            return day
    return None


def fill_unplaced_visits(
    session: Session, course_id: int, settings: Settings, now: datetime
) -> list[Appointment]:
    """Try again to place the visits the first plan could not; idempotent."""
    course = session.get(Course, course_id)
    if course is None or not course.unplaced or course.status != CourseStatus.ACTIVE:
        return []
    visits = [v for v in _course_visits(session, course.id) if v.status in ACTIVE_STATUSES]
    planner = _planner(session, course, settings, now)
    still: list[dict[str, Any]] = []
    written: list[Appointment] = []
    for record in course.unplaced:
        added = _place_unplaced(session, planner, course, record, visits, settings, now)
        if added is None:
            still.append(record)
            continue
        visits += added
        written += added
    course.unplaced = still
    return written


def _place_unplaced(
    session: Session,
    planner: Planner,
    course: Course,
    record: dict[str, Any],
    visits: list[Appointment],
    settings: Settings,
    now: datetime,
) -> list[Appointment] | None:
    """One visit the first plan left unplaced, placed and written; None if no day has room."""
    phase = _phase(course, record.get("phase_position"))
    wanted_at = record.get("wanted_at")
    if phase is None or not isinstance(wanted_at, str):
        return None
    spec = phase_spec(phase)
    wanted_day = datetime.fromisoformat(wanted_at).astimezone(settings.zone).date()
    day = _replacement_day(
        planner, spec.service, spec.min_gap_days, visits, wanted_day, now, settings
    )
    best = planner.best_on_day(day, spec.service) if day else None
    if best is None:
        return None
    planner.visits.clear()
    planner.place(spec, spec.service, best[0], best[1], best[0])
    return _write(session, course, planner.visits, int(record["visit_number"]), now)


@dataclass(frozen=True)
class RecentEvents:
    completed: list[int]
    missed: list[int]
    unplaced: list[int]


def recent_course_events(session: Session, since: datetime) -> RecentEvents:
    """Course visits completed or missed since ``since``, and courses with unplaced visits."""
    changed = session.execute(
        select(Appointment.id, Appointment.status).where(
            Appointment.course_id.is_not(None),
            Appointment.updated_at >= since,
            Appointment.status.in_((AppointmentStatus.COMPLETED, *MISSED)),
        )
    ).all()
    courses = session.execute(
        select(Course.id, Course.unplaced).where(Course.status == CourseStatus.ACTIVE)
    ).all()
    return RecentEvents(
        completed=[i for i, status in changed if status == AppointmentStatus.COMPLETED],
        missed=[i for i, status in changed if status in MISSED],
        unplaced=[i for i, unplaced in courses if unplaced],
    )
