"""The demo courses: booked by the real planner when they were asked for, then lived to now."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.clinical.safety import QUESTIONS, assess
from scheduler.config import Settings
from scheduler.courses.booking import CourseRequest
from scheduler.courses.events import confirm_next_visit_day
from scheduler.demo.stories import Story, phone
from scheduler.errors import SlotUnavailable, ValidationFailed
from scheduler.messaging.outbox import plan_visit_messages
from scheduler.messaging.plans import plan_aftercare
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Course,
    CourseStatus,
    CourseTemplate,
    Patient,
    Practitioner,
    Service,
)
from scheduler.records.audit import Actor, acting_as
from scheduler.visits.booking import BookingRequest, PatientDetails
from scheduler.visits.intake import book_course_screened

HOURS = (9, 10, 11, 14, 15, 16)
BOOKED_AHEAD = timedelta(days=6)  # a course is asked for this long before its first visit
CONFIRMED_SHARE = 0.6  # of the visits held, how many the patient had confirmed first


@dataclass(frozen=True)
class Seeded:
    """A demo patient's course, with the personal link its texts carry."""

    story: Story
    patient: Patient
    course: Course
    manage_url: str


def at(moment: datetime, kind: str = "system") -> Actor:
    """The system (or the patient) acting at ``moment``: the audit trail dates each change
    when it happened in the clinic's history."""
    return Actor(kind=kind, label=kind, via="demo clinic", at=moment)


def clear_answers() -> dict[str, bool]:
    """The safety screen answered "no" throughout."""
    return {q.code: False for q in QUESTIONS}


def working_days(around: date) -> Iterator[date]:
    """``around`` and the weekdays nearest it, later ones first."""
    for step in range(0, 14):
        for day in (around + timedelta(days=step), around - timedelta(days=step)):
            if day.weekday() < 5:
                yield day


def _request(session: Session, story: Story, index: int, start: datetime) -> CourseRequest:
    template = session.scalars(
        select(CourseTemplate).where(CourseTemplate.code == story.template)
    ).one()
    practitioner = session.scalars(
        select(Practitioner).where(Practitioner.name == story.practitioner)
    ).one()
    booking = BookingRequest(
        service_id=template.phases[0].service_id,
        practitioner_id=practitioner.id,
        starts_at=start,
        patient=PatientDetails(story.first_name, story.last_name, phone(index), email=story.email),
        consent_reminders=True,
        consent_diary_prompts=story.diary_prompts,
        channel="phone",
        phone_proven=True,
        consent_email=True if story.email else None,
    )
    return CourseRequest(template.id, booking, weekdays=story.weekdays)


def book_story(
    session: Session, story: Story, index: int, settings: Settings, now: datetime
) -> Seeded:
    """The story's course, booked as the real planner would have on the day it was asked for
    (today for a course still to start), at the first free hour near the story's.

    :raise SlotUnavailable: if no hour near the story's day is free.
    """
    today = now.astimezone(settings.zone).date()
    for day in working_days(today + timedelta(days=story.first_visit_days)):
        for hour in (story.hour, *HOURS):
            start = datetime.combine(day, time(hour), settings.zone).astimezone(UTC)
            asked = min(now, start - BOOKED_AHEAD)
            booked = _try_booking(session, _request(session, story, index, start), settings, asked)
            if booked is not None:
                return booked_story(story, booked, settings)
    raise SlotUnavailable(f"no time for {story.first_name} {story.last_name}")


def _try_booking(
    session: Session, request: CourseRequest, settings: Settings, asked: datetime
) -> tuple[Course, str] | None:
    """The course booked at ``asked`` in a savepoint, or None when that time does not work."""
    try:
        with session.begin_nested(), acting_as(at(asked)):
            booking = book_course_screened(
                session, request, assess(clear_answers()), settings=settings, now=asked
            )
    except (ValidationFailed, SlotUnavailable):
        return None
    return booking.course, settings.manage_url(booking.manage_token)


def booked_story(story: Story, booked: tuple[Course, str], settings: Settings) -> Seeded:
    course, url = booked
    return Seeded(story, course.patient, course, url)


def course_visits(session: Session, course: Course) -> list[Appointment]:
    return list(
        session.scalars(
            select(Appointment)
            .where(Appointment.course_id == course.id)
            .order_by(Appointment.starts_at, Appointment.id)
        )
    )


def live_to(
    session: Session, seeded: Seeded, settings: Settings, now: datetime, rng: random.Random
) -> None:
    """Every visit of the course that has begun gets its outcome as the story tells it; the
    course ends or stops as told; the next visit day is booked by the real code."""
    for visit in course_visits(session, seeded.course):
        if visit.starts_at >= now or not visit.is_active:
            continue
        if _stops_before(seeded, visit):
            _stop_course(session, seeded, visit, now)
            return
        _live_visit(session, seeded, visit, settings, now, rng)
    _finish_if_done(session, seeded, now)
    if seeded.course.status == CourseStatus.ACTIVE:
        moment = _last_held(session, seeded, now)
        with acting_as(at(moment)):
            confirm_next_visit_day(session, seeded.course.id, settings, moment)


