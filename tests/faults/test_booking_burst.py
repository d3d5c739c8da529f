"""Two hundred people booking twenty slots at the same moment, over HTTP, on PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from tests.support.booking_requests import proven
from tests.support.factories import api_booking, demo_clinic, ids
from tests.support.fault_stack import double_bookings
from tests.support.services import PostgresDatabases
from web.app import create_app

PEOPLE, SLOTS = 200, 20
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def pg_db(postgres_databases: PostgresDatabases) -> Iterator[tuple[str, Database]]:
    url = postgres_databases.fresh()
    db = Database(url)
    yield url, db
    db.dispose()
    postgres_databases.drop(url)


def test_a_burst_of_200_bookings_for_20_slots_books_each_slot_once(
    pg_db: tuple[str, Database], redis_url: str, tmp_path: Path
) -> None:
    url, db = pg_db
    demo_clinic(db)
    settings = Settings(
        environment="test",
        instance_path=tmp_path,
        database_url=url,
        redis_url=redis_url,
        secret_key="burst",
        rate_limits_enabled=False,  # two hundred bookings from one address, on purpose
    )
    app = create_app(settings, FrozenClock(NOW))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    service_id, practitioner_id = ids(db)
    starts = [
        (datetime(2026, 3, 4, 9, 0, tzinfo=UTC) + timedelta(days=7 * (n // 8), hours=h))
        for n, h in enumerate([0, 1, 2, 3, 5, 6, 7, 8] * 3)
    ][:SLOTS]
    barrier = threading.Barrier(PEOPLE)
    results: list[int] = []
    lock = threading.Lock()

    def person(n: int) -> None:
        body = api_booking(service_id, practitioner_id, starts[n % SLOTS].isoformat())
        body["patient"]["phone"] = f"+4474{n:08d}"
        body = proven(app, db, body)
        barrier.wait()
        status = requests.post(
            f"http://127.0.0.1:{server.server_port}/api/v1/bookings", json=body, timeout=120
        ).status_code
        with lock:
            results.append(status)

    people = [threading.Thread(target=person, args=(n,)) for n in range(PEOPLE)]
    try:
        for thread in people:
            thread.start()
        for thread in people:
            thread.join()
    finally:
        server.shutdown()
        app.extensions["clinic.db"].dispose()
    print(f"\nbookings: {dict(Counter(results))}, double-booked: {double_bookings(db)}")
    assert Counter(results) == {201: SLOTS, 409: PEOPLE - SLOTS}
    assert double_bookings(db) == 0
