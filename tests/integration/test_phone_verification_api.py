"""Proving a phone over the JSON API (Flask's client), on both databases: ask for a code, check
it for a proof, book with the proof once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.clock import FrozenClock
from scheduler.db import Database
from scheduler.models import Appointment, Course, OutboundMessage, Patient, PhoneVerification
from tests.integration.test_course_api import course_body
from tests.support.booking_requests import PHONE, texted_code
from tests.support.factories import api_booking, demo_clinic, ids

WEDNESDAY_10AM = "2026-03-04T10:00:00+00:00"


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def ask(client: FlaskClient, phone: str = "07400 123456") -> Any:
    return client.post("/api/v1/phone-verifications", json={"phone": phone})


def check(client: FlaskClient, verification_id: str, code: str) -> Any:
    return client.post(f"/api/v1/phone-verifications/{verification_id}/check", json={"code": code})


def proof(client: FlaskClient, db: Database) -> str:
    sent = ask(client).get_json()
    answer = check(client, sent["verification_id"], texted_code(db))
    assert answer.status_code == 200, answer.get_json()
    return str(answer.get_json()["phone_proof"])


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_asking_for_a_code_texts_it_and_answers_202_with_when_it_expires(
    client: FlaskClient, db: Database
) -> None:
    response = ask(client)
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert set(body) == {"verification_id", "expires_at", "resend_after"}
    assert body["expires_at"] == "2026-03-02T08:10:00+00:00"
    assert body["resend_after"] == "2026-03-02T08:01:00+00:00"
    assert not body["verification_id"].isdigit()  # not a counter anyone can walk
    assert len(texted_code(db)) == 6


def test_the_answer_does_not_say_whether_the_number_is_a_patients(
    client: FlaskClient, db: Database
) -> None:
    service_id, practitioner_id = ids(db)
    body = api_booking(service_id, practitioner_id, WEDNESDAY_10AM, phone_proof=proof(client, db))
    assert client.post("/api/v1/bookings", json=body).status_code == 201
    patients = ask(client, "+447400123499").get_json()
    assert set(patients) == {"verification_id", "expires_at", "resend_after"}


def test_a_bad_number_gets_422_and_nothing_is_texted(client: FlaskClient, db: Database) -> None:
    for phone in ("12", "not a phone"):
        response = ask(client, phone)
        assert response.status_code == 422
        assert list(response.get_json()["errors"]["json"]) == ["phone"]
    assert client.post("/api/v1/phone-verifications", json={}).status_code == 422
    assert count(db, PhoneVerification) == count(db, OutboundMessage) == 0


def test_a_second_code_within_the_minute_gets_429_with_retry_after(
    client: FlaskClient, db: Database, clock: FrozenClock
) -> None:
    ask(client)
    clock.advance(timedelta(seconds=20))
    refused = ask(client, PHONE)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 40
    assert "in 40 seconds" in refused.get_json()["message"]
    assert count(db, OutboundMessage) == 1


def test_checking_a_code_wrong_right_and_again(client: FlaskClient, db: Database) -> None:
    sent = ask(client).get_json()
    code = texted_code(db)
    bad = check(client, sent["verification_id"], wrong(code))
    assert bad.status_code == 422
    assert "4 tries left" in bad.get_json()["errors"]["json"]["code"][0]
    typo = check(client, sent["verification_id"], "12-3")
    assert typo.status_code == 422 and "6 digits" in typo.get_json()["errors"]["json"]["code"][0]
    right = check(client, sent["verification_id"], code)
    assert right.status_code == 200
    assert right.get_json()["expires_at"] == "2026-03-02T08:30:00+00:00"
    assert check(client, sent["verification_id"], code).status_code == 409


def test_an_expired_a_dead_an_unknown_or_a_forged_code_is_refused(
    client: FlaskClient, db: Database, clock: FrozenClock
) -> None:
    sent = ask(client).get_json()
    code = texted_code(db)
    for _ in range(5):
        check(client, sent["verification_id"], wrong(code))
    assert check(client, sent["verification_id"], code).status_code == 409
    clock.advance(timedelta(minutes=2))
    other = ask(client, "+447400123499").get_json()
    clock.advance(timedelta(minutes=10))
    assert (
        check(client, other["verification_id"], texted_code(db, "+447400123499")).status_code == 410
    )
    number, _, tag = other["verification_id"].partition("-")
    for forged in (number, f"{int(number) + 1}-{tag}", "999999-abc", "x"):
        assert check(client, forged, code).status_code == 404


def test_a_booking_needs_a_proof_for_its_number_and_spends_it(
    client: FlaskClient, db: Database
) -> None:
    service_id, practitioner_id = ids(db)
    without = client.post(
        "/api/v1/bookings", json=api_booking(service_id, practitioner_id, WEDNESDAY_10AM)
    )
    assert without.status_code == 422
    assert "Confirm your mobile number" in without.get_json()["errors"]["json"]["phone_proof"][0]
    assert (count(db, Patient), count(db, Appointment)) == (0, 0)
    body = api_booking(service_id, practitioner_id, WEDNESDAY_10AM, phone_proof=proof(client, db))
    assert client.post("/api/v1/bookings", json=body).status_code == 201
    body["start"] = "2026-03-05T10:00:00+00:00"
    again = client.post("/api/v1/bookings", json=body)
    assert again.status_code == 422 and "phone_proof" in again.get_json()["errors"]["json"]
    with db.session() as session:
        assert session.scalars(select(Patient.phone_verified_at)).one() is not None
    assert count(db, Appointment) == 1


def test_a_proof_for_another_number_books_nothing(client: FlaskClient, db: Database) -> None:
    service_id, practitioner_id = ids(db)
    body = api_booking(service_id, practitioner_id, WEDNESDAY_10AM, phone_proof=proof(client, db))
    body["patient"] = {**body["patient"], "phone": "07400 123499"}
    response = client.post("/api/v1/bookings", json=body)
    assert response.status_code == 422
    assert "another number" in response.get_json()["errors"]["json"]["phone_proof"][0]
    assert count(db, Appointment) == 0


def test_a_course_is_booked_with_a_proof(client: FlaskClient, db: Database) -> None:
    assert client.post("/api/v1/courses", json=course_body(client, db)).status_code == 422
    response = client.post(
        "/api/v1/courses", json=course_body(client, db, phone_proof=proof(client, db))
    )
    assert response.status_code == 201, response.get_json()
    assert count(db, Course) == 1


def test_the_openapi_document_shows_the_code_endpoints_and_the_proof(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {
        "/api/v1/phone-verifications",
        "/api/v1/phone-verifications/{verification_id}/check",
    } <= set(spec["paths"])
    check_responses = spec["paths"]["/api/v1/phone-verifications/{verification_id}/check"]["post"]
    assert {"200", "404", "409", "410", "422"} <= set(check_responses["responses"])
    schemas = spec["components"]["schemas"]
    assert "phone_proof" in schemas["BookingIn"]["properties"]
    assert "phone_proof" in schemas["CourseIn"]["properties"]
