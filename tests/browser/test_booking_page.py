"""A patient books on a phone-sized screen in real Chromium, and bad input is shown by the field."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.db import Database
from scheduler.models import Appointment, OutboundMessage
from tests.browser.forms import answer_safety, enter_texted_code, give_details
from tests.support.booking_requests import texted_code
from tests.support.factories import demo_clinic

WEDNESDAY = "2026-03-04"


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def visits(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Appointment)) or 0


def choose_acupuncture(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/visit")
    page.get_by_label("Service").select_option(label="Acupuncture (45 min)")
    page.get_by_label("Day").fill(WEDNESDAY)
    page.get_by_role("button", name="Show free times").click()
    page.wait_for_selector("input[name=slot]")
    page.wait_for_load_state("load")  # deferred scripts (the time-zone picker) have run


def test_a_patient_books_a_visit_and_lands_on_their_page(
    phone_page, live_server: str, db: Database
) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    choose_acupuncture(page, live_server)
    assert page.locator("header").inner_text().startswith("Clearwater Clinic")
    page.locator("label.slot", has_text="10:00").first.click()
    page.get_by_label("First name").fill("Ana")
    page.get_by_label("Last name").fill("Silva")
    page.get_by_label("Mobile number").fill("07400 123456")
    page.locator("input[name=consent_reminders][value=yes]").check()
    page.locator("input[name=consent_diary_prompts][value=no]").check()
    answer_safety(page)
    page.get_by_role("button", name="Book this visit").click()
    enter_texted_code(page, db)
    page.wait_for_url(f"{live_server}/m/*")
    assert page.get_by_role("heading", name="Hello Ana").is_visible()
    visit = page.locator("li.visit").inner_text()
    assert "Wednesday 4 March, 10:00" in visit
    assert "Acupuncture" in visit
    assert page.locator("tr.message").count() == 3
    assert visits(db) == 1
    with db.session() as session:  # the code, then the confirmation and two reminders
        assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 4


def test_a_patient_proves_their_number_with_the_texted_code_on_a_phone(
    phone_page, live_server: str, db: Database
) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    choose_acupuncture(page, live_server)
    page.locator("label.slot", has_text="11:00").first.click()
    give_details(page)
    answer_safety(page)
    assert page.get_by_text("Next, we text a code to your mobile").is_visible()
    page.get_by_role("button", name="Book this visit").click()
    page.wait_for_url("**/visit/code")
    assert page.get_by_role("heading", name="Check your phone").is_visible()
    assert "ending 456" in page.locator("main").inner_text()
    field = page.get_by_label("Code")
    assert field.get_attribute("inputmode") == "numeric"
    assert field.get_attribute("autocomplete") == "one-time-code"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    code = texted_code(db)
    field.fill(f"{(int(code) + 1) % 10**6:06d}")
    page.get_by_role("button", name="Confirm and book").click()
    page.wait_for_selector("#code-error")
    assert "You have 4 tries left" in page.locator("#code-error").inner_text()
    assert visits(db) == 0
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Confirm and book").click()
    page.wait_for_url(f"{live_server}/m/*")
    assert page.get_by_role("heading", name="Hello Ana").is_visible()
    assert visits(db) == 1


def test_a_wrong_phone_and_a_missing_consent_are_shown_by_their_fields_and_nothing_is_booked(
    phone_page, live_server: str, db: Database
) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    choose_acupuncture(page, live_server)
    page.locator("label.slot", has_text="11:00").first.click()
    page.get_by_label("First name").fill("Ana")
    page.get_by_label("Last name").fill("Silva")
    page.get_by_label("Mobile number").fill("020 7946 0000")
    page.locator("input[name=consent_reminders][value=yes]").check()
    answer_safety(page)
    page.get_by_role("button", name="Book this visit").click()
    page.wait_for_selector(".error")
    assert "cannot receive text messages" in page.locator("#phone-error").inner_text()
    assert page.locator("#phone").get_attribute("aria-invalid") == "true"
    assert page.locator("#consent_diary_prompts-error").is_visible()
    assert page.get_by_label("First name").input_value() == "Ana"  # kept for the retry
    assert visits(db) == 0


def test_a_form_post_without_its_csrf_token_is_refused(client: FlaskClient, db: Database) -> None:
    response = client.post(
        "/book?service_id=2&date=2026-03-04",
        data={
            "service_id": "2",
            "slot": "1|2026-03-04T10:00:00+00:00",
            "first_name": "Ana",
            "last_name": "Silva",
            "phone": "07400123456",
            "consent_reminders": "yes",
            "consent_diary_prompts": "no",
        },
    )
    assert response.status_code == 400
    assert b"This form has expired" in response.data
    assert visits(db) == 0
