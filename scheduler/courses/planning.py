"""Planning a treatment course's visits on a calendar snapshot. Pure: no database here.

Each weekly phase fills its weeks with visits on the patient's preferred weekdays at their
preferred time, with the same practitioner where possible and a minimum gap between visits.
A taken time moves to the nearest free one, and the plan says so; a visit that cannot be placed
is kept as ``unplaced`` for staff, never dropped.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from scheduler.calendar.availability import CalendarSnapshot, from_minutes, local_minutes

FOLLOW_ON_WINDOW = 30  # minutes after a visit within which a "straight after" visit may start
MAINTENANCE_SEARCH_DAYS = (0, 1, -1, 2, -2, 3, -3)


@dataclass(frozen=True)
class ServiceSpec:
    id: int
    name: str
    duration: int
    buffer: int
    needs_room: bool

    @property
    def held(self) -> int:
        return self.duration + self.buffer


@dataclass(frozen=True)
class PhaseSpec:
    position: int
    name: str
    service: ServiceSpec
    cadence: str  # "once", "weekly" or "maintenance"
    per_week: int = 1
    weeks: int = 1
    min_gap_days: int = 2
    then_service: ServiceSpec | None = None


@dataclass(frozen=True)
class Preferences:
    weekdays: tuple[int, ...]
    at: time
    practitioner_id: int


@dataclass
class PlannedVisit:
    visit_number: int
    phase_position: int
    phase_name: str
    service: ServiceSpec
    start: int | None  # epoch minutes; None when it could not be placed
    practitioner_id: int | None
    room_id: int | None
    wanted: int | None
    note: str = ""

    @property
    def placed(self) -> bool:
        return self.start is not None

    @property
    def moved(self) -> bool:
        return self.placed and self.wanted is not None and self.start != self.wanted


@dataclass
class Planner:
    """Places visits one by one, holding each in the snapshot so later ones see it."""

    snapshot: CalendarSnapshot
    prefs: Preferences
    grid: int
    earliest: int
    latest: int
    practitioners_by_service: dict[int, list[int]] = field(default_factory=dict)
    visits: list[PlannedVisit] = field(default_factory=list)
    patient_busy: list[tuple[int, int]] = field(default_factory=list)

    def patient_free(self, start: int, end: int) -> bool:
        """Whether the patient has no other visit between ``start`` and ``end``."""
        return all(
            end <= busy_start or busy_end <= start for busy_start, busy_end in self.patient_busy
        )

    def _who_gives(self, service: ServiceSpec) -> list[int]:
        ids = self.practitioners_by_service.get(service.id)
        if ids is None:
            ids = sorted(
                pid for pid, p in self.snapshot.practitioners.items() if service.id in p.services
            )
            self.practitioners_by_service[service.id] = ids
        preferred = self.prefs.practitioner_id
        return ([preferred] if preferred in ids else []) + [p for p in ids if p != preferred]

    def _starts(self, practitioner_id: int, day: date, service: ServiceSpec) -> list[int]:
        return self.snapshot.open_starts(
            practitioner_id,
            day,
            service.duration,
            service.buffer,
            self.grid,
            service.needs_room,
            self.earliest,
            self.latest,
        )

    def best_on_day(
        self, day: date, service: ServiceSpec, only_preferred: bool = False
    ) -> tuple[int, int] | None:
        """(start, practitioner) nearest the preferred time; the preferred practitioner first."""
        wanted = local_minutes(day, self.prefs.at, self.snapshot.zone)
        if wanted is None:
            return None
        who = self._who_gives(service)
        if only_preferred:
            who = [p for p in who if p == self.prefs.practitioner_id]
        for practitioner_id in who:
            starts = self._starts(practitioner_id, day, service)
            if starts:
                best = min(starts, key=lambda s: (abs(s - wanted), s))
                return best, practitioner_id
        return None

    def place(
        self, phase: PhaseSpec, service: ServiceSpec, start: int, practitioner_id: int, wanted: int
    ) -> PlannedVisit:
        room_id = (
            self.snapshot.free_room(start, start + service.held) if service.needs_room else None
        )
        self.snapshot.hold(practitioner_id, room_id, start, start + service.held)
        visit = PlannedVisit(
            visit_number=len(self.visits) + 1,
            phase_position=phase.position,
            phase_name=phase.name,
            service=service,
            start=start,
            practitioner_id=practitioner_id,
            room_id=room_id,
            wanted=wanted,
        )
        visit.note = self._explain(visit)
        self.visits.append(visit)
        return visit

    def unplaced(self, phase: PhaseSpec, service: ServiceSpec, wanted: int | None) -> None:
        self.visits.append(
            PlannedVisit(
                visit_number=len(self.visits) + 1,
                phase_position=phase.position,
                phase_name=phase.name,
                service=service,
                start=None,
                practitioner_id=None,
                room_id=None,
                wanted=wanted,
                note="No free time was found that week; the clinic will arrange it with you.",
            )
        )

    def _explain(self, visit: PlannedVisit) -> str:
        notes = []
        if visit.moved and visit.wanted is not None and visit.start is not None:
            wanted = from_minutes(visit.wanted).astimezone(self.snapshot.zone)
            notes.append(f"{wanted:%a %d %b %H:%M} was taken; this is the nearest free time.")
        preferred = self.snapshot.practitioners.get(self.prefs.practitioner_id)
        gives = preferred is not None and visit.service.id in preferred.services
        if visit.practitioner_id != self.prefs.practitioner_id and gives:
            notes.append("With another practitioner: yours is not free then.")
        return " ".join(notes)

    def follow_on(self, phase: PhaseSpec, after: PlannedVisit) -> None:
        """A visit of the phase's ``then_service`` starting as soon as ``after`` ends."""
        service = phase.then_service
        if service is None or after.start is None:
            return
        ends = after.start + after.service.duration
        day = from_minutes(after.start).astimezone(self.snapshot.zone).date()
        options = [
            (start, practitioner_id)
            for practitioner_id in self._who_gives(service)
            for start in self._starts(practitioner_id, day, service)
            if ends <= start <= ends + FOLLOW_ON_WINDOW
        ]
        if not options:
            self.unplaced(phase, service, ends)
            return
        start, practitioner_id = min(options, key=lambda o: (o[0], o[1] != after.practitioner_id))
        self.place(phase, service, start, practitioner_id, ends)

    def place_with_follow_on(
        self, phase: PhaseSpec, start: int, practitioner_id: int, wanted: int
    ) -> PlannedVisit:
        """A visit of the phase's own service, and its follow-on visit if the phase has one."""
        visit = self.place(phase, phase.service, start, practitioner_id, wanted)
        self.follow_on(phase, visit)
        return visit


