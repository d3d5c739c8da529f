"""Booking a visit on SQLite and PostgreSQL: what is written, what is refused, and races."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from scheduler.config import Settings
from scheduler.db import Database
from scheduler.errors import SlotUnavailable, ValidationFailed
from scheduler.models import (
    Appointment,
    Consent,
    ManageToken,
    MessageKind,
    OutboundMessage,
    Patient,
)
from scheduler.patients.links import hash_token, patient_for_token
from scheduler.visits.booking import book_visit
from tests.conftest import MONDAY_8AM
from tests.support.factories import book, booking_request, demo_clinic, ids

WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def counts(db: Database) -> dict[str, int]:
    with db.session() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Patient, Consent, Appointment, ManageToken, OutboundMessage)
        }


def test_a_booking_writes_the_visit_the_patient_the_consents_and_three_messages(
    db: Database, settings: Settings
) -> None:
    result = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM)
    with db.session() as session:
        visit = session.get_one(Appointment, result.appointment.id)
        assert visit.status == "booked"
        assert visit.starts_at == WEDNESDAY_10AM
        assert visit.ends_at == WEDNESDAY_10AM + timedelta(minutes=45)
        assert visit.blocked_until == WEDNESDAY_10AM + timedelta(minutes=55)
        assert visit.room is not None
        assert visit.patient.phone_e164 == "+447400123456"
        consents = {c.kind.value: (c.granted, c.channel) for c in visit.patient.consents}
        assert consents == {"reminders": (True, "api"), "diary_prompts": (False, "api")}
        assert all(c.wording for c in visit.patient.consents)
        messages = session.scalars(select(OutboundMessage).order_by(OutboundMessage.due_at)).all()
    assert [(m.kind, m.due_at, m.status) for m in messages] == [
        (MessageKind.CONFIRMATION, MONDAY_8AM, "pending"),
        (MessageKind.REMINDER_48H, WEDNESDAY_10AM - timedelta(hours=48), "pending"),
        (MessageKind.REMINDER_2H, WEDNESDAY_10AM - timedelta(hours=2), "pending"),
    ]
    assert len({m.dedupe_key for m in messages}) == 3
    assert settings.manage_url(result.manage_token) in messages[0].body


def test_a_reminder_whose_time_has_passed_is_not_written(db: Database, settings: Settings) -> None:
    tomorrow = MONDAY_8AM + timedelta(days=1, hours=2)  # Tuesday 10:00, 26 h ahead
    book(db, settings, MONDAY_8AM, tomorrow)
    with db.session() as session:
        kinds = set(session.scalars(select(OutboundMessage.kind)))
    assert kinds == {MessageKind.CONFIRMATION, MessageKind.REMINDER_2H}


def test_the_manage_token_is_stored_only_as_a_hash(db: Database, settings: Settings) -> None:
    result = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM)
    with db.session() as session:
        stored = session.scalars(select(ManageToken.token_hash)).one()
        assert stored == hash_token(result.manage_token)
        assert result.manage_token not in stored
        assert len(result.manage_token) >= 22
        patient = patient_for_token(session, result.manage_token, MONDAY_8AM)
        assert patient is not None and patient.id == result.patient.id
        assert patient_for_token(session, result.manage_token + "x", MONDAY_8AM) is None
        later = MONDAY_8AM + timedelta(days=365)
        assert patient_for_token(session, result.manage_token, later) is None


def test_booking_a_taken_slot_raises_slot_unavailable_and_writes_nothing(
    db: Database, settings: Settings
) -> None:
    book(db, settings, MONDAY_8AM, WEDNESDAY_10AM)
    before = counts(db)
    with pytest.raises(SlotUnavailable):
        book(db, settings, MONDAY_8AM, WEDNESDAY_10AM + timedelta(minutes=30), phone="07400123457")
    assert counts(db) == before


def test_the_buffer_after_a_visit_keeps_the_next_one_from_starting_at_once(
    db: Database, settings: Settings
) -> None:
    book(db, settings, MONDAY_8AM, WEDNESDAY_10AM)
    with pytest.raises(SlotUnavailable):
        book(db, settings, MONDAY_8AM, WEDNESDAY_10AM + timedelta(minutes=45))
    book(db, settings, MONDAY_8AM, WEDNESDAY_10AM + timedelta(minutes=60))


def test_a_tui_na_visit_with_a_practitioner_who_gives_it_is_booked_as_tui_na(
    db: Database, settings: Settings
) -> None:
    service_id, practitioner_id = ids(db, "tuina")
    result = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM, service_code="tuina")
    with db.session() as session:
        visit = session.get_one(Appointment, result.appointment.id)
        assert (visit.service_id, visit.practitioner_id) == (service_id, practitioner_id)
        assert (visit.starts_at, visit.status) == (WEDNESDAY_10AM, "booked")
        assert visit.ends_at - visit.starts_at == timedelta(minutes=visit.service.duration_min)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"service_id": 999}, "service_id", "Choose one of the clinic's services"),
        ({"practitioner_id": 999}, "practitioner_id", "Choose one of the clinic's practitioners"),
        ({"phone": "020 7946 0000"}, "phone", "cannot receive text messages"),
        ({"phone": "not a phone"}, "phone", "Enter a mobile number"),
        ({"first_name": "  "}, "first_name", "Enter a name"),
        ({"last_name": "x" * 101}, "last_name", "at most 100"),
        ({"consent_reminders": None}, "consent_reminders", "Answer yes or no"),
        ({"consent_diary_prompts": None}, "consent_diary_prompts", "Answer yes or no"),
    ],
)
def test_bad_input_is_refused_field_by_field_and_writes_nothing(
    db: Database, settings: Settings, overrides: dict, field: str, message: str
) -> None:
    before = counts(db)
    with pytest.raises(ValidationFailed) as raised:
        book(db, settings, MONDAY_8AM, WEDNESDAY_10AM, **overrides)
    assert message in " ".join(raised.value.fields[field])
    assert counts(db) == before


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (MONDAY_8AM - timedelta(hours=1), "has passed"),
        (MONDAY_8AM + timedelta(hours=1), "notice"),
        (MONDAY_8AM + timedelta(days=120), "days ahead"),
        (datetime(2026, 3, 4, 7, 0, tzinfo=UTC), "bookable times"),  # before opening
        (datetime(2026, 3, 4, 12, 30, tzinfo=UTC), "bookable times"),  # runs into lunch
        (datetime(2026, 3, 4, 10, 5, tzinfo=UTC), "bookable times"),  # off the grid
        (datetime(2026, 3, 7, 10, 0, tzinfo=UTC), "bookable times"),  # a Saturday
    ],
)
def test_a_time_in_the_past_or_outside_hours_is_refused(
    db: Database, settings: Settings, start: datetime, message: str
) -> None:
    before = counts(db)
    with pytest.raises(ValidationFailed) as raised:
        book(db, settings, MONDAY_8AM, start)
    assert message in " ".join(raised.value.fields["start"])
    assert counts(db) == before


def test_a_practitioner_whose_licence_has_expired_cannot_be_booked(
    db: Database, settings: Settings
) -> None:
    from scheduler.models import Practitioner

    request = booking_request(db, WEDNESDAY_10AM)
    with db.transaction() as session:
        practitioner = session.get_one(Practitioner, request.practitioner_id)
        practitioner.licence_expires_on = datetime(2026, 3, 3).date()
    with pytest.raises(ValidationFailed) as raised, db.transaction() as session:
        book_visit(session, request, settings=settings, now=MONDAY_8AM)
    assert "cannot be booked" in raised.value.fields["practitioner_id"][0]


def test_when_every_room_is_taken_the_slot_is_unavailable(db: Database, settings: Settings) -> None:
    from scheduler.models import Room

    with db.transaction() as session:
        for room in session.scalars(select(Room).where(Room.name != "Room 1")):
            room.active = False
    book(db, settings, MONDAY_8AM, WEDNESDAY_10AM)  # Dr Lin takes Room 1
    before = counts(db)
    with pytest.raises(SlotUnavailable, match="room"):
        book(db, settings, MONDAY_8AM, WEDNESDAY_10AM, service_code="tuina")  # Tom is free
    assert counts(db) == before
    tom = ids(db, "tuina")[1]
    book(db, settings, MONDAY_8AM, WEDNESDAY_10AM, service_code="telehealth", practitioner_id=tom)


@pytest.mark.parametrize("threads", [50])
def test_concurrent_bookings_of_one_slot_let_exactly_one_through(
    db: Database, settings: Settings, threads: int
) -> None:
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        request = booking_request(db, WEDNESDAY_10AM, phone=f"+4474001234{n:02d}")
        barrier.wait()
        try:
            # As every entry point does: a try that lost the race to a deadlock (two crossing
            # inserts under the exclusion constraints) runs again on a fresh view.
            db.retrying(
                lambda session: book_visit(session, request, settings=settings, now=MONDAY_8AM)
            )
            outcome = "booked"
        except SlotUnavailable:
            outcome = "conflict"
        except Exception as exc:  # recorded, so the assertion shows it
            outcome = f"error: {exc!r}"
        with lock:
            outcomes.append(outcome)

    workers = [threading.Thread(target=attempt, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(set(outcomes)) == ["booked", "conflict"], outcomes
    assert outcomes.count("booked") == 1
    assert outcomes.count("conflict") == threads - 1
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Appointment)) == 1
        assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 3
