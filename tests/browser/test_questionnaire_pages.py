"""A patient answers HIT-6 on a phone in Chromium: through a missed answer to the score."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from scheduler.db import Database
from scheduler.models import QuestionnaireResponse
from tests.conftest import ARTIFACTS
from tests.support.booking_requests import proof_over_http
from tests.support.factories import demo_clinic, ids, screen


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def book_a_course(live_server: str, db: Database) -> str:
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
    return str(created["manage_url"]).replace("https://book.example.test", live_server)


def test_a_patient_fills_in_hit6_on_a_phone(phone_page, live_server: str, db: Database) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    page.goto(book_a_course(live_server, db))
    page.get_by_role("link", name="2 short questionnaires are waiting for you").click()
    page.get_by_role("heading", name="Your questionnaires").wait_for()
    page.get_by_role("link", name="HIT-6: the impact of headaches").click()
    page.get_by_role("heading", name="HIT-6: the impact of headaches").wait_for()

    answers = ["Sometimes", "Sometimes", "Rarely", "Rarely", "Rarely", "Rarely"]
    groups = page.get_by_role("group")
    assert groups.count() == 6
    for number, choice in enumerate(answers[:5]):  # the last question is forgotten
        groups.nth(number).get_by_label(choice, exact=True).check()
    page.get_by_role("button", name="Send my answers").click()

    last = page.get_by_role("group", name="6. Concentration", exact=False)
    assert last.locator(".error").inner_text() == "Choose one answer."
    assert page.get_by_role("alert").is_visible()
    assert groups.nth(0).get_by_label("Sometimes", exact=True).is_checked()  # kept
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "hit6-form-with-a-missed-answer.png"), full_page=True)
    with db.session() as session:
        assert session.scalars(select(QuestionnaireResponse)).all() == []

    last.get_by_label(answers[5], exact=True).check()
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_role("heading", name="Thank you").wait_for()
    assert "Your score: 52: some impact." in page.locator(".result .score").inner_text()
    assert "This is your first HIT-6 with us." in page.locator("main").inner_text()
    assert page.get_by_role("link", name="MIDAS: how headaches affect your days").is_visible()
    # Nothing on the page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with db.session() as session:
        (response,) = session.scalars(select(QuestionnaireResponse)).all()
        assert (response.point, response.score, response.grade) == ("baseline", 52, "some impact")


def test_a_patient_fills_in_midas_on_a_phone(phone_page, live_server: str, db: Database) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    page.goto(book_a_course(live_server, db) + "/questionnaires")
    page.get_by_role("link", name="MIDAS: how headaches affect your days").click()
    days = {"1": "50", "2": "45", "3": "0", "4": "2", "5": "1", "A": "20", "B": "6"}
    for code, value in days.items():
        field = page.locator(f"#item_{code}")
        assert field.get_attribute("inputmode") == "numeric"
        field.fill(value)
    page.get_by_role("button", name="Send my answers").click()
    error = page.locator("#item_2-error")
    assert "Questions 1 and 2 add up to 95 days" in error.inner_text()
    assert page.get_by_label("2.", exact=False).get_attribute("aria-invalid") == "true"
    page.get_by_label("2.", exact=False).fill("5")
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_role("heading", name="Thank you").wait_for()
    assert "Your score: 58, grade IV: severe disability." in page.locator(".score").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
