"""The public surface's limits in the core, on both databases: texts only to mobiles in the
countries served (re-checked at send time), the hourly ceiling on never-texted numbers, the
cap on held visits; and the web limits when Redis is down (closed in production, open in
development)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from ops.embedded_redis import free_port
from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.courses.booking import (
    HELD_FOR_ADDRESS,
    HELD_FOR_PATIENT,
    CourseRequest,
    book_course,
)
from scheduler.db import Database
from scheduler.errors import ValidationFailed
from scheduler.messaging.outbox import claim_due
from scheduler.messaging.sending import SendOutcome, SendPolicy, send_outbound_messages
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    CourseTemplate,
    MessageStatus,
    OutboundMessage,
    Patient,
    StaffAlert,
)
from scheduler.patients.record import ContactDetails, update_contact
from tests.support.factories import api_booking, booking_request, demo_clinic, ids
from tests.support.outbox_rows import RecordingSms, waiting_text
from web.app import create_app

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday, 08:00 in London
MONDAY_10AM = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
sids = itertools.count(1)


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def add_message(db: Database, phone: str, *, patient: bool = True) -> int:
    return waiting_text(db, phone, NOW, patient=patient)


def send_due(
    db: Database, clock: FrozenClock, backend: RecordingSms, policy: SendPolicy
) -> dict[int, SendOutcome]:
    with db.transaction() as session:
        claimed = claim_due(session, clock.now(), 500)
    return send_outbound_messages(db, claimed, backend, clock, policy=policy)


def message(db: Database, message_id: int) -> OutboundMessage:
    with db.session() as session:
        return session.get_one(OutboundMessage, message_id)


def alerts(db: Database) -> list[StaffAlert]:
    with db.session() as session:
        return list(session.scalars(select(StaffAlert)))


# -- Texts only to mobiles in the countries served, checked again at send time ----------------


@pytest.mark.parametrize(
    ("phone", "why"),
    [
        ("+79161234567", "RU is not a country the clinic texts"),
        ("+881631234567", "001 is not a country the clinic texts"),
        ("+442079460000", "not a mobile number"),
    ],
)
def test_a_waiting_text_to_a_number_the_clinic_does_not_serve_is_skipped_never_sent(
    db: Database, clock: FrozenClock, phone: str, why: str
) -> None:
    backend = RecordingSms()
    texted = add_message(db, phone)
    code = add_message(db, phone, patient=False)
    outcomes = send_due(db, clock, backend, SendPolicy(served=("GB",)))
    assert outcomes == {texted: SendOutcome.SKIPPED, code: SendOutcome.SKIPPED}
    assert backend.sent == []
    assert message(db, texted).status == MessageStatus.SKIPPED
    assert message(db, texted).error_message == f"destination refused: {why}"


def test_a_country_the_clinic_adds_is_texted(db: Database, clock: FrozenClock) -> None:
    backend = RecordingSms()
    irish = add_message(db, "+353871234567")
    assert send_due(db, clock, backend, SendPolicy(served=("GB", "IE"))) == {
        irish: SendOutcome.SENT
    }


def test_staff_cannot_give_a_patient_a_number_in_a_country_the_clinic_does_not_serve(
    db: Database,
) -> None:
    add_message(db, "+447400123456")
    with db.session() as session:
        patient_id = session.scalars(select(Patient.id)).one()
    details = ContactDetails("Ana", "Silva", "+7 916 123 45 67", "Europe/London")
    with pytest.raises(ValidationFailed) as refused, db.transaction() as session:
        update_contact(session, patient_id, details, region="GB", now=NOW, served=("GB",))
    assert refused.value.fields == {
        "phone": ["We can only text mobile numbers in the United Kingdom."]
    }
    with db.session() as session:
        assert session.get_one(Patient, patient_id).phone_e164 == "+447400123456"


# -- The hourly ceiling on texts to never-texted numbers ---------------------------------------


def test_new_numbers_past_the_hourly_ceiling_wait_and_staff_are_alerted_once(
    db: Database, clock: FrozenClock
) -> None:
    backend = RecordingSms()
    policy = SendPolicy(new_numbers_per_hour=2)
    first = [add_message(db, f"+44740012345{n}") for n in range(3)]
    outcomes = send_due(db, clock, backend, policy)
    assert [outcomes[i] for i in first] == [SendOutcome.SENT] * 2 + [SendOutcome.DEFERRED]
    paused = message(db, first[2])
    assert paused.status == MessageStatus.PENDING
    assert paused.error_message == "waiting: new numbers paused"
    # A number texted before is not new: it goes; another new one waits; still one alert.
    again = add_message(db, "+447400123450")
    newer = add_message(db, "+447400123459")
    outcomes = send_due(db, clock, backend, policy)
    assert outcomes[again] == SendOutcome.SENT
    assert outcomes[newer] == SendOutcome.DEFERRED
    (alert,) = alerts(db)
    assert alert.kind == "new_numbers_paused"
    assert "2 new numbers" in alert.detail
    # An hour on, the paused numbers go.
    clock.advance(timedelta(hours=1, minutes=1))
    outcomes = send_due(db, clock, backend, policy)
    assert outcomes == {first[2]: SendOutcome.SENT, newer: SendOutcome.SENT}
    assert len(backend.sent) == 5


def test_without_a_ceiling_every_new_number_is_texted(db: Database, clock: FrozenClock) -> None:
    backend = RecordingSms()
    for n in range(5):
        add_message(db, f"+44740012345{n}")
    outcomes = send_due(db, clock, backend, SendPolicy(new_numbers_per_hour=0))
    assert set(outcomes.values()) == {SendOutcome.SENT}
    assert alerts(db) == []


# -- The cap on held (proposed) visits ----------------------------------------------------------


def course_request(db: Database, start: datetime, **overrides: object) -> CourseRequest:
    with db.session() as session:
        migraine = session.scalars(
            select(CourseTemplate.id).where(CourseTemplate.code == "migraine")
        ).one()
    requested_from = overrides.pop("requested_from", None)
    booking = booking_request(db, start, service_code="initial", **overrides)
    return CourseRequest(migraine, booking, requested_from=requested_from)  # type: ignore[arg-type]


def held(db: Database) -> int:
    with db.session() as session:
        query = select(func.count()).where(Appointment.status == AppointmentStatus.PROPOSED)
        return session.scalar(query.select_from(Appointment)) or 0


def test_one_number_cannot_hold_more_visits_than_the_cap(db: Database, settings: Settings) -> None:
    capped = replace(settings, held_visits_per_patient=20)
    with db.transaction() as session:
        book_course(session, course_request(db, MONDAY_10AM), settings=capped, now=NOW)
    before = held(db)
    assert 0 < before <= 20
    again = course_request(db, MONDAY_10AM + timedelta(days=1), phone="07400 123456")
    with pytest.raises(ValidationFailed) as refused, db.transaction() as session:
        book_course(session, again, settings=capped, now=NOW)
    assert refused.value.fields == {"course": [HELD_FOR_PATIENT]}
    assert held(db) == before
    other = course_request(db, MONDAY_10AM + timedelta(days=1), phone="07400 123457")
    with db.transaction() as session:
        book_course(session, other, settings=capped, now=NOW)


def test_one_address_cannot_hold_more_visits_than_the_cap_in_a_day(
    db: Database, settings: Settings
) -> None:
    capped = replace(settings, held_visits_per_address=20)
    # Each course at its own day and hour, so their visits never meet.
    first, second, later = (
        course_request(db, MONDAY_10AM + at, phone=phone, requested_from="address-a")
        for at, phone in (
            (timedelta(0), "07400 123456"),
            (timedelta(hours=4), "07400 123457"),
            (timedelta(days=1, hours=4), "07400 123458"),
        )
    )
    with db.transaction() as session:
        book_course(session, first, settings=capped, now=NOW)
    before = held(db)
    with pytest.raises(ValidationFailed) as refused, db.transaction() as session:
        book_course(session, second, settings=capped, now=NOW)
    assert refused.value.fields == {"course": [HELD_FOR_ADDRESS]}
    assert held(db) == before
    with db.transaction() as session:
        book_course(session, replace(second, requested_from="address-b"), settings=capped, now=NOW)
    # A day on, the address's older requests no longer count against it.
    with db.transaction() as session:
        book_course(session, later, settings=capped, now=NOW + timedelta(days=1, minutes=1))


# -- Redis down: closed in production, open in development -------------------------------------


@pytest.fixture
def redis_down(settings: Settings, clock: FrozenClock) -> Iterator[Settings]:
    """Settings whose Redis answers nowhere; afterwards the limiter counts in the test's Redis
    again (it is one object, initialised by each app)."""
    yield replace(settings, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    create_app(settings, clock)


def book_over_http(app: Flask, db: Database) -> tuple[int, dict[str, str]]:
    service_id, practitioner_id = ids(db)
    body = api_booking(service_id, practitioner_id, "2026-03-04T10:00:00+00:00")
    answer = app.test_client().post("/api/v1/bookings", json=body)
    return answer.status_code, dict(answer.headers)


def test_production_refuses_anonymous_work_when_its_limits_cannot_be_counted(
    db: Database, redis_down: Settings, clock: FrozenClock
) -> None:
    production = replace(redis_down, environment="production", secret_key="x" * 40)
    status, headers = book_over_http(create_app(production, clock), db)
    assert status == 503
    assert headers["Retry-After"] == "60"
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Patient)) == 0


def test_development_lets_anonymous_work_through_when_redis_is_down(
    db: Database, redis_down: Settings, clock: FrozenClock
) -> None:
    development = replace(redis_down, environment="development")
    status, _ = book_over_http(create_app(development, clock), db)
    assert status not in (429, 500, 503)
