"""A patient confirming an upcoming visit (from their page; the C reply does the same by SMS)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from scheduler.errors import DomainError, NotFound
from scheduler.models import Appointment, AppointmentStatus, Patient


class NotConfirmable(DomainError):
    """The visit is not one the patient can confirm (already confirmed, past, or cancelled)."""


def confirm_visit(
    session: Session, appointment_id: int, patient: Patient, now: datetime
) -> Appointment:
    """Mark the patient's upcoming booked visit confirmed; confirming twice changes nothing.

    :raise NotFound: if the visit is not the patient's.
    :raise NotConfirmable: if it is past, proposed, waiting for review, or cancelled.
    """
    visit = session.get(Appointment, appointment_id, with_for_update=True)
    if visit is None or visit.patient_id != patient.id:
        raise NotFound("no such visit")
    if visit.status == AppointmentStatus.CONFIRMED:
        return visit
    if visit.starts_at <= now:
        raise NotConfirmable("that visit has already started")
    if visit.status != AppointmentStatus.BOOKED:
        raise NotConfirmable("only a booked visit can be confirmed")
    visit.status = AppointmentStatus.CONFIRMED
    visit.updated_at = now
    return visit
