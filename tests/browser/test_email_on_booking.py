"""A patient gives an email with the booking on a phone-sized screen, then stops emails from
the link in one: the page asks first, and the button stops them (texts go on)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import Consent, ConsentKind, Patient
from scheduler.patients.email_unsubscribe import CHANNEL_PAGE, unsubscribe_token
from tests.browser.conftest import screenshot
from tests.browser.forms import answer_safety, enter_texted_code, give_details
from tests.browser.test_booking_page import choose_acupuncture
from tests.support.factories import demo_clinic


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def email_answers(db: Database) -> list[tuple[bool, str]]:
    with db.session() as session:
        rows = session.scalars(
            select(Consent).where(Consent.kind == ConsentKind.EMAIL).order_by(Consent.id)
        )
        return [(c.granted, c.channel) for c in rows]


def test_a_patient_books_with_an_email_and_then_stops_emails_on_a_phone(
    phone_page: Any, live_server: str, db: Database, settings: Settings
) -> None:
    page = phone_page
    choose_acupuncture(page, live_server)
    page.locator("label.slot", has_text="10:00").first.click()
    give_details(page)
    email = page.get_by_label("Email (optional)")
    assert email.get_attribute("type") == "email"
    assert "We never put health details in emails." in page.locator("#email-hint").inner_text()
    box = page.get_by_label("Email me confirmations and reminders")
    assert not box.is_checked()
    email.fill("Ana@Example.COM")
    box.check()
    page.locator("fieldset", has_text="Email me confirmations").scroll_into_view_if_needed()
    screenshot(page, "email_1_booking_form")
    answer_safety(page)
    page.get_by_role("button", name="Book this visit").click()
    enter_texted_code(page, db)
    page.wait_for_url(f"{live_server}/m/*")
    with db.session() as session:
        patient = session.scalars(select(Patient)).one()
        assert patient.email == "Ana@example.com"
        token = unsubscribe_token(settings.secret_key, patient.id, patient.email)
    assert email_answers(db) == [(True, "web")]

    page.goto(f"{live_server}/email/unsubscribe/{token}")
    assert page.get_by_role("heading", name="Stop emails from Clearwater Clinic?").is_visible()
    assert email_answers(db) == [(True, "web")]  # opening the link changes nothing
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    screenshot(page, "email_2_unsubscribe_question")
    page.get_by_role("button", name="Stop emails").click()
    page.wait_for_selector("text=You will get no more emails")
    assert (
        "You will get no more emails from Clearwater Clinic. Texts are not affected."
        in page.locator("main").inner_text()
    )
    assert email_answers(db) == [(True, "web"), (False, CHANNEL_PAGE)]
    with db.session() as session:
        patient = session.scalars(select(Patient)).one()
        assert patient.consents_to(ConsentKind.REMINDERS) and patient.sms_opted_out_at is None
