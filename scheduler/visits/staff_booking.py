"""Staff booking on a patient's behalf (a phone call, a walk-in), behind the same safety screen."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from scheduler.clinical.safety import Assessment, record_screen
from scheduler.config import Settings
from scheduler.courses.booking import CourseBooking, CourseRequest
from scheduler.errors import ValidationFailed
from scheduler.models import Patient
from scheduler.patients.links import issue_link_token
from scheduler.patients.verification import proven_owner
from scheduler.phones import InvalidPhone, to_e164
from scheduler.visits.booking import (
    BookingRequest,
    BookingResult,
    book_visit_on_record,
    booking_patient,
    patient_answer_errors,
)
from scheduler.visits.intake import SafetyStop, book_course_screened, book_visit_screened

NO_SUCH_PATIENT = "No such patient: find them again."
NUMBER_ON_RECORD = "This number belongs to {name} already: find them under Find a patient."


class NumberOnRecord(ValidationFailed):
    """The number staff typed for a new patient is one a patient on record has proven: the
    booking is for them (found under Find a patient), or needs another number."""


def number_on_record_errors(
    session: Session, request: BookingRequest, settings: Settings
) -> dict[str, list[str]]:
    """The phone's error when a patient on record has proven the number typed for a new
    patient (the booking would otherwise go on that patient's record); none for a number no
    one has proven, or one that is no number (its own check says so)."""
    try:
        phone = to_e164(request.patient.phone, settings.default_phone_region, settings.sms_regions)
    except InvalidPhone:
        return {}
    owner = proven_owner(session, phone)
    if owner is None:
        return {}
    initial = f"{owner.last_name.strip()[:1]}." if owner.last_name.strip() else ""
    name = " ".join(part for part in (owner.first_name.strip(), initial) if part)
    return {"phone": [NUMBER_ON_RECORD.format(name=name)]}


def _refuse_number_on_record(session: Session, request: BookingRequest, settings: Settings) -> None:
    """:raise NumberOnRecord: if a patient on record has proven the new patient's number."""
    if errors := number_on_record_errors(session, request, settings):
        raise NumberOnRecord(errors)


def on_record(session: Session, patient_id: int) -> Patient:
    """The patient a booking is for.

    :raise ValidationFailed: on ``patient_id`` if there is no such patient.
    """
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise ValidationFailed({"patient_id": [NO_SUCH_PATIENT]})
    return patient


def book_visit_by_staff(
    session: Session,
    patient_id: int | None,
    request: BookingRequest,
    assessment: Assessment,
    *,
    settings: Settings,
    now: datetime,
) -> BookingResult:
    """Book one visit after the safety screen staff asked by phone or at the desk:
    review-first answers book it ``pending_review``. For a patient on record (``patient_id``)
    their details and consents stay as kept and a new personal link goes in the confirmation
    text; for a new patient (None) the details staff took make the record, as
    ``book_visit_screened`` makes one online, the number counting as proven.

    :raise SafetyStop: for emergent or urgent answers (``keep_stopped_screen`` afterwards).
    :raise NumberOnRecord: if a new patient's number is one a patient on record has proven.
    :raise ValidationFailed: with every field that is wrong, or no such patient.
    :raise SlotUnavailable: if the practitioner or every room is taken at that time.
    """
    if patient_id is None:
        _refuse_number_on_record(session, request, settings)
        return book_visit_screened(session, request, assessment, settings=settings, now=now)
    if assessment.stops_booking:
        raise SafetyStop(assessment)
    patient = on_record(session, patient_id)
    screened = replace(request, pending_review=assessment.needs_review)
    result = book_visit_on_record(session, patient, screened, settings=settings, now=now)
    record_screen(session, patient, assessment, now, zone=settings.zone)
    return result


def book_course_by_staff(
    session: Session,
    patient_id: int | None,
    request: CourseRequest,
    assessment: Assessment,
    *,
    settings: Settings,
    now: datetime,
) -> CourseBooking:
    """Book a course as ``book_course_screened`` does, for a patient on record
    (``patient_id``: their details and consents stay as kept; a new personal link goes in the
    texts, staff never see an old one) or a new patient (None) from the details staff took.

    :raise SafetyStop: for emergent or urgent answers (``keep_stopped_screen`` afterwards).
    :raise NumberOnRecord: if a new patient's number is one a patient on record has proven.
    :raise ValidationFailed, SlotUnavailable: as ``book_course_screened``; nothing is written.
    """
    if patient_id is None:
        _refuse_number_on_record(session, request.booking, settings)
        return book_course_screened(session, request, assessment, settings=settings, now=now)
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
    :raise NumberOnRecord: if a patient on record has proven the new patient's number.
    """
    if patient_id is not None:
        patient = on_record(session, patient_id)
    else:
        if errors := patient_answer_errors(request, settings):
            raise ValidationFailed(errors)
        _refuse_number_on_record(session, request, settings)
        phone = to_e164(request.patient.phone, settings.default_phone_region, settings.sms_regions)
        proven = replace(request, phone_proven=True)
        patient = booking_patient(session, proven, phone, settings, now)
    record_screen(session, patient, assessment, now, zone=settings.zone)
    return patient
