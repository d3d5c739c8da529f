"""A patient with a record booking again from their personal link: their details stay as kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from scheduler.clinical.safety import Assessment, record_screen
from scheduler.config import Settings
from scheduler.models import Patient
from scheduler.visits.booking import BookingRequest, patient_answer_errors
from scheduler.visits.intake import record_stopped


def answers_to_correct(
    request: BookingRequest, settings: Settings, *, patient_id: int | None
) -> dict[str, list[str]]:
    """The answers about the patient still wrong or missing, by field: none for a returning
    patient (``patient_id``), whose details and consents are kept as they are on record."""
    if patient_id is not None:
        return {}
    return patient_answer_errors(request, settings)


def keep_stopped_screen(
    session: Session,
    request: BookingRequest,
    assessment: Assessment,
    *,
    patient_id: int | None,
    settings: Settings,
    now: datetime,
) -> bool:
    """Keep a screen that stopped an online booking so staff can follow up; nothing is booked.

    A returning patient's answers go on their record (staff are alerted and can call them); a
    new patient's are kept as ``record_stopped`` keeps them. Returns whether staff have usable
    contact details to call.
    """
    if patient_id is None:
        return record_stopped(session, request, assessment, settings=settings, now=now)
    patient = session.get(Patient, patient_id)
    if patient is not None:
        record_screen(session, patient, assessment, now, zone=settings.zone)
    return True
