"""Staff booking on a patient's behalf (a phone call, a walk-in), behind the same safety screen."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from scheduler.calendar.snapshot import load_policy, load_snapshot
from scheduler.clinical.safety import Assessment, record_screen
from scheduler.config import Settings
from scheduler.courses.booking import CourseBooking, CourseRequest
from scheduler.errors import ValidationFailed
from scheduler.messaging.outbox import plan_visit_messages
from scheduler.models import Appointment, Patient
from scheduler.patients.links import issue_link_token
from scheduler.phones import to_e164
from scheduler.visits.booking import (
    BookingRequest,
    BookingResult,
    booking_patient,
    claim_time,
    flush_or_conflict,
    patient_answer_errors,
    validate_booking,
)
from scheduler.visits.intake import SafetyStop, book_course_screened

NO_SUCH_PATIENT = "No such patient: find them again."


def on_record(session: Session, patient_id: int) -> Patient:
    """The patient a booking is for.

    :raise ValidationFailed: on ``patient_id`` if there is no such patient.
    """
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise ValidationFailed({"patient_id": [NO_SUCH_PATIENT]})
    return patient


def book_visit_for_patient(
    session: Session,
    patient_id: int,
    request: BookingRequest,
    assessment: Assessment,
    *,
    settings: Settings,
    now: datetime,
) -> BookingResult:
    """Book one visit for a patient on record, after the safety screen they answered by phone
    or at the desk: review-first answers book it ``pending_review``. Their details and consents
    stay as kept (the request's patient fields are not read); a new personal link goes in the
    confirmation text.

    :raise SafetyStop: for emergent or urgent answers (``keep_stopped_screen`` afterwards).
    :raise ValidationFailed: with every field that is wrong, or no such patient.
    :raise SlotUnavailable: if the practitioner or every room is taken at that time.
    """
    if assessment.stops_booking:
        raise SafetyStop(assessment)
    patient = on_record(session, patient_id)
    screened = replace(request, pending_review=assessment.needs_review)
    visit = _claimed_visit(session, screened, patient, settings=settings, now=now)
    session.add(visit)
    token = issue_link_token(session, patient, now)
    flush_or_conflict(session)
    url = settings.manage_url(token)
    messages = plan_visit_messages(session, visit, manage_url=url, settings=settings, now=now)
    record_screen(session, patient, assessment, now, zone=settings.zone)
    return BookingResult(visit, patient, token, messages)


def _claimed_visit(
    session: Session,
    request: BookingRequest,
    patient: Patient,
    *,
    settings: Settings,
    now: datetime,
) -> Appointment:
    """The visit the request asks for, its time checked free on the calendar around it.

    :raise ValidationFailed, SlotUnavailable: as ``book_visit``.
    """
    policy = load_policy(session)
    _, service, practitioner = validate_booking(
        session, request, settings=settings, now=now, policy=policy, with_patient=False
    )
    start = request.starts_at
    window = (start - timedelta(days=1), start + timedelta(days=2))
    snapshot = load_snapshot(session, *window, settings.zone, [practitioner.id])
    room_id = claim_time(snapshot, practitioner.id, service, start)
    return Appointment(
        patient=patient,
        practitioner=practitioner,
        service=service,
        room_id=room_id,
        starts_at=start,
        ends_at=start + timedelta(minutes=service.duration_min),
        blocked_until=start + timedelta(minutes=service.duration_min + service.buffer_min),
        status=request.first_status,
        booked_via=request.channel,
        created_at=now,
        updated_at=now,
    )


def book_course_for_patient(
    session: Session,
    patient_id: int,
    request: CourseRequest,
    assessment: Assessment,
    *,
    settings: Settings,
    now: datetime,
) -> CourseBooking:
    """Book a course for a patient on record, as ``book_course_screened`` books one from their
    personal link: their details and consents stay as kept; a new personal link goes in the
    texts (staff never see an old one).

    :raise SafetyStop: for emergent or urgent answers (``keep_stopped_screen`` afterwards).
    :raise ValidationFailed, SlotUnavailable: as ``book_course_screened``; nothing is written.
    """
    if assessment.stops_booking:
        raise SafetyStop(assessment)
    patient = on_record(session, patient_id)
    token = issue_link_token(session, patient, now)
    for_patient = replace(request, patient_id=patient.id, link_token=token)
    return book_course_screened(session, for_patient, assessment, settings=settings, now=now)


def keep_stopped_screen(
    session: Session,
    request: BookingRequest,
    assessment: Assessment,
    *,
    patient_id: int | None,
    settings: Settings,
    now: datetime,
) -> Patient:
    """Keep a screen that stopped a staff booking: nothing is booked, no text is sent, and
    the answers go on the patient's record with the staff alert every stop raises. A new
    patient's record is made from the details staff took (the number counts as proven).

    :raise ValidationFailed: if the patient is not on record, or their details are wrong.
    """
    if patient_id is not None:
        patient = on_record(session, patient_id)
    else:
        if errors := patient_answer_errors(request, settings):
            raise ValidationFailed(errors)
        phone = to_e164(request.patient.phone, settings.default_phone_region, settings.sms_regions)
        proven = replace(request, phone_proven=True)
        patient = booking_patient(session, proven, phone, settings, now)
    record_screen(session, patient, assessment, now, zone=settings.zone)
    return patient
