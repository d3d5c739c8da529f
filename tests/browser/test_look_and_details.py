"""The look a patient trusts, in Chromium: the clinic's details on the booking pages at phone
width, the icon, styled error pages with a way back, and patient actions big enough to tap."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sqlalchemy import select

from scheduler.clock import FrozenClock
from scheduler.db import Database
from scheduler.models import CourseTemplate
from tests.browser.conftest import assert_accessible
from tests.support.booking_requests import proof_over_http
from tests.support.factories import api_booking, ids
from tests.support.staff import PASSWORD, create_accounts

TAP = 44


@pytest.fixture(autouse=True)
def logins(db: Database, clock: FrozenClock) -> dict[str, str]:
    return create_accounts(db, clock)


def too_small(page: Any, selector: str) -> list[str]:
    """The targets matching ``selector`` (each visible one) less than 44 x 44 CSS pixels."""
    small = []
    targets = page.locator(selector)
    assert targets.count() > 0, selector
    for n in range(targets.count()):
        box = targets.nth(n).bounding_box()
        if box is not None and (box["width"] < TAP or box["height"] < TAP):
            small.append(f"{targets.nth(n).inner_text()!r} {box['width']:.0f}x{box['height']:.0f}")
    return small


def test_the_start_page_shows_the_address_map_link_hours_prices_and_cancellation_policy(
    phone_page: Any, live_server: str
) -> None:
    page = phone_page
    page.goto(f"{live_server}/")
    details = page.get_by_role("region", name="About the clinic")
    assert "12 Clearwater Lane, London N1 9GU" in details.inner_text()
    map_link = details.get_by_role("link", name="Show on a map (opens in a new tab)")
    assert map_link.get_attribute("href") == (
        "https://www.openstreetmap.org/search?query=12+Clearwater+Lane%2C+London+N1+9GU"
    )
    assert map_link.get_attribute("target") == "_blank"
    hours = details.locator("dl.opening-hours").inner_text()
    assert "Monday\n09:00 to 18:00" in hours
    assert "Sunday\nClosed" in hours
    prices = details.locator("ul.prices").inner_text()
    assert "Acupuncture\n£55" in prices
    assert "Initial consultation\n£75" in prices
    assert "Migraine prevention (" in prices
    assert "Please cancel or move a visit at least 24 hours before it starts" in (
        details.inner_text()
    )
    details.scroll_into_view_if_needed()


def test_a_course_plan_names_the_course_price_before_the_patient_commits(
    phone_page: Any, live_server: str, db: Database
) -> None:
    with db.session() as session:
        migraine = session.scalars(
            select(CourseTemplate).where(CourseTemplate.code == "migraine")
        ).one()
    page = phone_page
    page.goto(f"{live_server}/course/{migraine.id}?date=2026-03-03")
    page.locator("label.slot").first.click()
    page.get_by_role("button", name="See the whole plan").click()
    page.get_by_role("heading", name="Your plan: Migraine prevention").wait_for()
    text = page.locator("section.clinic-details").inner_text()
    assert "Migraine prevention (" in text and "in all" in text
    details_top = page.locator("section.clinic-details").bounding_box()
    button_top = page.get_by_role("button", name="Book my first visit and hold the rest")
    assert details_top["y"] < button_top.bounding_box()["y"]


def test_the_icon_is_linked_from_every_page_and_served_at_favicon_ico(
    phone_page: Any, live_server: str
) -> None:
    page = phone_page
    page.goto(f"{live_server}/visit")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon == "/static/favicon.svg"
    for path in (icon, "/favicon.ico"):
        response = requests.get(f"{live_server}{path}", timeout=5)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("image/svg+xml")
        assert response.text.startswith("<svg")


def test_a_missing_page_is_styled_and_leads_back_to_booking_and_the_patients_page(
    phone_page: Any, live_server: str
) -> None:
    page = phone_page
    response = page.goto(f"{live_server}/no-such-page")
    assert response.status == 404
    page.get_by_role("heading", name="Page not found").wait_for()
    page.get_by_role("link", name="Book a visit").click()
    page.get_by_role("heading", name="Book treatment").wait_for()
    token = "a" * 43
    response = page.goto(f"{live_server}/m/{token}/no-such-page")
    assert response.status == 404
    back = page.get_by_role("link", name="Back to your visits")
    assert back.get_attribute("href") == f"/m/{token}"
    assert page.locator("link[rel=stylesheet]").count() == 1


def test_a_front_desk_member_gets_a_styled_403_that_leads_to_the_console_home(
    desktop_page: Any, live_server: str, logins: dict[str, str]
) -> None:
    page = desktop_page
    page.goto(f"{live_server}/staff/login")
    page.get_by_label("Email").fill(logins["desk"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Staff").wait_for()
    response = page.goto(f"{live_server}/staff/setup/clinic")
    assert response.status == 403
    page.get_by_role("heading", name="Your role cannot open this page").wait_for()
    assert page.get_by_role("navigation", name="Staff").is_visible()
    page.get_by_role("link", name="Go to the console home").click()
    page.wait_for_url(f"{live_server}/staff")


def test_every_patient_action_on_the_personal_page_is_at_least_44_pixels_square(
    phone_page: Any, live_server: str, db: Database
) -> None:
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
    page = phone_page
    page.goto(created["manage_url"].replace("https://book.example.test", live_server))
    actions = page.locator("li.visit .actions")
    for name in ("Move", "Cancel", "Add to calendar"):
        assert actions.get_by_role("link", name=name).is_visible()
    assert too_small(page, ".actions a, .actions button") == []
    assert too_small(page, "form.texts label.inline, form.texts button") == []
    assert too_small(page, ".diary-links a") == []


def test_every_patient_action_on_the_booking_pages_is_at_least_44_pixels_square(
    phone_page: Any, live_server: str, db: Database
) -> None:
    page = phone_page
    page.goto(f"{live_server}/")
    assert too_small(page, "a.choice-link") == []
    page.get_by_role("link", name="Acupuncture", exact=True).click()
    page.get_by_role("heading", name="Book a single visit").wait_for()
    page.get_by_label("Day", exact=True).fill("2026-03-04")
    page.get_by_role("button", name="Show free times").click()
    page.locator("label.slot").first.wait_for()
    assert too_small(page, "label.slot, nav.days a, form button, .map-link") == []
    assert too_small(page, "form.book label.inline") == []
    radio = page.locator("form.book label.inline input[type=radio]").first.bounding_box()
    assert radio["width"] >= 28 and radio["height"] >= 28


def test_the_accessibility_check_fails_on_a_page_with_a_serious_violation(
    phone_page: Any,
) -> None:
    page = phone_page
    page.set_content(
        '<!doctype html><html lang="en"><head><title>Bad</title></head><body><main>'
        '<h1>Bad</h1><img src="/x.png"><button></button></main></body></html>'
    )
    with pytest.raises(AssertionError) as refused:
        assert_accessible(page)
    assert "image-alt (critical)" in str(refused.value)
    assert "button-name (critical)" in str(refused.value)
    page.set_content(
        '<!doctype html><html lang="en"><head><title>Good</title></head><body><main>'
        '<h1>Good</h1><img src="/x.png" alt="The clinic"></main></body></html>'
    )
    assert_accessible(page)


def test_an_admin_corrects_a_bad_map_link_and_the_start_page_uses_the_new_one(
    desktop_page: Any, live_server: str, logins: dict[str, str], phone_page: Any
) -> None:
    page = desktop_page
    page.goto(f"{live_server}/staff/login")
    page.get_by_label("Email").fill(logins["admin"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Staff").wait_for()
    page.goto(f"{live_server}/staff/setup")
    page.get_by_role("link", name="Clinic details").click()
    page.get_by_label("Map link (optional)").fill("http://maps.example/clinic")
    page.get_by_role("button", name="Save clinic details").click()
    page.locator("#map_url-error").wait_for()
    assert page.get_by_label("Map link (optional)").get_attribute("aria-invalid") == "true"
    page.get_by_label("Map link (optional)").fill("https://maps.example/clinic")
    page.get_by_role("button", name="Save clinic details").click()
    page.get_by_text("Clinic details saved.").wait_for()
    phone_page.goto(f"{live_server}/")
    link = phone_page.locator("a.map-link")
    assert link.get_attribute("href") == "https://maps.example/clinic"