def choose_days(
    window: Sequence[date],
    count: int,
    preferred: Sequence[int],
    after: date | None,
    gap_days: int,
) -> list[list[date]]:
    """Sets of ``count`` days in ``window`` keeping ``gap_days`` between visits, best first.

    Best: the most preferred weekdays, then weekdays closest to a preferred one, then earliest.
    Weekends are used only when the preferences include them.
    """
    allowed = [d for d in window if d.weekday() < 5 or d.weekday() in preferred]
    combos = [c for c in itertools.combinations(allowed, count) if _keeps_gaps(c, after, gap_days)]
    combos.sort(key=lambda c: _preference_rank(c, preferred))
    return [list(c) for c in combos]


def _weekday_distance(day: date, preferred: Sequence[int]) -> int:
    """Days between ``day``'s weekday and the nearest preferred one (0 with no preference)."""
    if not preferred:
        return 0
    return min(min((day.weekday() - p) % 7, (p - day.weekday()) % 7) for p in preferred)


def _preference_rank(
    days: tuple[date, ...], preferred: Sequence[int]
) -> tuple[int, int, tuple[date, ...]]:
    """Sort key: fewest days off a preferred weekday, then least distance off, then earliest."""
    distances = [_weekday_distance(d, preferred) for d in days]
    return sum(d > 0 for d in distances), sum(distances), days


def _keeps_gaps(days: tuple[date, ...], after: date | None, gap_days: int) -> bool:
    """Whether each day is at least ``gap_days`` after the one before (and after ``after``)."""
    previous = after
    for day in days:
        if previous is not None and (day - previous).days < gap_days:
            return False
        previous = day
    return True


def plan_weekly_phase(
    planner: Planner, phase: PhaseSpec, first_day: date, last_visit_day: date | None
) -> date | None:
    """Plan ``phase.weeks`` weeks from ``first_day``; returns the day of its last visit."""
    for week in range(phase.weeks):
        window = [first_day + timedelta(days=7 * week + i) for i in range(7)]
        last_in_week = _plan_week(planner, phase, window, last_visit_day)
        if last_in_week is not None:
            last_visit_day = last_in_week
    return last_visit_day


