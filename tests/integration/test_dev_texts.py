"""Texting the clinic in development, from the console page and the `flask text-clinic` command:
the same use case as Twilio's webhook, its follow-ups queued; absent in production and with
Twilio."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
import redis as redis_lib
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.clock import FrozenClock
from scheduler.config import Settings, TwilioSettings
from scheduler.courses.booking import book_course
from scheduler.db import Database
from scheduler.models import Appointment, AppointmentStatus, InboundMessage
from tests.integration.test_courses import request_for
from tests.support.factories import book
from tests.support.queue import queued_tasks
from tests.support.staff import create_accounts, csrf, sign_in
from web.app import create_app

WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def visit(db: Database, settings: Settings, clock: FrozenClock) -> Appointment:
    """The demo clinic with staff accounts, and Ana's booked visit on Wednesday at 10:00."""
    create_accounts(db, clock)
    return book(db, settings, clock.now(), WEDNESDAY_10AM).appointment


def status_of(db: Database, appointment_id: int) -> AppointmentStatus:
    with db.session() as session:
        return session.get_one(Appointment, appointment_id).status


def texts_kept(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(InboundMessage)) or 0


def send_as(client: FlaskClient, patient_id: object, body: str) -> str:
    """Send the page's form; the page it leads to."""
    token = csrf(client, "/staff/dev/texts")
    answer = client.post(
        "/staff/dev/texts",
        data={"patient_id": patient_id, "body": body, "csrf_token": token},
        follow_redirects=True,
    )
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_a_c_typed_on_the_page_confirms_the_visit_and_shows_in_the_thread(
    client: FlaskClient, db: Database, visit: Appointment
) -> None:
    sign_in(client, "desk@clinic.test")
    page = send_as(client, visit.patient_id, "C")
    assert status_of(db, visit.id) == AppointmentStatus.CONFIRMED
    assert "Understood as yes. The clinic answers: “Thank you, your visit on Wed 4 Mar" in page
    assert "Texts with Ana Silva" in page
    assert "received, yes" in page  # the text, in the thread, with the clinic's answer
    assert "<td>Thank you, your visit on Wed 4 Mar at 10:00 is confirmed.</td>" in page


def test_a_cancel_typed_on_the_page_queues_what_the_webhook_queues(
    client: FlaskClient,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    redis_client: redis_lib.Redis,
) -> None:
    create_accounts(db, clock)
    with db.transaction() as session:
        course = book_course(
            session, request_for(db, start=WEDNESDAY_10AM), settings=settings, now=clock.now()
        )
        consultation = course.appointments[0]
        patient_id, visit_id = consultation.patient_id, consultation.id
        practitioner_id = consultation.practitioner_id
    sign_in(client, "desk@clinic.test")
    send_as(client, patient_id, "X")
    assert queued_tasks(redis_client) == []  # the first X only asks
    send_as(client, patient_id, "X")
    assert status_of(db, visit_id) == AppointmentStatus.CANCELLED
    assert queued_tasks(redis_client) == [
        ("clinic.after_visit_missed", [visit_id]),
        ("clinic.offer_freed_time", [practitioner_id, WEDNESDAY_10AM.isoformat()]),
    ]


@pytest.mark.parametrize(
    ("patient_id", "body", "said"),
    [
        ("999999", "C", "There is no patient 999999."),
        ("", "C", "Choose a patient."),
        ("abc", "C", "Choose a patient."),
        (str(2**40), "C", "Choose a patient."),
        ("-1", "C", "Choose a patient."),
        (None, "   ", "Type a text of 1 to 1600 characters."),
        (None, "C" * 1601, "Type a text of 1 to 1600 characters."),
    ],
)
def test_a_wrong_patient_or_text_is_refused_and_changes_nothing(
    client: FlaskClient,
    db: Database,
    visit: Appointment,
    patient_id: str | None,
    body: str,
    said: str,
) -> None:
    sign_in(client, "desk@clinic.test")
    page = send_as(client, visit.patient_id if patient_id is None else patient_id, body)
    assert said in page
    assert texts_kept(db) == 0
    assert status_of(db, visit.id) == AppointmentStatus.BOOKED


def test_only_the_office_may_text_as_a_patient(
    client: FlaskClient, db: Database, visit: Appointment
) -> None:
    assert client.get("/staff/dev/texts").status_code == 302  # to the sign-in page
    sign_in(client, "lin@clinic.test")
    assert client.get("/staff/dev/texts").status_code == 403
    assert "Text the clinic" not in client.get("/staff/").get_data(as_text=True)
    client.post("/staff/logout", data={"csrf_token": csrf(client, "/staff/")})
    sign_in(client, "admin@clinic.test")
    home = client.get("/staff/").get_data(as_text=True)
    assert 'href="/staff/dev/texts"' in home
    page = client.get(f"/staff/dev/texts?patient_id={visit.patient_id}").get_data(as_text=True)
    assert "Send as Ana" in page


def test_the_command_confirms_a_visit_by_patient_id_and_by_phone(
    app: Flask, db: Database, visit: Appointment
) -> None:
    runner = app.test_cli_runner()
    done = runner.invoke(args=["text-clinic", "--patient-id", str(visit.patient_id), "C"])
    assert done.exit_code == 0, done.output
    assert "understood as: yes" in done.output
    assert "the clinic answers: Thank you, your visit on Wed 4 Mar at 10:00 is confirmed." in (
        done.output
    )
    assert status_of(db, visit.id) == AppointmentStatus.CONFIRMED
    by_phone = runner.invoke(args=["text-clinic", "--phone", "07400 123456", "HELP"])
    assert by_phone.exit_code == 0, by_phone.output
    assert "understood as: help" in by_phone.output
    assert texts_kept(db) == 2


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--patient-id", "999999", "C"], "There is no patient 999999."),
        (["--phone", "07400 999999", "C"], "No patient has the number +447400999999."),
        (["--phone", "12", "C"], "12 is not a valid phone number."),
        (["C"], "Give --patient-id or --phone."),
        (["--patient-id", "1", ""], "Type a text of 1 to 1600 characters."),
    ],
)
def test_the_command_refuses_a_wrong_sender_or_text_and_keeps_nothing(
    app: Flask, db: Database, visit: Appointment, args: list[str], said: str
) -> None:
    done = app.test_cli_runner().invoke(args=["text-clinic", *args])
    assert done.exit_code == 1
    assert said in done.output
    assert texts_kept(db) == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"environment": "production"},
        {"sms_backend": "twilio", "twilio": TwilioSettings(auth_token="t", from_number="+1500")},
    ],
    ids=["production", "twilio"],
)
def test_nothing_of_it_exists_in_production_or_with_twilio(
    settings: Settings, clock: FrozenClock, db: Database, visit: Appointment, changes: dict
) -> None:
    app = create_app(replace(settings, **changes), clock)
    client = app.test_client()
    base = "https://book.example.test" if changes.get("environment") else "http://localhost"
    sign_in_client = client.get("/staff/dev/texts", base_url=base)
    assert sign_in_client.status_code == 404
    assert client.post("/staff/dev/texts", base_url=base).status_code in (400, 404)
    done = app.test_cli_runner().invoke(args=["text-clinic", "--patient-id", "1", "C"])
    assert done.exit_code != 0 and "No such command" in done.output
    assert texts_kept(db) == 0
