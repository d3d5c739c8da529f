"""The attacker of issue 12 replayed against proven phones: a stranger booking with a patient's
number to take their replies, guessing the texted code, replaying or moving a proof, walking
the code ids, and pumping codes to many numbers. Each runs against the real app (Redis, the
database) and is stopped; what was refused wrote nothing."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.clinical.safety import QUESTIONS
from scheduler.clock import FrozenClock
from scheduler.config import Settings, TwilioSettings
from scheduler.db import Database
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    MessageKind,
    OutboundMessage,
    Patient,
    PhoneVerification,
)
from scheduler.patients.verification import CODES_PER_NUMBER_PER_HOUR, MAX_TRIES
from tests.integration.test_inbound_sms import TOKEN, text
from tests.support.booking_requests import PHONE, texted_code, with_proof
from tests.support.factories import api_booking, demo_clinic, ids
from web.app import create_app

WEDNESDAY = "2026-03-04"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
STRANGER = "198.51.100.66"


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """The attacks go through the web layer; one database is enough here."""
    return str(request.param)


@pytest.fixture
def app(settings: Settings, clock: FrozenClock) -> Flask:
    return create_app(replace(settings, twilio=TwilioSettings(auth_token=TOKEN)), clock)


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def count(db: Database, model: type, *where: Any) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def codes(db: Database) -> int:
    return count(db, OutboundMessage, OutboundMessage.kind == MessageKind.PHONE_CODE)


def from_address(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def book_on_the_page(client: FlaskClient, db: Database, at: str, phone: str, **changes: str) -> Any:
    """The single-visit form posted for ``phone``, every answer right but ``changes``."""
    service_id, practitioner_id = ids(db)
    page = client.get(f"/visit?service_id={service_id}&date={WEDNESDAY}").text
    token = CSRF.search(page)
    assert token
    values = {
        "csrf_token": token.group(1),
        "service_id": str(service_id),
        "slot": f"{practitioner_id}|{WEDNESDAY}T{at}:00+00:00",
        "first_name": "Eve",
        "last_name": "Stranger",
        "phone": phone,
        "time_zone": "Europe/London",
        "consent_reminders": "yes",
        "consent_diary_prompts": "no",
        **{f"safety_{q.code}": "no" for q in QUESTIONS},
        **changes,
    }
    return client.post(f"/book?service_id={service_id}&date={WEDNESDAY}", data=values)


def owners_visit(client: FlaskClient, db: Database, settings: Settings, now: datetime) -> int:
    """The patient who owns PHONE books over the API with a proof; their visit's id."""
    service_id, practitioner_id = ids(db)
    body = api_booking(service_id, practitioner_id, "2026-03-05T10:00:00+00:00")
    response = client.post("/api/v1/bookings", json=with_proof(body, db, settings, now))
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["appointment"]["id"])


def test_a_stranger_with_a_patients_number_cannot_book_or_take_their_c(
    app: Flask, db: Database, settings: Settings, clock: FrozenClock
) -> None:
    owner = app.test_client()
    visit_id = owners_visit(owner, db, settings, clock.now())
    clock.advance(timedelta(minutes=2))
    stranger = from_address(app, STRANGER)
    waiting = book_on_the_page(stranger, db, "10:00", "07400 123456")
    assert waiting.headers["Location"] == "/visit/code"  # the code went to the owner's phone
    code = texted_code(db)
    guesses = [f"{(int(code) + n) % 10**6:06d}" for n in range(1, MAX_TRIES + 2)]
    token = CSRF.search(stranger.get("/visit/code").text)
    assert token
    answers = [
        stranger.post("/visit/code", data={"csrf_token": token.group(1), "code": guess})
        for guess in guesses
    ]
    assert {a.status_code for a in answers} == {422}
    assert "cannot be tried again" in answers[-1].text
    api = stranger.post("/api/v1/bookings", json=api_booking(*ids(db), "2026-03-04T11:00:00+00:00"))
    assert api.status_code == 422 and "phone_proof" in api.get_json()["errors"]["json"]
    assert count(db, Patient) == 1 and count(db, Appointment) == 1
    assert "is confirmed" in text(owner, "C")[1]
    with db.session() as session:
        assert session.get_one(Appointment, visit_id).status == AppointmentStatus.CONFIRMED


