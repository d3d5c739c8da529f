"""The course booking wizard and the safety screen through the Flask app, on both databases."""

from __future__ import annotations

import re
from typing import Any

import pytest
import redis as redis_lib
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.clinical.safety import QUESTIONS
from scheduler.db import Database
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    ClinicRules,
    Course,
    OutboundMessage,
    Patient,
    SafetyScreen,
    StaffAlert,
)
from tests.support.booking_requests import enter_code
from tests.support.factories import demo_clinic
from tests.support.queue import queued_tasks

WEDNESDAY = "2026-03-04"


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def csrf(client: FlaskClient, url: str) -> str:
    page = client.get(url)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def migraine_id(client: FlaskClient) -> int:
    start = client.get("/").text
    found = re.search(r'href="/course/(\d+)">Migraine prevention', start)
    assert found, start
    return int(found.group(1))


def first_slot(client: FlaskClient, template_id: int) -> str:
    page = client.get(f"/course/{template_id}?date={WEDNESDAY}").text
    slots = re.findall(r'name="slot" value="([^"]+)"', page)
    assert slots
    return slots[0]


def form(slot: str, token: str, **changes: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "csrf_token": token,
        "slot": slot,
        "date": WEDNESDAY,
        "practitioner": "any",
        "weekdays": ["0", "3"],
        "first_name": "Ana",
        "last_name": "Silva",
        "phone": "07400 123456",
        "time_zone": "Europe/London",
        "consent_reminders": "yes",
        "consent_diary_prompts": "yes",
    }
    values.update({f"safety_{q.code}": "no" for q in QUESTIONS})
    values.update(changes)
    return values


def counts(db: Database) -> tuple[int, int, int, int]:
    with db.session() as s:
        return (
            s.scalar(select(func.count()).select_from(Patient)) or 0,
            s.scalar(select(func.count()).select_from(Appointment)) or 0,
            s.scalar(select(func.count()).select_from(OutboundMessage)) or 0,
            s.scalar(select(func.count()).select_from(StaffAlert)) or 0,
        )


def plan_url(template_id: int, slot: str) -> str:
    slot = slot.replace("+", "%2B")
    return f"/course/{template_id}/plan?slot={slot}&date={WEDNESDAY}&weekdays=0&weekdays=3"


def at_the_plan(client: FlaskClient) -> tuple[int, str, str]:
    """The migraine course's plan page for its first free time: (template, slot, CSRF token)."""
    template_id = migraine_id(client)
    slot = first_slot(client, template_id)
    return template_id, slot, csrf(client, plan_url(template_id, slot))


def test_the_start_page_offers_every_course_and_single_visit(client: FlaskClient) -> None:
    page = client.get("/").text
    assert "Migraine prevention" in page and "Twice a week for 4 weeks: Acupuncture" in page
    assert 'href="/visit?service_id=' in page


def test_the_plan_shows_every_visit_before_anything_is_written(
    client: FlaskClient, db: Database
) -> None:
    template_id = migraine_id(client)
    slot = first_slot(client, template_id)
    page = client.get(plan_url(template_id, slot))
    assert page.status_code == 200
    rows = re.findall(r'<tr class="status-(\w+)">', page.text)
    assert rows[0] == "booked" and rows.count("proposed") >= 11  # 1 + 8 + 4 and maintenance
    assert "Mon, Thu" in page.text
    assert counts(db) == (0, 0, 0, 0)


def test_a_clear_screen_books_the_course_with_its_plan_and_keeps_the_answers(
    client: FlaskClient, db: Database
) -> None:
    template_id, slot, token = at_the_plan(client)
    response = client.post(
        f"/course/{template_id}/book", data=form(slot, token, safety_pregnancy="yes")
    )
    response = enter_code(client, db, response)
    assert response.status_code == 303
    assert "/m/" in response.headers["Location"]
    with db.session() as s:
        course = s.scalars(select(Course)).one()
        visits = s.scalars(select(Appointment).order_by(Appointment.starts_at)).all()
        screen = s.scalars(select(SafetyScreen)).one()
        patient = s.get_one(Patient, course.patient_id)
        assert visits[0].status == AppointmentStatus.BOOKED
        assert {v.status for v in visits[1:]} == {AppointmentStatus.PROPOSED}
        assert (screen.tier, screen.course_id, screen.flags) == ("clear", course.id, ["pregnancy"])
        assert patient.safety_flags == ["pregnancy"]
        assert patient.time_zone == "Europe/London"
        assert s.scalar(select(func.count()).select_from(StaffAlert)) == 0


def test_review_first_answers_book_the_course_pending_review_and_tell_staff(
    client: FlaskClient, db: Database
) -> None:
    template_id, slot, token = at_the_plan(client)
    response = client.post(
        f"/course/{template_id}/book", data=form(slot, token, safety_head_injury="yes")
    )
    response = enter_code(client, db, response)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).text
    assert "your practitioner will look over them" in page
    with db.session() as s:
        first = s.scalars(select(Appointment).order_by(Appointment.starts_at)).first()
        assert first is not None and first.status == AppointmentStatus.PENDING_REVIEW
        alert = s.scalars(select(StaffAlert)).one()
        assert alert.kind == "safety_review"


