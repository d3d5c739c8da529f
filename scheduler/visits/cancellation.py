"""Cancelling a visit: its status, the late-cancellation rule, and its unsent messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.calendar.snapshot import load_policy
from scheduler.config import Settings
from scheduler.errors import DomainError, NotFound
from scheduler.follow_ups import FollowUp, FreedTime, what_follows
from scheduler.messaging.outbox import cancel_unsent_for_visit, plan_cancellation_email
from scheduler.models import Appointment, AppointmentStatus, Patient
from scheduler.patients.links import issue_link_token

FOLLOW_ON_WINDOW = timedelta(minutes=30)
CANCELLABLE = (
    AppointmentStatus.PROPOSED,
    AppointmentStatus.PENDING_REVIEW,
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
)


class NotCancellable(DomainError):
    """The visit has already happened, started, or been cancelled."""


@dataclass(frozen=True)
class Cancelled:
    """A cancelled visit, whether it was late, and what the workers do next."""

    visit: Appointment
    late: bool
    follow_ups: tuple[FollowUp, ...]


def cancel_visit(
    session: Session,
    appointment_id: int,
    now: datetime,
    patient: Patient | None = None,
    *,
    settings: Settings | None = None,
) -> Cancelled:
    """Cancel a visit and every message about it not yet handed to the provider; with
    ``settings``, a patient who was sent the visit's calendar invite by email is sent the
    invite that takes it off their calendar.

    Under the clinic's late-cancellation hours before the start (set-up's rules, 24 unless
    changed) it is recorded as a late cancellation. With ``patient``
    given, only that patient's visits can be found. Follows: a course visit's replacement, and
    the time offered to the waitlist.

    :raise NotFound: if there is no such visit (for that patient).
    :raise NotCancellable: if the visit is past, under way, or already cancelled.
    """
    visit = _cancellable(session, appointment_id, patient, now)
    late = is_late(session, visit, now)
    status = AppointmentStatus.CANCELLED_LATE if late else AppointmentStatus.CANCELLED
    for cancelled in (visit, *_follow_ons(session, visit)):
        cancelled.status = status
        cancelled.cancelled_at = now
        cancelled.updated_at = now
        cancelled.revision += 1
        cancel_unsent_for_visit(session, cancelled.id, now)
    session.flush()
    if settings is not None:
        url = settings.manage_url(issue_link_token(session, visit.patient, now))
        for cancelled in (visit, *_follow_ons(session, visit)):
            plan_cancellation_email(session, cancelled, url, settings, now)
    return Cancelled(visit, late, what_follows(visit, now, FreedTime.of(visit)))


def late_hours(session: Session) -> int:
    """The clinic's rule: a cancellation or move under this many hours before a visit is late."""
    return int(load_policy(session).late_cancellation.total_seconds() // 3600)


def is_late(session: Session, visit: Appointment, now: datetime) -> bool:
    """Whether giving up ``visit`` at ``now`` counts as late under the clinic's rule."""
    return visit.starts_at - now < timedelta(hours=late_hours(session))


def _cancellable(
    session: Session, appointment_id: int, patient: Patient | None, now: datetime
) -> Appointment:
    """The visit, locked, if it is still to come and not cancelled.

    :raise NotFound: if there is no such visit (for that patient).
    :raise NotCancellable: if the visit is past, under way, or already cancelled.
    """
    visit = session.get(Appointment, appointment_id, with_for_update=True)
    if visit is None or (patient is not None and visit.patient_id != patient.id):
        raise NotFound(f"appointment {appointment_id} does not exist")
    if visit.status not in CANCELLABLE or visit.starts_at <= now:
        raise NotCancellable("this visit can no longer be cancelled")
    return visit


def _follow_ons(session: Session, visit: Appointment) -> list[Appointment]:
    """A course visit's same-day "straight after" visits (Tui Na after acupuncture)."""
    if visit.course_id is None:
        return []
    return list(
        session.scalars(
            select(Appointment).where(
                Appointment.course_id == visit.course_id,
                Appointment.phase_position == visit.phase_position,
                Appointment.service_id != visit.service_id,
                Appointment.starts_at >= visit.ends_at,
                Appointment.starts_at <= visit.ends_at + FOLLOW_ON_WINDOW,
                Appointment.status.in_(CANCELLABLE),
            )
        )
    )
