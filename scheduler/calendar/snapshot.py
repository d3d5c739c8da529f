"""Reading the calendar from the database into a snapshot the availability engine can sweep."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, cast, func, select
from sqlalchemy.orm import Session

from scheduler.calendar.availability import (
    BookingPolicy,
    CalendarSnapshot,
    Interval,
    PractitionerHours,
    TimeOption,
    WeeklyHours,
    free_times,
    merge,
    to_minutes,
)
from scheduler.errors import NotFound, ValidationFailed
from scheduler.models import (
    ACTIVE_STATUSES,
    Appointment,
    Closure,
    Practitioner,
    Room,
    Service,
    TimeOff,
    WorkingHours,
)
from scheduler.models.clinic import clinic_rules, practitioner_services

LONGEST_VISIT = timedelta(minutes=480 + 120)  # the services table's limits: duration + buffer


def load_policy(session: Session) -> BookingPolicy:
    """The clinic's rules from the database, or the defaults when none are stored."""
    rules = clinic_rules(session)
    if rules is None:
        return BookingPolicy()
    return BookingPolicy(
        grid_minutes=rules.grid_minutes,
        minimum_notice=timedelta(minutes=rules.minimum_notice_minutes),
        horizon=timedelta(days=rules.horizon_days),
        course_horizon=timedelta(days=rules.course_horizon_days),
        late_cancellation=timedelta(hours=rules.late_cancellation_hours),
        waitlist_hold=timedelta(minutes=rules.waitlist_hold_minutes),
    )


def active_service(session: Session, service_id: int) -> Service:
    """:raise NotFound: if there is no such bookable service."""
    service = session.get(Service, service_id)
    if service is None or not service.active:
        raise NotFound(f"service {service_id} does not exist")
    return service


# SQLite's unixepoch() (3.38 and later) reads a stored time about twice as fast as
# strftime('%s'), which older libraries fall back to.
_UNIXEPOCH = sqlite3.sqlite_version_info >= (3, 38, 0)


def _epoch_minutes(column: Any, dialect: str) -> ColumnElement[int]:
    # Whole minutes since the epoch, computed by the database: no datetime objects per row.
    if dialect == "postgresql":
        # date_part gives a double; EXTRACT a numeric, whose arithmetic takes twice as long.
        return cast(func.floor(func.date_part("epoch", column) / 60), Integer)
    seconds = func.unixepoch(column) if _UNIXEPOCH else cast(func.strftime("%s", column), Integer)
    return cast(seconds / 60, Integer)


def _weekly_hours(session: Session) -> dict[int, list[WeeklyHours]]:
    """Each practitioner's stretches of the week, in weekday and time order."""
    query = select(
        WorkingHours.practitioner_id,
        WorkingHours.weekday,
        WorkingHours.starts,
        WorkingHours.ends,
    ).order_by(WorkingHours.practitioner_id, WorkingHours.weekday, WorkingHours.starts)
    hours: dict[int, list[WeeklyHours]] = defaultdict(list)
    for practitioner_id, weekday, starts, ends in session.execute(query):
        hours[practitioner_id].append(WeeklyHours(weekday, starts, ends))
    return hours


def _services_offered(session: Session) -> dict[int, set[int]]:
    """The ids of the services each practitioner offers."""
    query = select(practitioner_services.c.practitioner_id, practitioner_services.c.service_id)
    services: dict[int, set[int]] = defaultdict(set)
    for practitioner_id, service_id in session.execute(query):
        services[practitioner_id].add(service_id)
    return services


def practitioner_hours(session: Session) -> dict[int, PractitionerHours]:
    """Every active practitioner's weekly hours, services and licence (three plain queries)."""
    hours = _weekly_hours(session)
    services = _services_offered(session)
    people_query = select(Practitioner.id, Practitioner.licence_expires_on).where(
        Practitioner.active.is_(True)
    )
    return {
        pid: PractitionerHours(
            practitioner_id=pid,
            hours=tuple(hours[pid]),
            services=frozenset(services[pid]),
            licence_expires_on=expires,
        )
        for pid, expires in session.execute(people_query)
    }


# Held time of one practitioner in one room (or none): (practitioner, room, [(start, end)...])
# in epoch minutes, a visit a pair.
HeldGroup = tuple[int, int | None, list[Interval]]


def _held_groups(session: Session, start: datetime, end: datetime) -> list[HeldGroup]:
    """Active visits' held time overlapping [start, end), grouped by practitioner and room in
    the database (PostgreSQL's arrays, SQLite's JSON arrays): a row a group rather than a
    visit, and the pairs built by C-level parsing and zipping, not a Python loop per visit."""
    dialect = session.get_bind().dialect.name
    starts = _epoch_minutes(Appointment.starts_at, dialect)
    ends = _epoch_minutes(Appointment.blocked_until, dialect)
    in_window = (
        # The lower bound keeps the index range to the window: no visit is that long.
        Appointment.starts_at >= start - LONGEST_VISIT,
        Appointment.starts_at < end,
        Appointment.blocked_until > start,
        Appointment.status.in_(ACTIVE_STATUSES),
    )
    group = (Appointment.practitioner_id, Appointment.room_id)
    if dialect == "postgresql":
        arrays = session.execute(
            select(*group, func.array_agg(starts), func.array_agg(ends))
            .where(*in_window)
            .group_by(*group)
        )
        return [(p, r, list(zip(ss, es, strict=True))) for p, r, ss, es in arrays]
    texts = session.execute(
        select(*group, func.json_group_array(starts), func.json_group_array(ends))
        .where(*in_window)
        .group_by(*group)
    )
    return [
        (p, r, list(zip(json.loads(ss), json.loads(es), strict=True))) for p, r, ss, es in texts
    ]


