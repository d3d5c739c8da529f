"""The patient's page in Chromium: the course plan, moving a visit, and cancelling one."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import select

from scheduler.db import Database
from scheduler.models import Appointment, AppointmentStatus, MessageKind, OutboundMessage
from tests.support.booking_requests import proof_over_http, proven
from tests.support.factories import api_booking, demo_clinic, ids, screen


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def test_a_patient_sees_their_course_plan(phone_page, live_server: str, db: Database) -> None:  # type: ignore[no-untyped-def]
    templates = requests.get(f"{live_server}/api/v1/course-templates", timeout=5).json()
    migraine = next(t for t in templates if t["code"] == "migraine")
    created = requests.post(
        f"{live_server}/api/v1/courses",
        json={
            "template_id": migraine["id"],
            "practitioner_id": ids(db, "initial")[1],
            "start": "2026-03-09T10:00:00+00:00",
            "patient": {"first_name": "Ana", "last_name": "Silva", "phone": "07400 123456"},
            "consents": {"reminders": True, "diary_prompts": True},
            "screen": screen(),
            "phone_proof": proof_over_http(live_server, db),
        },
        timeout=5,
    ).json()
    page = phone_page
    page.goto(created["manage_url"].replace("https://book.example.test", live_server))
    assert page.get_by_role("heading", name="Your course: Migraine prevention").is_visible()
    rows = page.locator("table.plan tbody tr")
    assert rows.count() == 14
    assert "booked" in rows.nth(0).inner_text()
    assert "proposed" in rows.nth(1).inner_text()
    assert "Mondays and Thursdays at 10:00" in page.locator("main").inner_text()


def test_a_patient_moves_then_cancels_a_visit(phone_page, live_server: str, db: Database) -> None:  # type: ignore[no-untyped-def]
    service_id, practitioner_id = ids(db)
    created = requests.post(
        f"{live_server}/api/v1/bookings",
        json=api_booking(
            service_id,
            practitioner_id,
            "2026-03-04T10:00:00+00:00",
            phone_proof=proof_over_http(live_server, db),
        ),
        timeout=5,
    ).json()
    page = phone_page
    page.goto(created["manage_url"].replace("https://book.example.test", live_server))
    page.get_by_role("link", name="Move").click()
    page.get_by_role("heading", name="Move your visit").wait_for()
    thursday = page.get_by_role("region", name="Thursday 5 March")
    thursday.get_by_role("button", name="11:00").click()
    page.locator(".flash.ok").wait_for()
    assert "Thursday 5 March, 11:00" in page.locator("li.visit").inner_text()
    with db.session() as session:
        kinds = set(
            session.scalars(select(OutboundMessage.kind).where(OutboundMessage.status == "pending"))
        )
    assert MessageKind.RESCHEDULED in kinds

    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_text("It is 24 hours or more away, so this is not a late")).to_be_visible()
    page.get_by_role("button", name="Yes, cancel it").click()
    page.locator(".flash.ok").wait_for()
    assert "cancelled" in page.locator("li.visit").inner_text()
    with db.session() as session:
        assert session.scalars(select(Appointment.status)).one() == AppointmentStatus.CANCELLED


def test_a_cancel_without_its_csrf_token_is_refused(client, db: Database) -> None:  # type: ignore[no-untyped-def]
    service_id, practitioner_id = ids(db)
    created = client.post(
        "/api/v1/bookings",
        json=proven(
            client, db, api_booking(service_id, practitioner_id, "2026-03-04T10:00:00+00:00")
        ),
    ).get_json()
    visit = created["appointment"]["id"]
    response = client.post(f"/m/{created['manage_token']}/visits/{visit}/cancel")
    assert response.status_code == 400
    with db.session() as session:
        assert session.scalars(select(Appointment.status)).one() == AppointmentStatus.BOOKED


def test_a_wrong_token_gets_a_plain_error_page(client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/m/nope", "/m/nope/visits/1/move", "/m/nope/visits/1/cancel"):
        response = client.get(path)
        assert response.status_code == 404
        assert b"This link is not valid" in response.data


def test_a_patient_turns_off_appointment_texts_on_their_page(
    phone_page, live_server: str, db: Database
) -> None:  # type: ignore[no-untyped-def]
    from scheduler.models import Consent, ConsentKind

    service_id, practitioner_id = ids(db)
    created = requests.post(
        f"{live_server}/api/v1/bookings",
        json=api_booking(
            service_id,
            practitioner_id,
            "2026-03-04T10:00:00+00:00",
            phone_proof=proof_over_http(live_server, db),
        ),
        timeout=5,
    ).json()
    page = phone_page
    page.goto(created["manage_url"].replace("https://book.example.test", live_server))
    page.locator("input[name=reminders][value=no]").check()
    page.get_by_role("button", name="Save my choices").click()
    page.locator(".flash.ok").wait_for()
    assert page.locator("input[name=reminders][value=no]").is_checked()
    with db.session() as session:
        latest = session.scalars(
            select(Consent).where(Consent.kind == ConsentKind.REMINDERS).order_by(Consent.id.desc())
        ).first()
        assert latest is not None and (latest.granted, latest.channel) == (False, "web")
        diary = session.scalars(
            select(Consent).where(Consent.kind == ConsentKind.DIARY_PROMPTS)
        ).all()
        assert len(diary) == 1  # unchanged answers are not recorded again
