"""Free slots from weekly hours minus held time, in the clinic's zone, across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.availability import BusyTimes, Interval, WeeklyHours, practitioner_slots

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def slots(day: date, hours: list[WeeklyHours], zone: ZoneInfo = LONDON, **kwargs: object):
    values: dict[str, object] = {
        "practitioner_id": 1,
        "hours": hours,
        "busy": BusyTimes(),
        "rooms": None,
        "first_day": day,
        "last_day": day,
        "zone": zone,
        "duration": timedelta(minutes=45),
        "buffer": timedelta(minutes=10),
        "earliest": datetime(2000, 1, 1, tzinfo=UTC),
        "latest": datetime(2100, 1, 1, tzinfo=UTC),
    }
    values.update(kwargs)
    return practitioner_slots(**values)  # type: ignore[arg-type]


MONDAY = date(2026, 3, 2)
MORNING = [WeeklyHours(0, time(9), time(11))]


def test_slots_fill_the_hours_on_a_15_minute_grid_and_end_inside_them() -> None:
    starts = [s.start.astimezone(LONDON).strftime("%H:%M") for s in slots(MONDAY, MORNING)]
    assert starts == ["09:00", "09:15", "09:30", "09:45", "10:00", "10:15"]


def test_a_booked_visit_and_its_buffer_remove_the_overlapping_slots() -> None:
    held = Interval(
        datetime(2026, 3, 2, 9, 30, tzinfo=UTC), datetime(2026, 3, 2, 10, 25, tzinfo=UTC)
    )
    starts = [s.start.strftime("%H:%M") for s in slots(MONDAY, MORNING, busy=BusyTimes([held]))]
    # 09:00 would hold until 09:55 and 08:45 does not exist; 10:30 is past the hours.
    assert starts == []
    afternoon = [WeeklyHours(0, time(9), time(12))]
    starts = [s.start.strftime("%H:%M") for s in slots(MONDAY, afternoon, busy=BusyTimes([held]))]
    assert starts == ["10:30", "10:45", "11:00", "11:15"]


def test_a_slot_needs_some_room_free_when_the_service_needs_a_room() -> None:
    whole_morning = Interval(
        datetime(2026, 3, 2, 9, 0, tzinfo=UTC), datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    )
    assert slots(MONDAY, MORNING, rooms=[BusyTimes([whole_morning])]) == []
    assert len(slots(MONDAY, MORNING, rooms=[BusyTimes([whole_morning]), BusyTimes()])) == 6


def test_no_slot_is_offered_in_the_hour_skipped_when_clocks_go_forward() -> None:
    spring_sunday = date(2026, 3, 8)  # New York springs forward at 02:00 on 8 March 2026
    night = [WeeklyHours(6, time(1, 0), time(4, 0))]
    local = [
        s.start.astimezone(NEW_YORK).strftime("%H:%M")
        for s in slots(spring_sunday, night, NEW_YORK, duration=timedelta(minutes=30))
    ]
    assert not any(t.startswith("02:") for t in local)
    assert local[0] == "01:00"
    assert "03:00" in local


def test_no_slot_is_offered_twice_in_the_hour_repeated_when_clocks_go_back() -> None:
    autumn_sunday = date(2026, 11, 1)  # New York falls back at 02:00 on 1 November 2026
    night = [WeeklyHours(6, time(0, 0), time(4, 0))]
    found = slots(autumn_sunday, night, NEW_YORK, duration=timedelta(minutes=30))
    local = [s.start.astimezone(NEW_YORK).strftime("%H:%M") for s in found]
    assert len(local) == len(set(local))
    assert len({s.start for s in found}) == len(found)


def test_minimum_notice_and_horizon_bound_the_slots() -> None:
    earliest = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    found = slots(MONDAY, MORNING, earliest=earliest, latest=earliest + timedelta(minutes=15))
    assert [s.start.strftime("%H:%M") for s in found] == ["10:00", "10:15"]


def test_local_times_stay_on_the_wall_clock_after_a_dst_change() -> None:
    after_change = date(2026, 3, 30)  # London is on BST (UTC+1) from 29 March
    found = slots(after_change, MORNING)
    assert found[0].start == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert found[0].start.astimezone(LONDON).hour == 9
