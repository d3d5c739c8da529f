"""An email in the patient's thread in Chromium at desktop size: beside the text, marked as an
email with its address, subject and calendar invite, its words one click away."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from tests.browser.conftest import screenshot
from tests.browser.test_console_home import sign_in
from tests.support.factories import book
from tests.support.staff import create_accounts

WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
EMAIL = "ana.silva@example.org"


@pytest.fixture
def accounts(db: Database, clock: FrozenClock) -> dict[str, str]:
    return create_accounts(db, clock)


def test_the_thread_shows_an_email_beside_the_text(
    desktop_page: Any,
    live_server: str,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    accounts: dict[str, str],
) -> None:
    booked = book(db, settings, clock.now(), WEDNESDAY_10AM, email=EMAIL, consent_email=True)
    page = desktop_page
    sign_in(page, live_server, accounts["desk"])
    page.goto(f"{live_server}/staff/patients/{booked.patient.id}#texts")
    page.get_by_role("heading", name="Messages").wait_for()
    email_row = page.locator("table.thread tr.email").filter(has_text="confirmation")
    assert email_row.get_by_text(f"To {EMAIL}").is_visible()
    assert email_row.get_by_text("Your visit to Clearwater Clinic is booked").is_visible()
    assert email_row.get_by_text("With a calendar invite (new).").is_visible()
    text_row = page.locator("table.thread tr.sms").filter(has_text="confirmation")
    assert text_row.get_by_role("cell", name="Text", exact=True).is_visible()
    email_row.get_by_text("Email text").click()
    assert email_row.get_by_text("You are booked for Wednesday 4 March 2026 at 10:00.").is_visible()
    email_row.scroll_into_view_if_needed()
    screenshot(page, "staff_thread_email")


def test_the_channel_of_each_message_is_chosen_in_set_up_and_the_monitor_splits_them(
    desktop_page: Any,
    live_server: str,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    accounts: dict[str, str],
) -> None:
    book(db, settings, clock.now(), WEDNESDAY_10AM, email=EMAIL, consent_email=True)
    page = desktop_page
    sign_in(page, live_server, accounts["admin"])
    page.goto(f"{live_server}/staff/setup/rules")
    page.get_by_label("Booking confirmation").select_option(label="Email")
    page.get_by_label("Short reminder", exact=True).select_option(label="Text and email")
    screenshot(page, "setup_message_channels")
    page.get_by_role("button", name="Save reminder plan").click()
    page.get_by_text("Reminder plan saved.").wait_for()
    assert page.get_by_label("Booking confirmation").input_value() == "email"
    assert page.get_by_label("Short reminder", exact=True).input_value() == "both"
    page.goto(f"{live_server}/staff/messages")
    page.get_by_role("heading", name="Messaging monitor").wait_for()
    assert page.get_by_role("columnheader", name="Emails").is_visible()
