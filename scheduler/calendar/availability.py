"""The availability engine: free slots from working hours, minus held time, in whole minutes.

Pure functions over plain numbers. Instants are epoch minutes (UTC); local wall-clock times are
turned into them per day, so a time skipped by a daylight-saving change is never offered and a
repeated one is offered once. Busy intervals are sorted and merged, so each question is a sweep.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import islice
from operator import itemgetter, lt
from typing import NamedTuple
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Interval = tuple[int, int]  # [start, end) in epoch minutes


def to_minutes(moment: datetime) -> int:
    return int((moment - EPOCH).total_seconds() // 60)


def from_minutes(minutes: int) -> datetime:
    return EPOCH + timedelta(minutes=minutes)


@dataclass(frozen=True)
class BookingPolicy:
    """The clinic's calendar rules (DOMAIN.md section 8); stored as data, these are defaults."""

    grid_minutes: int = 15
    minimum_notice: timedelta = timedelta(hours=2)
    horizon: timedelta = timedelta(days=90)
    course_horizon: timedelta = timedelta(days=200)
    longest_query: timedelta = timedelta(days=62)
    late_cancellation: timedelta = timedelta(hours=24)
    waitlist_hold: timedelta = timedelta(minutes=15)


class WeeklyHours(NamedTuple):
    """One stretch of a week in local time (0 is Monday). A tuple: it is hashed on every
    cached ``day_starts`` lookup, and a tuple hashes in C."""

    weekday: int
    starts: time
    ends: time


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping intervals covering the same time."""
    ordered = sorted(intervals)
    # Most lists (a day's visits with gaps between them) need no merging: checked at C speed.
    if all(map(lt, map(itemgetter(1), ordered), map(itemgetter(0), islice(ordered, 1, None)))):
        return ordered
    merged: list[Interval] = []
    for start, end in ordered:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(busy: Sequence[Interval], start: int, end: int) -> list[Interval]:
    """Merged intervals less [start, end)."""
    out: list[Interval] = []
    for s, e in busy:
        if e <= start or s >= end:
            out.append((s, e))
            continue
        if s < start:
            out.append((s, start))
        if e > end:
            out.append((end, e))
    return out


def local_minutes(day: date, at: time, zone: ZoneInfo) -> int | None:
    """Epoch minutes of a wall-clock time, or None if the clocks skip it that day."""
    local = datetime.combine(day, at, tzinfo=zone)
    utc = local.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return to_minutes(utc)


@lru_cache(maxsize=8192)
def day_starts(
    day: date, hours: tuple[WeeklyHours, ...], zone: ZoneInfo, duration: int, grid: int
) -> tuple[int, ...]:
    """Grid-aligned starts on ``day`` whose visit of ``duration`` minutes ends within the hours.

    Cached: practitioners mostly share their hours, and the answer never changes.
    """
    starts: list[int] = []
    weekday = day.weekday()
    for stretch in hours:
        if stretch.weekday == weekday:
            starts.extend(_stretch_starts(day, stretch, zone, duration, grid))
    return tuple(sorted(set(starts)))


@lru_cache(maxsize=128)
def range_starts(
    first_day: date,
    last_day: date,
    hours: tuple[WeeklyHours, ...],
    zone: ZoneInfo,
    duration: int,
    grid: int,
) -> tuple[int, ...]:
    """``day_starts`` for every day from ``first_day`` to ``last_day``, in order.

    Cached: practitioners mostly share their hours, so one search over many of them builds
    the range once.
    """
    starts: list[int] = []
    for day in days_between(first_day, last_day):
        starts.extend(day_starts(day, hours, zone, duration, grid))
    return tuple(starts)


def _stretch_starts(
    day: date, stretch: WeeklyHours, zone: ZoneInfo, duration: int, grid: int
) -> list[int]:
    """Grid-aligned starts within one stretch of ``day`` for a visit of ``duration`` minutes."""
    first = stretch.starts.hour * 60 + stretch.starts.minute
    last = stretch.ends.hour * 60 + stretch.ends.minute
    first = -(-first // grid) * grid
    opening = local_minutes(day, time(first // 60, first % 60), zone)
    closing = local_minutes(day, stretch.ends, zone)
    if opening is not None and closing is not None and closing - opening == last - first:
        # No clock change inside the stretch (the usual case): plain arithmetic.
        return [opening + offset for offset in range(0, last - first - duration + 1, grid)]
    starts: list[int] = []
    for minute in range(first, last - duration + 1, grid):
        start = local_minutes(day, time(minute // 60, minute % 60), zone)
        end_ok = closing is None or (start is not None and start + duration <= closing)
        if start is not None and end_ok:
            starts.append(start)
    return starts


def free_starts(starts: Sequence[int], busy: Sequence[Interval], held: int) -> list[int]:
    """The starts whose [start, start + held) meets no busy interval (starts sorted, busy
    sorted and merged).

    Bisection either way round, whichever list is shorter: with few busy intervals, each rules
    out one run of starts (``t`` meets [s, e) when s - held < t < e) and the free runs between
    are copied as slices; with few starts, each looks up the one interval it could meet.
    """
    if not starts or not busy:
        return list(starts)
    if len(starts) < len(busy):
        return [t for t in starts if _clear(busy, t, t + held)]
    free: list[int] = []
    extend, right, left = free.extend, bisect_right, bisect_left
    kept = 0  # starts before this index are settled
    count = len(starts)
    # Only the intervals that can reach the first start matter (the list may span weeks).
    first = max(0, left(busy, (starts[0] - held,)) - 1)
    for s, e in busy[first:]:
        blocked_from = right(starts, s - held, kept)
        if blocked_from >= count:
            break
        if blocked_from > kept:
            extend(starts[kept:blocked_from])
            kept = left(starts, e, blocked_from)
        elif e > starts[kept]:
            kept = left(starts, e, kept)
    extend(starts[kept:])
    return free


def _clear(busy: Sequence[Interval], start: int, end: int) -> bool:
    """Whether [start, end) meets no interval of a sorted, merged list: only the last
    interval starting before ``end`` can reach it."""
    i = bisect_left(busy, (end,)) - 1
    return i < 0 or busy[i][1] <= start


def is_free(busy: Sequence[Interval], start: int, end: int) -> bool:
    """Whether [start, end) meets no interval of a sorted, merged list."""
    i = bisect_left(busy, (start, start))
    if i > 0 and busy[i - 1][1] > start:
        return False
    return not (i < len(busy) and busy[i][0] < end)


@dataclass(frozen=True)
class StartQuery:
    """What a visit asks of the calendar: its length and buffer, the grid its starts sit on,
    whether it needs a room, and the epoch minutes it may start between (inclusive)."""

    duration: int
    buffer: int
    grid: int
    needs_room: bool
    earliest: int
    latest: int

    @property
    def held(self) -> int:
        """Minutes the visit holds the practitioner (and room): the visit and its buffer."""
        return self.duration + self.buffer


@dataclass(frozen=True)
class PractitionerHours:
    practitioner_id: int
    hours: tuple[WeeklyHours, ...]
    services: frozenset[int]
    licence_expires_on: date | None = None

    def licensed_on(self, day: date) -> bool:
        return self.licence_expires_on is None or day <= self.licence_expires_on


@dataclass
class CalendarSnapshot:
    """Who works when and what time is held, over a window; updated as visits are planned."""

    zone: ZoneInfo
    practitioners: dict[int, PractitionerHours]
    practitioner_busy: dict[int, list[Interval]]
    room_busy: dict[int, list[Interval]]
    closures: list[Interval] = field(default_factory=list)
    # start -> "some room is free for `held` minutes from then", per held length.
    _rooms_free: dict[int, dict[int, bool]] = field(default_factory=dict, repr=False)

    def busy_of(self, practitioner_id: int) -> list[Interval]:
        return self.practitioner_busy.setdefault(practitioner_id, [])

    def hold(self, practitioner_id: int, room_id: int | None, start: int, end: int) -> None:
        """Record a newly planned visit so later questions see it."""
        for busy in [self.busy_of(practitioner_id)] + (
            [self.room_busy.setdefault(room_id, [])] if room_id is not None else []
        ):
            insort(busy, (start, end))
            busy[:] = merge(busy)
        if room_id is not None:
            self._rooms_free.clear()

    def release(self, practitioner_id: int, room_id: int | None, start: int, end: int) -> None:
        """Forget a visit's hold (it is being moved), so its own time counts as free."""
        lists = [self.busy_of(practitioner_id)]
        if room_id is not None:
            lists.append(self.room_busy.setdefault(room_id, []))
        for busy in lists:
            busy[:] = subtract(busy, start, end)
        self._rooms_free.clear()

    def free_room(self, start: int, end: int) -> int | None:
        """The first room free for [start, end), or None."""
        for room_id, busy in self.room_busy.items():
            if is_free(busy, start, end):
                return room_id
        return None

    def open_starts(
        self,
        practitioner_id: int,
        day: date,
        duration: int,
        buffer: int,
        grid: int,
        needs_room: bool,
        earliest: int,
        latest: int,
    ) -> list[int]:
        """Starts on ``day`` when the practitioner, and a room if needed, are free."""
        return self.open_starts_between(
            practitioner_id, day, day, duration, buffer, grid, needs_room, earliest, latest
        )

    def open_starts_between(
        self,
        practitioner_id: int,
        first_day: date,
        last_day: date,
        duration: int,
        buffer: int,
        grid: int,
        needs_room: bool,
        earliest: int,
        latest: int,
    ) -> list[int]:
        """Starts between two local dates when the practitioner (and a room) are free."""
        query = StartQuery(duration, buffer, grid, needs_room, earliest, latest)
        return self.starts_for(practitioner_id, first_day, last_day, query)

    def starts_for(
        self,
        practitioner_id: int,
        first_day: date,
        last_day: date,
        query: StartQuery,
        *,
        with_room: bool = True,
    ) -> list[int]:
        """Starts on the local days from ``first_day`` to ``last_day`` when the practitioner
        (and a room, if the visit needs one and ``with_room``) are free, in order.

        One sweep over the whole range: candidate starts, then closures, the practitioner's
        held time and the rooms, each a linear pass.
        """
        starts = self._working_starts(practitioner_id, first_day, last_day, query)
        if self.closures:
            starts = free_starts(starts, self.closures, query.held)
        starts = free_starts(starts, self.busy_of(practitioner_id), query.held)
        if not (with_room and query.needs_room) or not starts:
            return starts
        return self.with_free_room(starts, query.held)

    def _working_starts(
        self, practitioner_id: int, first_day: date, last_day: date, query: StartQuery
    ) -> list[int]:
        """Starts within the practitioner's hours on the days they are licensed, in order."""
        who = self.practitioners.get(practitioner_id)
        if who is None:
            return []
        if who.licence_expires_on is not None:
            last_day = min(last_day, who.licence_expires_on)
        if last_day < first_day:
            return []
        found = range_starts(first_day, last_day, who.hours, self.zone, query.duration, query.grid)
        return list(found[bisect_left(found, query.earliest) : bisect_right(found, query.latest)])

    def with_free_room(self, starts: list[int], held: int) -> list[int]:
        """The starts at which some room is free for ``held`` minutes (answers are cached)."""
        known = self._rooms_free.setdefault(held, {})
        unknown = [s for s in starts if s not in known]
        if unknown:
            with_room: set[int] = set()
            remaining = unknown
            for busy in self.room_busy.values():
                with_room.update(free_starts(remaining, busy, held))
                remaining = [s for s in remaining if s not in with_room]
                if not remaining:
                    break
            known.update((s, s in with_room) for s in unknown)
        return [s for s in starts if known[s]]


