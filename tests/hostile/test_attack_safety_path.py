"""The attacker of issue 12 replayed against the safety screen: a patient the booking page
stopped as an emergency books around the screen through the JSON API, and a stranger floods
the clinic with fake emergencies. Each runs against the real app and database: the booking is
refused with nothing booked, every submission gets its advice, and staff get one alert a phone
a day, marked with whether the phone was proven."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import redis as redis_lib
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.serving import make_server

from scheduler.clinical.safety import QUESTIONS
from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import (
    Appointment,
    Course,
    OutboundMessage,
    Patient,
    SafetyScreen,
    StaffAlert,
)
from tests.support.factories import api_booking, book, demo_clinic, ids, screen
from web.app import create_app

WEDNESDAY_10AM = "2026-03-04T10:00:00+00:00"
PHONE = "07400 123456"
EMERGENCY = "Please get emergency help now"


@pytest.fixture
def app(settings: Settings, clock: FrozenClock, redis_client: redis_lib.Redis) -> Flask:
    """The app with the limits on anonymous work off: what is shown here holds however many
    addresses and numbers an attacker has (the limits are replayed in their own file)."""
    return create_app(replace(settings, rate_limits_enabled=False), clock)


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def stop_alerts(db: Database) -> list[StaffAlert]:
    with db.session() as session:
        return list(session.scalars(select(StaffAlert).order_by(StaffAlert.id)))


def page_submission(client: FlaskClient, db: Database, n: int, **answers: str) -> str:
    """The single-visit booking page filled in and sent as a person would (from address
    ``n``); the page it answers with."""
    service_id, practitioner_id = ids(db)
    page = client.get(f"/visit?service_id={service_id}&date=2026-03-04").text
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    form = {
        "csrf_token": token,
        "service_id": str(service_id),
        "date": "2026-03-04",
        "slot": f"{practitioner_id}|{WEDNESDAY_10AM}",
        "first_name": "Ana",
        "last_name": "Silva",
        "phone": PHONE,
        "time_zone": "Europe/London",
        "consent_reminders": "yes",
        "consent_diary_prompts": "no",
        **{f"safety_{q.code}": "no" for q in QUESTIONS},
        **{f"safety_{code}": value for code, value in answers.items()},
    }
    answer = client.post("/book", data=form, environ_base=address(n))
    assert answer.status_code == 200, answer.text
    return answer.text


def api_submission(client: FlaskClient, db: Database, n: int, *yes: str) -> dict[str, Any]:
    """A booking sent to the JSON API with the screen answered yes to ``yes`` (from address
    ``n``); the refusal it answers with."""
    body = api_booking(*ids(db), WEDNESDAY_10AM, screen=screen(*yes))
    body["patient"]["phone"] = PHONE
    answer = client.post("/api/v1/bookings", json=body, environ_base=address(n))
    assert answer.status_code == 422, answer.get_json()
    return dict(answer.get_json())


def address(n: int) -> dict[str, str]:
    return {"REMOTE_ADDR": f"198.51.100.{n % 250 + 1}"}


# -- One safety path ---------------------------------------------------------------------------


def test_a_patient_the_page_stopped_cannot_book_around_the_screen_through_the_api(
    client: FlaskClient, db: Database
) -> None:
    assert EMERGENCY in page_submission(client, db, 1, thunderclap="yes")
    body = api_booking(*ids(db), WEDNESDAY_10AM)
    body["patient"]["phone"] = PHONE
    del body["screen"]
    no_screen = client.post("/api/v1/bookings", json=body)
    assert no_screen.status_code == 422
    assert no_screen.get_json()["errors"]["json"]["screen"] == ["Missing data for required field."]
    templates = client.get("/api/v1/course-templates").get_json()
    course = {k: v for k, v in body.items() if k != "service_id"} | {
        "template_id": templates[0]["id"]
    }
    assert client.post("/api/v1/courses", json=course).status_code == 422
    assert api_submission(client, db, 2, "thunderclap")["message"].startswith(EMERGENCY)
    assert count(db, Appointment) == count(db, Course) == count(db, OutboundMessage) == 0
    assert len(stop_alerts(db)) == 1


@pytest.mark.parametrize("answer", ["yes", "YES", 1, "true", None])
def test_an_answer_that_is_not_true_or_false_is_refused_and_writes_nothing(
    client: FlaskClient, db: Database, answer: Any
) -> None:
    body = api_booking(*ids(db), WEDNESDAY_10AM)
    body["screen"]["thunderclap"] = answer
    refused = client.post("/api/v1/bookings", json=body)
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["json"]["screen"]["thunderclap"]
    assert count(db, Patient) == count(db, StaffAlert) == count(db, SafetyScreen) == 0


# -- Alerts staff can trust --------------------------------------------------------------------


def test_twenty_identical_emergency_submissions_get_twenty_advice_answers_and_one_alert(
    client: FlaskClient, db: Database
) -> None:
    pages = [page_submission(client, db, n, thunderclap="yes") for n in range(10)]
    answers = [api_submission(client, db, n, "thunderclap") for n in range(10, 20)]
    advice = sum(EMERGENCY in p for p in pages) + sum(
        a["message"].startswith(EMERGENCY) for a in answers
    )
    assert advice == 20
    assert all("will call you" in p for p in pages)
    assert all("will call you" in a["message"] for a in answers)
    alerts = stop_alerts(db)
    assert [(a.kind, a.phone_proven) for a in alerts] == [("safety_emergent", False)]
    assert "Phone number not proven." in alerts[0].detail
    assert count(db, SafetyScreen) == 20  # every answer kept for staff
    assert count(db, Appointment) == count(db, OutboundMessage) == 0
    print(f"\nstaff alerts from 20 identical emergency submissions: {len(alerts)}")


def test_twenty_emergency_submissions_at_once_raise_one_alert(app: Flask, db: Database) -> None:
    """Sent together over HTTP: on PostgreSQL the alert's unique key decides the race."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/api/v1/bookings"
    body = api_booking(*ids(db), WEDNESDAY_10AM, screen=screen("neuro_deficit"))
    barrier = threading.Barrier(20)
    messages: list[str] = []

    def submit() -> None:
        barrier.wait()
        answer = requests.post(url, json=body, timeout=60)
        messages.append(answer.json().get("message", "") if answer.status_code == 422 else "")

    threads = [threading.Thread(target=submit) for _ in range(20)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.shutdown()
    assert sum(m.startswith(EMERGENCY) for m in messages) == 20
    assert [a.kind for a in stop_alerts(db)] == ["safety_emergent"]


def test_an_urgent_stop_then_an_emergency_the_same_day_is_one_alert_asking_for_a_call_now(
    client: FlaskClient, db: Database
) -> None:
    urgent = api_submission(client, db, 1, "over50_jaw_scalp")
    assert urgent["message"].startswith("Please see a doctor within a day")
    assert [a.kind for a in stop_alerts(db)] == ["safety_urgent"]
    assert EMERGENCY in page_submission(client, db, 2, fever_stiff_neck="yes")
    api_submission(client, db, 3, "systemic_illness")  # less serious again: still a call now
    (alert,) = stop_alerts(db)
    assert alert.kind == "safety_emergent"
    assert alert.detail.startswith("Safety screen: emergency signs reported online")


def test_a_stop_the_next_day_raises_a_new_alert(
    client: FlaskClient, db: Database, clock: FrozenClock
) -> None:
    api_submission(client, db, 1, "thunderclap")
    clock.advance(timedelta(hours=15, minutes=59))  # 23:59 in London: still the same day
    api_submission(client, db, 2, "thunderclap")
    assert len(stop_alerts(db)) == 1
    clock.advance(timedelta(minutes=2))
    api_submission(client, db, 3, "thunderclap")
    assert [a.created_at.date() for a in stop_alerts(db)] == [date(2026, 3, 2), date(2026, 3, 3)]


def test_a_stop_from_a_number_its_owner_proved_is_marked_proven(
    client: FlaskClient, db: Database, settings: Settings, clock: FrozenClock
) -> None:
    owner = book(db, settings, clock.now(), datetime(2026, 3, 5, 10, tzinfo=UTC)).patient
    with db.transaction() as session:
        session.get_one(Patient, owner.id).phone_verified_at = clock.now()
    api_submission(client, db, 1, "cancer_immune")
    (alert,) = stop_alerts(db)
    assert (alert.kind, alert.phone_proven) == ("safety_urgent", True)
    assert alert.detail.endswith("Phone number proven.")


def test_stops_without_usable_contact_details_still_alert_staff_without_a_patient(
    client: FlaskClient, db: Database
) -> None:
    body = api_booking(*ids(db), WEDNESDAY_10AM, screen=screen("thunderclap"))
    body["patient"]["phone"] = "12"
    answer = client.post("/api/v1/bookings", json=body)
    assert answer.status_code == 422
    assert "will call you" not in answer.get_json()["message"]
    assert [(a.patient_id, a.phone_proven) for a in stop_alerts(db)] == [(None, None)]
    assert count(db, Patient) == 0


# -- Names that cannot read as links -----------------------------------------------------------


HOSTILE_NAMES = ["evil.example/login", "www.evil", "Eve@evil", "http", "Call 07700900123"]


def test_a_name_that_reads_as_a_link_never_goes_out_in_a_text(
    client: FlaskClient, db: Database, settings: Settings, clock: FrozenClock
) -> None:
    service_id, practitioner_id = ids(db)
    query = (
        f"service_id={service_id}&from=2026-03-04&to=2026-03-13&practitioner_id={practitioner_id}"
    )
    free = client.get(f"/api/v1/availability?{query}").get_json()["slots"]
    days = {s["start"][:10]: s["start"] for s in reversed(free)}  # each day's first time
    for n, (name, start) in enumerate(zip(HOSTILE_NAMES, days.values(), strict=False)):
        when = datetime.fromisoformat(start)
        book(db, settings, clock.now(), when, first_name=name, phone=f"+4474001234{n:02d}")
    assert count(db, Appointment) == len(HOSTILE_NAMES)
    with db.session() as session:
        bodies = session.scalars(select(OutboundMessage.body)).all()
    assert bodies and all(body.startswith("Hi, ") for body in bodies)
    assert not any("evil" in body or "0770" in body or "http:" in body for body in bodies)
