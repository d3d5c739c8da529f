"""The calendar snapshot's data in one statement: a row of JSON arrays, one for each kind."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from scheduler.calendar.availability import Interval, PractitionerHours, WeeklyHours
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
from scheduler.models.base import UTCDateTime
from scheduler.models.clinic import (
    LONGEST_BUFFER_MIN,
    LONGEST_SERVICE_MIN,
    POLICY_COLUMNS,
    ClinicRules,
    practitioner_services,
)

# The longest time a visit holds (the services table's limits): its length and its buffer.
LONGEST_VISIT = timedelta(minutes=LONGEST_SERVICE_MIN + LONGEST_BUFFER_MIN)

# SQLite's unixepoch() (3.38 and later) reads a stored time about twice as fast as
# strftime('%s'), which older libraries fall back to.
_UNIXEPOCH = sqlite3.sqlite_version_info >= (3, 38, 0)


@dataclass(frozen=True)
class CalendarRows:
    """What one read of the calendar over a window found, in epoch minutes."""

    # Active visits' held time per practitioner, and per active room (a free room's list is
    # empty); not merged, nor (on PostgreSQL) sorted.
    by_practitioner: dict[int, list[Interval]]
    by_room: dict[int, list[Interval]]
    time_off: list[tuple[int, int, int]]  # (practitioner, start, end)
    closures: list[Interval]
    # Every active practitioner's hours, services and licence; None when not asked for.
    practitioners: dict[int, PractitionerHours] | None
    # With a service asked for: the service (None if there is no such service) and the
    # clinic's stored rules (None while it keeps the defaults).
    service: ServiceTerms | None = None
    rules: dict[str, int] | None = None


@dataclass(frozen=True)
class ServiceTerms:
    """What a free-slot search needs of a service."""

    id: int
    duration_min: int
    buffer_min: int
    needs_room: bool
    active: bool


SERVICE_COLUMNS = tuple(f.name for f in fields(ServiceTerms))  # the services table's names


def read_calendar(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    with_practitioners: bool,
    service_id: int | None = None,
) -> CalendarRows:
    """Held time, time off and closures overlapping [start, end), the active rooms, (if
    asked) every active practitioner's hours, and (with ``service_id``) that service's terms
    and the clinic's rules: one statement, one round trip.

    Each kind comes back as JSON built by the database, instants already in epoch minutes:
    no datetime object, and no row object, is made for a visit; a pair of numbers is.
    """
    if session.autoflush:
        session.flush()  # as a query through the session would: changes not yet sent count
    dialect = session.get_bind().dialect.name
    with_service = service_id is not None
    statement = _statement(dialect, with_practitioners, with_service)
    parameters: dict[str, Any] = {"start": start, "end": end, "held_from": start - LONGEST_VISIT}
    if with_service:
        parameters["service_id"] = service_id
    # Through the session's connection: plain columns, nothing for the ORM to load.
    row = session.connection().execute(statement, parameters).one()
    held, time_off, closures, rooms = (value or [] for value in row[:4])
    by_practitioner, by_room = _shared_out(dialect, held, rooms)
    service, rules = row[-2:] if with_service else (None, None)
    return CalendarRows(
        by_practitioner=by_practitioner,
        by_room=by_room,
        time_off=[(p, s, e) for p, s, e in time_off],
        closures=[(s, e) for s, e in closures],
        practitioners=_practitioners(row[4], row[5], row[6]) if with_practitioners else None,
        service=_service_terms(service) if service is not None else None,
        rules=rules,
    )


def _service_terms(values: dict[str, Any]) -> ServiceTerms:
    """A service's terms from its JSON object (SQLite gives its booleans as 0 and 1)."""
    terms = ServiceTerms(**values)
    return replace(terms, needs_room=bool(terms.needs_room), active=bool(terms.active))


def _shared_out(
    dialect: str, held: Any, rooms: list[int]
) -> tuple[dict[int, list[Interval]], dict[int, list[Interval]]]:
    """Held time per practitioner and per active room, from what ``_held`` gives."""
    by_practitioner: defaultdict[int, list[Interval]] = defaultdict(list)
    by_room: dict[int, list[Interval]] = {room_id: [] for room_id in sorted(rooms)}
    if dialect == "postgresql":
        for practitioner_id, room_id, starts, ends in held:
            pairs = list(zip(starts, ends, strict=True))
            by_practitioner[practitioner_id] += pairs
            if room_id in by_room:
                by_room[room_id] += pairs
        return by_practitioner, by_room
    for practitioner_id, room_id, start, end in zip(*held, strict=True):
        pair = (start, end)
        by_practitioner[practitioner_id].append(pair)
        if room_id in by_room:
            by_room[room_id].append(pair)
    return by_practitioner, by_room


def _practitioners(people: Any, hours: Any, services: Any) -> dict[int, PractitionerHours]:
    """Hours, services and licence of each active practitioner, from their JSON arrays."""
    stretches: dict[int, list[WeeklyHours]] = defaultdict(list)
    for pid, weekday, starts, ends in hours or []:
        stretches[pid].append(
            WeeklyHours(weekday, time.fromisoformat(starts), time.fromisoformat(ends))
        )
    offered: dict[int, set[int]] = defaultdict(set)
    for pid, service_id in services or []:
        offered[pid].add(service_id)
    return {
        pid: PractitionerHours(
            practitioner_id=pid,
            hours=tuple(sorted(stretches[pid])),
            services=frozenset(offered[pid]),
            licence_expires_on=date.fromisoformat(expires) if expires else None,
        )
        for pid, expires in sorted(people or [])
    }


