"""The availability engine: weekly hours minus held time, on the grid, across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.calendar.availability import (
    CalendarSnapshot,
    PractitionerHours,
    WeeklyHours,
    day_starts,
    free_starts,
    free_times,
    from_minutes,
    merge,
    to_minutes,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
MONDAY = date(2026, 3, 2)
MORNING = (WeeklyHours(0, time(9), time(11)),)


def at(hour: int, minute: int = 0, day: date = MONDAY) -> int:
    return to_minutes(datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC))


def hhmm(minutes: list[int], zone: ZoneInfo = LONDON) -> list[str]:
    return [from_minutes(m).astimezone(zone).strftime("%H:%M") for m in minutes]


def snapshot(hours=MORNING, busy=None, rooms=None, closures=None, expires=None):  # type: ignore[no-untyped-def]
    return CalendarSnapshot(
        zone=LONDON,
        practitioners={1: PractitionerHours(1, hours, frozenset({7}), expires)},
        practitioner_busy={1: merge(busy or [])},
        room_busy={i: merge(r) for i, r in enumerate(rooms or [[]])},
        closures=merge(closures or []),
    )


def open_starts(snap: CalendarSnapshot, day: date = MONDAY, needs_room: bool = True) -> list[str]:
    return hhmm(snap.open_starts(1, day, 45, 10, 15, needs_room, 0, 10**9))


def test_starts_fill_the_hours_on_a_15_minute_grid_and_visits_end_inside_them() -> None:
    assert hhmm(day_starts(MONDAY, MORNING, LONDON, 45, 15)) == [
        "09:00", "09:15", "09:30", "09:45", "10:00", "10:15",
    ]  # fmt: skip


def test_an_opening_off_the_grid_starts_at_the_next_grid_line() -> None:
    hours = (WeeklyHours(0, time(9, 5), time(10, 30)),)
    assert hhmm(day_starts(MONDAY, hours, LONDON, 45, 15)) == ["09:15", "09:30", "09:45"]


def test_a_booked_visit_and_its_buffer_remove_the_overlapping_starts() -> None:
    held = [(at(9, 30), at(10, 25))]
    assert open_starts(snapshot(busy=held)) == []
    longer = (WeeklyHours(0, time(9), time(12)),)
    assert open_starts(snapshot(hours=longer, busy=held)) == ["10:30", "10:45", "11:00", "11:15"]


def test_a_start_needs_one_room_free_for_the_whole_visit() -> None:
    room_a = [(at(9), at(10))]
    room_b = [(at(10), at(11))]
    # From 09:15 to 09:45 some room is free at each instant, but none for the whole visit.
    assert open_starts(snapshot(rooms=[room_a, room_b])) == ["09:00", "10:00", "10:15"]
    assert open_starts(snapshot(rooms=[room_a, room_b]), needs_room=False) == [
        "09:00", "09:15", "09:30", "09:45", "10:00", "10:15",
    ]  # fmt: skip


def test_closures_and_an_expired_licence_remove_starts() -> None:
    assert open_starts(snapshot(closures=[(at(0), at(23))])) == []
    assert open_starts(snapshot(expires=date(2026, 3, 1))) == []
    assert len(open_starts(snapshot(expires=MONDAY))) == 6


def test_no_start_is_offered_in_the_hour_skipped_when_clocks_go_forward() -> None:
    spring_sunday = date(2026, 3, 8)  # New York springs forward at 02:00 on 8 March 2026
    night = (WeeklyHours(6, time(1, 0), time(4, 0)),)
    local = hhmm(day_starts(spring_sunday, night, NEW_YORK, 30, 15), NEW_YORK)
    assert not any(t.startswith("02:") for t in local)
    assert local[0] == "01:00"
    assert "03:00" in local
    assert local[-1] == "03:30"


def test_no_start_is_offered_twice_in_the_hour_repeated_when_clocks_go_back() -> None:
    autumn_sunday = date(2026, 11, 1)  # New York falls back at 02:00 on 1 November 2026
    night = (WeeklyHours(6, time(0, 0), time(4, 0)),)
    starts = day_starts(autumn_sunday, night, NEW_YORK, 30, 15)
    local = hhmm(starts, NEW_YORK)
    assert len(local) == len(set(local))
    assert len(starts) == len(set(starts))


def test_wall_clock_hours_hold_after_a_dst_change() -> None:
    after_change = date(2026, 3, 30)  # London is on BST (UTC+1) from 29 March
    starts = day_starts(after_change, MORNING, LONDON, 45, 15)
    assert from_minutes(starts[0]) == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert hhmm(starts)[0] == "09:00"


def test_free_starts_sweeps_sorted_starts_against_merged_busy_time() -> None:
    busy = merge([(30, 40), (35, 60), (100, 110)])
    assert busy == [(30, 60), (100, 110)]
    assert free_starts([0, 10, 20, 60, 70, 90, 110], busy, 15) == [0, 10, 60, 70, 110]
    assert free_starts([20, 90], busy, 10) == [20, 90]


def test_free_times_lists_each_time_once_with_everyone_free_then() -> None:
    snap = snapshot()
    snap.practitioners[2] = PractitionerHours(2, MORNING, frozenset({7}))
    snap.practitioner_busy[2] = [(at(9), at(10))]
    options = free_times(
        snap,
        service_id=7,
        duration=45,
        buffer=10,
        needs_room=False,
        first_day=MONDAY,
        last_day=MONDAY,
        earliest=at(9, 15),
        latest=at(10),
        grid=15,
        practitioner_ids=[1, 2],
    )
    assert [(hhmm([o.start])[0], o.practitioner_ids) for o in options] == [
        ("09:15", (1,)),
        ("09:30", (1,)),
        ("09:45", (1,)),
        ("10:00", (1, 2)),
    ]


def test_holding_a_planned_visit_updates_the_snapshot() -> None:
    snap = snapshot()
    snap.hold(1, 0, at(9), at(9, 55))
    assert open_starts(snap) == ["10:00", "10:15"]
    assert snap.free_room(at(9), at(9, 30)) is None


def merged_by_sweep(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The plain sweep ``merge`` must agree with, fast path or not."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 200), st.integers(1, 30)).map(lambda p: (p[0], p[0] + p[1])),
        max_size=25,
    )
)
def test_merge_covers_the_same_time_with_sorted_intervals_that_neither_overlap_nor_touch(
    intervals: list[tuple[int, int]],
) -> None:
    merged = merge(intervals)
    assert merged == merged_by_sweep(intervals)
    assert all(end < following for (_, end), (following, _) in pairwise(merged))


def test_merge_joins_touching_visits_and_keeps_apart_those_with_a_gap() -> None:
    assert merge([(60, 120), (0, 60), (130, 140)]) == [(0, 120), (130, 140)]
    assert merge([(130, 140), (0, 60)]) == [(0, 60), (130, 140)]
