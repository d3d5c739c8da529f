"""The staff calendar's week: the events feed for 20 practitioners with 1,000 visits in one week,
timed through the Flask app (its test client: routing, sign-in check, query, JSON).

``python -m bench.calendar_week`` measures only this, on both databases, and writes its figures
into ``bench/results.json`` beside the others; ``make bench`` measures it with the rest.
"""

from __future__ import annotations

import json
import random
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time

from sqlalchemy import insert, select

from bench import dataset
from bench.dataset import NOW, TODAY, ZONE
from bench.figures import RESULTS, Figure, print_table, write_results
from bench.scheduling import median_ms
from bench.services import postgres_database, sqlite_database
from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import Appointment, Patient, Practitioner, Role, Room, Service
from scheduler.records.audit import register_audit_listener
from scheduler.staff.accounts import create_staff_user
from scheduler.staff.sessions import SessionStamp

# A Monday after the data set's eight weeks of bookings, still in winter time.
WEEK_START = TODAY + timedelta(weeks=9)
# Ten 30-minute visits a practitioner a weekday, 45 minutes apart around the lunch break.
STARTS = [
    clock_time(9, 0),
    clock_time(9, 45),
    clock_time(10, 30),
    clock_time(11, 15),
    clock_time(12, 0),
    clock_time(14, 0),
    clock_time(14, 45),
    clock_time(15, 30),
    clock_time(16, 15),
    clock_time(17, 0),
]
STATUSES = ["booked"] * 6 + ["confirmed"] * 2 + ["proposed", "pending_review"]


@dataclass(frozen=True)
class WeekFigures:
    median_ms: float
    events: int


def add_busy_week(db: Database, seed: int = 11) -> int:
    """Write 1,000 visits into one week: 20 practitioners, 5 days, 10 visits each; half of
    them dry needling in a room (two practitioners share a room, never at once), half
    telehealth. Returns how many were written."""
    rng = random.Random(seed)
    with db.transaction() as session:
        practitioners = sorted(session.scalars(select(Practitioner.id)))
        rooms = sorted(session.scalars(select(Room.id)))
        patients = sorted(session.scalars(select(Patient.id)))
        services = {s.code: s for s in session.scalars(select(Service))}
        needling, telehealth = services["dry_needling"], services["telehealth"]
        rows = []
        for day in (WEEK_START + timedelta(days=d) for d in range(5)):
            for k, at in enumerate(STARTS):
                start = datetime.combine(day, at, tzinfo=ZONE).astimezone(UTC)
                for index, practitioner_id in enumerate(practitioners):
                    in_room = (index + k) % 2 == 0
                    service = needling if in_room else telehealth
                    rows.append(
                        {
                            "patient_id": rng.choice(patients),
                            "practitioner_id": practitioner_id,
                            "service_id": service.id,
                            "room_id": rooms[index // 2] if in_room else None,
                            "starts_at": start,
                            "ends_at": start + timedelta(minutes=service.duration_min),
                            "blocked_until": start
                            + timedelta(minutes=service.duration_min + service.buffer_min),
                            "status": rng.choice(STATUSES),
                            "booked_via": "bench",
                            "created_at": NOW,
                            "updated_at": NOW,
                            "planning_note": "",
                        }
                    )
        session.execute(insert(Appointment), rows)
    return len(rows)


def measure(db: Database, url: str) -> WeekFigures:
    """The median time of ``GET /staff/calendar/events`` for the busy week, everyone's visits,
    signed in as an admin; 21 runs after one warm-up."""
    from web.app import create_app
    from web.staff.auth import SESSION_KEY

    add_busy_week(db)
    with db.transaction() as session:
        admin = create_staff_user(
            session,
            email="bench-admin@clinic.test",
            name="Bench admin",
            password="bench password 1234",
            role=Role.ADMIN,
            now=NOW,
        )
        stamp = asdict(SessionStamp.begin(admin, NOW))
    settings = Settings(database_url=url, secret_key="bench", clinic_timezone="Europe/London")
    app = create_app(settings, FrozenClock(NOW))
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie[SESSION_KEY] = stamp  # signed in as the login form would (web/staff/auth.py)
    end = WEEK_START + timedelta(days=7)
    path = f"/staff/calendar/events?start={WEEK_START}T00:00:00&end={end}T00:00:00"

    def week() -> list[object]:
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"the events feed answered {response.status_code}")
        return response.get_json()  # type: ignore[no-any-return]

    events = len(week())
    figure = median_ms(week)
    app.extensions["clinic.db"].dispose()
    return WeekFigures(median_ms=figure, events=events)


def main() -> int:
    register_audit_listener()  # measure the writes as the app and the worker make them
    figures: list[Figure] = []
    for backend, database in (("sqlite", sqlite_database), ("postgresql", postgres_database)):
        with database() as url:
            db = Database(url)
            began = time.perf_counter()
            dataset.build(db)
            print(f"  {backend}: data set built in {time.perf_counter() - began:.1f} s", flush=True)
            week = measure(db, url)
            db.dispose()
        figures += [
            Figure("calendar_week_ms", backend, week.median_ms, "ms", "<= 50"),
            Figure("calendar_week_events", backend, float(week.events), "events", ""),
        ]
    print_table(figures)
    earlier = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    kept = [r for r in earlier if not r["name"].startswith("calendar_week")]
    write_results(figures, kept)
    return 0


if __name__ == "__main__":
    sys.exit(main())
