"""SQL statements per booking and per availability call: few, and as many among 400 visits as 20."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, select

from scheduler.calendar.snapshot import free_slots
from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import Practitioner, Role, Room, Service, StaffUser
from scheduler.visits.booking import book_visit
from tests.conftest import MONDAY_8AM
from tests.support.booking_requests import proven
from tests.support.factories import api_booking, booking_request, demo_clinic, filler_visit, ids
from tests.support.staff import password_hash, sign_in

ZONE = ZoneInfo("Europe/London")
# The weeks the availability call looks at (winter time throughout), and the visits' days.
FIRST_DAY, LAST_DAY = date(2026, 3, 3), date(2026, 3, 27)
HOURS = (9, 10, 11, 12, 14, 15, 16, 17)
# Kept free for the first acupuncturist, for the bookings the test makes.
FREE = [datetime(2026, 3, d, 10, 0, tzinfo=UTC) for d in (10, 11, 17, 18)]
FEW, MANY = 20, 400
# Services in a room that end, buffer and all, within the hour: one a practitioner gives each.
WITHIN_AN_HOUR = ("acupuncture", "tuina", "dry_needling")
# The counts measured when this test was written (SQLite's include its BEGIN): a change that
# adds statements fails here; one that removes some may lower these.
MOST = {
    "book_visit": {"sqlite": 14, "postgresql": 10},
    "api_booking": {"sqlite": 18, "postgresql": 14},
    "free_slots": {"sqlite": 2, "postgresql": 1},
    "api_availability": {"sqlite": 2, "postgresql": 1},
    "calendar_week": {"sqlite": 5, "postgresql": 3},
}


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on ``engine`` inside the block, in order."""
    statements: list[str] = []

    def count(
        conn: object, cursor: object, statement: str, *args: object, **kwargs: object
    ) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def cells(db: Database) -> list[tuple[datetime, int, int, int | None]]:
    """Every hour a visit could fill in the window (start, practitioner, service, room), the
    first acupuncturist's kept-free hours left out, in a fixed random order."""
    _, kept = ids(db)
    with db.session() as session:
        practitioners = session.scalars(select(Practitioner).order_by(Practitioner.id)).all()
        rooms = session.scalars(select(Room.id).order_by(Room.id)).all()
        telehealth = session.scalars(select(Service).where(Service.code == "telehealth")).one()
        found = []
        day = FIRST_DAY
        while day <= LAST_DAY:
            for k, hour in enumerate(HOURS if day.weekday() < 5 else ()):
                start = datetime.combine(day, time(hour), tzinfo=ZONE).astimezone(UTC)
                for index, practitioner in enumerate(practitioners):
                    if practitioner.id == kept and start in FREE:
                        continue
                    in_room = (index + k) % 2 == 0
                    roomed = next(s for s in practitioner.services if s.code in WITHIN_AN_HOUR)
                    service = roomed if in_room else telehealth
                    room = rooms[index] if in_room else None
                    found.append((start, practitioner.id, service.id, room))
            day += timedelta(days=1)
    random.Random(5).shuffle(found)
    return found


def add_visits(db: Database, chosen: list[tuple[datetime, int, int, int | None]]) -> None:
    """One booked visit, for a patient of its own, in each chosen cell."""
    with db.transaction() as session:
        services = {s.id: s for s in session.scalars(select(Service))}
        for n, (start, practitioner_id, service_id, room_id) in enumerate(chosen):
            filler_visit(
                session,
                name=f"Filler{n}",
                phone=f"+44750{n:07d}",
                practitioner_id=practitioner_id,
                service=services[service_id],
                start=start,
                room_id=room_id,
            )


def count_booking(db: Database, settings: Settings, start: datetime, phone: str) -> int:
    """Statements one booking through the use case makes."""
    request = booking_request(db, start, phone=phone)
    with counting(db.engine) as statements, db.transaction() as session:
        book_visit(session, request, settings=settings, now=MONDAY_8AM)
    return len(statements)


def count_free_slots(db: Database) -> tuple[int, int]:
    """Statements one free-slot search over the window makes, and the slots it found."""
    service_id, _ = ids(db)
    with counting(db.engine) as statements, db.session() as session:
        slots = free_slots(
            session,
            service_id=service_id,
            first_day=FIRST_DAY,
            last_day=LAST_DAY,
            zone=ZONE,
            now=MONDAY_8AM,
        )
    return len(statements), len(slots)