@pytest.mark.parametrize(
    ("question", "heading", "tier"),
    [
        ("thunderclap", "Please get emergency help now", "emergent"),
        ("neuro_deficit", "Please get emergency help now", "emergent"),
        ("over50_jaw_scalp", "Please see a doctor within a day", "urgent"),
    ],
)
def test_emergent_and_urgent_answers_stop_the_booking_and_alert_staff(
    client: FlaskClient, db: Database, question: str, heading: str, tier: str
) -> None:
    template_id, slot, token = at_the_plan(client)
    response = client.post(
        f"/course/{template_id}/book", data=form(slot, token, **{f"safety_{question}": "yes"})
    )
    assert response.status_code == 200
    assert heading in response.text
    assert 'href="tel:999"' in response.text
    patients, visits, messages, alerts = counts(db)
    assert (patients, visits, messages, alerts) == (1, 0, 0, 1)  # contact kept to call back
    with db.session() as s:
        assert s.scalars(select(StaffAlert)).one().kind == f"safety_{tier}"
        assert s.scalars(select(SafetyScreen)).one().tier == tier


def test_an_unanswered_question_and_a_bad_phone_are_shown_and_nothing_is_written(
    client: FlaskClient, db: Database
) -> None:
    template_id, slot, token = at_the_plan(client)
    values = form(slot, token, phone="12")
    del values["safety_fainting"]
    response = client.post(f"/course/{template_id}/book", data=values)
    assert response.status_code == 422
    assert 'id="safety_fainting-error"' in response.text
    assert 'id="phone-error"' in response.text
    assert 'value="Ana"' in response.text  # kept for the retry
    assert counts(db) == (0, 0, 0, 0)


def test_a_double_submit_books_one_course(client: FlaskClient, db: Database) -> None:
    template_id, slot, token = at_the_plan(client)
    first = enter_code(
        client, db, client.post(f"/course/{template_id}/book", data=form(slot, token))
    )
    second = client.post(f"/course/{template_id}/book", data=form(slot, token))
    assert first.status_code == 303
    assert second.status_code == 200
    assert "You are already booked" in second.text
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Course)) == 1


def test_a_post_without_csrf_or_with_a_forged_slot_changes_nothing(
    client: FlaskClient, db: Database
) -> None:
    template_id = migraine_id(client)
    slot = first_slot(client, template_id)
    assert client.post(f"/course/{template_id}/book", data=form(slot, "")).status_code == 400
    token = csrf(client, plan_url(template_id, slot))
    forged = client.post(f"/course/{template_id}/book", data=form("9|not-a-time", token))
    assert forged.status_code == 303 and "/course/" in forged.headers["Location"]
    assert client.get("/course/999999").status_code == 404
    assert counts(db) == (0, 0, 0, 0)


def test_a_single_visit_asks_the_same_screen(client: FlaskClient, db: Database) -> None:
    page = client.get(f"/visit?service_id=2&date={WEDNESDAY}").text
    assert "safety_thunderclap" in page and 'name="time_zone"' in page


def test_a_returning_patient_books_a_new_course_from_their_link_after_a_new_screen(
    client: FlaskClient, db: Database
) -> None:
    template_id, slot, token = at_the_plan(client)
    first = enter_code(
        client, db, client.post(f"/course/{template_id}/book", data=form(slot, token))
    )
    link = first.headers["Location"].rsplit("/m/", 1)[1]
    start = client.get(f"/?token={link}").text
    assert f"/course/{template_id}?token={link}" in start
    later = client.get(f"/course/{template_id}?date=2026-03-06&token={link}").text
    slot2 = re.findall(r'name="slot" value="([^"]+)"', later)[0]
    plan = client.get(
        f"/course/{template_id}/plan?slot={slot2.replace('+', '%2B')}&date=2026-03-06&token={link}"
    ).text
    assert "Booking for Ana Silva" in plan and 'name="phone"' not in plan
    values = form(slot2, token, date="2026-03-06", safety_positional="yes")
    values["token"] = link
    for field in ("first_name", "last_name", "phone", "consent_reminders"):
        values.pop(field)
    second = client.post(f"/course/{template_id}/book", data=values)
    assert second.status_code == 303 and second.headers["Location"].endswith(f"/m/{link}")
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Patient)) == 1
        assert s.scalar(select(func.count()).select_from(Course)) == 2
        assert [sc.tier for sc in s.scalars(select(SafetyScreen).order_by(SafetyScreen.id))] == [
            "clear",
            "review",
        ]


def test_a_bad_link_in_the_wizard_is_refused(client: FlaskClient) -> None:
    template_id = migraine_id(client)
    assert client.get("/?token=not-a-real-link").status_code == 404
    assert client.get(f"/course/{template_id}?token=not-a-real-link").status_code == 404


def test_an_emergency_without_usable_contact_details_advises_without_promising_a_call(
    client: FlaskClient, db: Database
) -> None:
    template_id, slot, token = at_the_plan(client)
    response = client.post(
        f"/course/{template_id}/book",
        data=form(slot, token, phone="12", safety_thunderclap="yes"),
    )
    assert "Please get emergency help now" in response.text
    assert "will call you" not in response.text
    assert counts(db) == (0, 0, 0, 1)


def test_a_course_booked_in_the_wizard_with_unplaced_visits_queues_another_try(
    client: FlaskClient, db: Database, redis_client: redis_lib.Redis
) -> None:
    with db.transaction() as session:
        rules = session.get(ClinicRules, 1) or ClinicRules(id=1)
        rules.horizon_days = rules.course_horizon_days = 21
        session.add(rules)
    template_id, slot, token = at_the_plan(client)
    response = client.post(f"/course/{template_id}/book", data=form(slot, token))
    response = enter_code(client, db, response)
    assert response.status_code == 303
    with db.session() as s:
        course = s.scalars(select(Course)).one()
        assert course.unplaced
    assert queued_tasks(redis_client) == [("clinic.fill_unplaced_visits", [course.id])]