@lru_cache(maxsize=8)
def _statement(
    dialect: str, with_practitioners: bool, with_service: bool
) -> Select[*tuple[Any, ...]]:
    """The statement for a dialect, built once: SQLAlchemy then reuses its compiled form."""
    start = bindparam("start", type_=UTCDateTime())
    end = bindparam("end", type_=UTCDateTime())
    held_from = bindparam("held_from", type_=UTCDateTime())
    array = _JsonArrays(dialect)
    columns = [
        _held(array, start, end, held_from),
        array.of_rows(
            select(
                TimeOff.practitioner_id,
                array.minutes(TimeOff.starts_at),
                array.minutes(TimeOff.ends_at),
            ).where(TimeOff.starts_at < end, TimeOff.ends_at > start)
        ),
        array.of_rows(
            select(array.minutes(Closure.starts_at), array.minutes(Closure.ends_at)).where(
                Closure.starts_at < end, Closure.ends_at > start
            )
        ),
        array.of_values(select(Room.id).where(Room.active.is_(True))),
    ]
    if with_practitioners:
        columns += [
            array.of_rows(
                select(Practitioner.id, Practitioner.licence_expires_on).where(
                    Practitioner.active.is_(True)
                )
            ),
            array.of_rows(
                select(
                    WorkingHours.practitioner_id,
                    WorkingHours.weekday,
                    WorkingHours.starts,
                    WorkingHours.ends,
                )
            ),
            array.of_rows(
                select(practitioner_services.c.practitioner_id, practitioner_services.c.service_id)
            ),
        ]
    if with_service:
        service = bindparam("service_id", type_=Integer())
        columns += [
            array.object_of(Service, SERVICE_COLUMNS, Service.id == service),
            array.object_of(ClinicRules, POLICY_COLUMNS, ClinicRules.id == 1),
        ]
    return select(*columns)


def _held(array: _JsonArrays, start: Any, end: Any, held_from: Any) -> ColumnElement[Any]:
    """Active visits' held time overlapping [start, end). PostgreSQL groups them by
    practitioner and room (one [practitioner, room, [starts], [ends]] a group: it groups by
    hashing, which is cheap); SQLite gives four flat arrays (practitioners, rooms, starts,
    ends: it groups by sorting, which costs more than sharing the visits out in Python), read
    in start order from the index, so the lists to merge come mostly sorted."""
    starts = array.minutes(Appointment.starts_at)
    ends = array.minutes(Appointment.blocked_until)
    in_window = (
        # The lower bound keeps the index range to the window: no visit is that long.
        Appointment.starts_at >= held_from,
        Appointment.starts_at < end,
        Appointment.blocked_until > start,
        Appointment.status.in_(ACTIVE_STATUSES),
    )
    if array.postgresql:
        return array.of_rows(
            select(
                Appointment.practitioner_id,
                Appointment.room_id,
                func.array_agg(starts),
                func.array_agg(ends),
            )
            .where(*in_window)
            .group_by(Appointment.practitioner_id, Appointment.room_id)
        )
    visits = (
        select(Appointment.practitioner_id, Appointment.room_id, starts, ends)
        .where(*in_window)
        .order_by(Appointment.starts_at)
        .subquery()
    )
    arrays = func.json_array(*(func.json_group_array(column) for column in visits.c))
    return type_coerce(select(arrays).select_from(visits).scalar_subquery(), JSON)


def epoch_minutes(column: Any, dialect: str) -> ColumnElement[int]:
    """Whole minutes since the epoch, computed by the database: no datetime object per row.

    Whole seconds (rounded down: PostgreSQL's cast would round 09:59:59.6 up to 10:00) divided
    by the database's own integer division: SQLAlchemy's ``//`` calls a Python ``floor()`` on
    SQLite for every row, and its ``/`` divides as numerics on PostgreSQL. No stored instant is
    before 1970, so truncating the quotient is flooring it."""
    seconds: ColumnElement[int]
    if dialect == "postgresql":
        seconds = cast(func.floor(func.date_part("epoch", column)), BigInteger)
    elif _UNIXEPOCH:
        seconds = func.unixepoch(column)
    else:
        seconds = cast(func.strftime("%s", column), BigInteger)
    return seconds.op("/", return_type=BigInteger)(literal_column("60"))


class _JsonArrays:
    """The JSON functions of PostgreSQL and SQLite, behind one set of names."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.postgresql = dialect == "postgresql"

    def minutes(self, column: Any) -> ColumnElement[int]:
        return epoch_minutes(column, self.dialect)

    def of_rows(self, query: Select[*tuple[Any, ...]]) -> ColumnElement[Any]:
        """The query's rows as one JSON array of arrays (NULL on PostgreSQL when empty)."""
        inner = query.subquery()
        build = func.json_build_array if self.postgresql else func.json_array
        return self._all(inner, build(*inner.c))

    def object_of(
        self, model: Any, names: tuple[str, ...], where: ColumnElement[bool]
    ) -> ColumnElement[Any]:
        """The one row of ``model`` that ``where`` picks, as a JSON object of the columns
        ``names`` (NULL when there is none)."""
        build = func.json_build_object if self.postgresql else func.json_object
        pairs = [part for name in names for part in (literal(name), getattr(model, name))]
        return type_coerce(select(build(*pairs)).where(where).scalar_subquery(), JSON)

    def of_values(self, query: Select[*tuple[Any, ...]]) -> ColumnElement[Any]:
        """The query's one column as a JSON array (NULL on PostgreSQL when empty)."""
        inner = query.subquery()
        (value,) = inner.c
        return self._all(inner, value)

    def _all(self, inner: Any, value: ColumnElement[Any]) -> ColumnElement[Any]:
        agg = func.json_agg(value) if self.postgresql else func.json_group_array(value)
        return type_coerce(select(agg).select_from(inner).scalar_subquery(), JSON)
