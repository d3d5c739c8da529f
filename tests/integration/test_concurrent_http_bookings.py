"""Fifty clients booking one slot over HTTP at once: one 201, forty-nine 409s, one visit."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import Appointment
from tests.support.booking_requests import proven
from tests.support.factories import api_booking, demo_clinic, ids

CLIENTS = 50


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Many bookings from one address at once, on purpose: the limits on anonymous work (tested
    in tests/hostile/test_attack_pumping_and_flooding.py) are off here."""
    return replace(settings, rate_limits_enabled=False)


def test_fifty_concurrent_requests_for_one_slot_book_it_once(app: Flask, db: Database) -> None:
    demo_clinic(db)
    service_id, practitioner_id = ids(db)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/api/v1/bookings"
    barrier = threading.Barrier(CLIENTS)
    statuses: list[int] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        body = api_booking(service_id, practitioner_id, "2026-03-04T10:00:00+00:00")
        body["patient"]["phone"] = f"+4474001234{n:02d}"
        body = proven(app, db, body)
        barrier.wait()
        status = requests.post(url, json=body, timeout=60).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.shutdown()
    assert Counter(statuses) == {201: 1, 409: CLIENTS - 1}
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Appointment)) == 1


def test_concurrent_bookings_with_different_practitioners_at_one_time_all_get_a_room(
    app: Flask, db: Database
) -> None:
    """Each request first picks the first free room; the ones that lose that race try again
    on a fresh view and get another room, instead of a false "taken"."""
    demo_clinic(db)
    service_id, lin = ids(db, "acupuncture")
    _dn, novak = ids(db, "dry_needling")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/api/v1/bookings"
    statuses: list[int] = []
    lock = threading.Lock()
    starts = [f"2026-03-{day:02d}T{hour:02d}:00:00+00:00" for day in (4, 5) for hour in (9, 10, 11)]
    barrier = threading.Barrier(2 * len(starts))

    def client(practitioner_id: int, start: str, n: int) -> None:
        body = api_booking(service_id, practitioner_id, start)
        body["patient"]["phone"] = f"+4474005{n:05d}"
        body = proven(app, db, body)
        barrier.wait()
        status = requests.post(url, json=body, timeout=60).status_code
        with lock:
            statuses.append(status)

    threads = [
        threading.Thread(target=client, args=(who, start, n * 2 + k))
        for n, start in enumerate(starts)
        for k, who in enumerate((lin, novak))
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.shutdown()
    assert statuses == [201] * len(threads)
    with db.session() as session:
        rooms = session.execute(select(Appointment.starts_at, Appointment.room_id)).all()
    assert len(rooms) == len(set(rooms)) == 2 * len(starts)
