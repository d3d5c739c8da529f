"""The safety alert queue in Chromium at desktop width: an admin closes an emergency alert from
the console home with a note (after a refused try that says why), and a practitioner reads the
patient's safety screens on the record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from scheduler.clinical.safety import BY_CODE, assess, record_screen
from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import StaffAlert
from tests.browser.conftest import screenshot
from tests.support.records import add_patient, add_staff, add_visit
from tests.support.staff import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def ben_alert(db: Database, settings: Settings, clock: FrozenClock) -> tuple[int, int]:
    """Ben Okafor (Sara Novak's patient) stopped as an emergency, Ana Silva (Dr Mei Lin's)
    booked for review: (Ben's patient id, his alert's id)."""
    add_staff(db, clock)
    now = clock.now()
    with db.transaction() as session:
        ana = add_patient(session, now - timedelta(minutes=3), "Ana", "Silva", "+447400123401")
        add_visit(session, ana.id, "Dr Mei Lin", datetime(2026, 3, 4, 10, tzinfo=UTC))
        record_screen(session, ana, assess({"positional": True}), now, zone=settings.zone)
        ben = add_patient(session, now, "Ben", "Okafor", "+447400123402")
        add_visit(session, ben.id, "Sara Novak", datetime(2026, 3, 4, 14, tzinfo=UTC))
        answers = {"thunderclap": True, "fainting": True}
        record_screen(session, ben, assess(answers), now - timedelta(minutes=7), zone=settings.zone)
        alert = session.scalars(select(StaffAlert.id).where(StaffAlert.patient_id == ben.id)).one()
        return ben.id, alert


def sign_in(page, live_server: str, path: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}{path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_an_admin_closes_an_emergency_alert_from_the_console_home_with_a_note(
    desktop_page, live_server: str, ben_alert: tuple[int, int], db: Database
) -> None:  # type: ignore[no-untyped-def]
    page = desktop_page
    _, alert_id = ben_alert
    sign_in(page, live_server, "/staff", "admin@clinic.test")
    queue = page.get_by_role("region", name="Safety alerts")
    queue.wait_for()
    item = page.locator(f"#alert-{alert_id}")
    assert "Emergency" in item.inner_text() and "Call the patient now" in item.inner_text()
    assert BY_CODE["thunderclap"].text in item.inner_text()
    assert BY_CODE["fainting"].text not in item.inner_text()  # a flag, not what raised it
    assert item.get_by_role("link", name="+44 7400 123402").get_attribute("href") == (
        "tel:+447400123402"
    )
    first = page.locator(".alert-item").first
    assert first.get_attribute("id") == f"alert-{alert_id}"  # the most serious first
    screenshot(page, "safety-alert-queue-on-the-console-home")

    item.get_by_text("Close this alert").click()
    item.get_by_label("What was done").select_option("called")
    item.get_by_role("button", name="Close alert").click()
    summary = page.get_by_role("alert")
    summary.wait_for()
    assert "Write a note saying what was done." in summary.inner_text()
    screenshot(page, "safety-alert-refused-close")
    page.get_by_role("link", name="Write a note saying what was done.").click()
    note = page.get_by_label("Note (Ben Okafor)")
    assert note.evaluate("el => el === document.activeElement")
    note.fill(
        "Called Ben: he went to A&E yesterday and was checked; told to call 999 if it recurs."
    )
    page.get_by_role("button", name="Close alert (Ben Okafor)").click()

    page.get_by_text("Alert closed: called the patient.").wait_for()
    assert page.url.endswith("/staff#safety-alerts")
    assert page.locator(f"#alert-{alert_id}").count() == 0
    assert "Ana Silva" in page.get_by_role("region", name="Safety alerts").inner_text()
    with db.session() as session:
        alert = session.get_one(StaffAlert, alert_id)
        assert alert.outcome == "called" and (alert.note or "").startswith("Called Ben: he went")


def test_a_practitioner_reads_the_patients_safety_screens_on_the_record(
    desktop_page, live_server: str, ben_alert: tuple[int, int]
) -> None:  # type: ignore[no-untyped-def]
    page = desktop_page
    ben_id, _ = ben_alert
    sign_in(page, live_server, f"/staff/patients/{ben_id}", "novak@clinic.test")
    page.get_by_role("heading", name="Ben Okafor").wait_for()
    flags = page.get_by_role("region", name="Safety flags")
    assert "None recorded" not in flags.inner_text()
    assert "Emergency" in flags.inner_text()
    screens = page.get_by_role("region", name="Safety screens")
    text = screens.inner_text()
    assert BY_CODE["thunderclap"].text in text and BY_CODE["fainting"].text in text
    assert "Booking stopped: told to get emergency help" in text
    assert "open" in text
    screens.scroll_into_view_if_needed()
