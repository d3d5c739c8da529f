"""Confirming a booking that waited for a practitioner's review of its safety screen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from scheduler.config import Settings
from scheduler.errors import DomainError, NotFound
from scheduler.messaging.outbox import plan_visit_messages
from scheduler.models import Appointment, AppointmentStatus
from scheduler.patients.links import issue_link_token


class NotPendingReview(DomainError):
    """The booking is not waiting for a review (already confirmed, cancelled, or never was)."""


def confirm_review(
    session: Session, appointment_id: int, *, settings: Settings, now: datetime
) -> Appointment:
    """A practitioner has reviewed the booking: it becomes booked, and an upcoming visit gets
    its confirmation and reminders (only those not already planned).

    :raise NotFound: if there is no such visit.
    :raise NotPendingReview: if the visit is not pending review.
    """
    visit = session.get(Appointment, appointment_id, with_for_update=True)
    if visit is None:
        raise NotFound(f"appointment {appointment_id} does not exist")
    if visit.status != AppointmentStatus.PENDING_REVIEW:
        raise NotPendingReview("this booking is not waiting for a review")
    visit.status = AppointmentStatus.BOOKED
    visit.updated_at = now
    session.flush()
    if visit.starts_at > now:
        url = settings.manage_url(issue_link_token(session, visit.patient, now))
        plan_visit_messages(session, visit, manage_url=url, settings=settings, now=now)
    return visit
