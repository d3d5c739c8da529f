"""Reading the calendar from the database into a snapshot the availability engine can sweep."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from scheduler.calendar.availability import (
    BookingPolicy,
    CalendarSnapshot,
    PractitionerHours,
    TimeOption,
    WeeklyHours,
    free_times,
    merge,
    to_minutes,
)
from scheduler.calendar.calendar_rows import CalendarRows, ServiceTerms, read_calendar
from scheduler.errors import NotFound, ValidationFailed
from scheduler.models import Practitioner
from scheduler.models.clinic import POLICY_COLUMNS, ClinicRules, clinic_rules


def load_policy(session: Session) -> BookingPolicy:
    """The clinic's rules from the database, or the defaults when none are stored."""
    return policy_from(clinic_rules(session))


def policy_from(rules: ClinicRules | None) -> BookingPolicy:
    """The booking policy a stored rules row sets (the defaults for none)."""
    if rules is None:
        return BookingPolicy()
    return policy_of({name: getattr(rules, name) for name in POLICY_COLUMNS})


def policy_of(rules: Mapping[str, int] | None) -> BookingPolicy:
    """The booking policy from the stored rules' values by column name (the defaults for
    none)."""
    if rules is None:
        return BookingPolicy()
    return BookingPolicy(
        grid_minutes=rules["grid_minutes"],
        minimum_notice=timedelta(minutes=rules["minimum_notice_minutes"]),
        horizon=timedelta(days=rules["horizon_days"]),
        course_horizon=timedelta(days=rules["course_horizon_days"]),
        late_cancellation=timedelta(hours=rules["late_cancellation_hours"]),
        waitlist_hold=timedelta(minutes=rules["waitlist_hold_minutes"]),
    )


def hours_of(practitioner: Practitioner) -> PractitionerHours:
    """A practitioner's weekly hours, services and licence from their record: no query once
    its hours and services are loaded (a booking's checks load them)."""
    stretches = sorted(practitioner.hours, key=lambda h: (h.weekday, h.starts))
    return PractitionerHours(
        practitioner_id=practitioner.id,
        hours=tuple(WeeklyHours(h.weekday, h.starts, h.ends) for h in stretches),
        services=frozenset(s.id for s in practitioner.services),
        licence_expires_on=practitioner.licence_expires_on,
    )


def load_snapshot(
    session: Session,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    known: list[Practitioner] | None = None,
) -> CalendarSnapshot:
    """Hours, held time, time off and closures overlapping [start, end) (one statement);
    every practitioner's, or only those of the ``known`` records (their hours taken from the
    records, not queried again); rooms are always all of them."""
    rows = read_calendar(session, start, end, with_practitioners=known is None)
    practitioners = (
        rows.practitioners
        if rows.practitioners is not None
        else {p.id: hours_of(p) for p in known or () if p.active}
    )
    return snapshot_of(rows, zone, practitioners)


def snapshot_of(
    rows: CalendarRows, zone: ZoneInfo, practitioners: dict[int, PractitionerHours]
) -> CalendarSnapshot:
    """The snapshot of what one read of the calendar found: time off counts as held."""
    by_practitioner = rows.by_practitioner
    for practitioner_id, s, e in rows.time_off:
        by_practitioner.setdefault(practitioner_id, []).append((s, e))
    return CalendarSnapshot(
        zone=zone,
        practitioners=practitioners,
        practitioner_busy={pid: merge(ivs) for pid, ivs in by_practitioner.items()},
        room_busy={rid: merge(ivs) for rid, ivs in rows.by_room.items()},
        closures=merge(rows.closures),
    )


def day_window(first_day: date, last_day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC bounds generous enough to hold every visit on those local days."""
    return (
        datetime.combine(first_day, time.min, tzinfo=zone) - timedelta(days=1),
        datetime.combine(last_day, time.max, tzinfo=zone) + timedelta(days=1),
    )


def bookable_days(
    first_day: date, last_day: date, now: datetime, zone: ZoneInfo, policy: BookingPolicy
) -> tuple[date, date] | None:
    """The part of the local days asked for on which a visit could still be booked (from
    yesterday, for the zones behind, to the day after the horizon), or None when there is
    none."""
    first = max(first_day, _yesterday(now, zone))
    last = min(last_day, (now + policy.horizon).astimezone(zone).date() + timedelta(days=1))
    return (first, last) if first <= last else None


def _yesterday(now: datetime, zone: ZoneInfo) -> date:
    return now.astimezone(zone).date() - timedelta(days=1)


def _check_range(first_day: date, last_day: date) -> None:
    """:raise ValidationFailed: if the range is reversed or longer than a search may ask for
    (``BookingPolicy.longest_query``: not one of the stored rules)."""
    longest = BookingPolicy.longest_query
    if last_day < first_day:
        raise ValidationFailed({"to": ["must be on or after 'from'"]})
    if (last_day - first_day) > longest:
        raise ValidationFailed({"to": [f"ask for at most {longest.days} days"]})


def free_slots(
    session: Session,
    *,
    service_id: int,
    first_day: date,
    last_day: date,
    zone: ZoneInfo,
    now: datetime,
    practitioner_id: int | None = None,
) -> list[TimeOption]:
    """Free start times for a service between two local dates (inclusive), earliest first.

    Each time lists the practitioners free then; with ``practitioner_id``, only that one.
    One statement reads the service, the clinic's rules and the calendar over the days asked
    for (from yesterday on: days gone are not read); days past the booking horizon are read
    (a range is at most ``BookingPolicy.longest_query`` long) and left out of the answer.

    :raise ValidationFailed: if the range is reversed or longer than a search may ask for.
    :raise NotFound: if the service or the practitioner is not an active one.
    """
    _check_range(first_day, last_day)
    # From yesterday on (days gone are not read), and short of the calendar's last days,
    # whose window would run past the largest date.
    last_read = min(last_day, date.max - timedelta(days=2))
    window = day_window(max(first_day, _yesterday(now, zone)), last_read, zone)
    rows = read_calendar(session, *window, with_practitioners=True, service_id=service_id)
    service, practitioners = rows.service, rows.practitioners or {}
    if service is None or not service.active:
        raise NotFound(f"service {service_id} does not exist")
    if practitioner_id is not None and practitioner_id not in practitioners:
        raise NotFound(f"practitioner {practitioner_id} does not exist")
    policy = policy_of(rows.rules)
    days = bookable_days(first_day, last_day, now, zone, policy)
    if days is None:
        return []
    search = _SlotSearch(service, *days, now, practitioner_id, policy)
    return search.answer(snapshot_of(rows, zone, practitioners))


@dataclass(frozen=True)
class _SlotSearch:
    """What a free-slot question asks for, once checked."""

    service: ServiceTerms
    first_day: date
    last_day: date
    now: datetime
    practitioner_id: int | None
    policy: BookingPolicy

    def answer(self, snapshot: CalendarSnapshot) -> list[TimeOption]:
        """The free times in ``snapshot``: the named practitioner's, or everyone's."""
        candidates = (
            [self.practitioner_id]
            if self.practitioner_id is not None
            else sorted(snapshot.practitioners)
        )
        return free_times(
            snapshot,
            service_id=self.service.id,
            duration=self.service.duration_min,
            buffer=self.service.buffer_min,
            needs_room=self.service.needs_room,
            first_day=self.first_day,
            last_day=self.last_day,
            earliest=to_minutes(self.now + self.policy.minimum_notice),
            latest=to_minutes(self.now + self.policy.horizon),
            grid=self.policy.grid_minutes,
            practitioner_ids=candidates,
        )
