"""The demo's other patients and events: today's single visits, a waitlist, a review, replies."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.clinical.safety import QUESTIONS, Assessment, assess
from scheduler.config import Settings
from scheduler.demo.history import Seeded, at, clear_answers, hold_visit, working_days
from scheduler.demo.messages import text_the_clinic
from scheduler.demo.stories import REVIEW_PATIENT, WAITLIST_PATIENT, phone
from scheduler.errors import SlotUnavailable, ValidationFailed
from scheduler.models import (
    Appointment,
    ConsentKind,
    CourseStatus,
    Practitioner,
    SafetyTier,
    Service,
)
from scheduler.patients.consents import record_consent_answers
from scheduler.records.audit import acting_as
from scheduler.visits.booking import BookingRequest, BookingResult, PatientDetails
from scheduler.visits.intake import book_visit_screened
from scheduler.visits.waitlist import join_waitlist

# Single visits on today's list: first name, last name, service, practitioner, hour.
TODAY = (
    ("Nadia", "Hussain", "telehealth", "Tom Okafor", 9),
    ("Emily", "Clarke", "tuina", "Tom Okafor", 15),
    ("Tom", "Baker", "telehealth", "Dr Mei Lin", 17),
)
FIRST_SINGLE = 20  # phone numbers of single-visit patients start here
BOOKED_AHEAD = timedelta(days=4)


def review_answers() -> Assessment:
    """The first answer of the screen that asks for a practitioner's review before booking."""
    for question in QUESTIONS:
        answers = {**clear_answers(), question.code: True}
        if assess(answers).tier == SafetyTier.REVIEW:
            return assess(answers)
    raise LookupError("the safety screen has no review-first question")


def _service_id(session: Session, code: str) -> int:
    return session.scalars(select(Service.id).where(Service.code == code)).one()


def _practitioner_id(session: Session, name: str) -> int:
    return session.scalars(select(Practitioner.id).where(Practitioner.name == name)).one()


def book_single(
    session: Session,
    who: tuple[str, str, int],
    what: tuple[str, str, datetime],
    settings: Settings,
    asked: datetime,
    assessment: Assessment | None = None,
) -> BookingResult | None:
    """One visit booked through the screened use case at ``asked``; None when the time is
    not free."""
    first, last, index = who
    code, practitioner, start = what
    request = BookingRequest(
        service_id=_service_id(session, code),
        practitioner_id=_practitioner_id(session, practitioner),
        starts_at=start,
        patient=PatientDetails(first, last, phone(index)),
        consent_reminders=True,
        consent_diary_prompts=False,
        channel="phone",
        phone_proven=True,
    )
    try:
        with session.begin_nested(), acting_as(at(asked)):
            return book_visit_screened(
                session,
                request,
                assessment or assess(clear_answers()),
                settings=settings,
                now=asked,
            )
    except (ValidationFailed, SlotUnavailable):
        return None


def todays_single_visits(
    session: Session, settings: Settings, now: datetime, rng: random.Random
) -> int:
    """Single visits on today's list (on a working day): held when they have begun."""
    today = now.astimezone(settings.zone).date()
    if today.weekday() >= 5:
        return 0
    booked = 0
    for offset, (first, last, code, practitioner, hour) in enumerate(TODAY):
        start = datetime.combine(today, time(hour), settings.zone).astimezone(UTC)
        who = (first, last, FIRST_SINGLE + offset)
        result = book_single(
            session, who, (code, practitioner, start), settings, start - BOOKED_AHEAD
        )
        if result is None:
            continue
        booked += 1
        if start < now:
            hold_visit(session, result.appointment, settings, now, rng)
    return booked


def _first_free(session: Session, who: tuple[str, str, int], code: str, practitioner: str,
                days_ahead: int, settings: Settings, now: datetime,
                assessment: Assessment | None = None) -> BookingResult | None:  # fmt: skip
    """The first free hour on a working day about ``days_ahead`` from today, booked now."""
    today = now.astimezone(settings.zone).date()
    for day in working_days(today + timedelta(days=days_ahead)):
        for hour in (10, 11, 14, 15, 16, 9):
            start = datetime.combine(day, time(hour), settings.zone).astimezone(UTC)
            asked = now - timedelta(hours=2)
            result = book_single(
                session, who, (code, practitioner, start), settings, asked, assessment
            )
            if result is not None:
                return result
    return None


def pending_review(session: Session, settings: Settings, now: datetime) -> Appointment | None:
    """A new patient whose screen asked for review first: their consultation waits for it."""
    who = (*REVIEW_PATIENT, FIRST_SINGLE + len(TODAY))
    result = _first_free(session, who, "initial", "Sara Novak", 3, settings, now, review_answers())
    return result.appointment if result else None


def waiting_for_earlier(session: Session, settings: Settings, now: datetime) -> int | None:
    """A patient with a visit in about ten days who asks for any earlier time."""
    who = (*WAITLIST_PATIENT, FIRST_SINGLE + len(TODAY) + 1)
    result = _first_free(session, who, "acupuncture", "Sara Novak", 10, settings, now)
    if result is None:
        return None
    visit = result.appointment
    asked = now - timedelta(hours=1)
    with acting_as(at(asked, "patient")):
        entry = join_waitlist(
            session,
            result.patient,
            service_id=visit.service_id,
            earliest=now + timedelta(hours=3),
            latest=visit.starts_at,
            now=asked,
            appointment_id=visit.id,
        )
    return entry.id


def replies_and_consents(
    session: Session, seeded: list[Seeded], settings: Settings, now: datetime
) -> None:
    """Patients who confirmed their next visit by text a few hours ago, and one who, after
    finishing their course, asked for no more reminders (kept in the consent ledger)."""
    for one in seeded:
        for body in one.story.sms_replies:
            text_the_clinic(session, one.patient, body, settings, now - timedelta(hours=3))
    finished = [s for s in seeded if s.course.status == CourseStatus.COMPLETED]
    for one in finished[:1]:
        moment = min(now, (one.course.ended_at or now) + timedelta(days=2))
        with acting_as(at(moment, "patient")):
            record_consent_answers(
                session, one.patient, {ConsentKind.REMINDERS: False}, channel="web", now=moment
            )
