"""The living demo clinic in Chromium at desktop size: signed in on first start, the dashboard
shows figures above zero and the calendar's current week is full of visits."""

from __future__ import annotations

import re
from typing import Any

import pytest

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.demo import load_demo_clinic
from tests.browser.conftest import screenshot
from tests.support.staff import PASSWORD, create_accounts


@pytest.fixture
def admin(db: Database, settings: Settings, clock: FrozenClock) -> str:
    """The demo clinic with its history up to the test's clock, and staff to sign in."""
    with db.transaction() as session:
        assert load_demo_clinic(session, settings, clock.now(), history=True)
    return create_accounts(db, clock)["admin"]


def sign_in(page: Any, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/staff(/)?(\?.*)?$"))


def test_the_demo_clinic_shows_figures_and_a_full_week_on_first_start(
    desktop_page: Any, live_server: str, admin: str
) -> None:
    page = desktop_page
    sign_in(page, live_server, admin)
    page.goto(f"{live_server}/staff/dashboard")
    held = page.locator(".figure-total strong").first
    held.wait_for()
    assert int(held.inner_text()) > 0
    assert "0 of 0" not in page.locator(".figures").inner_text()
    screenshot(page, "demo_dashboard")

    page.goto(f"{live_server}/staff/calendar")
    page.locator("[data-visit-id]").first.wait_for()
    assert page.locator("[data-visit-id]").count() >= 5
    screenshot(page, "demo_calendar_week")

    page.goto(f"{live_server}/staff/patients")
    page.get_by_role("link", name="Price, Hannah").click()
    page.get_by_role("heading", name="Hannah Price").wait_for()
    assert "Headache days down from" in page.content()
    screenshot(page, "demo_patient_record")
