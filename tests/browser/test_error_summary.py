"""Every patient form, sent empty or wrong in Chromium at phone width: the error summary at the
top takes the focus, names each problem, and each of its links takes the patient to the field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from scheduler.db import Database
from tests.browser.forms import answer_safety, give_details
from tests.browser.test_booking_wizard import to_the_plan
from tests.browser.test_questionnaire_pages import book_a_course
from tests.support.booking_requests import proof_over_http
from tests.support.factories import api_booking, demo_clinic, ids

WEDNESDAY = "2026-03-04"


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def personal_page(live_server: str, db: Database) -> str:
    """The personal page of a patient with one booked visit."""
    service_id, practitioner_id = ids(db)
    created = requests.post(
        f"{live_server}/api/v1/bookings",
        json=api_booking(
            service_id,
            practitioner_id,
            "2026-03-04T10:00:00+00:00",
            phone_proof=proof_over_http(live_server, db),
        ),
        timeout=5,
    ).json()
    return f"{live_server}/m/{created['manage_token']}"


def focused(page: Any, selector: str) -> bool:
    return bool(page.evaluate(f"!!document.activeElement?.matches({selector!r})"))


def summary_says(page: Any, *problems: str) -> list[str]:
    """Wait for the summary to take the focus; check it names each problem; its link targets."""
    summary = page.locator(".error-summary")
    summary.wait_for()
    page.wait_for_function("document.activeElement?.matches('.error-summary')")
    assert summary.get_attribute("role") == "alert"
    assert summary.get_by_role("heading", name="There is a problem").is_visible()
    text = summary.inner_text()
    for problem in problems:
        assert problem in text, text
    assert summary.bounding_box()["y"] < 844  # at the top, in view on the phone
    return [a.get_attribute("href") for a in summary.locator("a").all()]


def follow(page: Any, text: str, selector: str) -> None:
    """Tap the summary's link with ``text``: the field ``selector`` has the focus, in view."""
    page.locator(".error-summary a", has_text=text).first.click()
    page.wait_for_function(f"document.activeElement?.matches({selector!r})")
    assert page.locator(selector).first.is_visible()


def no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_diary_day_sent_without_pain(phone_page, live_server: str, db: Database) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    page.goto(personal_page(live_server, db) + "/diary")
    page.get_by_label("Hours with a headache").fill("30")
    page.get_by_role("button", name="Save this day").click()
    links = summary_says(page, "Choose your worst pain", "hours of headache, from 0 to 24")
    assert links == ["#worst_pain", "#hours"]
    no_sideways_scroll(page)
    page.screenshot(path="test-artifacts/error-summary-diary-day.png", full_page=False)
    follow(page, "Choose your worst pain", "input[name=worst_pain]")
    follow(page, "hours of headache", "#hours")


def test_the_attack_sent_empty(phone_page, live_server: str, db: Database) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    page.goto(personal_page(live_server, db) + "/diary/attack")
    page.get_by_role("button", name="Save the attack").click()
    links = summary_says(page, "Enter the day and the time", "Choose the worst pain")
    assert links == ["#start_day", "#end_day", "#peak_pain"]
    no_sideways_scroll(page)
    follow(page, "Choose the worst pain", "input[name=peak_pain]")
    page.locator(".error-summary a").first.click()
    page.wait_for_function("document.activeElement?.id === 'start_day'")


def test_a_questionnaire_sent_empty(phone_page, live_server: str, db: Database) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    page.goto(book_a_course(live_server, db) + "/questionnaires")
    page.get_by_role("link", name="HIT-6: the impact of headaches").click()
    page.get_by_role("button", name="Send my answers").click()
    links = summary_says(page, "Question 1: Choose one answer.")
    assert links[0] == "#item_1" and len(links) == 6
    follow(page, "Question 6", "input[name=item_6]")
    no_sideways_scroll(page)


def test_the_single_visit_sent_empty_and_the_wrong_code(
    phone_page, live_server: str, db: Database
) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    page.goto(f"{live_server}/visit")
    page.get_by_label("Service").select_option(label="Acupuncture (45 min)")
    page.get_by_label("Day").fill(WEDNESDAY)
    page.get_by_role("button", name="Show free times").click()
    page.get_by_role("button", name="Book this visit").click()
    links = summary_says(page)
    assert "#slot" in links and "#first_name" in links and "#phone" in links
    follow(page, "", "input[name=slot]")
    phone = next(a for a in page.locator(".error-summary a").all() if "mobile" in a.inner_text())
    phone.click()
    page.wait_for_function("document.activeElement?.id === 'phone'")
    no_sideways_scroll(page)
    page.screenshot(path="test-artifacts/error-summary-single-visit.png", full_page=False)

    page.locator("label.slot", has_text="11:00").first.click()
    give_details(page)
    answer_safety(page)
    page.get_by_role("button", name="Book this visit").click()
    page.wait_for_url("**/visit/code")
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Confirm and book").click()
    assert summary_says(page) == ["#code"]
    follow(page, "", "#code")


def test_the_course_plan_sent_empty(phone_page, live_server: str, db: Database) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    to_the_plan(page, live_server)
    page.get_by_role("button", name="Book my first visit and hold the rest").click()
    links = summary_says(page, "Enter a mobile number.")
    assert "#first_name" in links and "#phone" in links
    assert any(link.startswith("#safety_") for link in links)
    safety = next(
        a
        for a in page.locator(".error-summary a").all()
        if "safety_" in (a.get_attribute("href") or "")
    )
    safety.click()
    page.wait_for_function("document.activeElement?.name?.startsWith('safety_')")
    no_sideways_scroll(page)


def test_a_move_to_a_time_taken_meanwhile(phone_page, live_server: str, db: Database) -> None:  # type: ignore[no-untyped-def]
    page = phone_page
    page.goto(personal_page(live_server, db))
    page.get_by_role("link", name="Move").click()
    page.get_by_role("heading", name="Move your visit").wait_for()
    slot = page.locator("form.slot-form").first
    minutes = int(slot.locator("input[name=start]").get_attribute("value") or 0)
    start = datetime.fromtimestamp(minutes * 60, UTC).isoformat()  # the form's minutes since 1970
    who = int(slot.locator("input[name=practitioner_id]").get_attribute("value") or 0)
    # Someone else books that time while the patient is reading the page.
    other = api_booking(
        ids(db)[0], who, start, phone_proof=proof_over_http(live_server, db, "07400 123455")
    )
    other["patient"]["phone"] = "07400 123455"
    assert requests.post(f"{live_server}/api/v1/bookings", json=other, timeout=5).ok
    slot.get_by_role("button").click()
    assert summary_says(page) == ["#times"]
    follow(page, "", "#times button")
    no_sideways_scroll(page)