def _last_held(session: Session, seeded: Seeded, now: datetime) -> datetime:
    """When the course's last visit ended (the next visit day is booked then), or now."""
    ends = [v.ends_at for v in course_visits(session, seeded.course) if v.ends_at <= now]
    held = [e for e in ends if e >= seeded.course.created_at]
    return max(held, default=now)


def _stops_before(seeded: Seeded, visit: Appointment) -> bool:
    after = seeded.story.stopped_after
    return after is not None and (visit.visit_number or 0) > after


def _live_visit(
    session: Session,
    seeded: Seeded,
    visit: Appointment,
    settings: Settings,
    now: datetime,
    rng: random.Random,
) -> None:
    """Booked (with its texts planned then), perhaps confirmed, then held, missed or
    cancelled; a visit still going on is ``arrived``."""
    booked_at = max(visit.created_at, visit.starts_at - timedelta(days=5))
    if visit.status == AppointmentStatus.PROPOSED:
        with acting_as(at(booked_at)):
            _set(session, visit, AppointmentStatus.BOOKED, booked_at)
            plan_visit_messages(
                session, visit, manage_url=seeded.manage_url, settings=settings, now=booked_at
            )
    number = visit.visit_number or 0
    story = seeded.story
    if number in story.cancelled or number in story.cancelled_late:
        _cancel(session, visit, late=number in story.cancelled_late)
    elif number in story.missed:
        with acting_as(at(visit.ends_at)):
            _set(session, visit, AppointmentStatus.NO_SHOW, visit.ends_at)
    else:
        hold_visit(session, visit, settings, now, rng)


def _set(session: Session, visit: Appointment, status: AppointmentStatus, moment: datetime) -> None:
    visit.status = status
    visit.updated_at = moment
    session.flush()


def _cancel(session: Session, visit: Appointment, late: bool) -> None:
    """Cancelled by the patient three days ahead, or late (the evening before)."""
    ahead = timedelta(hours=15) if late else timedelta(days=3)
    moment = visit.starts_at - ahead
    with acting_as(at(moment, "patient")):
        visit.cancelled_at = moment
        status = AppointmentStatus.CANCELLED_LATE if late else AppointmentStatus.CANCELLED
        _set(session, visit, status, moment)


def hold_visit(
    session: Session, visit: Appointment, settings: Settings, now: datetime, rng: random.Random
) -> None:
    """Perhaps confirmed the day before, then arrived and (once over) completed."""
    if rng.random() < CONFIRMED_SHARE:
        confirmed_at = visit.starts_at - timedelta(hours=20)
        with acting_as(at(confirmed_at, "patient")):
            _set(session, visit, AppointmentStatus.CONFIRMED, confirmed_at)
    with acting_as(at(visit.starts_at)):
        _set(session, visit, AppointmentStatus.ARRIVED, visit.starts_at)
    if visit.ends_at <= now:
        with acting_as(at(visit.ends_at)):
            _set(session, visit, AppointmentStatus.COMPLETED, visit.ends_at)
            plan_aftercare(session, visit, settings, visit.ends_at)


def _stop_course(session: Session, seeded: Seeded, first_left: Appointment, now: datetime) -> None:
    """The patient stopped the course: every visit still held from ``first_left`` on is
    cancelled, at the time they said so."""
    moment = min(now, first_left.starts_at - timedelta(days=2))
    with acting_as(at(moment, "patient")):
        for visit in course_visits(session, seeded.course):
            if visit.is_active and visit.starts_at >= first_left.starts_at:
                visit.cancelled_at = moment
                _set(session, visit, AppointmentStatus.CANCELLED, moment)
        seeded.course.status = CourseStatus.STOPPED
        seeded.course.ended_at = moment
        session.flush()


def _finish_if_done(session: Session, seeded: Seeded, now: datetime) -> None:
    """A course whose visits have all passed is completed at its last visit's end."""
    visits = course_visits(session, seeded.course)
    if not visits or any(v.starts_at >= now and v.is_active for v in visits):
        return
    if seeded.course.unplaced:
        return
    last = max(v.ends_at for v in visits if v.status == AppointmentStatus.COMPLETED)
    with acting_as(at(last)):
        seeded.course.status = CourseStatus.COMPLETED
        seeded.course.ended_at = last
        session.flush()


def service_named(session: Session, code: str) -> Service:
    return session.scalars(select(Service).where(Service.code == code)).one()
