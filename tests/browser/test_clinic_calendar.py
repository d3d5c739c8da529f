"""The clinic calendar in Chromium at desktop size: a column per practitioner (or room) in the
day view with British dates, overlapping visits side by side, a drag that asks, moves, texts
and can be undone, the visit panel's words, and a free time that offers a new booking."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import Appointment, MessageKind, MessageStatus, OutboundMessage
from tests.browser.conftest import screenshot
from tests.browser.test_staff_calendar import DESK, PASSWORD, clinic_week, starts_at
from web.dates import visit_when

__all__ = ["clinic_week"]  # the fixture, shared with the calendar's other browser tests
DAY = "2026-03-04"
TEN = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
FITS_OR_ENDS_IN_AN_ELLIPSIS = (
    "e => e.scrollWidth <= e.clientWidth + 1 || getComputedStyle(e).textOverflow === 'ellipsis'"
)


def open_day(page: Any, live_server: str, query: str = "", view: str = "day") -> None:
    """Sign in as the front desk and open Wednesday's day (or week) view, ``query`` added."""
    page.goto(f"{live_server}/staff/login")
    page.get_by_label("Email").fill(DESK)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server}/staff**")
    page.goto(f"{live_server}/staff/calendar?view={view}&date={DAY}{query}")
    page.locator("#calendar.cal-ready").wait_for()


def column(page: Any, name: str) -> Any:
    return page.locator(f'section.cal-column[aria-label="{name}"]')


def visit(page: Any, visit_id: int) -> Any:
    return page.locator(f'.fc-event[data-visit-id="{visit_id}"]')


def drag(page: Any, visit_id: int, to_column: str, at: str) -> None:
    """Drag a visit by its top edge and drop it in ``to_column`` at ``at`` (both on screen)."""
    target = column(page, to_column)
    slot = target.locator(f'td.fc-timegrid-slot-lane[data-time="{at}:00"]')
    event = visit(page, visit_id)
    middle = (
        event.evaluate("e => e.getBoundingClientRect().top + window.scrollY")
        + slot.evaluate("e => e.getBoundingClientRect().top + window.scrollY")
    ) / 2
    page.evaluate("y => window.scrollTo(0, y)", max(0, middle - 450))
    grab, lane, row = event.bounding_box(), target.bounding_box(), slot.bounding_box()
    start_x, start_y = grab["x"] + grab["width"] / 2, grab["y"] + 4
    end_x, end_y = lane["x"] + lane["width"] / 2, row["y"] + 4
    page.mouse.move(start_x, start_y)
    page.mouse.down()
    page.mouse.move(start_x + 3, start_y + 8, steps=4)
    page.mouse.move(end_x, end_y, steps=20)
    page.mouse.up()


def visit_at(db: Database, practitioner_id: int, at: datetime) -> int:
    with db.session() as session:
        query = select(Appointment.id).where(
            Appointment.practitioner_id == practitioner_id, Appointment.starts_at == at
        )
        return session.scalars(query).one()


def moved_texts(db: Database, appointment_id: int) -> list[tuple[datetime | None, str]]:
    """The visit's "moved" texts: the time each is about and its status, oldest first."""
    with db.session() as session:
        rows = session.execute(
            select(OutboundMessage.planned_for, OutboundMessage.status)
            .where(
                OutboundMessage.appointment_id == appointment_id,
                OutboundMessage.kind == MessageKind.RESCHEDULED,
            )
            .order_by(OutboundMessage.id)
        )
        return [(planned, str(status)) for planned, status in rows]


def test_the_day_view_has_a_column_per_practitioner_and_british_dates(
    desktop_page: Any, live_server: str, clinic_week: dict[str, int]
) -> None:
    page = desktop_page
    open_day(page, live_server)
    heads = page.locator(".cal-column-head").all_inner_texts()
    assert heads == ["Dr Mei Lin", "Sara Novak", "Tom Okafor"]
    assert page.locator(".cal-title").inner_text() == "Wednesday, 4 March 2026"
    assert (
        column(page, "Dr Mei Lin")
        .locator(f'.fc-event[data-visit-id="{clinic_week["ana"]}"]')
        .is_visible()
    )
    assert column(page, "Sara Novak").locator(".fc-event").count() >= 1
    assert column(page, "Tom Okafor").locator(".fc-event").count() == 0
    assert "Mar 4" not in page.locator("main").inner_text()
    screenshot(page, "clinic_calendar_day_by_practitioner")

    page.get_by_role("link", name="A column per room").click()
    page.locator("#calendar.cal-ready").wait_for()
    assert page.locator(".cal-column-head").all_inner_texts() == ["Room 1", "Room 2", "Room 3"]
    screenshot(page, "clinic_calendar_day_by_room")


def test_a_week_reads_as_a_british_range_starting_on_monday(
    desktop_page: Any, live_server: str, clinic_week: dict[str, int]
) -> None:
    page = desktop_page
    open_day(page, live_server, f"&practitioner_id={clinic_week['lin']}", view="week")
    assert page.locator(".cal-title").inner_text() == "2\u2009\u2013\u20098 Mar 2026"
    headers = page.locator(".fc-col-header-cell").all_inner_texts()
    assert headers[0] == "Mon 2 Mar" and headers[-1] == "Sun 8 Mar"