def count_api_availability(client: FlaskClient, app: Flask, service_id: int) -> int:
    """Statements one ``GET /api/v1/availability`` for the window makes (after a warm-up)."""
    query = f"/api/v1/availability?service_id={service_id}&from={FIRST_DAY}&to={LAST_DAY}"
    assert client.get(query).status_code == 200
    with counting(app.extensions["clinic.db"].engine) as statements:
        answer = client.get(query)
    assert answer.status_code == 200 and answer.get_json()["slots"]
    return len(statements)


def count_api_booking(client: FlaskClient, app: Flask, db: Database, start: datetime) -> int:
    """Statements one ``POST /api/v1/bookings`` makes (the phone's proof got beforehand)."""
    service_id, practitioner_id = ids(db)
    body = proven(
        client,
        db,
        api_booking(
            service_id,
            practitioner_id,
            start.isoformat(),
            patient={"first_name": "Ana", "last_name": "Silva", "phone": phone_of(start)},
        ),
    )
    with counting(app.extensions["clinic.db"].engine) as statements:
        answer = client.post("/api/v1/bookings", json=body)
    assert answer.status_code == 201, answer.get_json()
    return len(statements)


def count_calendar_week(client: FlaskClient, app: Flask) -> tuple[int, int]:
    """Statements one ``GET /staff/calendar/events`` for a week of the window makes (after a
    warm-up), and the events it answers."""
    path = "/staff/calendar/events?start=2026-03-09T00:00:00&end=2026-03-16T00:00:00"
    assert client.get(path).status_code == 200
    with counting(app.extensions["clinic.db"].engine) as statements:
        answer = client.get(path)
    assert answer.status_code == 200
    return len(statements), len(answer.get_json())


def phone_of(start: datetime) -> str:
    """A phone number of its own for the patient booking at ``start``."""
    return f"07400 1{start.day:02d}{start.hour:03d}"


def test_a_booking_makes_as_many_statements_among_many_visits_as_among_few(
    db: Database, settings: Settings, backend: str
) -> None:
    spread = cells(db)
    add_visits(db, spread[:FEW])
    few = count_booking(db, settings, FREE[0], "+447400200001")
    add_visits(db, spread[FEW:MANY])
    many = count_booking(db, settings, FREE[1], "+447400200002")
    print(f"book_visit on {backend}: {few} statements among {FEW} visits, {many} among {MANY}")
    assert few == many
    assert many <= MOST["book_visit"][backend]


def test_free_slots_makes_as_many_statements_among_many_visits_as_among_few(
    db: Database, backend: str
) -> None:
    spread = cells(db)
    add_visits(db, spread[:FEW])
    few, slots_before = count_free_slots(db)
    add_visits(db, spread[FEW:MANY])
    many, slots_after = count_free_slots(db)
    print(f"free_slots on {backend}: {few} statements among {FEW} visits, {many} among {MANY}")
    assert slots_after < slots_before  # the visits were seen
    assert few == many
    assert many <= MOST["free_slots"][backend]


def test_the_api_makes_as_many_statements_among_many_visits_as_among_few(
    db: Database, app: Flask, client: FlaskClient, backend: str
) -> None:
    service_id, _ = ids(db)
    spread = cells(db)
    add_visits(db, spread[:FEW])
    availability_few = count_api_availability(client, app, service_id)
    booking_few = count_api_booking(client, app, db, FREE[2])
    add_visits(db, spread[FEW:MANY])
    availability_many = count_api_availability(client, app, service_id)
    booking_many = count_api_booking(client, app, db, FREE[3])
    print(
        f"API on {backend}: availability {availability_few} / {availability_many} statements, "
        f"booking {booking_few} / {booking_many}, among {FEW} / {MANY} visits"
    )
    assert availability_few == availability_many
    assert booking_few == booking_many
    assert availability_many <= MOST["api_availability"][backend]
    assert booking_many <= MOST["api_booking"][backend]


def test_the_calendar_week_makes_as_many_statements_among_many_visits_as_among_few(
    db: Database, app: Flask, client: FlaskClient, clock: FrozenClock, backend: str
) -> None:
    with db.transaction() as session:
        session.add(
            StaffUser(
                email="desk@clinic.test",
                name="Front desk",
                password_hash=password_hash(),
                role=Role.FRONT_DESK,
                created_at=clock.now(),
            )
        )
    sign_in(client, "desk@clinic.test")
    spread = cells(db)
    add_visits(db, spread[:FEW])
    few, events_before = count_calendar_week(client, app)
    add_visits(db, spread[FEW:MANY])
    many, events_after = count_calendar_week(client, app)
    print(f"calendar week on {backend}: {few} statements among {FEW} visits, {many} among {MANY}")
    assert events_after > events_before  # the visits were seen
    assert few == many
    assert many <= MOST["calendar_week"][backend]
