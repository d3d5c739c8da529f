"""Reading the calendar from the database: who works when, and what time is already held."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scheduler.availability import (
    BookingPolicy,
    BusyTimes,
    Interval,
    Slot,
    WeeklyHours,
    practitioner_slots,
)
from scheduler.errors import NotFound, ValidationFailed
from scheduler.models import ACTIVE_STATUSES, Appointment, Practitioner, Room, Service


def active_service(session: Session, service_id: int) -> Service:
    """:raise NotFound: if there is no such bookable service."""
    service = session.get(Service, service_id)
    if service is None or not service.active:
        raise NotFound(f"service {service_id} does not exist")
    return service


def bookable_practitioners(
    session: Session, service: Service, on: date, practitioner_id: int | None = None
) -> list[Practitioner]:
    """Active practitioners who give ``service`` and hold a valid licence on ``on``."""
    query = (
        select(Practitioner)
        .where(Practitioner.active.is_(True), Practitioner.services.any(Service.id == service.id))
        .options(selectinload(Practitioner.hours))
        .order_by(Practitioner.id)
    )
    if practitioner_id is not None:
        query = query.where(Practitioner.id == practitioner_id)
    return [p for p in session.scalars(query) if p.licensed_on(on)]


def busy_times(
    session: Session, start: datetime, end: datetime, practitioner_ids: list[int]
) -> tuple[dict[int, BusyTimes], dict[int, BusyTimes]]:
    """Held intervals overlapping [start, end): by practitioner, and by room."""
    rows = session.execute(
        select(
            Appointment.practitioner_id,
            Appointment.room_id,
            Appointment.starts_at,
            Appointment.blocked_until,
        ).where(
            Appointment.status.in_(ACTIVE_STATUSES),
            Appointment.starts_at < end,
            Appointment.blocked_until > start,
        )
    ).all()
    by_practitioner: dict[int, list[Interval]] = defaultdict(list)
    by_room: dict[int, list[Interval]] = defaultdict(list)
    wanted = set(practitioner_ids)
    for practitioner_id, room_id, starts_at, blocked_until in rows:
        interval = Interval(starts_at, blocked_until)
        if practitioner_id in wanted:
            by_practitioner[practitioner_id].append(interval)
        if room_id is not None:
            by_room[room_id].append(interval)
    return (
        {pid: BusyTimes(by_practitioner.get(pid, [])) for pid in practitioner_ids},
        {rid: BusyTimes(ivs) for rid, ivs in by_room.items()},
    )


def active_rooms(session: Session) -> list[Room]:
    return list(session.scalars(select(Room).where(Room.active.is_(True)).order_by(Room.id)))


def weekly_hours(practitioner: Practitioner) -> list[WeeklyHours]:
    return [WeeklyHours(h.weekday, h.starts, h.ends) for h in practitioner.hours]


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
) -> list[Slot]:
    """Free slots for a service between two local dates (inclusive), earliest first.

    :raise ValidationFailed: if the range is reversed or longer than the policy allows.
    :raise NotFound: if the service or the practitioner does not exist.
    """
    policy = policy or BookingPolicy()
    if last_day < first_day:
        raise ValidationFailed({"to": ["must be on or after 'from'"]})
    if (last_day - first_day) > policy.longest_query:
        raise ValidationFailed({"to": [f"ask for at most {policy.longest_query.days} days"]})
    service = active_service(session, service_id)
    if practitioner_id is not None:
        found = session.get(Practitioner, practitioner_id)
        if found is None or not found.active:
            raise NotFound(f"practitioner {practitioner_id} does not exist")
    practitioners = bookable_practitioners(session, service, first_day, practitioner_id)
    window_start = datetime.combine(first_day, time.min, tzinfo=zone) - timedelta(days=1)
    window_end = datetime.combine(last_day, time.max, tzinfo=zone) + timedelta(days=1)
    by_practitioner, by_room = busy_times(
        session, window_start, window_end, [p.id for p in practitioners]
    )
    rooms = (
        [by_room.get(room.id, BusyTimes()) for room in active_rooms(session)]
        if service.needs_room
        else None
    )
    slots: list[Slot] = []
    for practitioner in practitioners:
        slots.extend(
            practitioner_slots(
                practitioner_id=practitioner.id,
                hours=weekly_hours(practitioner),
                busy=by_practitioner[practitioner.id],
                rooms=rooms,
                first_day=first_day,
                last_day=min(last_day, practitioner.licence_expires_on or last_day),
                zone=zone,
                duration=timedelta(minutes=service.duration_min),
                buffer=timedelta(minutes=service.buffer_min),
                earliest=now + policy.minimum_notice,
                latest=now + policy.horizon,
                grid=policy.grid_minutes,
            )
        )
    slots.sort(key=lambda s: (s.start, s.practitioner_id))
    return slots
