"""Recording what happened at a visit: arrived, completed or no-show."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from scheduler.config import Settings
from scheduler.errors import DomainError, NotFound
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


def record_attendance(
    session: Session,
    appointment_id: int,
    outcome: AppointmentStatus,
    now: datetime,
    settings: Settings | None = None,
) -> Appointment:
    """Mark a visit arrived, completed or no-show; a completed dry needling visit gets its
    after-care text planned (with ``settings``).

    :raise NotFound: if there is no such visit.
    :raise InvalidTransition: if the visit has not started yet (arrival aside: up to an hour
        early), or its status does not allow the outcome.
    """
    visit = session.get(Appointment, appointment_id, with_for_update=True)
    if visit is None:
        raise NotFound(f"appointment {appointment_id} does not exist")
    if outcome not in ALLOWED:
        raise InvalidTransition(f"{outcome.value} is not a visit outcome")
    if visit.status not in ALLOWED[outcome]:
        raise InvalidTransition(f"a {visit.status.value} visit cannot become {outcome.value}")
    if outcome != AppointmentStatus.ARRIVED and now < visit.starts_at:
        raise InvalidTransition("the visit has not started yet")
    if outcome == AppointmentStatus.ARRIVED and now < visit.starts_at - EARLY_ARRIVAL:
        raise InvalidTransition("the visit is more than an hour away")
    visit.status = outcome
    visit.updated_at = now
    if outcome == AppointmentStatus.NO_SHOW:
        cancel_unsent_for_visit(session, visit.id, now)
    session.flush()
    if outcome == AppointmentStatus.COMPLETED and settings is not None:
        plan_aftercare(session, visit, settings, now)
    return visit
