"""A busy clinic for benchmarks: 20 practitioners, 10 rooms and 200,000 appointments."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text

from scheduler.courses.templates import load_default_templates
from scheduler.db import Database
from scheduler.demo import add_services
from scheduler.models import (
    Appointment,
    Patient,
    Practitioner,
    Room,
    WorkingHours,
)

ZONE = ZoneInfo("Europe/London")
PRACTITIONERS = 20
ROOMS = 10
PATIENTS = 2000
HOURS = (9, 10, 11, 12, 14, 15, 16, 17)  # one visit an hour, around the lunch break
# "Today" for every benchmark: a Monday in winter, so eight weeks ahead cross no DST change.
TODAY = date(2027, 1, 4)
NOW = datetime.combine(TODAY, time(7, 0), tzinfo=UTC)


def weekdays_back_and_forth(past_days: int, future_days: int) -> list[date]:
    days = [TODAY + timedelta(days=d) for d in range(-past_days, future_days)]
    return [d for d in days if d.weekday() < 5]


def build(db: Database, appointments: int = 200_000, seed: int = 7) -> dict[str, int]:
    """Fill an empty, migrated database; returns what it wrote."""
    rng = random.Random(seed)
    with db.transaction() as session:
        services = add_services(session)
        session.add_all(Room(name=f"Room {n + 1}") for n in range(ROOMS))
        for n in range(PRACTITIONERS):
            practitioner = Practitioner(
                name=f"Practitioner {n + 1}",
                licence_expires_on=date(2035, 1, 1),
                services=list(services.values()),
            )
            practitioner.hours = [
                WorkingHours(weekday=d, starts=time(h0), ends=time(h1))
                for d in range(5)
                for h0, h1 in ((9, 13), (14, 18))
            ]
            session.add(practitioner)
        session.flush()
        load_default_templates(session)
        room_ids = sorted(r.id for r in session.query(Room))
        practitioner_ids = sorted(p.id for p in session.query(Practitioner))
        acupuncture, telehealth = services["acupuncture"], services["telehealth"]
        session.execute(
            insert(Patient),
            [
                {
                    "first_name": f"Patient{n}",
                    "last_name": "Bench",
                    "phone_e164": f"+4474{n:08d}",
                    "time_zone": "Europe/London",
                    "created_at": NOW,
                }
                for n in range(PATIENTS)
            ],
        )
    rows = []
    future = weekdays_back_and_forth(0, 56)
    past = weekdays_back_and_forth(2000, 0)[::-1]
    for day, fill in [(d, 0.5) for d in future] + [(d, 0.97) for d in past]:
        if len(rows) >= appointments:
            break
        for k, hour in enumerate(HOURS):
            start = datetime.combine(day, time(hour), tzinfo=ZONE).astimezone(UTC)
            for p_index, practitioner_id in enumerate(practitioner_ids):
                if rng.random() >= fill:
                    continue
                in_room = (p_index + k) % 2 == 0
                service = acupuncture if in_room else telehealth
                rows.append(
                    {
                        "patient_id": rng.randint(1, PATIENTS),
                        "practitioner_id": practitioner_id,
                        "service_id": service.id,
                        "room_id": room_ids[p_index // 2] if in_room else None,
                        "starts_at": start,
                        "ends_at": start + timedelta(minutes=service.duration_min),
                        "blocked_until": start
                        + timedelta(minutes=service.duration_min + service.buffer_min),
                        "status": "completed" if day < TODAY else "booked",
                        "booked_via": "bench",
                        "created_at": NOW,
                        "updated_at": NOW,
                        "planning_note": "",
                    }
                )
        if len(rows) >= appointments:
            break
    rows = rows[:appointments]
    if not rows:
        return {"appointments": 0, "practitioners": PRACTITIONERS, "rooms": ROOMS}
    if db.is_postgresql:
        _copy_into_postgresql(db, rows)
    else:
        for begin in range(0, len(rows), 20_000):
            with db.transaction() as session:
                session.execute(insert(Appointment), rows[begin : begin + 20_000])
    if db.is_postgresql:
        _analyze(db)
    return {"appointments": len(rows), "practitioners": PRACTITIONERS, "rooms": ROOMS}


def _analyze(db: Database) -> None:
    """PostgreSQL's planner statistics for the loaded tables, as a live database has them
    (autovacuum gathers them after a load like this); SQLite keeps none unless asked, and the
    application never asks."""
    with db.engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()


def _copy_into_postgresql(db: Database, rows: list[dict[str, object]]) -> None:
    """COPY is the fast way to load many rows; the constraints are checked all the same."""
    columns = list(rows[0])
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(  # type: ignore[attr-defined]
            f"COPY appointments ({', '.join(columns)}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
        raw.commit()
    finally:
        raw.close()
