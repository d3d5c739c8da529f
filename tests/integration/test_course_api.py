"""The course and patient endpoints over HTTP (Flask's client), on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import redis as redis_lib
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.db import Database
from scheduler.models import (
    Appointment,
    ClinicRules,
    Course,
    SafetyScreen,
    StaffAlert,
    WaitlistEntry,
)
from tests.support.booking_requests import proven
from tests.support.factories import api_booking, demo_clinic, ids, screen
from tests.support.queue import queued_tasks

MONDAY_10AM = "2026-03-09T10:00:00+00:00"


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def course_body(client: FlaskClient, db: Database, **changes: Any) -> dict[str, Any]:
    templates = client.get("/api/v1/course-templates").get_json()
    migraine = next(t for t in templates if t["code"] == "migraine")
    body: dict[str, Any] = {
        "template_id": migraine["id"],
        "practitioner_id": ids(db, "initial")[1],
        "start": MONDAY_10AM,
        "patient": {"first_name": "Ana", "last_name": "Silva", "phone": "07400 123456"},
        "consents": {"reminders": True, "diary_prompts": True},
        "screen": screen(),
    }
    body.update(changes)
    return body


def test_the_four_templates_are_listed_with_their_phases(client: FlaskClient) -> None:
    templates = {t["code"]: t for t in client.get("/api/v1/course-templates").get_json()}
    assert set(templates) == {"migraine", "tension", "acupuncture_tuina", "dry_needling"}
    phases = templates["migraine"]["phases"]
    assert [(p["cadence"], p["visits_per_week"], p["weeks"]) for p in phases] == [
        ("once", 1, 1),
        ("weekly", 2, 4),
        ("weekly", 1, 4),
        ("maintenance", 1, 1),
    ]
    assert templates["acupuncture_tuina"]["phases"][1]["then_service"] == "Tui Na massage"


def test_a_preview_shows_the_whole_plan_and_writes_nothing(
    client: FlaskClient, db: Database
) -> None:
    response = client.post("/api/v1/courses/preview", json=course_body(client, db))
    assert response.status_code == 200, response.get_json()
    plan = response.get_json()
    assert plan["status"] == "preview"
    assert plan["preferred_weekdays"] == [0, 3]
    assert plan["preferred_time"] == "10:00"
    assert [v["status"] for v in plan["visits"]] == ["booked"] + ["proposed"] * 13
    assert count(db, Appointment) == 0


def test_booking_a_course_returns_its_plan_and_a_manage_link_that_shows_it(
    client: FlaskClient, db: Database
) -> None:
    body = course_body(client, db, preferences={"weekdays": [1, 4], "time": "11:30"})
    response = client.post("/api/v1/courses", json=proven(client, db, body))
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    visits = created["plan"]["visits"]
    assert len(visits) == 14
    assert all(v["appointment_id"] for v in visits)
    assert {v["local_start"][11:] for v in visits[1:]} == {"11:30"}
    courses = client.get(f"/api/v1/bookings/{created['manage_token']}/courses").get_json()
    assert [len(c["visits"]) for c in courses] == [14]
    assert count(db, Course) == 1


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"template_id": 999}, ("template_id",)),
        ({"preferences": {"weekdays": [7]}}, ("preferences", "weekdays", "0")),
        ({"preferences": {"weekdays": []}}, ("preferences", "weekdays")),
        ({"preferences": {"time": "25:00"}}, ("preferences", "time")),
        ({"start": "2026-03-09T10:00:00"}, ("start",)),
        ({"patient": {"first_name": "Ana", "last_name": "S", "phone": "1"}}, ("patient", "phone")),
        ({"screen": None}, ("screen",)),
        ({"screen": {"thunderclap": False}}, ("screen", "fainting")),
        ({"screen": {**screen(), "thunderclap": "no"}}, ("screen", "thunderclap")),
    ],
)
def test_a_bad_course_request_gets_422_and_writes_nothing(
    client: FlaskClient, db: Database, changes: dict, path: tuple[str, ...]
) -> None:
    body = {k: v for k, v in course_body(client, db, **changes).items() if v is not None}
    response = client.post("/api/v1/courses", json=body)
    assert response.status_code == 422, response.get_json()
    errors: Any = response.get_json()["errors"]["json"]
    for key in path:
        errors = errors[key]
    assert errors
    assert count(db, Appointment) == count(db, Course) == 0


def test_a_preview_needs_no_screen_and_reads_none_it_is_sent(
    client: FlaskClient, db: Database
) -> None:
    body = course_body(client, db)
    without = {k: v for k, v in body.items() if k != "screen"}
    for sent in (without, course_body(client, db, screen=screen("thunderclap"))):
        response = client.post("/api/v1/courses/preview", json=sent)
        assert response.status_code == 200, response.get_json()
    assert count(db, Appointment) == count(db, StaffAlert) == 0


@pytest.mark.parametrize(
    ("question", "tier"), [("neuro_deficit", "emergent"), ("systemic_illness", "urgent")]
)
def test_emergent_and_urgent_answers_stop_a_course_and_alert_staff(
    client: FlaskClient, db: Database, question: str, tier: str
) -> None:
    response = client.post("/api/v1/courses", json=course_body(client, db, screen=screen(question)))
    assert response.status_code == 422
    assert "screen" in response.get_json()["errors"]["json"]
    assert "We have not booked a visit" in response.get_json()["message"]
    assert count(db, Appointment) == count(db, Course) == 0
    with db.session() as session:
        assert session.scalars(select(StaffAlert.kind)).one() == f"safety_{tier}"
        assert session.scalars(select(SafetyScreen.tier)).one() == tier


def test_review_first_answers_book_the_courses_first_visit_pending_review(
    client: FlaskClient, db: Database
) -> None:
    body = course_body(client, db, screen=screen("painkiller_overuse"))
    response = client.post("/api/v1/courses", json=proven(client, db, body))
    assert response.status_code == 201, response.get_json()
    visits = response.get_json()["plan"]["visits"]
    assert visits[0]["status"] == "pending_review"
    with db.session() as session:
        screened = session.scalars(select(SafetyScreen)).one()
        assert (screened.tier, screened.course_id) == (
            "review",
            response.get_json()["plan"]["course_id"],
        )


def test_a_course_whose_first_visit_is_taken_gets_409(client: FlaskClient, db: Database) -> None:
    first = proven(client, db, course_body(client, db))
    assert client.post("/api/v1/courses", json=first).status_code == 201
    other = course_body(
        client, db, patient={"first_name": "Bo", "last_name": "Li", "phone": "07400123455"}
    )
    assert client.post("/api/v1/courses", json=other).status_code == 409
    assert count(db, Course) == 1


def booked(  # type: ignore[no-untyped-def]
    client: FlaskClient,
    db: Database,
    start: str = "2026-03-04T10:00:00+00:00",
    phone: str = "07400 123456",
):
    service_id, practitioner_id = ids(db)
    body = api_booking(service_id, practitioner_id, start)
    body["patient"]["phone"] = phone
    response = client.post("/api/v1/bookings", json=proven(client, db, body))
    assert response.status_code == 201
    return response.get_json()


def test_a_patient_moves_a_visit_to_an_alternative_and_cancels_it(
    client: FlaskClient, db: Database
) -> None:
    created = booked(client, db)
    token, visit = created["manage_token"], created["appointment"]["id"]
    base = f"/api/v1/bookings/{token}/appointments/{visit}"
    options = client.get(f"{base}/alternatives?from=2026-03-05&to=2026-03-05").get_json()["slots"]
    assert options
    moved = client.post(f"{base}/reschedule", json={"start": options[0]["start"]})
    assert moved.status_code == 200
    assert moved.get_json()["start"] == options[0]["start"]
    cancelled = client.post(f"{base}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.get_json()["status"] == "cancelled"
    assert client.post(f"{base}/cancel").status_code == 409
    assert client.post(f"{base}/reschedule", json={"start": options[1]["start"]}).status_code == 409


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"start": "2026-03-05T19:00:00+00:00"}, 422),
        ({"start": "2026-03-01T10:00:00+00:00"}, 422),
        ({"start": "soon"}, 422),
        ({}, 422),
        ({"start": "2026-03-05T10:00:00+00:00", "practitioner_id": 999}, 422),
    ],
)
def test_a_bad_move_gets_a_clear_4xx_and_changes_nothing(
    client: FlaskClient, db: Database, body: dict, status: int
) -> None:
    created = booked(client, db)
    base = f"/api/v1/bookings/{created['manage_token']}/appointments/{created['appointment']['id']}"
    assert client.post(f"{base}/reschedule", json=body).status_code == status
    view = client.get(f"/api/v1/bookings/{created['manage_token']}").get_json()
    assert view["appointments"][0]["start"] == created["appointment"]["start"]


def test_another_patients_token_cannot_touch_a_visit(client: FlaskClient, db: Database) -> None:
    mine = booked(client, db)
    theirs = booked(client, db, "2026-03-04T14:00:00+00:00", phone="07400 123455")
    base = f"/api/v1/bookings/{mine['manage_token']}/appointments/{theirs['appointment']['id']}"
    assert client.post(f"{base}/cancel").status_code == 404
    assert client.post(f"{base}/reschedule", json={"start": MONDAY_10AM}).status_code == 404
    assert client.get(f"{base}/alternatives?from=2026-03-05&to=2026-03-05").status_code == 404
    bad = "/api/v1/bookings/not-a-token/appointments/1/cancel"
    assert client.post(bad).status_code == 404


def test_a_patient_joins_and_leaves_the_waitlist(client: FlaskClient, db: Database) -> None:
    created = booked(client, db, "2026-03-11T10:00:00+00:00")
    token = created["manage_token"]
    service_id = ids(db)[0]
    body = {
        "service_id": service_id,
        "earliest": "2026-03-03T00:00:00+00:00",
        "latest": "2026-03-10T00:00:00+00:00",
        "appointment_id": created["appointment"]["id"],
    }
    joined = client.post(f"/api/v1/bookings/{token}/waitlist", json=body)
    assert joined.status_code == 201, joined.get_json()
    entry = joined.get_json()
    assert entry["status"] == "waiting" and entry["offer"] is None
    assert [e["id"] for e in client.get(f"/api/v1/bookings/{token}/waitlist").get_json()] == [
        entry["id"]
    ]
    left = client.delete(f"/api/v1/bookings/{token}/waitlist/{entry['id']}")
    assert left.get_json()["status"] == "withdrawn"
    bad = dict(body, latest="2026-03-02T00:00:00+00:00")
    assert client.post(f"/api/v1/bookings/{token}/waitlist", json=bad).status_code == 422
    assert count(db, WaitlistEntry) == 1
    assert client.post(f"/api/v1/bookings/{token}/offers/999/accept").status_code == 404


def test_a_move_and_a_cancel_each_queue_the_offer_of_the_time_given_up(
    client: FlaskClient, db: Database, redis_client: redis_lib.Redis
) -> None:
    created = booked(client, db)
    token, visit = created["manage_token"], created["appointment"]["id"]
    practitioner = ids(db)[1]
    base = f"/api/v1/bookings/{token}/appointments/{visit}"
    options = client.get(f"{base}/alternatives?from=2026-03-05&to=2026-03-05").get_json()["slots"]
    moved = client.post(f"{base}/reschedule", json={"start": options[0]["start"]})
    assert moved.status_code == 200
    assert client.post(f"{base}/cancel").status_code == 200
    new_start = datetime.fromisoformat(moved.get_json()["start"]).replace(tzinfo=UTC)
    assert queued_tasks(redis_client) == [
        ("clinic.offer_freed_time", [practitioner, "2026-03-04T10:00:00+00:00"]),
        ("clinic.offer_freed_time", [practitioner, new_start.isoformat()]),
    ]


def test_a_course_whose_visits_cannot_all_be_placed_queues_another_try(
    client: FlaskClient, db: Database, redis_client: redis_lib.Redis
) -> None:
    with db.transaction() as session:
        rules = session.get(ClinicRules, 1) or ClinicRules(id=1)
        rules.horizon_days = rules.course_horizon_days = 21
        session.add(rules)
    response = client.post("/api/v1/courses", json=proven(client, db, course_body(client, db)))
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert "unplaced" in [v["status"] for v in created["plan"]["visits"]]
    course_id = created["plan"]["course_id"]
    assert queued_tasks(redis_client) == [("clinic.fill_unplaced_visits", [course_id])]


def test_a_course_placed_in_full_queues_nothing(
    client: FlaskClient, db: Database, redis_client: redis_lib.Redis
) -> None:
    body = proven(client, db, course_body(client, db))
    assert client.post("/api/v1/courses", json=body).status_code == 201
    assert queued_tasks(redis_client) == []
