"""At phone width, a patient moving a course visit sees who each time is with, and a time the
course no longer allows is refused in plain words, with nothing changed; at a desk, the front
desk sees the course warning before a move is saved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.courses.booking import book_course
from scheduler.db import Database
from scheduler.models import Appointment, Role
from scheduler.patients.links import issue_link_token
from scheduler.staff.accounts import create_staff_user
from tests.browser.conftest import screenshot
from tests.integration.test_courses import request_for
from tests.support.factories import demo_clinic

CONSULTATION = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # Wednesday; GMT until 29 March
DESK, PASSWORD = "desk@clinic.test", "correct horse battery"


def course_with_link(db: Database, settings: Settings, clock: FrozenClock) -> tuple[str, dict]:  # type: ignore[type-arg]
    """A migraine course from Wed 4 March; its link token and its visits' ids by number."""
    demo_clinic(db)
    with db.transaction() as session:
        booked = book_course(
            session, request_for(db, start=CONSULTATION), settings=settings, now=clock.now()
        )
        token = issue_link_token(session, booked.course.patient, clock.now())
        rows = session.scalars(select(Appointment).where(Appointment.course_id.is_not(None)))
        return token, {a.visit_number: a.id for a in rows}


def test_a_course_visits_times_name_the_practitioner_and_a_stale_choice_is_refused(
    phone_page: Any, live_server: str, db: Database, settings: Settings, clock: FrozenClock
) -> None:
    token, visits = course_with_link(db, settings, clock)
    phone_page.goto(f"{live_server}/m/{token}/visits/{visits[3]}/move?from=2026-03-09")
    thursday = phone_page.get_by_role("region", name="Thursday 12 March")
    choice = thursday.get_by_role("button", name="10:00 with Dr Mei Lin")
    assert choice.is_visible()
    assert phone_page.get_by_role("region", name="Tuesday 10 March").count() == 0  # too close
    with db.transaction() as session:  # meanwhile the clinic moves visit 4 to Friday 13 March
        fourth = session.get_one(Appointment, visits[4])
        fourth.starts_at += timedelta(days=-3)
        fourth.ends_at += timedelta(days=-3)
        fourth.blocked_until += timedelta(days=-3)
    choice.click()
    summary = phone_page.locator(".error-summary")
    summary.wait_for()
    assert "too close to the course's next visit (Acupuncture, Fri 13 Mar 10:00)" in (
        summary.inner_text()
    )
    assert "Please choose another time." in summary.inner_text()
    with db.session() as session:
        assert session.get_one(Appointment, visits[3]).starts_at == datetime(
            2026, 3, 11, 10, 0, tzinfo=UTC
        )


def test_the_staff_move_form_shows_the_course_warning_before_it_saves(
    desktop_page: Any, live_server: str, db: Database, settings: Settings, clock: FrozenClock
) -> None:
    _token, visits = course_with_link(db, settings, clock)
    with db.transaction() as session:
        create_staff_user(
            session, email=DESK, name="Front desk", password=PASSWORD, role=Role.FRONT_DESK,
            now=clock.now(),
        )  # fmt: skip
    page = desktop_page
    page.goto(f"{live_server}/staff/login")
    page.get_by_label("Email").fill(DESK)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Hello Front desk").wait_for()
    page.goto(f"{live_server}/staff/visits/{visits[4]}/move?next=/staff/today")
    page.get_by_label("New day").fill("2026-03-04")
    page.get_by_label("New time").fill("14:00")
    page.get_by_role("button", name="Move the visit").click()
    warning = page.locator(".course-warning")
    warning.wait_for()
    screenshot(page, "staff_move_form_course_warning")
    assert "before the course's previous visit (Acupuncture, Wed 11 Mar 10:00)" in (
        warning.inner_text()
    )
    with db.session() as session:
        assert session.get_one(Appointment, visits[4]).starts_at.day == 16  # nothing saved yet
    page.get_by_role("button", name="Move the visit anyway").click()
    page.locator(".flash.ok").wait_for()
    with db.session() as session:
        assert session.get_one(Appointment, visits[4]).starts_at == datetime(
            2026, 3, 4, 14, 0, tzinfo=UTC
        )
