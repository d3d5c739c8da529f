"""The closures page in Chromium at desktop width: an admin adds a year's bank holidays as
closures, then opens the clinic again on one of them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from scheduler.clock import FrozenClock
from scheduler.db import Database
from scheduler.models import Closure, Role
from scheduler.staff.accounts import create_staff_user
from tests.conftest import ARTIFACTS
from tests.support.factories import demo_clinic

PASSWORD = "correct horse battery"


@pytest.fixture
def admin(db: Database, clock: FrozenClock) -> str:
    demo_clinic(db)
    with db.transaction() as session:
        create_staff_user(
            session,
            email="admin@clinic.test",
            name="Alex Admin",
            password=PASSWORD,
            role=Role.ADMIN,
            now=clock.now(),
        )
    return "admin@clinic.test"


def reasons(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(Closure.reason).order_by(Closure.starts_at)))


def test_an_admin_adds_the_years_bank_holidays_and_removes_one(
    desktop_page: Any, live_server: str, db: Database, admin: str
) -> None:
    page = desktop_page
    page.goto(f"{live_server}/staff/login")
    page.get_by_label("Email").fill(admin)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}/staff/setup/closures")
    page.get_by_role("heading", name="Bank holidays").wait_for()
    assert "CLINIC_SUBDIVISION to one of ENG, NIR, SCT, WLS" in page.locator(".setup").inner_text()
    page.get_by_role("button", name="Add the bank holidays for 2026").click()
    flash = page.locator(".flash.ok")
    flash.wait_for()
    rows = page.locator("table.closures tbody tr")
    assert f"{rows.count()} bank holiday(s) of 2026 added as closures" in flash.inner_text()
    christmas = rows.filter(has_text="Christmas Day")
    assert "Fri 25 Dec 2026 00:00" in christmas.inner_text()
    assert "Sat 26 Dec 2026 00:00" in christmas.inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "setup_bank_holidays.png"), full_page=True)

    before = reasons(db)
    assert "Christmas Day" in before and "Boxing Day" in before
    page.locator("tr", has_text="Boxing Day (observed)").get_by_role(
        "button", name="Remove"
    ).click()
    page.locator(".flash.ok", has_text="Closure removed.").wait_for()
    assert reasons(db) == [r for r in before if r != "Boxing Day (observed)"]
    assert page.locator("table.closures tbody tr").count() == len(before) - 1
