"""The JSON API over HTTP (Flask's client) on both databases: answers, errors, nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.db import Database
from scheduler.models import Appointment, OutboundMessage, Patient
from tests.support.factories import api_booking, demo_clinic, ids

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
        "/api/v1/bookings", json=api_booking(service_id, practitioner_id, WEDNESDAY_10AM)
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
        "/api/v1/bookings", json=api_booking(service_id, practitioner_id, WEDNESDAY_10AM)
    )
    assert response.status_code == 201
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
    body = api_booking(service_id, practitioner_id, WEDNESDAY_10AM)
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
    assert "BookingIn" in spec["components"]["schemas"]


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
