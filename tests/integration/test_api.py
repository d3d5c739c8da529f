"""The JSON API over HTTP (Flask's client) on both databases: answers, errors, nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.clinical.safety import QUESTIONS
from scheduler.db import Database
from scheduler.models import Appointment, OutboundMessage, Patient, SafetyScreen, StaffAlert
from tests.support.booking_requests import proven
from tests.support.factories import api_booking, demo_clinic, ids, screen

WEDNESDAY_10AM = "2026-03-04T10:00:00+00:00"


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def rows(db: Database) -> tuple[int, int, int]:
    with db.session() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(m)) or 0
            for m in (Patient, Appointment, OutboundMessage)
        )


def test_services_and_practitioners_are_listed(client: FlaskClient) -> None:
    services = client.get("/api/v1/services").get_json()
    assert {s["code"] for s in services} >= {"initial", "acupuncture", "tuina", "telehealth"}
    initial = next(s for s in services if s["code"] == "initial")
    assert initial["duration_min"] == 90
    practitioners = client.get("/api/v1/practitioners").get_json()
    assert len(practitioners) == 3
    assert all(p["service_ids"] for p in practitioners)


def test_availability_lists_free_slots_and_drops_a_booked_one(
    client: FlaskClient, db: Database
) -> None:
    service_id, practitioner_id = ids(db)
    query = f"/api/v1/availability?service_id={service_id}&from=2026-03-04&to=2026-03-04"
    before = client.get(f"{query}&practitioner_id={practitioner_id}").get_json()["slots"]
    assert before[0]["start"] == "2026-03-04T09:00:00+00:00"
    assert before[0]["local_start"] == "2026-03-04T09:00"
    assert WEDNESDAY_10AM in [s["start"] for s in before]
    booked = client.post(
        "/api/v1/bookings",
        json=proven(client, db, api_booking(service_id, practitioner_id, WEDNESDAY_10AM)),
    )
    assert booked.status_code == 201
    after = client.get(f"{query}&practitioner_id={practitioner_id}").get_json()["slots"]
    starts = {s["start"] for s in after}
    assert WEDNESDAY_10AM not in starts
    assert "2026-03-04T09:30:00+00:00" not in starts  # would run into 10:00
    assert "2026-03-04T10:45:00+00:00" not in starts  # inside the buffer
    assert "2026-03-04T11:00:00+00:00" in starts


@pytest.mark.parametrize(
    ("query", "status", "where"),
    [
        ("service_id=2&from=2026-03-05&to=2026-03-04", 422, "to"),
        ("service_id=2&from=2026-03-04&to=2026-07-04", 422, "to"),
        ("service_id=abc&from=2026-03-04&to=2026-03-04", 422, "service_id"),
        ("service_id=2&from=yesterday&to=2026-03-04", 422, "from"),
        ("from=2026-03-04&to=2026-03-04", 422, "service_id"),
        ("service_id=999&from=2026-03-04&to=2026-03-04", 404, None),
        ("service_id=999&from=2026-03-05&to=2026-03-04", 422, "to"),  # the range first
        ("service_id=2&from=2026-03-04&to=2026-03-04&practitioner_id=999", 404, None),
    ],
)
def test_a_bad_availability_query_gets_a_clear_4xx(
    client: FlaskClient, query: str, status: int, where: str | None
) -> None:
    response = client.get(f"/api/v1/availability?{query}")
    assert response.status_code == status
    body = response.get_json()
    if where:
        assert where in body["errors"]["query"]
    else:
        assert "does not exist" in body["message"]


def test_a_booking_returns_the_visit_and_a_manage_url_that_shows_it(
    client: FlaskClient, db: Database
) -> None:
    service_id, practitioner_id = ids(db)
    response = client.post(
        "/api/v1/bookings",
        json=proven(client, db, api_booking(service_id, practitioner_id, WEDNESDAY_10AM)),
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["appointment"]["start"] == WEDNESDAY_10AM
    assert body["appointment"]["status"] == "booked"
    assert body["manage_url"] == f"https://book.example.test/m/{body['manage_token']}"
    view = client.get(f"/api/v1/bookings/{body['manage_token']}").get_json()
    assert view["first_name"] == "Ana"
    assert [a["id"] for a in view["appointments"]] == [body["appointment"]["id"]]
    assert [m["kind"] for m in view["messages"]] == ["confirmation", "reminder_48h", "reminder_2h"]
    assert all(m["status"] == "pending" and m["text"] for m in view["messages"])


def test_a_second_booking_of_the_slot_gets_409_and_writes_nothing(
    client: FlaskClient, db: Database
) -> None:
    service_id, practitioner_id = ids(db)
    body = proven(client, db, api_booking(service_id, practitioner_id, WEDNESDAY_10AM))
    assert client.post("/api/v1/bookings", json=body).status_code == 201
    before = rows(db)
    second = client.post("/api/v1/bookings", json=body)
    assert second.status_code == 409
    assert "no longer free" in second.get_json()["message"]
    assert rows(db) == before


def with_changes(ids_: tuple[int, int], changes: dict[str, Any]) -> dict[str, Any]:
    body = api_booking(ids_[0], ids_[1], WEDNESDAY_10AM)
    for key, value in changes.items():
        if "." in key:
            outer, inner = key.split(".")
            if value is None:
                body[outer].pop(inner)
            else:
                body[outer][inner] = value
        elif value is None:
            body.pop(key)
        else:
            body[key] = value
    return body


@pytest.mark.parametrize(
    ("changes", "path", "message"),
    [
        ({"service_id": 999}, ("service_id",), "Choose one of the clinic's services"),
        ({"service_id": "2"}, ("service_id",), "Not a valid integer"),
        ({"start": "2026-03-01T10:00:00+00:00"}, ("start",), "That time has passed"),
        ({"start": "2026-03-04T19:00:00+00:00"}, ("start",), "bookable times"),
        ({"start": "2026-03-04T10:00:00"}, ("start",), "aware"),
        ({"start": "next week"}, ("start",), "Not a valid"),
        ({"patient.phone": "12345"}, ("patient", "phone"), "not a valid phone number"),
        ({"patient.phone": "020 7946 0000"}, ("patient", "phone"), "cannot receive text"),
        ({"patient.first_name": ""}, ("patient", "first_name"), "Length"),
        ({"patient.time_zone": "Mars/Base"}, ("patient", "time_zone"), "time zone"),
        ({"consents.reminders": None}, ("consents", "reminders"), "Missing data"),
        ({"consents.diary_prompts": "maybe"}, ("consents", "diary_prompts"), "Not a valid"),
        ({"consents": None}, ("consents",), "Missing data"),
        ({"patient": None}, ("patient",), "Missing data"),
        ({"extra": "field"}, ("extra",), "Unknown field"),
        ({"screen": None}, ("screen",), "Missing data"),
        ({"screen.fainting": None}, ("screen", "fainting"), "Missing data"),
        ({"screen.thunderclap": "no"}, ("screen", "thunderclap"), "Answer true"),
        ({"screen.thunderclap": 0}, ("screen", "thunderclap"), "Answer true"),
        ({"screen.thunderclap": "yes"}, ("screen", "thunderclap"), "Answer true"),
        ({"screen.headache_today": False}, ("screen", "headache_today"), "Unknown field"),
        ({"screen": []}, ("screen", "_schema"), "Invalid input type"),
    ],
)
def test_bad_booking_input_gets_422_with_per_field_errors_and_writes_nothing(
    client: FlaskClient, db: Database, changes: dict, path: tuple[str, ...], message: str
) -> None:
    response = client.post("/api/v1/bookings", json=with_changes(ids(db), changes))
    assert response.status_code == 422, response.get_json()
    errors: Any = response.get_json()["errors"]["json"]
    for key in path:
        errors = errors[key]
    assert message in " ".join(errors)
    assert rows(db) == (0, 0, 0)


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ("[1, 2, 3]", "application/json", 422),
        ('"just a string"', "application/json", 422),
        ("service_id=2", "application/x-www-form-urlencoded", 422),
        ('{"a": "' + "x" * 70_000 + '"}', "application/json", 413),
    ],
)
def test_a_malformed_or_huge_body_gets_a_clear_4xx_and_writes_nothing(
    client: FlaskClient, db: Database, data: str, content_type: str, status: int
) -> None:
    response = client.post("/api/v1/bookings", data=data, content_type=content_type)
    assert response.status_code == status
    assert response.is_json
    assert rows(db) == (0, 0, 0)


@pytest.mark.parametrize("token", ["nope", "x" * 22, "x" * 200, "x'; DROP TABLE patients;--"])
def test_an_unknown_token_gets_404_and_reveals_nothing(client: FlaskClient, token: str) -> None:
    response = client.get(f"/api/v1/bookings/{token}")
    assert response.status_code == 404
    assert response.get_json()["message"] == "This link is not valid."


def test_the_openapi_document_is_generated_from_the_code(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {
        "/api/v1/services",
        "/api/v1/practitioners",
        "/api/v1/availability",
        "/api/v1/bookings",
        "/api/v1/bookings/{token}",
    } <= set(spec["paths"])
    post = spec["paths"]["/api/v1/bookings"]["post"]
    assert {"201", "409", "422"} <= set(post["responses"])
    schemas = spec["components"]["schemas"]
    assert "BookingIn" in schemas
    assert "screen" in schemas["BookingIn"]["required"]
    assert "screen" in schemas["CourseIn"]["required"]
    assert "screen" not in schemas["CoursePreviewIn"].get("required", [])
    screen_in = schemas["ScreenIn"]
    assert set(screen_in["required"]) == {q.code for q in QUESTIONS}
    assert screen_in["properties"]["thunderclap"]["type"] == "boolean"
    assert "worst pain" in screen_in["properties"]["thunderclap"]["description"]
    assert "/api/v1/safety-questions" in spec["paths"]


def test_the_safety_questions_are_listed_as_the_pages_ask_them(client: FlaskClient) -> None:
    questions = client.get("/api/v1/safety-questions").get_json()
    assert [q["id"] for q in questions] == [q.code for q in QUESTIONS]
    first = questions[0]
    assert first["text"] == QUESTIONS[0].text
    assert first["section"] == "Before you book: signs we must know about"
    assert first["choices"] == [{"value": True, "label": "Yes"}, {"value": False, "label": "No"}]
    assert questions[-1]["section"] == "For your practitioner"


def alerts(db: Database) -> list[tuple[str, int | None, bool | None]]:
    with db.session() as session:
        rows_ = session.scalars(select(StaffAlert).order_by(StaffAlert.id))
        return [(a.kind, a.patient_id, a.phone_proven) for a in rows_]


@pytest.mark.parametrize(
    ("question", "advice", "reason"),
    [
        ("thunderclap", "Please get emergency help now", "signs of an emergency"),
        ("fever_stiff_neck", "Please get emergency help now", "signs of an emergency"),
        ("papilledema", "Please see a doctor within a day", "a doctor within a day"),
        ("cancer_immune", "Please see a doctor within a day", "a doctor within a day"),
    ],
)
def test_emergent_and_urgent_answers_stop_an_api_booking_with_the_advice_and_alert_staff(
    client: FlaskClient, db: Database, question: str, advice: str, reason: str
) -> None:
    body = api_booking(*ids(db), WEDNESDAY_10AM, screen=screen(question))
    response = client.post("/api/v1/bookings", json=body)
    assert response.status_code == 422
    answer = response.get_json()
    assert answer["message"].startswith(advice)
    assert "call 999" in answer["message"].lower() and "will call you" in answer["message"]
    assert reason in answer["errors"]["json"]["screen"][0]
    assert rows(db) == (1, 0, 0)  # the contact details kept to call back; nothing booked
    with db.session() as session:
        kept = session.scalars(select(SafetyScreen)).one()
        assert kept.answers[question] is True
    ((kind, patient_id, proven),) = alerts(db)
    assert kind.startswith("safety_") and patient_id is not None and proven is False


def test_an_emergency_without_usable_contact_details_advises_without_promising_a_call(
    client: FlaskClient, db: Database
) -> None:
    body = with_changes(ids(db), {"patient.phone": "12", "screen.thunderclap": True})
    response = client.post("/api/v1/bookings", json=body)
    assert response.status_code == 422
    assert "will call you" not in response.get_json()["message"]
    assert rows(db) == (0, 0, 0)
    assert alerts(db) == [("safety_emergent", None, None)]


def test_answers_a_practitioner_should_review_book_the_visit_pending_review(
    client: FlaskClient, db: Database
) -> None:
    body = proven(
        client, db, api_booking(*ids(db), WEDNESDAY_10AM, screen=screen("head_injury", "pregnancy"))
    )
    response = client.post("/api/v1/bookings", json=body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["appointment"]["status"] == "pending_review"
    assert [kind for kind, _patient, _proven in alerts(db)] == ["safety_review"]
    with db.session() as session:
        assert session.scalars(select(Patient)).one().safety_flags == ["pregnancy"]


def test_health_reports_the_database_redis_and_a_missing_worker(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["redis"]["status"] == "ok"
    assert body["checks"]["worker"]["status"] == "missing"
    assert body["status"] == "degraded"


def test_health_is_503_when_redis_cannot_be_reached(settings, clock) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from web.app import create_app

    app = create_app(replace(settings, redis_url="redis://127.0.0.1:1/0"), clock)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"]["status"] == "error"


@pytest.mark.parametrize(
    ("first", "last"),
    [("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31"), ("2025-01-01", "2025-01-31")],
)
def test_days_no_visit_can_be_booked_on_answer_no_times_even_at_the_calendars_ends(
    client: FlaskClient, first: str, last: str
) -> None:
    """Long past, beyond the booking horizon, or at the first and last days a date can name."""
    response = client.get(f"/api/v1/availability?service_id=2&from={first}&to={last}")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["slots"] == []
