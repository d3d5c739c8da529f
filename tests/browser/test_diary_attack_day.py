"""A diary day with an attack, in Chromium at phone width: it is not offered as pain-free, and
the page says what the day is."""

from __future__ import annotations

from typing import Any

from scheduler.db import Database
from tests.browser.conftest import screenshot
from tests.browser.test_diary_pages import diary_url, fits_the_phone, saved_days

__all__ = ["diary_url"]  # the fixture, shared with the diary pages' tests


def test_a_day_with_an_attack_offers_no_pain_free_tap(  # type: ignore[no-untyped-def]
    phone_page, diary_url: str, db: Database
) -> None:
    page: Any = phone_page
    page.goto(f"{diary_url}/diary/attack")
    page.get_by_label("Time").first.fill("06:00")
    page.get_by_label("Time").nth(1).fill("07:30")
    page.locator("label.pain-option", has_text="8").click()
    page.get_by_role("button", name="Save the attack").click()
    page.locator(".flash.ok").wait_for()
    said = page.locator(".day-has-attack").inner_text()
    assert said == (
        "A headache day: you recorded an attack on it (Mon 2 Mar 06:00 to 07:30, worst pain 8). "
        "Enter your worst pain below, or change the attack."
    )
    assert page.get_by_role("button", name="Pain-free today").count() == 0
    assert page.get_by_role("heading", name="Your pain that day").is_visible()
    assert fits_the_phone(page)
    screenshot(page, "diary-day-with-an-attack")
    page.get_by_role("link", name="Yesterday").click()
    page.get_by_role("button", name="Pain-free yesterday").wait_for()
    assert page.locator(".day-has-attack").count() == 0
    assert saved_days(db) == []  # nothing recorded as pain-free
