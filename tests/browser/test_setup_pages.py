"""The clinic set-up pages in Chromium at desktop width: an admin gives a practitioner a
lunch break and closes the clinic for a day."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from scheduler.clock import FrozenClock
from scheduler.db import Database
from scheduler.models import Closure, Practitioner, Role, WorkingHours
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


def test_an_admin_gives_a_practitioner_a_break_and_closes_the_clinic_for_a_day(
    desktop_page: Any, live_server: str, db: Database, admin: str
) -> None:
    page = desktop_page
    page.goto(f"{live_server}/staff/login")
    page.get_by_label("Email").fill(admin)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Set-up").click()
    page.get_by_role("heading", name="Clinic set-up").wait_for()

    page.get_by_role("link", name="Practitioners").click()
    page.get_by_role("link", name="Hours of Dr Mei Lin").click()
    page.get_by_role("heading", name="Working hours of Dr Mei Lin").wait_for()
    monday = page.get_by_label("Monday")
    assert monday.input_value() == "09:00-13:00, 14:00-18:00"
    monday.fill("09:00-12:30, 12:00-17:00")
    page.get_by_role("button", name="Save hours").click()
    error = page.locator("#hours_0-error")
    error.wait_for()
    assert error.inner_text() == "09:00-12:30 and 12:00-17:00 overlap."
    assert page.get_by_label("Monday").get_attribute("aria-invalid") == "true"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "setup_hours_overlap.png"), full_page=True)

    page.get_by_label("Monday").fill("09:00-12:30, 13:30-17:00")
    page.get_by_label("Friday").fill("")
    page.get_by_role("button", name="Save hours").click()
    page.locator(".flash.ok").wait_for()
    assert page.get_by_label("Monday").input_value() == "09:00-12:30, 13:30-17:00"
    with db.session() as session:
        lin = session.scalars(select(Practitioner.id).where(Practitioner.name == "Dr Mei Lin"))
        rows = session.scalars(
            select(WorkingHours)
            .where(WorkingHours.practitioner_id == lin.one())
            .order_by(WorkingHours.weekday, WorkingHours.starts)
        ).all()
        monday_rows = [(f"{h.starts:%H:%M}", f"{h.ends:%H:%M}") for h in rows if h.weekday == 0]
        assert monday_rows == [("09:00", "12:30"), ("13:30", "17:00")]
        assert not [h for h in rows if h.weekday == 4]  # Friday off

    page.get_by_role("link", name="Clinic set-up").click()
    page.get_by_role("link", name="Closures").click()
    page.get_by_label("Closed from (local date and time)").fill("2026-04-06T00:00")
    page.get_by_label("Open again at (local date and time)").fill("2026-04-07T00:00")
    page.get_by_label("Reason").fill("Easter Monday")
    page.get_by_role("button", name="Add closure").click()
    page.locator(".flash.ok").wait_for()
    row = page.locator("table.closures tbody tr")
    assert row.count() == 1
    assert "Mon 6 Apr 2026 00:00" in row.inner_text()
    assert "Easter Monday" in row.inner_text()
    with db.session() as session:
        closure = session.scalars(select(Closure)).one()
        # Easter Monday 2026 is in British Summer Time: local midnight is 23:00 UTC.
        assert closure.starts_at == datetime(2026, 4, 5, 23, 0, tzinfo=UTC)
        assert closure.ends_at == datetime(2026, 4, 6, 23, 0, tzinfo=UTC)