def _time_off(session: Session, start: datetime, end: datetime) -> list[tuple[int, int, int]]:
    """Practitioners' time off overlapping [start, end), in epoch minutes."""
    dialect = session.get_bind().dialect.name
    query = select(
        TimeOff.practitioner_id,
        _epoch_minutes(TimeOff.starts_at, dialect),
        _epoch_minutes(TimeOff.ends_at, dialect),
    ).where(TimeOff.starts_at < end, TimeOff.ends_at > start)
    return [(pid, s, e) for pid, s, e in session.execute(query)]


def _closures(session: Session, start: datetime, end: datetime) -> list[Interval]:
    """Clinic closures overlapping [start, end), merged."""
    dialect = session.get_bind().dialect.name
    query = select(
        _epoch_minutes(Closure.starts_at, dialect), _epoch_minutes(Closure.ends_at, dialect)
    ).where(Closure.starts_at < end, Closure.ends_at > start)
    return merge((s, e) for s, e in session.execute(query))


def _busy_lists(
    session: Session, start: datetime, end: datetime
) -> tuple[dict[int, list[Interval]], dict[int, list[Interval]]]:
    """Held time per practitioner (visits and time off) and per active room, unmerged."""
    by_practitioner: dict[int, list[Interval]] = defaultdict(list)
    by_room: dict[int, list[Interval]] = {
        room_id: []
        for room_id in session.scalars(
            select(Room.id).where(Room.active.is_(True)).order_by(Room.id)
        )
    }
    for practitioner_id, room_id, held in _held_groups(session, start, end):
        by_practitioner[practitioner_id].extend(held)
        if room_id in by_room:
            by_room[room_id].extend(held)
    for practitioner_id, s, e in _time_off(session, start, end):
        by_practitioner[practitioner_id].append((s, e))
    return by_practitioner, by_room


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
    """Hours, held time, time off and closures overlapping [start, end); every practitioner's,
    or only those of the ``known`` records (their hours taken from the records, not queried
    again); rooms are always all of them."""
    by_practitioner, by_room = _busy_lists(session, start, end)
    closures = _closures(session, start, end)
    practitioners = (
        {p.id: hours_of(p) for p in known if p.active}
        if known is not None
        else practitioner_hours(session)
    )
    return CalendarSnapshot(
        zone=zone,
        practitioners=practitioners,
        practitioner_busy={pid: merge(ivs) for pid, ivs in by_practitioner.items()},
        room_busy={rid: merge(ivs) for rid, ivs in by_room.items()},
        closures=closures,
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
    none: days far in the past or future are not looked up (nor, near the ends of the
    calendar, computed with)."""
    today = now.astimezone(zone).date()
    first = max(first_day, today - timedelta(days=1))
    last = min(last_day, (now + policy.horizon).astimezone(zone).date() + timedelta(days=1))
    return (first, last) if first <= last else None


def _check_range(first_day: date, last_day: date, policy: BookingPolicy) -> None:
    """:raise ValidationFailed: if the range is reversed or longer than the policy allows."""
    if last_day < first_day:
        raise ValidationFailed({"to": ["must be on or after 'from'"]})
    if (last_day - first_day) > policy.longest_query:
        raise ValidationFailed({"to": [f"ask for at most {policy.longest_query.days} days"]})


def _check_practitioner(session: Session, practitioner_id: int | None) -> None:
    """:raise NotFound: if a practitioner is named and is not an active one."""
    if practitioner_id is None:
        return
    found = session.get(Practitioner, practitioner_id)
    if found is None or not found.active:
        raise NotFound(f"practitioner {practitioner_id} does not exist")


@dataclass(frozen=True)
class _SlotSearch:
    """What a free-slot question asks for, once checked."""

    service: Service
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


def free_slots(
    session: Session,
    *,
    service_id: int,
    first_day: date,
    last_day: date,
    zone: ZoneInfo,
    now: datetime,
    practitioner_id: int | None = None,
    policy: BookingPolicy | None = None,
) -> list[TimeOption]:
    """Free start times for a service between two local dates (inclusive), earliest first.

    Each time lists the practitioners free then; with ``practitioner_id``, only that one.

    :raise ValidationFailed: if the range is reversed or longer than the policy allows.
    :raise NotFound: if the service or the practitioner does not exist.
    """
    policy = policy or load_policy(session)
    _check_range(first_day, last_day, policy)
    service = active_service(session, service_id)
    _check_practitioner(session, practitioner_id)
    days = bookable_days(first_day, last_day, now, zone, policy)
    if days is None:
        return []
    search = _SlotSearch(service, *days, now, practitioner_id, policy)
    return search.answer(load_snapshot(session, *day_window(*days, zone), zone))
