"""Moving visits and the waitlist, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from scheduler.calendar.availability import to_minutes
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.errors import NotFound, SlotUnavailable, ValidationFailed
from scheduler.follow_ups import FreedTime
from scheduler.follow_ups import offer_freed_time as offer_of
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    MessageKind,
    MessageStatus,
    OfferStatus,
    OutboundMessage,
    Patient,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from scheduler.visits.cancellation import cancel_visit
from scheduler.visits.rescheduling import NotMovable, alternatives, reschedule_visit
from scheduler.visits.waitlist import (
    OfferClosed,
    accept_offer,
    decline_offer,
    expire_offers,
    join_waitlist,
    offer_freed_time,
    withdraw,
)
from tests.conftest import MONDAY_8AM
from tests.support.factories import book, demo_clinic

WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
FRIDAY_10AM = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def messages(db: Database, appointment_id: int) -> list[tuple[MessageKind, MessageStatus]]:
    with db.session() as session:
        rows = session.execute(
            select(OutboundMessage.kind, OutboundMessage.status)
            .where(OutboundMessage.appointment_id == appointment_id)
            .order_by(OutboundMessage.id)
        )
        return [(kind, status) for kind, status in rows]


def test_a_moved_visit_gets_reminders_for_the_new_time_only(
    db: Database, settings: Settings
) -> None:
    visit = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM).appointment
    with db.transaction() as session:
        move = reschedule_visit(session, visit.id, FRIDAY_10AM, settings=settings, now=MONDAY_8AM)
        assert move.freed == FreedTime(visit.practitioner_id, WEDNESDAY_10AM)
        assert move.follow_ups == (offer_of(move.freed),)
        assert not move.late
    with db.session() as session:
        moved = session.get_one(Appointment, visit.id)
        assert moved.starts_at == FRIDAY_10AM
        assert moved.blocked_until == FRIDAY_10AM + timedelta(minutes=55)
        pending = session.scalars(
            select(OutboundMessage).where(OutboundMessage.status == MessageStatus.PENDING)
        ).all()
    assert {(m.kind, m.planned_for) for m in pending} == {
        (MessageKind.RESCHEDULED, FRIDAY_10AM),
        (MessageKind.REMINDER_48H, FRIDAY_10AM),
        (MessageKind.REMINDER_2H, FRIDAY_10AM),
    }
    assert ("Fri 6 Mar at 10:00") in next(
        m.body for m in pending if m.kind == MessageKind.RESCHEDULED
    )
    cancelled = [k for k, s in messages(db, visit.id) if s == MessageStatus.CANCELLED]
    assert sorted(cancelled) == sorted(
        [MessageKind.CONFIRMATION, MessageKind.REMINDER_48H, MessageKind.REMINDER_2H]
    )
    # The old time is free again: another patient books it.
    taken = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM, phone="07400123450").appointment
    with db.session() as session:
        newcomer = session.get_one(Appointment, taken.id)
        assert (newcomer.starts_at, newcomer.status) == (WEDNESDAY_10AM, AppointmentStatus.BOOKED)
        assert newcomer.patient_id != visit.patient_id


def test_a_visit_can_move_within_its_own_time(db: Database, settings: Settings) -> None:
    visit = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM).appointment
    later = WEDNESDAY_10AM + timedelta(minutes=15)  # overlaps only itself
    with db.transaction() as session:
        move = reschedule_visit(session, visit.id, later, settings=settings, now=MONDAY_8AM)
        assert not move.late
    with db.session() as session:
        moved = session.get_one(Appointment, visit.id)
        assert (moved.starts_at, moved.status) == (later, AppointmentStatus.BOOKED)
        assert moved.blocked_until == later + timedelta(minutes=55)
        visits = session.scalars(
            select(Appointment.id).where(Appointment.patient_id == visit.patient_id)
        ).all()
    assert visits == [visit.id]  # moved, not copied


def test_a_move_under_24_hours_is_recorded_as_late(db: Database, settings: Settings) -> None:
    visit = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM).appointment
    tuesday_noon = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    with db.transaction() as session:
        move = reschedule_visit(session, visit.id, FRIDAY_10AM, settings=settings, now=tuesday_noon)
        assert move.late
        assert "under 24 hours" in move.visit.planning_note


@pytest.mark.parametrize(
    ("new_start", "error"),
    [
        (datetime(2026, 3, 6, 19, 0, tzinfo=UTC), ValidationFailed),
        (datetime(2026, 3, 1, 10, 0, tzinfo=UTC), ValidationFailed),
        (datetime(2026, 3, 6, 10, 5, tzinfo=UTC), ValidationFailed),
        (FRIDAY_10AM, SlotUnavailable),
    ],
)
def test_a_move_to_a_bad_or_taken_time_is_refused_and_changes_nothing(
    db: Database, settings: Settings, new_start: datetime, error: type[Exception]
) -> None:
    visit = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM).appointment
    book(db, settings, MONDAY_8AM, FRIDAY_10AM, phone="07400123451")
    before = messages(db, visit.id)
    with pytest.raises(error), db.transaction() as session:
        reschedule_visit(session, visit.id, new_start, settings=settings, now=MONDAY_8AM)
    with db.session() as session:
        assert session.get_one(Appointment, visit.id).starts_at == WEDNESDAY_10AM
    assert messages(db, visit.id) == before


def test_only_the_patients_own_upcoming_visit_can_be_moved(
    db: Database, settings: Settings
) -> None:
    mine = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM)
    other = book(db, settings, MONDAY_8AM, FRIDAY_10AM, phone="07400123452")
    with pytest.raises(NotFound), db.transaction() as session:
        patient = session.get_one(Patient, mine.patient.id)
        reschedule_visit(
            session,
            other.appointment.id,
            WEDNESDAY_10AM + timedelta(hours=4),
            settings=settings,
            now=MONDAY_8AM,
            patient=patient,
        )
    with pytest.raises(NotMovable), db.transaction() as session:
        reschedule_visit(
            session, mine.appointment.id, FRIDAY_10AM, settings=settings, now=WEDNESDAY_10AM
        )


def test_alternatives_list_free_times_with_the_visits_own_practitioner_first(
    db: Database, settings: Settings
) -> None:
    visit = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM).appointment
    with db.session() as session:
        options = alternatives(
            session,
            visit.id,
            settings=settings,
            now=MONDAY_8AM,
            first_day=date(2026, 3, 4),
            last_day=date(2026, 3, 4),
        )
    assert options
    assert all(o.practitioner_ids[0] == visit.practitioner_id for o in options)
    starts = {o.start for o in options}
    assert to_minutes(WEDNESDAY_10AM) not in starts  # its own time is not an alternative
    assert to_minutes(WEDNESDAY_10AM + timedelta(minutes=15)) in starts  # but it frees room


@pytest.mark.parametrize(
    ("first", "last"),
    [(date.min, date.min + timedelta(days=1)), (date.max - timedelta(days=1), date.max)],
)
def test_alternatives_at_the_calendars_ends_are_none_not_an_error(
    db: Database, settings: Settings, first: date, last: date
) -> None:
    visit = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM).appointment
    with db.session() as session:
        options = alternatives(
            session, visit.id, settings=settings, now=MONDAY_8AM, first_day=first, last_day=last
        )
    assert options == []


def waiting_patient(db: Database, settings: Settings, phone: str, start: datetime) -> Patient:
    return book(db, settings, MONDAY_8AM, start, phone=phone).patient


def two_waiting_then_a_cancellation(
    db: Database, settings: Settings
) -> tuple[Appointment, Patient, Patient]:
    """Wednesday 10:00 is booked; two patients with later visits join the waitlist for an
    earlier time, first then second; then the Wednesday visit is cancelled."""
    taken = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM).appointment
    later = datetime(2026, 3, 11, 10, 0, tzinfo=UTC)
    first = waiting_patient(db, settings, "07400123461", later)
    second = waiting_patient(db, settings, "07400123462", later + timedelta(hours=1))
    with db.transaction() as session:
        for patient in (first, second):
            join_waitlist(
                session,
                session.get_one(Patient, patient.id),
                service_id=taken.service_id,
                earliest=MONDAY_8AM,
                latest=later,
                now=MONDAY_8AM,
            )
        cancel_visit(session, taken.id, MONDAY_8AM)
    return taken, first, second


def test_a_freed_time_is_offered_to_the_first_patient_waiting_and_held(
    db: Database, settings: Settings
) -> None:
    taken, first, _second = two_waiting_then_a_cancellation(db, settings)
    with db.transaction() as session:
        offer = offer_freed_time(
            session,
            FreedTime(taken.practitioner_id, WEDNESDAY_10AM),
            settings=settings,
            now=MONDAY_8AM,
        )
        assert offer is not None
        assert offer.entry.patient_id == first.id
        assert offer.expires_at == MONDAY_8AM + timedelta(minutes=15)
        assert offer.appointment.status == AppointmentStatus.PROPOSED
        offer_id = offer.id
    # The held time is not free for anyone else.
    with pytest.raises(SlotUnavailable):
        book(db, settings, MONDAY_8AM, WEDNESDAY_10AM, phone="07400123463")
    with db.transaction() as session:
        accepted = accept_offer(
            session, offer_id, settings=settings, now=MONDAY_8AM + timedelta(minutes=5)
        )
        visit = accepted.visit
        assert visit.status == AppointmentStatus.BOOKED
        assert accepted.follow_ups == ()
    assert MessageKind.CONFIRMATION in [k for k, _ in messages(db, visit.id)]
    with pytest.raises(OfferClosed), db.transaction() as session:
        accept_offer(session, offer_id, settings=settings, now=MONDAY_8AM)


def test_leaving_the_waitlist_with_an_open_offer_passes_its_time_on(
    db: Database, settings: Settings
) -> None:
    taken, first, second = two_waiting_then_a_cancellation(db, settings)
    freed = FreedTime(taken.practitioner_id, WEDNESDAY_10AM)
    with db.transaction() as session:
        offer = offer_freed_time(session, freed, settings=settings, now=MONDAY_8AM)
        assert offer is not None and offer.entry.patient_id == first.id
        entry_id = offer.entry.id
    with db.transaction() as session:
        left = withdraw(session, entry_id, session.get_one(Patient, first.id), MONDAY_8AM)
        assert left.entry.status == WaitlistStatus.WITHDRAWN
        assert left.follow_ups == (offer_of(freed),)
        next_offer = offer_freed_time(session, freed, settings=settings, now=MONDAY_8AM)
        assert next_offer is not None and next_offer.entry.patient_id == second.id


def test_leaving_the_waitlist_without_an_offer_has_nothing_to_follow(
    db: Database, settings: Settings
) -> None:
    _taken, first, _second = two_waiting_then_a_cancellation(db, settings)
    with db.transaction() as session:
        entry = session.scalars(
            select(WaitlistEntry).where(WaitlistEntry.patient_id == first.id)
        ).one()
        left = withdraw(session, entry.id, session.get_one(Patient, first.id), MONDAY_8AM)
        assert left.follow_ups == ()


def test_an_expired_offer_goes_to_the_next_patient(db: Database, settings: Settings) -> None:
    taken, first, second = two_waiting_then_a_cancellation(db, settings)
    freed = FreedTime(taken.practitioner_id, WEDNESDAY_10AM)
    with db.transaction() as session:
        first_offer = offer_freed_time(session, freed, settings=settings, now=MONDAY_8AM)
        assert first_offer is not None and first_offer.entry.patient_id == first.id
        first_offer_id = first_offer.id
    expiry = MONDAY_8AM + timedelta(minutes=16)
    with db.transaction() as session:
        (expired,) = expire_offers(session, expiry)
        assert expired.freed == freed and expired.follow_ups == (offer_of(freed),)
        assert expire_offers(session, expiry) == []  # idempotent
        next_offer = offer_freed_time(session, freed, settings=settings, now=expiry)
        assert next_offer is not None and next_offer.entry.patient_id == second.id
    with pytest.raises(OfferClosed), db.transaction() as session:
        accept_offer(session, first_offer_id, settings=settings, now=expiry)
    with db.transaction() as session:
        declined = decline_offer(session, next_offer.id, now=expiry)
        assert declined.freed == freed and declined.follow_ups == (offer_of(freed),)
        # Both have had this time offered: nobody else to offer it to.
        assert offer_freed_time(session, freed, settings=settings, now=expiry) is None
        statuses = {o.status for o in session.scalars(select(WaitlistOffer))}
        assert statuses == {OfferStatus.EXPIRED, OfferStatus.DECLINED}


def test_accepting_an_earlier_time_gives_up_the_later_visit(
    db: Database, settings: Settings
) -> None:
    taken = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM).appointment
    later = book(db, settings, MONDAY_8AM, FRIDAY_10AM, phone="07400123464")
    with db.transaction() as session:
        join_waitlist(
            session,
            session.get_one(Patient, later.patient.id),
            service_id=taken.service_id,
            earliest=MONDAY_8AM,
            latest=FRIDAY_10AM,
            now=MONDAY_8AM,
            appointment_id=later.appointment.id,
        )
        cancel_visit(session, taken.id, MONDAY_8AM)
        offer = offer_freed_time(
            session,
            FreedTime(taken.practitioner_id, WEDNESDAY_10AM),
            settings=settings,
            now=MONDAY_8AM,
        )
        assert offer is not None
        accepted = accept_offer(session, offer.id, settings=settings, now=MONDAY_8AM)
    freed = FreedTime(later.appointment.practitioner_id, FRIDAY_10AM)
    assert accepted.follow_ups == (offer_of(freed),)
    with db.session() as session:
        assert session.get_one(Appointment, later.appointment.id).status == "cancelled"
        entry_status = session.scalars(
            select(__import__("scheduler.models", fromlist=["WaitlistEntry"]).WaitlistEntry.status)
        ).one()
        assert entry_status == WaitlistStatus.FULFILLED


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"latest": MONDAY_8AM - timedelta(days=1)}, "latest"),
        ({"earliest": FRIDAY_10AM, "latest": WEDNESDAY_10AM}, "latest"),
        ({"latest": MONDAY_8AM + timedelta(days=200)}, "latest"),
        ({"service_id": 999}, "service_id"),
        ({"practitioner_id": 999}, "practitioner_id"),
        ({"appointment_id": 999}, "appointment_id"),
    ],
)
def test_a_bad_waitlist_request_is_refused_and_writes_nothing(
    db: Database, settings: Settings, changes: dict, field: str
) -> None:
    result = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM)
    values = {
        "service_id": result.appointment.service_id,
        "earliest": MONDAY_8AM,
        "latest": FRIDAY_10AM,
        "now": MONDAY_8AM,
    }
    values.update(changes)
    with pytest.raises(ValidationFailed) as raised, db.transaction() as session:
        join_waitlist(session, session.get_one(Patient, result.patient.id), **values)
    assert field in raised.value.fields
