"""The diary and progress pages in Chromium at phone width, driven as a patient would."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import DiaryDay, MedicationClass, Patient
from tests.conftest import MONDAY_8AM
from tests.support.factories import book, demo_clinic


@pytest.fixture
def diary_url(live_server: str, db: Database, settings: Settings) -> str:
    """A patient's personal link, booked through the use case rather than over HTTP: the pages
    are what is tested here, and a setup request racing a client timeout on a busy machine
    made these tests fail now and then before any page was opened."""
    demo_clinic(db)
    booked = book(db, settings, MONDAY_8AM, datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
    return f"{live_server}/m/{booked.manage_token}"


def saved_days(db: Database) -> list[DiaryDay]:
    with db.session() as session:
        return list(session.scalars(select(DiaryDay).order_by(DiaryDay.day)))


def open_by_clicking(page, target) -> None:  # type: ignore[no-untyped-def]
    """Click a link or button that loads a new page, and return once that page has loaded in
    full. A heading near the top can be there while Chromium is still parsing the rest of the
    document, and what does not wait (``count()``, ``is_visible()``, ``bounding_box()``) would
    then see only part of the page."""
    with page.expect_navigation(wait_until="load"):
        target.click()


def fits_the_phone(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_pain_free_day_takes_one_tap(phone_page, diary_url: str, db: Database) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    page.goto(diary_url)
    open_by_clicking(page, page.get_by_role("link", name="Diary"))
    page.get_by_role("heading", name="Your diary").wait_for()
    open_by_clicking(page, page.get_by_role("button", name="Pain-free today"))
    page.locator(".flash.ok").wait_for()
    assert "pain-free" in page.locator(".flash.ok").inner_text()
    assert [(d.day, d.headache, d.worst_pain, d.source) for d in saved_days(db)] == [
        (date(2026, 3, 2), False, 0, "web")
    ]
    assert "Pain-free" in page.locator(".diary-days").inner_text()
    assert fits_the_phone(page)


def test_a_day_with_pain_with_a_mistake_corrected(phone_page, diary_url: str, db: Database) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    page.goto(f"{diary_url}/diary")
    open_by_clicking(page, page.get_by_role("link", name="Yesterday"))
    page.get_by_role("heading", name="Yesterday, Sunday 1 March").wait_for()
    page.locator("label.pain-option", has_text="7").click()
    page.get_by_label("Hours with a headache").fill("-2")
    page.get_by_label("I took medicine for it").check()
    page.get_by_label("Which kind (if you know)").select_option("triptan")
    page.get_by_text("More about the day (optional)").click()
    page.get_by_label("Hours of sleep last night").fill("5.5")
    page.get_by_label("Weather").check()
    open_by_clicking(page, page.get_by_role("button", name="Save this day"))

    error = page.locator("#hours-error")
    error.wait_for()
    assert "from 0 to 24" in error.inner_text()
    hours = page.get_by_label("Hours with a headache")
    assert hours.get_attribute("aria-describedby") == "hours-error"
    assert hours.get_attribute("aria-invalid") == "true"
    assert saved_days(db) == []
    hours.fill("4")  # everything else was kept
    open_by_clicking(page, page.get_by_role("button", name="Save this day"))
    page.locator(".flash.ok").wait_for()
    (day,) = saved_days(db)
    assert (day.day, day.worst_pain, day.hours, day.medication_class) == (
        date(2026, 3, 1),
        7,
        4.0,
        MedicationClass.TRIPTAN,
    )
    assert day.sleep_hours == 5.5 and day.triggers == ["weather"]
    assert fits_the_phone(page)


def two_months_of_diary(db: Database) -> None:
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    with db.transaction() as session:
        patient = session.scalars(select(Patient.id)).one()
        first = date(2026, 1, 5)
        for i in range(57):
            pain = (i * 7) % 11 if i % 3 else 0
            session.add(
                DiaryDay(
                    patient_id=patient,
                    day=first + timedelta(days=i),
                    headache=pain > 0,
                    worst_pain=pain,
                    hours=float(pain // 2),
                    acute_medication=pain > 6,
                    source="sms",
                    created_at=now,
                    updated_at=now,
                )
            )


def test_the_progress_page_shows_charts_with_their_numbers(
    phone_page, diary_url: str, db: Database
) -> None:  # type: ignore[no-untyped-def]
    two_months_of_diary(db)
    page = phone_page
    page.goto(diary_url)
    open_by_clicking(page, page.get_by_role("link", name="Progress"))
    page.get_by_role("heading", name="Your progress").wait_for()
    assert "still being collected: 27 of 28 days so far, with 14 headache days." in (
        page.locator(".headline").inner_text()
    )
    charts = page.get_by_role("img")
    assert charts.count() == 3
    assert charts.first.is_visible()
    box = charts.first.bounding_box()
    assert box is not None and 300 < box["width"] <= 390
    page.get_by_text("Show the numbers as a table").first.click()
    table = page.locator("table.chart-data").first
    assert table.is_visible() and table.locator("tbody tr").count() == 3
    assert fits_the_phone(page)


def test_the_summary_for_a_doctor_fits_a_phone(phone_page, diary_url: str, db: Database) -> None:  # type: ignore[no-untyped-def]
    two_months_of_diary(db)
    page = phone_page
    page.goto(f"{diary_url}/progress")
    open_by_clicking(page, page.get_by_role("link", name="A one-page summary of the last 3 months"))
    page.get_by_role("heading", name="Headache diary summary").wait_for()
    assert page.locator("table.summary-table tbody tr").count() >= 4
    assert fits_the_phone(page)
