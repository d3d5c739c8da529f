"""A patient books a migraine course on a phone in real Chromium, through the safety screen."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from scheduler.db import Database
from scheduler.models import Appointment, AppointmentStatus, SafetyScreen, StaffAlert
from tests.browser.forms import answer_safety, enter_texted_code, give_details
from tests.support.factories import demo_clinic

WEDNESDAY = "2026-03-04"


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def to_the_plan(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Migraine prevention").click()
    page.get_by_label("Practitioner").select_option(label="Anyone available")
    page.get_by_label("Day", exact=True).fill(WEDNESDAY)
    page.get_by_role("button", name="Show free times").click()
    page.locator("label.slot", has_text="10:00").first.click()
    page.get_by_label("Mon", exact=True).check()
    page.get_by_label("Thu", exact=True).check()
    page.get_by_label("Time of day").select_option(label="Morning (about 9:00)")
    page.get_by_role("button", name="See the whole plan").click()
    page.wait_for_selector("table.plan")


def visits(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Appointment)) or 0


def test_a_patient_books_a_migraine_course_end_to_end(
    phone_page, live_server: str, db: Database
) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    to_the_plan(page, live_server)
    rows = page.locator("table.plan tbody tr")
    assert "booked" in rows.nth(0).inner_text()
    assert "proposed" in rows.nth(1).inner_text()
    assert "Mon, Thu at about 09:00" in page.locator("main").inner_text()
    assert visits(db) == 0  # a plan, not yet a booking
    answer_safety(page, yes=("anticoagulants",))
    give_details(page)
    page.get_by_role("button", name="Book my first visit and hold the rest").click()
    enter_texted_code(page, db)
    page.wait_for_url(f"{live_server}/m/*")
    assert page.get_by_text("Your course is booked.").is_visible()
    assert page.get_by_role("heading", name="Your course: Migraine prevention").is_visible()
    with db.session() as session:
        first = session.scalars(select(Appointment).order_by(Appointment.starts_at)).first()
        assert first is not None and first.status == AppointmentStatus.BOOKED
        assert session.scalars(select(SafetyScreen)).one().flags == ["anticoagulants"]


def test_a_review_first_answer_books_pending_review(
    phone_page, live_server: str, db: Database
) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    to_the_plan(page, live_server)
    answer_safety(page, yes=("cough_exertion",))
    give_details(page)
    page.get_by_role("button", name="Book my first visit and hold the rest").click()
    enter_texted_code(page, db)
    page.wait_for_url(f"{live_server}/m/*")
    assert "will look over them" in page.locator(".flash").inner_text()
    assert "pending review" in page.locator("li.visit").first.inner_text()


@pytest.mark.parametrize(
    ("question", "heading", "tier"),
    [
        ("fever_stiff_neck", "Please get emergency help now", "emergent"),
        ("cancer_immune", "Please see a doctor within a day", "urgent"),
    ],
)
def test_a_stopping_answer_gives_advice_and_books_nothing(
    phone_page, live_server: str, db: Database, question: str, heading: str, tier: str
) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    to_the_plan(page, live_server)
    answer_safety(page, yes=(question,))
    give_details(page)
    page.get_by_role("button", name="Book my first visit and hold the rest").click()
    page.wait_for_selector("h1")
    assert page.get_by_role("heading", name=heading).is_visible()
    assert page.get_by_role("alert").is_visible()
    assert visits(db) == 0
    with db.session() as session:
        assert session.scalars(select(StaffAlert)).one().kind == f"safety_{tier}"


def test_an_unanswered_question_is_shown_by_it_and_nothing_is_booked(
    phone_page, live_server: str, db: Database
) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    to_the_plan(page, live_server)
    answer_safety(page)
    page.locator("input[name=safety_pregnancy]").evaluate_all(
        "els => els.forEach(e => { e.checked = false; })"
    )
    give_details(page)
    page.get_by_role("button", name="Book my first visit and hold the rest").click()
    page.wait_for_selector("#safety_pregnancy-error")
    assert page.locator("#safety_pregnancy-error").inner_text() == "Answer yes or no."
    assert page.get_by_label("First name").input_value() == "Ana"
    assert visits(db) == 0
