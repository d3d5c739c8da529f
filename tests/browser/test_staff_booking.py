"""A front desk books a new patient's course from an empty calendar slot, in Chromium at desktop
size: the patient's details, the screen answered for them, the plan, then Confirm."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from sqlalchemy import func, select

from scheduler.clinical.safety import QUESTIONS
from scheduler.clock import FrozenClock
from scheduler.db import Database
from scheduler.models import Appointment, Practitioner
from tests.browser.conftest import screenshot
from tests.browser.forms import answer_safety
from tests.support.staff import PASSWORD, create_accounts


def sign_in(page: Any, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_front_desk_books_a_new_patients_course_from_an_empty_slot(
    desktop_page: Any, live_server: str, db: Database, clock: FrozenClock
) -> None:
    accounts = create_accounts(db, clock)
    with db.session() as session:
        lin = session.scalars(
            select(Practitioner.id).where(Practitioner.name == "Dr Mei Lin")
        ).one()
    page = desktop_page
    sign_in(page, live_server, accounts["desk"])
    page.goto(f"{live_server}/staff/bookings/new?start=2026-03-03T10:00&practitioner_id={lin}")
    page.get_by_label("First name", exact=True).fill("Ana")
    page.get_by_label("Last name", exact=True).fill("Silva")
    page.get_by_label("Mobile number", exact=True).fill("07400 123456")
    page.locator("input[name=consent_reminders][value=yes]").check()
    page.locator("input[name=consent_diary_prompts][value=no]").check()
    screenshot(page, "staff_booking_1_patient")
    page.get_by_role("button", name="Next: health questions").click()
    answer_safety(page)
    screenshot(page, "staff_booking_2_screen")
    page.get_by_role("button", name="Next: what to book").click()
    page.get_by_label("Course", exact=True).select_option(label="Migraine prevention")
    assert page.locator("#course-start").input_value() == "2026-03-03T10:00"
    screenshot(page, "staff_booking_3_what")
    page.get_by_role("button", name="Show the plan").click()
    expect(page.get_by_text("Nothing is booked yet.")).to_be_visible()
    screenshot(page, "staff_booking_4_plan")
    page.get_by_role("button", name="Confirm: book the course").click()
    page.wait_for_url("**/staff/patients/*")
    assert page.get_by_text("The patient will be texted a confirmation.").is_visible()
    assert page.get_by_role("heading", name="Ana Silva").first.is_visible()
    assert "Migraine prevention" in page.locator("section:has(#courses-heading)").inner_text()
    with db.session() as session:
        assert (session.scalar(select(func.count()).select_from(Appointment)) or 0) > 8


def test_a_front_desk_hears_emergency_signs_and_reads_the_advice_to_the_caller(
    desktop_page: Any, live_server: str, db: Database, clock: FrozenClock
) -> None:
    accounts = create_accounts(db, clock)
    page = desktop_page
    sign_in(page, live_server, accounts["desk"])
    page.goto(f"{live_server}/staff/bookings/new")
    page.get_by_role("button", name="Next: health questions").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    screenshot(page, "staff_booking_errors")
    page.get_by_label("First name", exact=True).fill("Ana")
    page.get_by_label("Last name", exact=True).fill("Silva")
    page.get_by_label("Mobile number", exact=True).fill("07400 123456")
    page.locator("input[name=consent_reminders][value=no]").check()
    page.locator("input[name=consent_diary_prompts][value=no]").check()
    page.get_by_role("button", name="Next: health questions").click()
    answer_safety(page, yes=(QUESTIONS[0].code,))
    page.get_by_role("button", name="Next: what to book").click()
    expect(page.get_by_text("Read this to the caller now")).to_be_visible()
    assert page.get_by_text("Call 999 now").is_visible()
    with db.session() as session:
        assert (session.scalar(select(func.count()).select_from(Appointment)) or 0) == 0
