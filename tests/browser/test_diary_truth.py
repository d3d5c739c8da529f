"""A diary that cannot contradict itself, in Chromium at phone width: an attack with only its
times and pain on a day tapped as pain-free, and progress while the first 28 days run."""

from __future__ import annotations

from datetime import date

from scheduler.db import Database
from tests.browser.test_diary_pages import diary_url, fits_the_phone, saved_days

__all__ = ["diary_url"]  # the fixture, shared with the diary pages' tests


def test_an_attack_on_a_pain_free_day_turns_it_and_says_so(
    phone_page, diary_url: str, db: Database
) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    page.goto(f"{diary_url}/diary")
    page.get_by_role("button", name="Pain-free today").click()
    page.locator(".flash.ok").wait_for()
    page.get_by_role("link", name="Add the details of an attack").click()
    page.get_by_label("Time").first.fill("06:00")
    page.get_by_label("Time").nth(1).fill("07:30")
    page.locator("label.pain-option", has_text="8").click()
    # Side, what it felt like and how much you could do are left unsaid: they are optional.
    page.get_by_role("button", name="Save the attack").click()
    flash = page.locator(".flash.ok")
    flash.wait_for()
    assert "You had recorded Monday 2 March as pain-free" in flash.inner_text()
    assert "it is now a headache day" in flash.inner_text()
    assert [(d.day, d.headache, d.worst_pain) for d in saved_days(db)] == [
        (date(2026, 3, 2), True, 8)
    ]
    assert "Pain 8, 1.5 h" in page.locator(".diary-days").first.inner_text()
    assert fits_the_phone(page)


def test_progress_while_the_first_28_days_are_collected(phone_page, diary_url: str) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    page.goto(f"{diary_url}/diary")
    page.get_by_role("button", name="Pain-free today").click()
    page.locator(".flash.ok").wait_for()
    page.goto(f"{diary_url}/progress")
    headline = page.locator(".headline").inner_text()
    assert "still being collected: 1 of 28 days so far, with 0 headache days." in headline
    assert "Compared with" not in page.locator("main").inner_text()
    assert fits_the_phone(page)