def _plan_week(
    planner: Planner, phase: PhaseSpec, window: list[date], last_visit_day: date | None
) -> date | None:
    """Plan one week's visits of a phase in ``window``; returns the day of its last visit."""
    options = choose_days(
        window, phase.per_week, planner.prefs.weekdays, last_visit_day, phase.min_gap_days
    )
    placed_days: list[date] = []
    wanted_days = options[0] if options else window[: phase.per_week]
    for slot_index in range(phase.per_week):
        previous = placed_days[-1] if placed_days else last_visit_day
        wanted = local_minutes(wanted_days[slot_index], planner.prefs.at, planner.snapshot.zone)
        found = _first_free_day(planner, phase, options, slot_index, previous)
        if found is None:
            planner.unplaced(phase, phase.service, wanted)
            continue
        day, (start, practitioner_id) = found
        planner.place_with_follow_on(phase, start, practitioner_id, wanted or start)
        placed_days.append(day)
    return placed_days[-1] if placed_days else None


def _first_free_day(
    planner: Planner,
    phase: PhaseSpec,
    options: Sequence[Sequence[date]],
    slot_index: int,
    previous: date | None,
) -> tuple[date, tuple[int, int]] | None:
    """The best day for one visit of a week, and its (start, practitioner).

    Days come from the best day sets first; the patient's own practitioner on any of them is
    preferred to another practitioner on the best one.
    """
    days: list[date] = []
    for candidate in options:
        day = candidate[slot_index]
        if day in days or (previous and (day - previous).days < phase.min_gap_days):
            continue
        days.append(day)
    for only_preferred in (True, False):
        for day in days:
            best = planner.best_on_day(day, phase.service, only_preferred)
            if best is not None:
                return day, best
    return None


def plan_maintenance_visit(
    planner: Planner, phase: PhaseSpec, after_day: date, interval_weeks: int
) -> date | None:
    """One maintenance visit ``interval_weeks`` after ``after_day``, within three days of it."""
    target = after_day + timedelta(weeks=interval_weeks)
    wanted = local_minutes(target, planner.prefs.at, planner.snapshot.zone)
    for shift in MAINTENANCE_SEARCH_DAYS:
        day = target + timedelta(days=shift)
        if day.weekday() >= 5 and day.weekday() not in planner.prefs.weekdays:
            continue
        best = planner.best_on_day(day, phase.service)
        if best is not None:
            planner.place_with_follow_on(phase, best[0], best[1], wanted or best[0])
            return day
    planner.unplaced(phase, phase.service, wanted)
    return None


def plan_course(
    snapshot: CalendarSnapshot,
    phases: Sequence[PhaseSpec],
    *,
    consultation: tuple[int, int],
    prefs: Preferences,
    grid: int,
    earliest: int,
    latest: int,
    maintenance_weeks: int,
) -> list[PlannedVisit]:
    """Every visit of the course's active phases: the consultation at the chosen time, the
    weekly phases in the weeks after it, and the first maintenance visit.

    ``consultation`` is (start, practitioner) and must already be free in ``snapshot``.
    Week 1 is the seven days after the consultation's day.
    """
    planner = Planner(snapshot, prefs, grid, earliest, latest)
    _plan_phases(planner, phases, consultation, maintenance_weeks)
    return planner.visits


def _plan_phases(
    planner: Planner,
    phases: Sequence[PhaseSpec],
    consultation: tuple[int, int],
    maintenance_weeks: int,
) -> None:
    """Each phase after the one before: the consultation, weekly phases week after week, then
    maintenance after the last visit so far."""
    consult_start, consult_practitioner = consultation
    consult_day = from_minutes(consult_start).astimezone(planner.snapshot.zone).date()
    last_day: date | None = consult_day
    next_week_start = consult_day + timedelta(days=1)
    for phase in phases:
        if phase.cadence == "once":
            planner.place_with_follow_on(phase, consult_start, consult_practitioner, consult_start)
        elif phase.cadence == "weekly":
            last_day = plan_weekly_phase(planner, phase, next_week_start, last_day)
            next_week_start += timedelta(weeks=phase.weeks)
        elif phase.cadence == "maintenance" and last_day is not None:
            plan_maintenance_visit(planner, phase, last_day, maintenance_weeks)
