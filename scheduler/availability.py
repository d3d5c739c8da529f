"""Free slots: working hours in the clinic's zone, minus the time booked visits hold. Pure."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class BookingPolicy:
    """The clinic's calendar rules (DOMAIN.md section 8)."""

    grid_minutes: int = 15
    minimum_notice: timedelta = timedelta(hours=2)
    horizon: timedelta = timedelta(days=90)
    longest_query: timedelta = timedelta(days=62)


@dataclass(frozen=True)
class WeeklyHours:
    weekday: int
    starts: time
    ends: time


@dataclass(frozen=True)
class Interval:
    """A half-open UTC interval [start, end)."""

    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass
class BusyTimes:
    """Blocked intervals of one practitioner or room, sorted for fast overlap tests."""

    intervals: list[Interval] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.intervals.sort(key=lambda i: i.start)
        self._starts = [i.start for i in self.intervals]
        longest = max((i.end - i.start for i in self.intervals), default=timedelta(0))
        self._longest = longest

    def is_free(self, wanted: Interval) -> bool:
        # Only intervals starting after wanted.start - longest can reach into wanted.
        i = bisect_left(self._starts, wanted.start - self._longest)
        while i < len(self.intervals) and self._starts[i] < wanted.end:
            if self.intervals[i].overlaps(wanted):
                return False
            i += 1
        return True


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    practitioner_id: int


def local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a wall-clock time, or None when that time does not exist (DST gap).

    In a repeated hour the first occurrence is taken, so no slot is offered twice.
    """
    local = datetime.combine(day, at, tzinfo=zone)
    utc = local.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return utc


def days_between(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def candidate_starts(
    day: date, hours: Sequence[WeeklyHours], zone: ZoneInfo, duration: timedelta, grid: int
) -> Iterable[tuple[datetime, datetime]]:
    """(start, end) in UTC of every grid-aligned visit that fits inside the day's hours."""
    for stretch in hours:
        if stretch.weekday != day.weekday():
            continue
        window_end = local_to_utc(day, stretch.ends, zone)
        minute = stretch.starts.hour * 60 + stretch.starts.minute
        minute = -(-minute // grid) * grid  # first grid line at or after the opening
        last = stretch.ends.hour * 60 + stretch.ends.minute
        while minute < last:
            start = local_to_utc(day, time(minute // 60, minute % 60), zone)
            minute += grid
            if start is None:
                continue
            end = start + duration
            if window_end is not None and end > window_end:
                break
            yield start, end


def practitioner_slots(
    *,
    practitioner_id: int,
    hours: Sequence[WeeklyHours],
    busy: BusyTimes,
    rooms: Sequence[BusyTimes] | None,
    first_day: date,
    last_day: date,
    zone: ZoneInfo,
    duration: timedelta,
    buffer: timedelta,
    earliest: datetime,
    latest: datetime,
    grid: int = 15,
) -> list[Slot]:
    """The free slots of one practitioner between two local dates (inclusive).

    ``rooms`` is None when the service needs no room; otherwise some room must be free too.
    A slot holds [start, end + buffer): the buffer keeps the next visit from starting at once.
    """
    slots: list[Slot] = []
    for day in days_between(first_day, last_day):
        for start, end in candidate_starts(day, hours, zone, duration, grid):
            if start < earliest or start > latest:
                continue
            held = Interval(start, end + buffer)
            if not busy.is_free(held):
                continue
            if rooms is not None and not any(room.is_free(held) for room in rooms):
                continue
            slots.append(Slot(start, end, practitioner_id))
    return slots
