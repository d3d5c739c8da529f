"""The code step of the booking pages through the Flask app, on both databases: the booking
waits for the code texted to the phone, and is made only when the code is answered."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.clinical.safety import QUESTIONS
from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import (
    Appointment,
    Course,
    MessageKind,
    OutboundMessage,
    Patient,
    PhoneVerification,
)
from scheduler.patients.verification import MAX_TRIES
from tests.integration.test_booking_wizard import at_the_plan
from tests.integration.test_booking_wizard import form as course_form
from tests.support.booking_requests import PHONE, enter_code, texted_code
from tests.support.factories import book, demo_clinic, ids

WEDNESDAY = "2026-03-04"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def csrf(client: FlaskClient, url: str) -> str:
    found = CSRF.search(client.get(url).text)
    assert found
    return found.group(1)


def visit_form(client: FlaskClient, db: Database, at: str = "10:00", **changes: str) -> Any:
    """The single-visit form for acupuncture on Wednesday at ``at``, answered."""
    service_id, practitioner_id = ids(db)
    url = f"/visit?service_id={service_id}&date={WEDNESDAY}"
    values: dict[str, Any] = {
        "csrf_token": csrf(client, url),
        "service_id": str(service_id),
        "slot": f"{practitioner_id}|{WEDNESDAY}T{at}:00+00:00",
        "first_name": "Ana",
        "last_name": "Silva",
        "phone": "07400 123456",
        "time_zone": "Europe/London",
        "consent_reminders": "yes",
        "consent_diary_prompts": "no",
        **{f"safety_{q.code}": "no" for q in QUESTIONS},
    }
    values.update(changes)
    return values


def post_visit(client: FlaskClient, values: dict[str, Any]) -> Any:
    return client.post(f"/book?service_id={values['service_id']}&date={WEDNESDAY}", data=values)


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def codes_texted(db: Database) -> int:
    with db.session() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(OutboundMessage)
                .where(OutboundMessage.kind == MessageKind.PHONE_CODE)
            )
            or 0
        )


def answer(client: FlaskClient, code: str, url: str = "/visit/code") -> Any:
    return client.post(url, data={"csrf_token": csrf(client, url), "code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_the_details_lead_to_one_question_the_code_and_nothing_is_booked_yet(
    client: FlaskClient, db: Database
) -> None:
    response = post_visit(client, visit_form(client, db))
    assert response.status_code == 303 and response.headers["Location"] == "/visit/code"
    page = client.get("/visit/code")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "ending 456" in page.text and "Send a new code" in page.text
    assert 'inputmode="numeric"' in page.text and 'autocomplete="one-time-code"' in page.text
    assert "Wrong number? Go back" in page.text
    assert (count(db, Patient), count(db, Appointment), codes_texted(db)) == (0, 0, 1)
    with db.session() as session:
        kept = session.scalars(select(PhoneVerification.payload)).one()
    assert kept is not None and kept["fields"]["first_name"] == ["Ana"]
    assert "csrf_token" not in kept["fields"]


def test_the_right_code_books_the_visit_for_a_patient_who_owns_the_number(
    client: FlaskClient, db: Database
) -> None:
    booked = enter_code(client, db, post_visit(client, visit_form(client, db)))
    assert booked.status_code == 303 and "/m/" in booked.headers["Location"]
    assert "Hello Ana" in client.get(booked.headers["Location"]).text
    with db.session() as session:
        patient = session.scalars(select(Patient)).one()
        kept = session.scalars(select(PhoneVerification)).one()
    assert patient.phone_verified_at is not None and patient.phone_e164 == PHONE
    assert kept.used_at is not None and kept.payload is None  # the answers are not kept
    assert count(db, Appointment) == 1


def test_a_wrong_code_says_how_many_tries_are_left_and_books_nothing(
    client: FlaskClient, db: Database
) -> None:
    post_visit(client, visit_form(client, db))
    code = texted_code(db)
    first = answer(client, wrong(code))
    assert first.status_code == 422 and "You have 4 tries left" in first.text
    assert 'aria-invalid="true"' in first.text and 'href="#code"' in first.text
    badly_typed = answer(client, "12 34")
    assert badly_typed.status_code == 422 and "Enter the 6 digits" in badly_typed.text
    for _ in range(MAX_TRIES - 1):
        last = answer(client, wrong(code))
    assert "cannot be tried again" in last.text
    dead = answer(client, code)
    assert dead.status_code == 422 and "Ask for a new code" in dead.text
    assert count(db, Appointment) == 0


def test_a_new_code_waits_a_minute_then_books_with_the_new_one(
    client: FlaskClient, db: Database, clock: FrozenClock
) -> None:
    post_visit(client, visit_form(client, db))
    old = texted_code(db)
    too_soon = client.post("/visit/code/new", data={"csrf_token": csrf(client, "/visit/code")})
    assert too_soon.status_code == 429 and int(too_soon.headers["Retry-After"]) >= 60
    assert "You can ask for a new one in 60 seconds" in too_soon.text
    clock.advance(timedelta(seconds=61))
    again = client.post("/visit/code/new", data={"csrf_token": csrf(client, "/visit/code")})
    assert again.status_code == 303 and codes_texted(db) == 2
    assert "We have texted you a new code" in client.get("/visit/code").text
    new = texted_code(db)
    if new != old:  # the old code no longer books anything: its booking moved on
        assert answer(client, old).status_code == 422
    assert answer(client, new).status_code == 303
    assert count(db, Appointment) == 1


def test_an_expired_code_asks_for_a_new_one(
    client: FlaskClient, db: Database, clock: FrozenClock
) -> None:
    post_visit(client, visit_form(client, db))
    clock.advance(timedelta(minutes=10))
    response = answer(client, texted_code(db))
    assert response.status_code == 422 and "This code has expired" in response.text
    assert count(db, Appointment) == 0


def test_a_time_taken_while_the_code_was_awaited_asks_for_another_and_the_code_still_works(
    client: FlaskClient, db: Database, settings: Settings, clock: FrozenClock
) -> None:
    post_visit(client, visit_form(client, db))
    code = texted_code(db)
    book(db, settings, clock.now(), datetime(2026, 3, 4, 10, 0, tzinfo=UTC), phone="07400 999111")
    taken = answer(client, code)
    assert taken.status_code == 409 and "just been taken" in taken.text
    assert (
        'value="Ana"' in taken.text and 'name="safety_thunderclap" value="no" checked' in taken.text
    )
    other_time = post_visit(client, visit_form(client, db, at="11:00"))
    assert other_time.headers["Location"] == "/visit/code" and codes_texted(db) == 1
    assert answer(client, code).status_code == 303
    with db.session() as session:
        mine = session.scalars(select(Appointment).where(Appointment.patient_id != 1)).all()
    assert [a.starts_at.hour for a in mine] == [11]


def test_going_back_shows_the_answers_and_a_new_number_gets_its_own_code(
    client: FlaskClient, db: Database
) -> None:
    post_visit(client, visit_form(client, db, phone="07400 123499"))
    back = client.get("/visit/code/back")
    assert back.status_code == 200 and back.headers["Cache-Control"] == "no-store"
    assert 'value="07400 123499"' in back.text and 'value="Ana"' in back.text
    corrected = post_visit(client, visit_form(client, db))
    assert corrected.headers["Location"] == "/visit/code" and codes_texted(db) == 2
    assert enter_code(client, db, corrected).status_code == 303
    with db.session() as session:
        assert session.scalars(select(Patient.phone_e164)).one() == PHONE


def test_a_second_booking_proving_the_number_joins_the_first_patients_record(
    client: FlaskClient, db: Database, clock: FrozenClock
) -> None:
    first = enter_code(client, db, post_visit(client, visit_form(client, db)))
    clock.advance(timedelta(seconds=61))
    second = enter_code(
        client, db, post_visit(client, visit_form(client, db, at="11:00", first_name="Bea"))
    )
    assert first.status_code == second.status_code == 303
    page = client.get(second.headers["Location"]).text
    assert "Hello Ana" in page and "10:00" in page and "11:00" in page
    assert count(db, Patient) == 1 and count(db, Appointment) == 2


def test_the_code_step_without_a_waiting_booking_starts_again(client: FlaskClient) -> None:
    response = client.get("/visit/code")
    assert response.status_code == 303 and response.headers["Location"] == "/visit"
    assert client.post("/visit/code", data={"code": "123456"}).status_code == 400  # no CSRF


def test_a_double_press_on_the_code_books_once(client: FlaskClient, db: Database) -> None:
    post_visit(client, visit_form(client, db))
    code = texted_code(db)
    token = csrf(client, "/visit/code")
    with client.session_transaction() as before:
        kept = dict(before)
    first = client.post("/visit/code", data={"csrf_token": token, "code": code})
    with client.session_transaction() as after:  # the second press carries the old cookie
        after.update(kept)
    second = client.post("/visit/code", data={"csrf_token": token, "code": code})
    assert first.status_code == 303
    assert second.status_code == 200 and "You are already booked" in second.text
    assert count(db, Appointment) == 1


def test_a_course_waits_for_the_code_and_is_booked_when_it_is_answered(
    client: FlaskClient, db: Database
) -> None:
    template_id, slot, token = at_the_plan(client)
    response = client.post(f"/course/{template_id}/book", data=course_form(slot, token))
    assert response.headers["Location"] == f"/course/{template_id}/code"
    assert count(db, Course) == 0
    assert "Enter it to finish your booking" in client.get(response.headers["Location"]).text
    assert client.get(f"/course/{template_id}/code/back").status_code == 200
    booked = enter_code(client, db, response)
    assert booked.status_code == 303 and "/m/" in booked.headers["Location"]
    assert count(db, Course) == 1
    with db.session() as session:
        assert session.scalars(select(Patient)).one().phone_verified_at is not None


def test_a_number_with_a_code_a_moment_ago_from_elsewhere_is_told_when_to_ask_again(
    client: FlaskClient, db: Database, app: Any
) -> None:
    post_visit(client, visit_form(client, db))
    stranger = app.test_client()
    refused = post_visit(stranger, visit_form(stranger, db, at="11:00"))
    # About a minute: the header is counted on the real clock, less what the request took.
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 55
    assert "less than a minute ago" in refused.text
    assert codes_texted(db) == 1