def test_a_proof_cannot_be_replayed_or_moved_to_another_number(
    client: FlaskClient, db: Database, settings: Settings, clock: FrozenClock
) -> None:
    service_id, practitioner_id = ids(db)
    body = api_booking(service_id, practitioner_id, "2026-03-04T10:00:00+00:00")
    body["patient"]["phone"] = "07400 123499"
    mine = with_proof(body, db, settings, clock.now())
    moved = {**mine, "patient": {**mine["patient"], "phone": "07400 123456"}}
    assert client.post("/api/v1/bookings", json=moved).status_code == 422
    assert client.post("/api/v1/bookings", json=mine).status_code == 201
    replayed = {**mine, "start": "2026-03-04T11:00:00+00:00"}
    assert client.post("/api/v1/bookings", json=replayed).status_code == 422
    forged = {**mine, "start": "2026-03-04T12:00:00+00:00", "phone_proof": "x" * 32}
    assert client.post("/api/v1/bookings", json=forged).status_code == 422
    assert count(db, Appointment) == 1
    assert count(db, Patient, Patient.phone_e164 == PHONE) == 0


def test_walking_the_code_ids_finds_nothing_and_spends_no_ones_tries(
    app: Flask, db: Database
) -> None:
    victim = app.test_client().post("/api/v1/phone-verifications", json={"phone": PHONE})
    ref = victim.get_json()["verification_id"]
    number, _, _tag = ref.partition("-")
    attacker = from_address(app, STRANGER)
    for guess in (number, f"{number}-0", f"{number}-{'0' * 20}", "1", "2-abc"):
        response = attacker.post(
            f"/api/v1/phone-verifications/{guess}/check", json={"code": "000000"}
        )
        assert response.status_code == 404
    with db.session() as session:
        assert session.scalars(select(PhoneVerification.attempts)).one() == 0


def test_one_address_cannot_pump_codes_to_many_numbers(app: Flask, db: Database) -> None:
    attacker = from_address(app, STRANGER)
    answers = [
        attacker.post("/api/v1/phone-verifications", json={"phone": f"+4474009000{n:02d}"})
        for n in range(30)
    ]
    sent = [a for a in answers if a.status_code == 202]
    refused = [a for a in answers if a.status_code == 429]
    assert len(sent) + len(refused) == 30 and len(sent) <= 10
    assert all(int(a.headers["Retry-After"]) > 0 for a in refused)
    assert codes(db) == len(sent)


def test_many_addresses_cannot_pump_codes_to_one_number(
    app: Flask, db: Database, clock: FrozenClock
) -> None:
    statuses = []
    for n in range(30):
        clock.advance(timedelta(seconds=61))  # past the minute between codes every time
        client = from_address(app, f"203.0.113.{n + 1}")
        statuses.append(
            client.post("/api/v1/phone-verifications", json={"phone": PHONE}).status_code
        )
    # The web's count per number and the core's hourly cap both hold it to a few.
    assert statuses[0] == 202 and 1 <= statuses.count(202) <= CODES_PER_NUMBER_PER_HOUR
    assert set(statuses) == {202, 429} and codes(db) == statuses.count(202)


def test_a_booking_page_flood_texts_one_code_per_number_per_minute(
    app: Flask, db: Database
) -> None:
    attacker = from_address(app, STRANGER)
    first = book_on_the_page(attacker, db, "10:00", "07400 123456")
    others = [app.test_client() for _ in range(3)]
    again = [book_on_the_page(c, db, "11:00", "07400 123456") for c in others]
    assert first.status_code == 303
    assert {a.status_code for a in again} == {429}
    assert codes(db) == 1 and count(db, Appointment) == 0


def test_the_code_text_carries_no_link_no_name_and_no_health_words(
    client: FlaskClient, db: Database
) -> None:
    client.post("/api/v1/phone-verifications", json={"phone": PHONE})
    with db.session() as session:
        body = session.scalars(select(OutboundMessage.body)).one()
    assert "http" not in body and "/" not in body
    assert re.fullmatch(
        r"Clearwater Clinic: your code is \d{6}\. It expires in 10 minutes\. "
        r"If you did not ask for it, ignore this text\.",
        body,
    )


def test_a_strangers_stopped_screen_with_the_number_takes_none_of_the_owners_replies(
    app: Flask, db: Database, settings: Settings, clock: FrozenClock
) -> None:
    owner = app.test_client()
    visit_id = owners_visit(owner, db, settings, clock.now())
    stranger = from_address(app, STRANGER)
    stop = book_on_the_page(stranger, db, "10:00", "07400 123456", safety_thunderclap="yes")
    assert stop.status_code == 200 and "Please get emergency help now" in stop.text
    assert count(db, Patient) == 2  # the stop is kept for staff, on an unproven record
    assert "is confirmed" in text(owner, "C")[1]
    with db.session() as session:
        assert session.get_one(Appointment, visit_id).status == AppointmentStatus.CONFIRMED
