"""Confirming a booking that waited for a practitioner's review of its safety screen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.clinical.alerts import close_review_alerts
from scheduler.config import Settings
from scheduler.errors import DomainError, NotFound
from scheduler.messaging.outbox import plan_visit_messages
from scheduler.models import Appointment, AppointmentStatus, SafetyScreen, SafetyTier
from scheduler.patients.links import issue_link_token


class NotPendingReview(DomainError):
    """The booking is not waiting for a review (already confirmed, cancelled, or never was)."""


def confirm_review(
    session: Session,
    appointment_id: int,
    *,
    settings: Settings,
    now: datetime,
    reviewed_by_id: int | None = None,
) -> Appointment:
    """A practitioner has reviewed the booking: it becomes booked, and an upcoming visit gets
    its confirmation and reminders (only those not already planned). The patient's review-first
    screens are marked reviewed and their open review alert is closed ("reviewed"), by
    ``reviewed_by_id``.

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
    _mark_screens_reviewed(session, visit.patient_id, reviewed_by_id, now)
    close_review_alerts(session, visit.patient_id, closed_by_id=reviewed_by_id, now=now)
    session.flush()
    if visit.starts_at > now:
        url = settings.manage_url(issue_link_token(session, visit.patient, now))
        plan_visit_messages(session, visit, manage_url=url, settings=settings, now=now)
    return visit


def _mark_screens_reviewed(
    session: Session, patient_id: int, reviewed_by_id: int | None, now: datetime
) -> None:
    """The patient's review-first screens not yet reviewed are reviewed now."""
    screens = session.scalars(
        select(SafetyScreen).where(
            SafetyScreen.patient_id == patient_id,
            SafetyScreen.tier == SafetyTier.REVIEW,
            SafetyScreen.reviewed_at.is_(None),
        )
    )
    for screen in screens:
        screen.reviewed_at = now
        screen.reviewed_by_id = reviewed_by_id