def test_visits_at_the_same_time_sit_side_by_side(
    desktop_page: Any, live_server: str, db: Database, clinic_week: dict[str, int]
) -> None:
    page = desktop_page
    open_day(page, live_server, view="week")  # everyone's week: Ana and Dora both at 10:00
    dora_id = visit_at(db, clinic_week["novak"], TEN)
    ana, dora = visit(page, clinic_week["ana"]), visit(page, dora_id)
    dora.wait_for()
    one, two = ana.bounding_box(), dora.bounding_box()
    side_by_side = (
        one["x"] + one["width"] <= two["x"] + 1 or two["x"] + two["width"] <= one["x"] + 1
    )
    assert side_by_side, (one, two)
    for name in page.locator(".fc-timegrid-event .cal-name").all():
        assert name.evaluate(FITS_OR_ENDS_IN_AN_ELLIPSIS)
    screenshot(page, "clinic_calendar_week_side_by_side")


def test_the_visit_panel_says_when_in_words_and_links_the_record(
    desktop_page: Any,
    live_server: str,
    db: Database,
    settings: Settings,
    clinic_week: dict[str, int],
) -> None:
    page = desktop_page
    open_day(page, live_server)
    visit(page, clinic_week["ana"]).click()
    panel = page.get_by_role("complementary", name="Visit details")
    with db.session() as session:
        ana = session.get_one(Appointment, clinic_week["ana"])
        when = visit_when(ana.starts_at, ana.ends_at, settings.zone, settings.clinic_locale)
        patient_id, room = ana.patient_id, ana.room.name if ana.room else "\u2013"
    assert when.startswith("Wednesday, 4 March 2026, 10:00\u2013")
    record = panel.get_by_role("link", name="Ana Silva")
    assert record.get_attribute("href") == f"/staff/patients/{patient_id}"
    facts = panel.locator(".cal-facts").inner_text()
    for word in (when, "Acupuncture", "Dr Mei Lin", room, "Booked"):
        assert word in facts
    assert panel.get_by_role("button", name="Cancel visit").is_visible()
    screenshot(page, "clinic_calendar_visit_panel")


def test_a_free_time_offers_a_new_booking_with_that_practitioner(
    desktop_page: Any, live_server: str, clinic_week: dict[str, int]
) -> None:
    page = desktop_page
    open_day(page, live_server)
    column(page, "Dr Mei Lin").locator('td.fc-timegrid-slot-lane[data-time="15:00:00"]').click()
    panel = page.get_by_role("complementary", name="Visit details")
    assert "Wed 4 Mar, 15:00 · Dr Mei Lin" in panel.inner_text()
    link = panel.get_by_role("link", name="New booking")
    expected = f"/staff/bookings/new?start=2026-03-04T15%3A00&practitioner_id={clinic_week['lin']}"
    assert link.get_attribute("href") == expected


def test_a_drag_asks_first_moves_and_texts_and_undo_puts_it_back(
    desktop_page: Any, live_server: str, db: Database, clinic_week: dict[str, int]
) -> None:
    page = desktop_page
    open_day(page, live_server)
    ana = clinic_week["ana"]
    visit(page, ana).wait_for()
    drag(page, ana, "Sara Novak", "15:00")
    dialog = page.get_by_role("dialog", name="Move this visit?")
    dialog.wait_for()
    assert "Move Ana Silva to Wednesday, 4 March 2026, 15:00\u2013" in dialog.inner_text()
    assert "with Sara Novak" in dialog.inner_text()
    assert "The patient will be texted the new time." in dialog.inner_text()
    screenshot(page, "clinic_calendar_move_asks")
    assert starts_at(db, ana) == TEN, "nothing moves yet"
    assert moved_texts(db, ana) == []

    dialog.get_by_role("button", name="Move the visit").click()
    message = page.locator("#calendar-message")
    message.filter(has_text="is moved to").wait_for()
    assert "with Sara Novak. The patient is texted the new time." in message.inner_text()
    assert starts_at(db, ana) == datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    # The columns fetch their visits again after the move: wait for the visit in its new one.
    column(page, "Sara Novak").locator(f'.fc-event[data-visit-id="{ana}"]').wait_for()
    assert moved_texts(db, ana) == [(datetime(2026, 3, 4, 15, 0, tzinfo=UTC), "pending")]
    screenshot(page, "clinic_calendar_moved_with_undo")

    message.get_by_role("button", name="Undo").click()
    message.filter(has_text="Undone.").wait_for()
    assert starts_at(db, ana) == TEN
    with db.session() as session:
        assert session.get_one(Appointment, ana).practitioner_id == clinic_week["lin"]
    assert moved_texts(db, ana) == [
        (datetime(2026, 3, 4, 15, 0, tzinfo=UTC), str(MessageStatus.CANCELLED)),
        (TEN, "pending"),
    ]
    column(page, "Dr Mei Lin").locator(f'.fc-event[data-visit-id="{ana}"]').wait_for()


def test_keeping_a_dragged_visit_where_it_was_changes_nothing(
    desktop_page: Any, live_server: str, db: Database, clinic_week: dict[str, int]
) -> None:
    page = desktop_page
    open_day(page, live_server)
    ana = clinic_week["ana"]
    visit(page, ana).wait_for()
    drag(page, ana, "Dr Mei Lin", "14:00")
    dialog = page.get_by_role("dialog", name="Move this visit?")
    dialog.get_by_role("button", name="Keep it where it was").click()
    assert dialog.is_hidden()
    assert starts_at(db, ana) == TEN
    assert moved_texts(db, ana) == []
    box = visit(page, ana).bounding_box()
    ten = column(page, "Dr Mei Lin").locator('td.fc-timegrid-slot-lane[data-time="10:00:00"]')
    assert abs(box["y"] - ten.bounding_box()["y"]) < 4
