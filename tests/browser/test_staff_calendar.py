"""The staff calendar in Chromium at desktop size: drag a visit to a free time, drop one on a
taken time and see why it went back, mark a no-show and see the course's replacement visit;
and the same page without JavaScript."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.courses.booking import book_course
from scheduler.courses.events import after_visit_missed
from scheduler.db import Database
from scheduler.models import Appointment, AppointmentStatus, MessageKind, OutboundMessage, Role
from scheduler.staff.accounts import create_staff_user
from tests.browser.conftest import screenshot
from tests.integration.test_courses import request_for
from tests.integration.test_staff_calendar import practitioner_id
from tests.support.factories import book, demo_clinic

PASSWORD = "correct horse battery"
DESK = "desk@clinic.test"
WEDNESDAY = datetime(2026, 3, 4, tzinfo=UTC)  # GMT: the clinic's time is UTC in early March


@pytest.fixture
def clinic_week(db: Database, settings: Settings, clock: FrozenClock) -> dict[str, int]:
    """A front-desk account; Ana and Ben with Dr Mei Lin on Wednesday at 10:00 and 11:00; a
    migraine course with Sara Novak whose first acupuncture session is booked."""
    demo_clinic(db)
    lin, novak = practitioner_id(db, "Dr Mei Lin"), practitioner_id(db, "Sara Novak")
    now = clock.now()
    with db.transaction() as session:
        create_staff_user(
            session, email=DESK, name="Front desk", password=PASSWORD, role=Role.FRONT_DESK, now=now
        )
    ana = book(db, settings, now, WEDNESDAY.replace(hour=10), practitioner_id=lin)
    ben = book(
        db,
        settings,
        now,
        WEDNESDAY.replace(hour=11),
        practitioner_id=lin,
        first_name="Ben",
        last_name="Jones",
        phone="+447400123458",
    )
    with db.transaction() as session:
        course = book_course(
            session,
            request_for(
                db,
                start=WEDNESDAY.replace(hour=10),
                practitioner_id=novak,
                first_name="Dora",
                last_name="Course",
                phone="+447400123459",
            ),
            settings=settings,
            now=now,
        )
        session_one = min(
            (a for a in course.appointments if a.phase_position == 2), key=lambda a: a.starts_at
        )
        session_one.status = AppointmentStatus.BOOKED
        session_one_id = session_one.id
    return {
        "ana": ana.appointment.id,
        "ben": ben.appointment.id,
        "course_visit": session_one_id,
        "lin": lin,
        "novak": novak,
    }


def sign_in(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/staff/login")
    page.get_by_label("Email").fill(DESK)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Hello Front desk").wait_for()


def drag_to(page: Any, visit_id: int, day: str, at: str) -> None:
    """Drag a visit by its top edge with the mouse and drop it on ``day`` at ``at``, after
    scrolling so that both ends of the drag are in the window."""
    visit = page.locator(f'.fc-event[data-visit-id="{visit_id}"]')
    column = page.locator(f'td.fc-timegrid-col[data-date="{day}"]')
    slot = page.locator(f'td.fc-timegrid-slot-lane[data-time="{at}:00"]')
    middle = (
        visit.evaluate("e => e.getBoundingClientRect().top + window.scrollY")
        + slot.evaluate("e => e.getBoundingClientRect().top + window.scrollY")
    ) / 2
    page.evaluate("y => window.scrollTo(0, y)", max(0, middle - 450))
    grab, lane, row = visit.bounding_box(), column.bounding_box(), slot.bounding_box()
    start_x, start_y = grab["x"] + grab["width"] / 2, grab["y"] + 4
    end_x, end_y = lane["x"] + lane["width"] / 2, row["y"] + 4
    assert 0 < start_y < 900 and 0 < end_y < 900, "both ends of the drag must be on screen"
    page.mouse.move(start_x, start_y)
    page.mouse.down()
    page.mouse.move(start_x + 3, start_y + 8, steps=4)
    page.mouse.move(end_x, end_y, steps=20)
    page.mouse.up()


def starts_at(db: Database, appointment_id: int) -> datetime:
    with db.session() as session:
        return session.get_one(Appointment, appointment_id).starts_at


def test_the_front_desk_drags_visits_and_marks_a_no_show(
    desktop_page: Any,
    live_server: str,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    clinic_week: dict[str, int],
) -> None:
    page = desktop_page
    sign_in(page, live_server)
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Calendar").click()
    page.locator(".fc-timegrid-event").first.wait_for()
    page.goto(f"{live_server}/staff/calendar?date=2026-03-04&practitioner_id={clinic_week['lin']}")
    ana = page.locator(f'.fc-event[data-visit-id="{clinic_week["ana"]}"]')
    ana.wait_for()
    assert "Ana Silva" in ana.inner_text()
    assert page.locator("#calendar-fallback").is_hidden()

    drag_to(page, clinic_week["ana"], "2026-03-05", "14:00")
    page.get_by_role("dialog", name="Move this visit?").get_by_role(
        "button", name="Move the visit"
    ).click()
    message = page.locator("#calendar-message")
    message.filter(has_text="is moved to").wait_for()
    assert "Ana Silva is moved to Thu 5 Mar 14:00 with Dr Mei Lin" in message.inner_text()
    assert starts_at(db, clinic_week["ana"]) == datetime(2026, 3, 5, 14, 0, tzinfo=UTC)
    with db.session() as session:
        kinds = set(
            session.scalars(
                select(OutboundMessage.kind).where(
                    OutboundMessage.appointment_id == clinic_week["ana"]
                )
            )
        )
    assert MessageKind.RESCHEDULED in kinds
    screenshot(page, "staff_calendar_moved")

    page.locator(f'.fc-event[data-visit-id="{clinic_week["ana"]}"]').wait_for()
    drag_to(page, clinic_week["ana"], "2026-03-04", "11:00")
    message.filter(has_text="That time is taken").wait_for()
    assert message.inner_text().startswith("That time is taken: the practitioner is already")
    assert "error" in (message.get_attribute("class") or "")
    assert starts_at(db, clinic_week["ana"]) == datetime(2026, 3, 5, 14, 0, tzinfo=UTC)
    thursday = page.locator('td.fc-timegrid-col[data-date="2026-03-05"]')
    assert thursday.locator(f'.fc-event[data-visit-id="{clinic_week["ana"]}"]').count() == 1
    screenshot(page, "staff_calendar_conflict")

    missed = clinic_week["course_visit"]
    visit_start = starts_at(db, missed)
    clock.advance(visit_start + timedelta(minutes=20) - clock.now())
    sign_in(page, live_server)  # days later: the idle session has ended
    day = visit_start.date().isoformat()
    page.goto(f"{live_server}/staff/calendar?date={day}&practitioner_id={clinic_week['novak']}")
    page.locator(f'.fc-event[data-visit-id="{missed}"]').click()
    panel = page.get_by_role("complementary", name="Visit details")
    assert panel.get_by_role("heading", name="Dora Course").is_visible()
    panel.get_by_role("button", name="No-show").click()
    page.locator(".flash.ok").filter(has_text="Dora Course is marked as a no-show.").wait_for()
    with db.session() as session:
        assert session.get_one(Appointment, missed).status == AppointmentStatus.NO_SHOW

    # No worker runs here: run what the clinic.after_visit_missed task runs.
    with db.transaction() as session:
        replacement = after_visit_missed(session, missed, settings, clock.now())[0]
        replacement_id, replacement_day = replacement.id, replacement.starts_at.date()
    page.goto(
        f"{live_server}/staff/calendar?date={replacement_day.isoformat()}"
        f"&practitioner_id={clinic_week['novak']}"
    )
    replaced = page.locator(f'.fc-event[data-visit-id="{replacement_id}"]')
    replaced.wait_for()
    assert "cal-status-proposed" in (replaced.get_attribute("class") or "")
    assert "Dora Course" in replaced.inner_text() and "Proposed" in replaced.inner_text()


def test_patient_names_are_shown_as_text_on_the_calendar(
    desktop_page: Any,
    live_server: str,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    clinic_week: dict[str, int],
) -> None:
    hostile = book(
        db,
        settings,
        clock.now(),
        WEDNESDAY.replace(hour=15),
        practitioner_id=clinic_week["lin"],
        first_name="<img src=x onerror=window.hacked=1>",
        last_name="Smith",
        phone="+447400123460",
    )
    page = desktop_page
    sign_in(page, live_server)
    page.goto(f"{live_server}/staff/calendar?date=2026-03-04&practitioner_id={clinic_week['lin']}")
    event = page.locator(f'.fc-event[data-visit-id="{hostile.appointment.id}"]')
    event.wait_for()
    assert "<img src=x onerror=window.hacked=1> Smith" in event.inner_text()
    assert event.locator("img").count() == 0
    event.click()
    assert page.get_by_role(
        "heading", name="<img src=x onerror=window.hacked=1> Smith"
    ).is_visible()
    assert page.evaluate("window.hacked === undefined")


def test_without_javascript_the_week_is_a_list_with_forms(
    browser: Any, live_server: str, db: Database, clinic_week: dict[str, int]
) -> None:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(
            f"{live_server}/staff/calendar?date=2026-03-04&practitioner_id={clinic_week['lin']}"
        )
        listing = page.get_by_role("region", name="Visits as a list")
        assert listing.is_visible()
        listing.get_by_role("link", name="Move Ana Silva's visit at 10:00").click()
        page.get_by_label("New day").fill("2026-03-06")
        page.get_by_label("New time").fill("09:15")
        page.get_by_role("button", name="Move the visit").click()
        page.locator(".flash.ok").filter(
            has_text="Ana Silva is moved to Fri 6 Mar 09:15"
        ).wait_for()
        assert starts_at(db, clinic_week["ana"]) == datetime(2026, 3, 6, 9, 15, tzinfo=UTC)
        page.get_by_role("button", name="Cancel visit: Ben Jones at 11:00").click()
        page.locator(".flash.ok").filter(has_text="Ben Jones's visit is cancelled").wait_for()
        screenshot(page, "staff_calendar_without_javascript")
        page.get_by_role("navigation", name="Staff").get_by_role("link", name="Today").click()
        page.goto(f"{live_server}/staff/today?date=2026-03-06")
        row = page.locator(f'tr[data-visit-id="{clinic_week["ana"]}"]')
        assert "09:15" in row.inner_text() and "Ana Silva" in row.inner_text()
        assert row.get_by_role("button", name="Cancel visit: Ana Silva at 09:15").is_visible()
        screenshot(page, "staff_today_list")
    finally:
        context.close()
