"""The console home and Today in Chromium at desktop size: each panel's link leads to the page
where its work is done; on Today one click marks a patient arrived and the name opens the
record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from tests.browser.conftest import screenshot
from tests.integration.test_console_home import Day, seed_day
from tests.support.staff import PASSWORD, create_accounts


@pytest.fixture
def accounts(db: Database, clock: FrozenClock) -> dict[str, str]:
    return create_accounts(db, clock)


@pytest.fixture
def day(db: Database, settings: Settings, clock: FrozenClock, accounts: dict[str, str]) -> Day:
    return seed_day(db, settings, clock.now())


def sign_in(page: Any, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Today's visits").wait_for()


def back_home(page: Any, live_server: str) -> Any:
    page.goto(f"{live_server}/staff")
    return page


def test_each_panel_of_the_home_leads_to_the_page_where_its_work_is_done(
    desktop_page: Any, live_server: str, accounts: dict[str, str], day: Day
) -> None:
    page = desktop_page
    sign_in(page, live_server, accounts["desk"])
    screenshot(page, "console_home_front_desk")

    page.get_by_role("link", name="Booked 2").click()
    page.wait_for_url("**/staff/today?status=booked")
    assert page.locator("tr.cal-row").count() == 2

    back_home(page, live_server).get_by_role("link", name="Tue 3 Mar 10:00").first.click()
    page.wait_for_url("**/staff/today?date=2026-03-03")
    assert page.get_by_role("link", name="Dee Test", exact=True).is_visible()

    back_home(page, live_server).get_by_role("link", name="Wed 4 Mar 10:00").click()
    page.wait_for_url("**/staff/today?date=2026-03-04")
    assert page.locator(f'tr[data-visit-id="{day.held}"]').is_visible()

    back_home(page, live_server).get_by_role("link", name="Ben Test", exact=True).last.click()
    page.wait_for_url(f"**/staff/patients/{day.patients['ben']}#texts")
    assert page.get_by_role("heading", name="Messages").is_visible()

    back_home(page, live_server).get_by_role("link", name="Open the messaging monitor").click()
    page.get_by_role("heading", name="Messaging monitor").wait_for()


def test_on_today_one_click_marks_a_patient_arrived_and_the_name_opens_the_record(
    desktop_page: Any, live_server: str, clock: FrozenClock, accounts: dict[str, str], day: Day
) -> None:
    clock.advance(timedelta(hours=3, minutes=55))  # 11:55: Cara is early for 12:00
    page = desktop_page
    sign_in(page, live_server, accounts["desk"])
    page.get_by_role("link", name="Open Today to mark arrivals and no-shows").click()
    page.wait_for_url("**/staff/today")
    row = page.locator(f'tr[data-visit-id="{day.cara}"]')
    row.wait_for()
    assert row.get_by_role("link", name="Call Cara Test").is_visible()
    row.get_by_role("button", name="Arrived: Cara Test at 12:00").click()
    page.get_by_text("Cara Test has arrived.").wait_for()
    row = page.locator(f'tr[data-visit-id="{day.cara}"]')
    assert row.locator(".cal-badge").inner_text() == "Arrived"
    screenshot(page, "console_today_arrived")
    row.get_by_role("link", name="Cara Test", exact=True).click()
    page.get_by_role("heading", name="Cara Test").wait_for()
    assert page.url.endswith(f"/staff/patients/{day.patients['cara']}")


def test_a_practitioners_home_holds_their_own_day_and_reviews_and_no_texts(
    desktop_page: Any, live_server: str, accounts: dict[str, str], day: Day
) -> None:
    page = desktop_page
    sign_in(page, live_server, accounts["lin"])
    screenshot(page, "console_home_practitioner")
    assert page.get_by_role("link", name="Cara Test", exact=True).is_visible()
    assert page.get_by_role("heading", name="Texts needing attention").count() == 0
    page.get_by_role("link", name="Tue 3 Mar 10:00").click()
    page.wait_for_url("**/staff/today?date=2026-03-03")
    row = page.locator(f'tr[data-visit-id="{day.dee}"]')
    assert row.get_by_role("button", name="Confirm review: Dee Test at 10:00").is_visible()
