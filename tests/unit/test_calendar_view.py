"""The staff calendar's pure rules: which actions a visit allows when, wall-clock times for
FullCalendar across a clock change, and reading its parameters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.calendar.availability import to_minutes
from scheduler.calendar.read_model import VisitAction, possible_actions
from scheduler.models import AppointmentStatus as S
from web.staff.calendar.input import BadInput, days_shown, event_range, local_moment, optional_id
from web.staff.calendar.presentation import WallClock

LONDON = ZoneInfo("Europe/London")
START = to_minutes(datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
A = VisitAction


@pytest.mark.parametrize(
    ("status", "minutes_from_start", "expected"),
    [
        (S.BOOKED, -120, (A.MOVE, A.CANCEL)),
        (S.CONFIRMED, -30, (A.ARRIVED, A.MOVE, A.CANCEL)),
        (S.BOOKED, 20, (A.ARRIVED, A.COMPLETED, A.NO_SHOW)),
        (S.ARRIVED, 20, (A.COMPLETED,)),
        (S.PROPOSED, -120, (A.MOVE, A.CANCEL)),
        (S.PROPOSED, 20, ()),
        (S.PENDING_REVIEW, -120, (A.CONFIRM_REVIEW, A.MOVE, A.CANCEL)),
        (S.COMPLETED, 20, ()),
        (S.NO_SHOW, 20, ()),
        (S.CANCELLED, -120, ()),
    ],
)
def test_the_actions_a_visit_allows_follow_its_status_and_the_time(
    status: S, minutes_from_start: int, expected: tuple[VisitAction, ...]
) -> None:
    assert possible_actions(status, START, START + minutes_from_start) == expected


def test_wall_clock_times_keep_the_local_hour_across_the_spring_clock_change() -> None:
    wall = WallClock(LONDON)
    before = to_minutes(datetime(2026, 3, 27, 10, 15, tzinfo=UTC))  # GMT
    after = to_minutes(datetime(2026, 3, 30, 9, 15, tzinfo=UTC))  # BST: 10:15 local
    assert wall.iso(before) == "2026-03-27T10:15:00"
    assert wall.iso(after) == "2026-03-30T10:15:00"


def test_wall_clock_times_in_a_zone_offset_by_half_an_hour() -> None:
    wall = WallClock(ZoneInfo("Asia/Kolkata"))
    assert wall.iso(to_minutes(datetime(2026, 3, 4, 4, 45, tzinfo=UTC))) == "2026-03-04T10:15:00"


def test_dates_without_an_offset_are_the_clinics_time() -> None:
    assert local_moment("2026-06-01T09:00", LONDON, "start") == datetime(
        2026, 6, 1, 8, 0, tzinfo=UTC
    )
    assert local_moment("2026-06-01", LONDON, "start") == datetime(2026, 5, 31, 23, 0, tzinfo=UTC)
    assert local_moment("2026-06-01T09:00:00 01:00", LONDON, "start") == datetime(
        2026, 6, 1, 8, 0, tzinfo=UTC
    )  # a "+" that arrived as a space


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (None, "2026-03-09", "start"),
        ("2026-03-02", "", "end"),
        ("2026-03-02", "2026-03-02", "end"),
        ("2026-01-01", "2026-02-12T00:01", "end"),
        ("2026-13-01", "2026-03-09", "start"),
        ("x" * 50, "2026-03-09", "start"),
    ],
)
def test_a_bad_range_names_the_field_at_fault(start: object, end: object, field: str) -> None:
    with pytest.raises(BadInput) as raised:
        event_range(start, end, LONDON)
    assert raised.value.field == field


def test_ids_are_whole_numbers_from_one_and_empty_means_none() -> None:
    assert optional_id("", "room_id") is None and optional_id(None, "room_id") is None
    assert optional_id("7", "room_id") == 7 and optional_id(7, "room_id") == 7
    for bad in ("0", "-1", "1.5", "seven", True, 2**31, "9" * 11):
        with pytest.raises(BadInput):
            optional_id(bad, "room_id")


def test_a_week_runs_monday_to_sunday() -> None:
    assert days_shown(date(2026, 3, 4), "week") == (date(2026, 3, 2), date(2026, 3, 8))
    assert days_shown(date(2026, 3, 4), "day") == (date(2026, 3, 4), date(2026, 3, 4))
    assert days_shown(date(2026, 3, 8), "week")[0] + timedelta(days=6) == date(2026, 3, 8)
