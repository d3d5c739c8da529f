"""Online booking behind the safety screen: stop, book for review, or book (DOMAIN.md 4)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from scheduler.clinical.safety import ALERT_TEXT, Assessment, record_screen
from scheduler.config import Settings
from scheduler.courses.booking import CourseBooking, CourseRequest, book_course, plan_for_request
from scheduler.errors import DomainError, ValidationFailed
from scheduler.models import SafetyTier, StaffAlert
from scheduler.patients.verification import PROOF_NEEDED
from scheduler.phones import InvalidPhone, to_e164
from scheduler.visits.booking import (
    BookingRequest,
    BookingResult,
    book_visit,
    check_booking,
    create_patient,
    patient_answer_errors,
)


class SafetyStop(DomainError):
    """The screen's answers stop online booking (emergent or urgent)."""

    def __init__(self, assessment: Assessment) -> None:
        super().__init__(f"online booking stopped: {assessment.tier.value}")
        self.assessment = assessment


def require_proof(request: BookingRequest, check: Callable[[], object]) -> None:
    """An anonymous booking proves its phone first (DOMAIN.md section 7, the public surface):
    a proof from a texted code, or staff entering the number. Without either, the booking is
    refused with every other fault ``check`` finds in it too, so one answer names them all.

    :raise ValidationFailed: on ``phone_proof`` and every field ``check`` finds wrong.
    :raise SlotUnavailable: if ``check`` finds the time taken (a proof would not help).
    """
    if request.phone_proof or request.phone_proven:
        return
    try:
        check()
        wrong: dict[str, list[str]] = {}
    except ValidationFailed as exc:
        wrong = exc.fields
    raise ValidationFailed({**wrong, "phone_proof": [PROOF_NEEDED]})


def _screened(request: BookingRequest, assessment: Assessment) -> BookingRequest:
    if assessment.stops_booking:
        raise SafetyStop(assessment)
    return BookingRequest(**{**request.__dict__, "pending_review": assessment.needs_review})


def book_visit_screened(
    session: Session,
    request: BookingRequest,
    assessment: Assessment,
    *,
    settings: Settings,
    now: datetime,
) -> BookingResult:
    """Book one visit after the safety screen: review-first answers book it ``pending_review``.

    :raise SafetyStop: for emergent or urgent answers (call ``record_stopped`` afterwards).
    :raise ValidationFailed, SlotUnavailable: as ``book_visit``, and on ``phone_proof``
        without a proof of the phone (``require_proof``); nothing is written.
    """
    screened = _screened(request, assessment)  # a stop is told before a missing proof
    require_proof(screened, lambda: check_booking(session, screened, settings=settings, now=now))
    result = book_visit(session, screened, settings=settings, now=now)
    record_screen(session, result.patient, assessment, now, zone=settings.zone)
    return result


def book_course_screened(
    session: Session,
    request: CourseRequest,
    assessment: Assessment,
    *,
    settings: Settings,
    now: datetime,
) -> CourseBooking:
    """Book a course after the safety screen, which is kept with the course.

    :raise SafetyStop: for emergent or urgent answers (call ``record_stopped`` afterwards).
    :raise ValidationFailed, SlotUnavailable: as ``book_course``, and on ``phone_proof`` when
        a new patient has no proof of the phone (``require_proof``); nothing is written.
    """
    booking = _screened(request.booking, assessment)  # a stop is told before a missing proof
    screened = CourseRequest(**{**request.__dict__, "booking": booking})
    if request.patient_id is None:  # a returning patient's link stands for their phone
        require_proof(
            booking, lambda: plan_for_request(session, screened, settings=settings, now=now)
        )
    result = book_course(session, screened, settings=settings, now=now)
    session.flush()
    record_screen(
        session, result.patient, assessment, now, course_id=result.course.id, zone=settings.zone
    )
    return result


def record_stopped(
    session: Session,
    request: BookingRequest,
    assessment: Assessment,
    *,
    settings: Settings,
    now: datetime,
) -> bool:
    """Keep a stopped screen so staff can follow up: the patient's contact details, their
    answers and a staff alert (at most one a phone a day, see ``raise_stop_alert``). Nothing is
    booked and no text is sent.

    Returns False when the contact details were unusable: an alert is still raised, without
    a patient record, so staff know someone was turned away.
    """
    if not _contact_usable(request, settings):
        session.add(_alert_without_patient(assessment.tier, now))
        return False
    try:
        phone = to_e164(request.patient.phone, settings.default_phone_region, settings.sms_regions)
    except InvalidPhone:  # pragma: no cover - checked just above
        return False
    patient = create_patient(session, request, phone, settings, now)
    record_screen(session, patient, assessment, now, zone=settings.zone)
    return True


def _contact_usable(request: BookingRequest, settings: Settings) -> bool:
    """Whether the patient's own details are right (the consent answers and the optional
    email aside: a wrong email is left off the record)."""
    errors = patient_answer_errors(request, settings)
    return not errors.keys() - {"consent_reminders", "consent_diary_prompts", "email"}


def _alert_without_patient(tier: SafetyTier, now: datetime) -> StaffAlert:
    """The screen's staff alert when there is no patient record to attach it to."""
    return StaffAlert(kind=f"safety_{tier.value}", detail=ALERT_TEXT[tier], created_at=now)
