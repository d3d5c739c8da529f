"""Texting the clinic in development, in Chromium at desktop size: the front desk picks a
patient, reads their texts, replies C as them, and the visit is confirmed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import Appointment, AppointmentStatus
from tests.browser.conftest import screenshot
from tests.support.factories import book
from tests.support.staff import PASSWORD, create_accounts

WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def test_a_development_text_c_confirms_a_visit(  # type: ignore[no-untyped-def]
    desktop_page, live_server: str, db: Database, settings: Settings, clock: FrozenClock
) -> None:
    create_accounts(db, clock)
    visit = book(db, settings, clock.now(), WEDNESDAY_10AM).appointment
    page: Any = desktop_page
    page.goto(f"{live_server}/staff/login")
    page.get_by_label("Email").fill("desk@clinic.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Text the clinic (development)").click()
    page.get_by_label("Patient").select_option(
        label=f"Ana Silva · +447400123456 · #{visit.patient_id}"
    )
    page.get_by_role("button", name="Show their texts").click()
    thread = page.locator("table.dev-thread")
    assert "Clinic" in thread.inner_text()  # the booking's confirmation, planned
    page.get_by_label("Text from Ana").fill("C")
    page.get_by_role("button", name="Send as Ana").click()
    flash = page.locator(".flash.ok")
    flash.wait_for()
    assert "The clinic answers: “Thank you, your visit on Wed 4 Mar at 10:00 is confirmed." in (
        flash.inner_text()
    )
    assert "\tC\t" in thread.locator("tr.message.in").last.inner_text()
    reply = thread.locator("tr.message.out", has_text="Thank you, your visit")
    assert "sent" in reply.inner_text()
    screenshot(page, "dev-texts-after-c")
    with db.session() as session:
        assert session.get_one(Appointment, visit.id).status == AppointmentStatus.CONFIRMED
    page.goto(f"{live_server}/staff/patients/{visit.patient_id}")
    assert "confirmed" in page.locator("main").inner_text()