class TimeOption(NamedTuple):
    """A free start time and who is free then, the suggested practitioner first. A tuple: a
    search makes one for every free time, and a tuple is made in C."""

    start: int
    end: int
    practitioner_ids: tuple[int, ...]


def days_between(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def free_times(
    snapshot: CalendarSnapshot,
    *,
    service_id: int,
    duration: int,
    buffer: int,
    needs_room: bool,
    first_day: date,
    last_day: date,
    earliest: int,
    latest: int,
    grid: int,
    practitioner_ids: Sequence[int],
) -> list[TimeOption]:
    """Every free start between two local dates, with the practitioners free at it."""
    query = StartQuery(duration, buffer, grid, needs_room, earliest, latest)
    by_start: defaultdict[int, list[int]] = defaultdict(list)
    for practitioner_id in _offering(snapshot, service_id, practitioner_ids):
        # Rooms once for every start below, not once a practitioner: whether a room is free
        # at a time does not depend on who treats.
        free = snapshot.starts_for(practitioner_id, first_day, last_day, query, with_room=False)
        for start in free:
            by_start[start].append(practitioner_id)
    starts = sorted(by_start)
    if needs_room and starts:
        starts = snapshot.with_free_room(starts, query.held)
    return [TimeOption(start, start + duration, tuple(by_start[start])) for start in starts]


def _offering(
    snapshot: CalendarSnapshot, service_id: int, practitioner_ids: Sequence[int]
) -> list[int]:
    """Those of ``practitioner_ids`` in the snapshot who offer the service, in the same order."""
    return [
        pid
        for pid in practitioner_ids
        if (who := snapshot.practitioners.get(pid)) is not None and service_id in who.services
    ]
