"""On a phone: a booking lands on "You're booked", each visit downloads into a calendar, the
time-zone list starts at the browser's own zone, and course phases read as plain words."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from scheduler.db import Database
from tests.browser.conftest import screenshot
from tests.browser.forms import answer_safety, enter_texted_code, give_details
from tests.browser.test_booking_page import choose_acupuncture
from tests.conftest import ARTIFACTS
from tests.support.factories import demo_clinic, ids

PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def phone_in(browser: Any, request: pytest.FixtureRequest, **options: Any) -> Iterator[Any]:
    """A phone-sized page in a context with ``options`` (a time zone, no JavaScript); its
    screenshot is kept as an artifact."""
    context = browser.new_context(viewport=PHONE, accept_downloads=True, **options)
    page = context.new_page()
    yield page
    screenshot(page, request.node.name)
    context.close()


@pytest.fixture
def new_york_phone(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from phone_in(browser, request, timezone_id="America/New_York")


@pytest.fixture
def auckland_phone(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from phone_in(browser, request, timezone_id="Pacific/Auckland")


@pytest.fixture
def phone_without_script(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from phone_in(browser, request, timezone_id="America/New_York", java_script_enabled=False)


def keep_details(page: Any, name: str) -> None:
    """Keep a screenshot of the details fieldset alone (the full page is too tall to read)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    fieldset = page.locator("fieldset", has=page.locator("#time_zone"))
    fieldset.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def book_ten_oclock(page: Any, live_server: str, db: Database) -> None:
    choose_acupuncture(page, live_server)
    page.locator("label.slot", has_text="10:00").first.click()
    give_details(page)
    answer_safety(page)
    page.get_by_role("button", name="Book this visit").click()
    enter_texted_code(page, db)
    page.wait_for_url(f"{live_server}/m/*")


def test_booking_a_visit_lands_on_you_are_booked_and_the_visit_downloads_into_a_calendar(
    phone_page: Any, live_server: str, db: Database, tmp_path: Path
) -> None:
    page = phone_page
    book_ten_oclock(page, live_server, db)
    booked = page.locator("p.flash.ok")
    assert booked.is_visible()
    words = booked.inner_text()
    assert words.startswith("You're booked: Acupuncture on Wednesday 4 March at 10:00 with ")
    assert "We will text you a confirmation." in words
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    link = page.get_by_role("link", name="Add to calendar")
    assert link.is_visible()
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / "visit.ics"
    download.value.save_as(saved)
    events = Calendar.from_ical(saved.read_bytes()).walk("VEVENT")
    assert len(events) == 1
    assert events[0].decoded("dtstart") == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def test_the_time_zone_picker_preselects_the_browsers_zone_from_the_short_list(
    new_york_phone: Any, live_server: str
) -> None:
    page = new_york_phone
    choose_acupuncture(page, live_server)
    picker = page.get_by_label("Your time zone")
    assert picker.input_value() == "America/New_York"
    assert picker.locator("option").count() <= 16
    assert not page.get_by_label("Choose from every time zone").is_visible()
    keep_details(page, "zone-picker-new-york")


def test_a_browser_zone_not_in_the_short_list_is_chosen_from_the_full_one(
    auckland_phone: Any, live_server: str
) -> None:
    page = auckland_phone
    choose_acupuncture(page, live_server)
    assert page.get_by_label("Your time zone").input_value() == "other"
    full = page.get_by_label("Choose from every time zone")
    assert full.is_visible() and full.input_value() == "Pacific/Auckland"
    keep_details(page, "zone-picker-auckland")


def test_without_javascript_the_clinics_zone_is_chosen_and_the_full_list_is_a_tap_away(
    phone_without_script: Any, live_server: str, db: Database
) -> None:
    page = phone_without_script
    page.goto(f"{live_server}/visit?service_id={ids(db)[0]}&date=2026-03-04")
    picker = page.get_by_label("Your time zone")
    assert picker.input_value() == "Europe/London"
    page.get_by_text("My time zone is not listed").click()
    assert page.get_by_label("Choose from every time zone").is_visible()
    keep_details(page, "zone-picker-without-javascript")


def test_course_phases_read_as_plain_words_on_a_phone(phone_page: Any, live_server: str) -> None:
    page = phone_page
    page.goto(live_server)
    start = page.locator("main").inner_text()
    assert "First visit: Initial consultation" in start
    assert "Twice a week for 4 weeks: Acupuncture" in start
    assert "Acute stabilisation" not in start and "one visit" not in start
