"""Recording what happened at a visit: arrived, completed or no-show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from scheduler.config import Settings
from scheduler.errors import DomainError, NotFound
from scheduler.follow_ups import FollowUp, what_follows
from scheduler.messaging.outbox import cancel_unsent_for_visit
from scheduler.messaging.plans import plan_aftercare
from scheduler.models import Appointment, AppointmentStatus

EARLY_ARRIVAL = timedelta(hours=1)

# Which outcome may follow which status.
ALLOWED = {
    AppointmentStatus.ARRIVED: {AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED},
    AppointmentStatus.COMPLETED: {
        AppointmentStatus.BOOKED,
        AppointmentStatus.CONFIRMED,
        AppointmentStatus.ARRIVED,
    },
    AppointmentStatus.NO_SHOW: {AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED},
}


class InvalidTransition(DomainError):
    """That outcome cannot be recorded for the visit as it stands."""


@dataclass(frozen=True)
class Recorded:
    """A visit with its outcome recorded, and what the workers do next."""

    visit: Appointment
    follow_ups: tuple[FollowUp, ...]


def record_attendance(
    session: Session,
    appointment_id: int,
    outcome: AppointmentStatus,
    now: datetime,
    settings: Settings | None = None,
) -> Recorded:
    """Mark a visit arrived, completed or no-show; a completed dry needling visit gets its
    after-care text planned (with ``settings``). Follows: for a course visit, the next visit
    day after a completion, a replacement after a no-show.

    :raise NotFound: if there is no such visit.
    :raise InvalidTransition: if the visit has not started yet (arrival aside: up to an hour
        early), or its status does not allow the outcome.
    """
    visit = session.get(Appointment, appointment_id, with_for_update=True)
    if visit is None:
        raise NotFound(f"appointment {appointment_id} does not exist")
    _check(visit, outcome, now)
    _set_outcome(session, visit, outcome, now)
    if outcome == AppointmentStatus.COMPLETED and settings is not None:
        plan_aftercare(session, visit, settings, now)
    # No time is freed: a no-show's time has already passed, so there is nothing to offer on.
    return Recorded(visit, what_follows(visit, now))


def _set_outcome(
    session: Session, visit: Appointment, outcome: AppointmentStatus, now: datetime
) -> None:
    """Record the outcome; after a no-show, no more texts go out about the visit."""
    visit.status = outcome
    visit.updated_at = now
    if outcome == AppointmentStatus.NO_SHOW:
        cancel_unsent_for_visit(session, visit.id, now)
    session.flush()


def _check(visit: Appointment, outcome: AppointmentStatus, now: datetime) -> None:
    """:raise InvalidTransition: if ``outcome`` cannot be recorded for ``visit`` at ``now``."""
    if outcome not in ALLOWED:
        raise InvalidTransition(f"{outcome.value} is not a visit outcome")
    if visit.status not in ALLOWED[outcome]:
        raise InvalidTransition(f"a {visit.status.value} visit cannot become {outcome.value}")
    if outcome != AppointmentStatus.ARRIVED and now < visit.starts_at:
        raise InvalidTransition("the visit has not started yet")
    if outcome == AppointmentStatus.ARRIVED and now < visit.starts_at - EARLY_ARRIVAL:
        raise InvalidTransition("the visit is more than an hour away")
