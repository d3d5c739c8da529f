"""A time held from the waitlist for a patient with a personal link, for the offer tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from scheduler.config import Settings
from scheduler.db import Database
from scheduler.follow_ups import FreedTime
from scheduler.models import Patient
from scheduler.visits.cancellation import cancel_visit
from scheduler.visits.waitlist import join_waitlist, offer_freed_time
from tests.support.factories import book

WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
NEXT_WEDNESDAY_10AM = WEDNESDAY_10AM + timedelta(days=7)


@dataclass(frozen=True)
class Offered:
    """A patient's personal link, the later visit they waited to replace, and the offer."""

    token: str
    later_visit: int
    offer: int
    held_visit: int
    practitioner: int


def held_offer(db: Database, settings: Settings, now: datetime) -> Offered:
    """The patient waits for an earlier time than next Wednesday's visit; this Wednesday 10:00
    is then cancelled by someone else and held for them (the clinic must exist)."""
    waiting = book(db, settings, now, NEXT_WEDNESDAY_10AM)
    taken = book(db, settings, now, WEDNESDAY_10AM, phone="07400123499").appointment
    with db.transaction() as session:
        join_waitlist(
            session,
            session.get_one(Patient, waiting.patient.id),
            service_id=taken.service_id,
            earliest=now,
            latest=NEXT_WEDNESDAY_10AM,
            now=now,
            appointment_id=waiting.appointment.id,
        )
        cancel_visit(session, taken.id, now)
        freed = FreedTime(taken.practitioner_id, WEDNESDAY_10AM)
        offer = offer_freed_time(session, freed, settings=settings, now=now)
        assert offer is not None and offer.entry.patient_id == waiting.patient.id
        ids = (offer.id, offer.appointment_id)
    return Offered(waiting.manage_token, waiting.appointment.id, *ids, taken.practitioner_id)
