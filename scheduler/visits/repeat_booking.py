"""A second press of the book button: the same person's visit at that time, booked moments ago."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.config import Settings
from scheduler.models import ACTIVE_STATUSES, Appointment, Patient
from scheduler.phones import InvalidPhone, to_e164
from scheduler.visits.booking import BookingRequest

DOUBLE_SUBMIT_WINDOW = timedelta(minutes=10)


def is_repeat_booking(
    session: Session, request: BookingRequest, settings: Settings, now: datetime
) -> bool:
    """Whether the time refused as taken is held by this same person's visit, booked within
    ``DOUBLE_SUBMIT_WINDOW`` (a second press of the button): they are told they are booked
    instead of being asked to choose another time. A phone that is no valid number is no one's.
    """
    try:
        phone = to_e164(request.patient.phone, settings.default_phone_region, settings.sms_regions)
    except InvalidPhone:
        return False
    found = session.scalars(
        select(Appointment.id)
        .join(Patient, Patient.id == Appointment.patient_id)
        .where(
            Appointment.starts_at == request.starts_at,
            Appointment.practitioner_id == request.practitioner_id,
            Appointment.status.in_(ACTIVE_STATUSES),
            Appointment.created_at >= now - DOUBLE_SUBMIT_WINDOW,
            Patient.phone_e164 == phone,
        )
    ).first()
    return found is not None
